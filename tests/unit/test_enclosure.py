"""Unit tests of proofs.formula._enclosure: parsing, interval primitives, forms, Lipschitz, exact replays."""

from __future__ import annotations

import time
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from proofs import InvalidInput, Status
from proofs.formula import (
    Target,
    affine_residual_bounds,
    certified_lipschitz,
    compile_target,
    exact_value,
    input_symbols,
    parse_expression,
)

X0, X1 = input_symbols(2)


def enclose(expr, lo, hi, variables=(X0,)):
    """Enclosure of one expression on one box given as lists."""
    target = compile_target([expr], list(variables))
    out_lo, out_hi = target.interval(np.array([lo], dtype=float), np.array([hi], dtype=float))
    return float(out_lo[0, 0]), float(out_hi[0, 0])


# ---------------------------------------------------------------- parse_expression


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sin(3*x0)*x1", sp.sin(3 * X0) * X1),
        ("Abs(x0 - 0.3) + x1^2", sp.Abs(X0 - sp.Rational(3, 10)) + X1**2),
        ("abs(x0) + max(x0, x1)".replace("max", "Max"), sp.Abs(X0) + sp.Max(X0, X1)),
        ("exp(-x0**2)/(1 + x1**2)", sp.exp(-(X0**2)) / (1 + X1**2)),
        ("1e-3*pi*E + sqrt(x0 + 1)", sp.Rational(1, 1000) * sp.pi * sp.E + sp.sqrt(X0 + 1)),
    ],
)
def test_parse_expression_accepts_the_namespace(text, expected):
    assert parse_expression(text, 2) == expected


@pytest.mark.parametrize(
    "text, n_in, reason",
    [
        ("sin(3*x0", 1, "unbalanced"),
        ("foo(x0)", 1, "unknown name 'foo'"),
        ("x3", 2, "unknown name 'x3'"),
        ("nan", 1, "unknown name 'nan'"),
        ("1/0", 1, "zoo"),
        ("sqrt(-1)", 1, "I"),
        ("log(0)", 1, "oo"),
        ("2j*x0", 1, "imaginary"),
        ("x0 < 1", 1, "operator '<'"),
        ("__import__('os')", 1, "unknown name"),
        ("x0.real", 1, "operator '.'"),
        ("", 1, "empty"),
        ("sin()", 1, "TypeError"),
        ("x0, x0", 1, "tuple"),
        ("x0 x0", 1, "SyntaxError"),
    ],
)
def test_parse_expression_rejects_with_one_line_naming_the_text(text, n_in, reason):
    with pytest.raises(InvalidInput) as info:
        parse_expression(text, n_in)
    message = str(info.value)
    assert message.startswith(f"--function {text!r} is not a valid expression: ")
    assert reason in message and "\n" not in message and "expected" in message


def test_parse_expression_validates_n_in():
    with pytest.raises(InvalidInput, match="n_in=0"):
        parse_expression("x0", 0)


# ---------------------------------------------------------------- constants and primitives


def test_rational_and_transcendental_constants_are_enclosed_not_rounded():
    lo, hi = enclose(sp.Rational(1, 3), [0.0], [1.0])
    assert Fraction(lo) < Fraction(1, 3) < Fraction(hi) and hi == np.nextafter(lo, 1)
    lo, hi = enclose(sp.pi + 0 * X0, [0.0], [1.0])
    with mpmath.workdps(50):
        assert mpmath.mpf(lo) < mpmath.pi < mpmath.mpf(hi) and hi == np.nextafter(lo, 4)
    assert enclose(sp.Integer(8), [0.0], [1.0]) == (8.0, 8.0)
    lo, hi = enclose(sp.Float("0.1"), [0.0], [1.0])
    assert Fraction(lo) <= Fraction(0.1) <= Fraction(hi)


