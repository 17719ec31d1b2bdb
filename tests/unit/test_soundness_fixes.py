"""Regression tests of issue 11: each mechanism that gave a false CERTIFIED or a false FAIL.

Every test here fails on the code before the fix (the commit that added it says which mechanism).
Truths come from mpmath at 50 digits or exact rationals, never from the code under test.
"""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from proofs.formula import affine_residual_bounds, certified_lipschitz, compile_target, input_symbols

X0, = input_symbols(1)


# ------------------------------------------------------------------ 1. continuity-assuming forms
@pytest.mark.parametrize("lo, hi", [(1.4, 1.8), (1.5, 1.65), (-1.7, -1.5), (4.6, 4.8)])
def test_mean_value_form_not_used_across_a_pole(lo, hi):
    # atan(tan(u)) jumps by pi at every pole of tan; sympy's derivative of it is 1
    t = compile_target([sp.atan(sp.tan(X0))], [X0])
    lower, upper = affine_residual_bounds(t, [[lo]], [[hi]], [[0.0]], [0.0])
    mpmath.mp.dps = 50
    for x in np.linspace(lo, hi, 41):
        v = float(mpmath.atan(mpmath.tan(mpmath.mpf(x))))
        assert lower[0] <= v <= upper[0], (x, v, lower[0], upper[0])


def test_mean_value_form_still_used_where_smooth():
    t = compile_target([sp.atan(sp.tan(X0))], [X0])
    lower, upper = affine_residual_bounds(t, [[0.5]], [[0.5 + 2**-10]], [[1.0]], [0.0])
    assert upper[0] - lower[0] < 1e-12  # f - x = 0 on the box: the mean-value form is tight


def test_lipschitz_not_certified_across_a_jump():
    t = compile_target([sp.atan(sp.tan(X0))], [X0])
    res = certified_lipschitz(t, [1.4], [1.8], 1.01, max_boxes=20_000, time_budget=10.0)
    assert res.status == "refuted"
    (x,), (y,) = res.witness
    mpmath.mp.dps = 50
    fx, fy = (mpmath.atan(mpmath.tan(mpmath.mpf(v.numerator) / v.denominator)) for v in (x, y))
    assert abs(fx - fy) > 1.01 * abs(float(x - y))


def test_lipschitz_sign_jump_not_certified():
    t = compile_target([sp.sign(X0 - sp.Rational(1, 3))], [X0])
    res = certified_lipschitz(t, [0], [1], 100.0, max_boxes=20_000, time_budget=10.0)
    assert res.status != "certified"


def test_lipschitz_abs_kink_still_certified():
    t = compile_target([sp.Abs(X0 - sp.Rational(1, 3))], [X0])
    assert certified_lipschitz(t, [0], [1], 1.001).status == "certified"


def test_taylor_form_not_used_on_a_kink():
    # Max(x, -x) = |x|: C^2 fails at 0; the Taylor form with a DiracDelta-free Hessian must not be used
    f = sp.Max(X0, -X0) + sp.Min(X0**2, sp.Rational(1, 4))
    t = compile_target([f], [X0])
    for lo, hi in [(-0.01, 0.02), (0.49, 0.51), (-0.51, -0.499)]:
        lower, upper = affine_residual_bounds(t, [[lo]], [[hi]], [[0.0]], [0.0])
        for x in np.linspace(lo, hi, 33):
            v = abs(x) + min(x * x, 0.25)
            assert lower[0] - 1e-12 <= v <= upper[0] + 1e-12


# ------------------------------------------------------------------ 2. realness under symbolic exponents
def _zero_net(n_in):
    from constructions import sequential_net
    return sequential_net([(np.zeros((1, n_in)), np.zeros(1))])


def test_symbolic_exponent_of_a_base_negative_somewhere_is_rejected():
    from checkers.certify import certified_sup_error
    from constructions import Built
    from proofs import InvalidInput
    from proofs.formula import prove_real_on_domain

    x0, x1 = input_symbols(2)
    f = (x0 - sp.Rational(1, 2)) ** x1  # not real at x0 = 1/4, x1 = 1/2
    res = prove_real_on_domain([f], [x0, x1], [0, 0], [1, 1])
    assert res.status == "refuted"
    # the refuting point really is a non-real point: a negative base to a non-integer power
    base, ex = (float(e.subs(dict(zip((x0, x1), res.point)))) for e in (x0 - sp.Rational(1, 2), x1))
    assert base < 0 and ex != int(ex)
    built = Built(net=_zero_net(2), target=(f,), variables=(x0, x1), domain_lo=(0, 0), domain_hi=(1, 1))
    with pytest.raises(InvalidInput):
        certified_sup_error(built, bound=2.0, time_budget=5.0)


def test_symbolic_exponent_of_a_positive_base_is_real():
    from proofs.formula import prove_real_on_domain

    x0, x1 = input_symbols(2)
    assert prove_real_on_domain([(x0 + 1) ** x1], [x0, x1], [0, 0], [1, 1]).status == "proved"


def test_negative_base_to_integer_exponents_only_is_not_refuted():
    from proofs.formula import prove_real_on_domain

    x0, x1 = input_symbols(2)
    # x1 ranges over the single integer 2: (x0 - 1/2)**2 is real; never refuted (unknown is fine)
    assert prove_real_on_domain([(x0 - sp.Rational(1, 2)) ** x1], [x0, x1], [0, 2], [1, 2]).status != "refuted"
