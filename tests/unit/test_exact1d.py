"""The exact 1-D tier: breakpoints enumerated in rationals, polynomial residuals maximised exactly."""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from constructions import Built, evaluate_exact, random_relu_net
from constructions.interpolation import pl_interpolant
from constructions.yarotsky import sawtooth_square
from tests.oracles.exact1d import applicable_exact_1d, exact_sup_error_1d

x0 = sympy.Symbol("x0", real=True)


@pytest.mark.parametrize("m", [1, 2, 5, 8])
def test_yarotsky_sup_is_exactly_two_to_minus_2m_minus_2(m):
    r = exact_sup_error_1d(sawtooth_square(m))
    assert r.lower == r.upper == Fraction(1, 2 ** (2 * m + 2))
    assert r.pieces == 2**m
    net_val = evaluate_exact(sawtooth_square(m).net, [r.argmax])[0]
    assert abs(r.argmax**2 - net_val) == r.lower  # the argmax replays exactly


def test_interpolation_of_x2_is_exactly_h2_over_4():
    r = exact_sup_error_1d(pl_interpolant(x0**2, 16))
    assert r.lower == r.upper == Fraction(1, 4 * 16**2)


@given(seed=st.integers(0, 10_000), coeffs=st.lists(st.integers(-3, 3), min_size=1, max_size=4))
def test_enclosure_contains_sampled_errors(seed, coeffs):
    net = random_relu_net((1, 6, 6, 1), seed=seed)
    f = sum(c * x0**k for k, c in enumerate(coeffs))
    built = Built(net=net, target=(f,), variables=(x0,), domain_lo=(0.0,), domain_hi=(1.0,))
    r = exact_sup_error_1d(built)
    assert r.lower <= r.upper
    xs = [Fraction(int(v * 2**20), 2**20) for v in np.random.default_rng(seed).random(20)]
    for x in xs:
        err = abs(
            sympy.Rational(f.subs(x0, sympy.Rational(x.numerator, x.denominator)))
            - sympy.Rational(*_nd(evaluate_exact(net, [x])[0]))
        )
        assert err <= sympy.Rational(r.upper.numerator, r.upper.denominator)


def _nd(fr):
    return fr.numerator, fr.denominator


def test_not_applicable_to_transcendental_targets_or_many_inputs():
    assert not applicable_exact_1d(pl_interpolant(sympy.sin(3 * x0), 4))
    assert applicable_exact_1d(pl_interpolant(x0**3, 4))


@pytest.mark.parametrize(
    "built",
    [sawtooth_square(6), pl_interpolant(x0**3, 16), pl_interpolant(x0**2 - x0 / 3, 8)],
    ids=["yarotsky6", "x3-n16", "quadratic-n8"],
)
def test_certifier_agrees_with_the_exact_oracle(built):
    """The B&B certifier's interval [lower, upper] must contain the oracle's exact sup and be tight."""
    from checkers.certify import certified_sup_error

    exact = exact_sup_error_1d(built)
    cert = certified_sup_error(built, tol=0.01, time_budget=30.0)
    assert cert.upper >= float(exact.lower)
    assert cert.lower <= float(exact.upper) * (1 + 1e-12)
    assert cert.upper <= float(exact.upper) * 1.011