@pytest.mark.parametrize(
    "expr, lo, hi, check",
    [
        (X0**2, -1.0, 2.0, lambda a, b: a == 0.0 and 4.0 <= b < 4.0 + 1e-14),
        (X0**3, -2.0, 1.0, lambda a, b: -8.0 - 1e-14 < a <= -8.0 and 1.0 <= b < 1 + 1e-15),
        (X0**4, -3.0, -2.0, lambda a, b: 16 - 1e-13 < a <= 16 and 81 <= b < 81 + 1e-13),
        (X0**-2, -1.0, 1.0, lambda a, b: b == np.inf),
        (1 / X0, -1.0, 1.0, lambda a, b: (a, b) == (-np.inf, np.inf)),
        (sp.sin(X0), 0.0, 10.0, lambda a, b: (a, b) == (-1.0, 1.0)),
        (sp.sin(X0), 1.5, 1.7, lambda a, b: b == 1.0 and a < np.sin(1.7)),
        (sp.cos(X0), 3.0, 3.2, lambda a, b: a == -1.0 and b > np.cos(3.0)),
        (sp.cos(X0), -1e300, -1e300, lambda a, b: (a, b) == (-1.0, 1.0)),
        (sp.tan(X0), 1.5, 1.6, lambda a, b: (a, b) == (-np.inf, np.inf)),
        (sp.tan(X0), 0.0, 1.0, lambda a, b: a < 0 < 1.5574 < b < 1.5575),
        (sp.exp(X0), 800.0, 801.0, lambda a, b: 1e308 < a and b == np.inf),
        (sp.log(X0), 0.0, 1.0, lambda a, b: a == -np.inf and 0 <= b < 1e-15),
        (sp.sqrt(X0), -1.0, 4.0, lambda a, b: a == 0 and 2 <= b < 2 + 1e-15),
        (X0 ** sp.Rational(1, 3), 0.0, 8.0, lambda a, b: a == 0 and 2 <= b < 2 + 1e-14),
        (sp.Abs(X0), -3.0, 2.0, lambda a, b: (a, b) == (0.0, 3.0)),
        (sp.tanh(X0), -50.0, 50.0, lambda a, b: (a, b) == (-1.0, 1.0)),
        (sp.atan(X0), 0.0, 1e300, lambda a, b: -1e-300 < a < 0 and np.pi / 2 <= b <= 1.5707963267948968),
        (sp.sign(X0), 0.0, 1.0, lambda a, b: (a, b) == (0.0, 1.0)),
        (sp.Heaviside(X0), -1.0, 0.0, lambda a, b: (a, b) == (0.0, 0.5)),
        (sp.DiracDelta(X0), 0.5, 1.0, lambda a, b: (a, b) == (0.0, 0.0)),
        (sp.DiracDelta(X0), -0.5, 1.0, lambda a, b: (a, b) == (-np.inf, np.inf)),
        (2**X0, 1.0, 2.0, lambda a, b: a < 2 < 4 < b < 4 + 1e-13),
        (
            X0 ** (sp.pi / 4),
            1.0,
            2.0,
            lambda a, b: 1 - 1e-15 < a <= 1 and 2 ** (np.pi / 4) < b < 2 ** (np.pi / 4) + 1e-14,
        ),
        (sp.sqrt(2) * X0 ** sp.Rational(-3, 2), 1.0, 4.0, lambda a, b: a < 2**-2.5 < 2**0.5 < b < 2**0.5 + 1e-14),
    ],
)
def test_primitives_enclose_and_are_tight(expr, lo, hi, check):
    a, b = enclose(expr, [lo], [hi])
    assert check(a, b), (expr, a, b)


def test_zero_times_unbounded_is_zero_and_max_min_are_exact():
    a, b = enclose(X0 / X1, [0.0, -1.0], [0.0, 1.0], (X0, X1))
    assert -1e-300 < a <= 0 <= b < 1e-300
    assert enclose(sp.Max(X0, X1), [0.0, -1.0], [1.0, 2.0], (X0, X1)) == (0.0, 2.0)
    assert enclose(sp.Min(X0, X1, 2 * X0), [0.5, -1.0], [1.0, 2.0], (X0, X1)) == (-1.0, 1.0)


def test_box_entirely_outside_the_domain_raises_but_derivatives_go_unbounded():
    with pytest.raises(InvalidInput, match="not real anywhere on box 0"):
        enclose(sp.sqrt(X0), [-2.0], [-1.0])
    target = compile_target([sp.sqrt(X0)], [X0])
    g_lo, g_hi = target.grad_interval(np.array([[0.0]]), np.array([[0.0]]))
    assert (g_lo[0, 0, 0], g_hi[0, 0, 0]) == (-np.inf, np.inf)


def test_invalid_boxes_and_unsupported_functions_raise():
    target = compile_target([X0 * X1], [X0, X1])
    with pytest.raises(InvalidInput, match="NaN"):
        target.interval(np.array([[np.nan, 0.0]]), np.array([[1.0, 1.0]]))
    with pytest.raises(InvalidInput, match="shape"):
        target.interval(np.zeros((3, 1)), np.ones((3, 1)))
    with pytest.raises(InvalidInput, match="lo="):
        target.interval(np.ones((1, 2)), np.zeros((1, 2)))
    with pytest.raises(InvalidInput, match="NaN"):
        target.eval(np.array([[np.nan, 1.0]]))
    with pytest.raises(InvalidInput, match="unsupported function gamma.*supported: "):
        compile_target([sp.gamma(X0)], [X0])
    with pytest.raises(InvalidInput, match="outside variables"):
        compile_target([X0 * sp.Symbol("y")], [X0])


def test_compile_target_shapes_derivatives_and_plain_symbols():
    u, v = sp.symbols("x0 x1")  # no real assumption: replaced by real symbols of the same name
    target = compile_target([sp.Abs(u - sp.Rational(3, 10)) + v**2, u * v], [u, v])
    assert isinstance(target, Target) and (target.n_in, target.n_out) == (2, 2)
    assert target.gradients[0] == (sp.sign(X0 - sp.Rational(3, 10)), 2 * X1)
    assert target.hessians[1][0][1] == target.hessians[1][1][0] == 1
    lo, hi = np.array([[0.0, 0.0], [0.5, 0.5]]), np.array([[1.0, 1.0], [0.75, 1.0]])
    assert target.interval(lo, hi)[0].shape == (2, 2)
    assert target.grad_interval(lo, hi)[1].shape == (2, 2, 2)
    assert target.hessian_interval(lo, hi)[0].shape == (2, 2, 2, 2)
    pts = np.array([[0.1, 0.2], [0.9, -1.0]])
    np.testing.assert_allclose(target.eval(pts), [[0.2 + 0.04, 0.02], [0.6 + 1.0, -0.9]])


# ---------------------------------------------------------------- the residual forms


@pytest.mark.parametrize("k", [0, 17, 128, 255])
def test_chord_residual_of_x_squared_is_tight_to_one_percent(k):
    # h = x^2 - chord on [k/256, (k+1)/256]: max 0 at the ends, min -(1/256)^2/4 = -2^-18 at the middle
    target = compile_target([X0**2], [X0])
    edges = (k + np.arange(17) / 16) / 256  # 16 sub-boxes of width 2^-12
    lo, hi = edges[:-1, None], edges[1:, None]
    a = np.full((16, 1), (2 * k + 1) / 256)
    c = np.full(16, -k * (k + 1) / 65536)
    lower, upper = affine_residual_bounds(target, lo, hi, a, c)
    true_sup = 2.0**-18
    assert true_sup <= -lower.min() < 1.01 * true_sup
    assert 0.0 <= upper.max() < 0.01 * true_sup


@pytest.mark.parametrize("width, slack", [(1e-2, 0.05), (1e-3, 0.01), (1e-4, 0.001)])
def test_sup_of_a_tangent_residual_in_two_variables_is_tight(width, slack):
    # h = sin(8 x0) x1 - tangent plane at the box centre: overestimation O(w^3) against sup|h| ~ w^2
    target = compile_target([sp.sin(8 * X0) * X1], [X0, X1])
    lo = np.array([[0.3, 0.7]])
    hi, m = lo + width, lo[0] + width / 2
    a = np.array([[8 * np.cos(8 * m[0]) * m[1], np.sin(8 * m[0])]])
    c = np.array([np.sin(8 * m[0]) * m[1] - a[0] @ m])
    lower, upper = affine_residual_bounds(target, lo, hi, a, c)
    grid = np.linspace(0, 1, 201)
    pts = np.stack(np.meshgrid(lo[0, 0] + width * grid, lo[0, 1] + width * grid), -1).reshape(-1, 2)
    h = np.sin(8 * pts[:, 0]) * pts[:, 1] - pts @ a[0] - c[0]
    assert lower[0] <= h.min() and h.max() <= upper[0]
    assert max(-lower[0], upper[0]) < (1 + slack) * np.abs(h).max()


def test_residual_against_other_outputs_and_validation():
    target = compile_target([X0 * X1, X0, X1], [X0, X1])
    lower, upper = affine_residual_bounds(target, [[1.0, 2.0]], [[1.0, 2.0]], [[2.0, 1.0]], [-2.0])
    assert lower[0] <= 0.0 <= upper[0] and upper[0] - lower[0] < 1e-14
    with pytest.raises(InvalidInput, match="shapes"):
        affine_residual_bounds(target, [[1.0, 2.0]], [[1.0, 2.0]], [[2.0]], [-2.0])
    with pytest.raises(InvalidInput, match="finite"):
        affine_residual_bounds(target, [[1.0, 2.0]], [[1.0, 2.0]], [[2.0, np.nan]], [-2.0])


def test_enclosing_100k_boxes_takes_well_under_half_a_second():
    target = compile_target([sp.sin(8 * X0) * X1], [X0, X1])
    rng = np.random.default_rng(0)
    lo = rng.uniform(-1, 1, (100_000, 2))
    hi = lo + rng.uniform(0, 1e-3, lo.shape)
    target.interval(lo, hi)
    start = time.perf_counter()
    target.interval(lo, hi)
    assert time.perf_counter() - start < 0.5


# ---------------------------------------------------------------- Lipschitz and exact replays


def replays(target, pair, L):
    """Independent replay with sympy at 50 digits: |f(x) - f(y)| > L ||x - y||_2."""
    f = target.exprs[0]
    values = [f.xreplace({v: sp.Rational(p) for v, p in zip(target.variables, point)}).evalf(50) for point in pair]
    dist2 = sum((sp.Rational(p) - sp.Rational(q)) ** 2 for p, q in zip(*pair))
    return (values[0] - values[1]) ** 2 > sp.Rational(L) ** 2 * dist2


def test_lipschitz_of_sin_3x0_times_x1():
    target = compile_target([sp.sin(3 * X0) * X1], [X0, X1])
    certified = certified_lipschitz(target, [0, 0], [1, 1], 3.01)
    assert certified.status is Status.PROVED and 3.0 <= certified.upper <= 3.01 and certified.witness is None
    refuted = certified_lipschitz(target, [0, 0], [1, 1], 1.5)
    assert refuted.status is Status.REFUTED and refuted.lower > 1.5
    x, y = refuted.witness
    assert all(isinstance(t, Fraction) and 0 <= t <= 1 for t in x + y)
    assert replays(target, refuted.witness, 1.5)


def test_lipschitz_of_abs_kink_is_refuted_and_a_tight_claim_stays_unknown():
    target = compile_target([sp.Abs(X0 - sp.Rational(3, 10)) + X1**2], [X0, X1])
    refuted = certified_lipschitz(target, [0, 0], [1, 1], 0.5)
    assert refuted.status is Status.REFUTED and replays(target, refuted.witness, 0.5)
    exact = compile_target([sp.sin(3 * X0) * X1], [X0, X1])
    unknown = certified_lipschitz(exact, [0, 0], [1, 1], 3.0, max_boxes=2000)
    assert unknown.status is Status.UNKNOWN and unknown.witness is None and unknown.upper >= 3.0


@pytest.mark.parametrize(
    "norm, L, status", [("inf", 3.01, Status.REFUTED), ("inf", 3.9, Status.PROVED), ("1", 3.01, Status.PROVED)]
)
def test_lipschitz_other_norms_use_the_dual_gradient_norm(norm, L, status):
    # grad = (3 x1 cos 3x0, sin 3x0): ||.||_1 reaches 3 cos t + sin t's max sqrt(10) ~ 3.16; ||.||_inf max 3
    target = compile_target([sp.sin(3 * X0) * X1], [X0, X1])
    assert certified_lipschitz(target, [0, 0], [1, 1], L, norm=norm).status is status


def test_lipschitz_validates_arguments():
    target = compile_target([X0], [X0])
    for kwargs, match in [({"L": float("nan")}, "L=nan"), ({"L": 1.0, "norm": "3"}, "norm='3'"),
                          ({"L": 1.0, "max_boxes": 0}, "max_boxes=0")]:  # fmt: skip
        with pytest.raises(InvalidInput, match=match):
            certified_lipschitz(target, [0], [1], **kwargs)


def test_exact_value_encloses_at_rational_points():
    lo, hi = exact_value(sp.sin(sp.pi * X0), [X0], [Fraction(1)])
    assert lo <= 0 <= hi and hi - lo < mpmath.mpf(10) ** -55
    lo, hi = exact_value(sp.exp(X0) * X1 + sp.Abs(X0), [X0, X1], [Fraction(-1, 3), Fraction(2)])
    with mpmath.workdps(80):
        true = 2 * mpmath.exp(mpmath.mpf(-1) / 3) + mpmath.mpf(1) / 3
        assert lo <= true <= hi and hi - lo < mpmath.mpf(10) ** -55
    lo, hi = exact_value(sp.atan(X0) + sp.tanh(X0) + sp.Max(X0, 1), [X0], [Fraction(1, 2)])
    with mpmath.workdps(80):
        true = mpmath.atan(0.5) + mpmath.tanh(0.5) + 1
        assert lo <= true <= hi and hi - lo < mpmath.mpf(10) ** -55
    lo, hi = exact_value(X0 ** (sp.pi / 4) + X0 ** sp.Rational(-1, 2), [X0], [Fraction(2)])
    with mpmath.workdps(80):
        true = mpmath.mpf(2) ** (mpmath.pi / 4) + 1 / mpmath.sqrt(2)
        assert lo <= true <= hi and hi - lo < mpmath.mpf(10) ** -55
    for expr, at in [(sp.sqrt(X0), -1), (sp.log(X0), 0), (1 / X0, 0), (X0**-sp.pi, 0), (X0 ** sp.Rational(1, 3), -1)]:
        with pytest.raises(InvalidInput, match="not real"):
            exact_value(expr, [X0], [Fraction(at)])
    with pytest.raises(InvalidInput, match="Fraction"):
        exact_value(X0, [X0], [0.5])


def test_bare_variable_parses():
    """Regression: a sympy Symbol is also a Boolean; a bare 'x0' is still a valid function."""
    from proofs.formula import parse_expression

    assert str(parse_expression("x0", 1)) == "x0"
    with pytest.raises(InvalidInput):
        parse_expression("x0 > 1", 1)
