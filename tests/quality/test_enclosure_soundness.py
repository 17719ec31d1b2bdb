"""Soundness of proofs.formula._enclosure against an independent reference (sympy evalf at 50 digits).

For fixed and random expression trees, random boxes and random points inside them, the exact value
of f, of each partial derivative, of each second derivative and of the affine residual must lie in
the enclosures; every refuting Lipschitz pair must replay; and the libm error assumed by the
rounding model (LIBM_ULPS) must hold on this machine with a factor 2 to spare.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from proofs import Status
from proofs.formula import LIBM_ULPS, affine_residual_bounds, certified_lipschitz, compile_target, input_symbols

X0, X1 = input_symbols(2)
VARIABLES = (X0, X1)

# (expression, box of allowed centres): varied shapes, every supported primitive at least once
FIXED = [
    (sp.sin(8 * X0) * X1, (-2, 2)),
    (sp.Abs(X0 - sp.Rational(3, 10)) + X1**2, (-2, 2)),
    (sp.exp(-(X0**2)) / (1 + X1**2), (-2, 2)),
    (sp.sqrt(X0 + 1) + X1, (0, 2)),
    (X0**3 - X0, (-2, 2)),
    (sp.Max(X0, X1), (-2, 2)),
    (sp.Min(X0, 2 * X1, X0 * X1), (-2, 2)),
    (sp.log(1 + X0**2 + X1**2), (-2, 2)),
    (sp.tan(X0 / 2) * sp.cos(3 * X1), (-2, 2)),
    (sp.tanh(4 * X0 - X1) + sp.atan(X1 / 3), (-2, 2)),
    (sp.pi * X0 / 3 + sp.E * X1**4, (-2, 2)),
    (X0 ** sp.Rational(5, 2) * X1 ** sp.Rational(1, 3), (1, 2)),
    (1 / (X0 - 3) + sp.Float("0.1") * X1, (-2, 2)),
    (2**X0 * sp.exp(sp.sin(X1)), (-2, 2)),
    (sp.Abs(sp.sin(5 * X0)) * sp.Max(X1, 0) ** 2, (-2, 2)),
    (sp.cos(X0 * X1) ** 2 - sp.sin(X0) ** 3, (-2, 2)),
]

UNARY = [
    sp.sin, sp.cos, sp.tanh, sp.atan, sp.Abs,
    lambda u: sp.exp(u / 3), lambda u: sp.sqrt(1 + u**2), lambda u: sp.log(1 + u**2), lambda u: u**2,
    lambda u: u**3, lambda u: sp.tan(u / 8), lambda u: 1 / (1 + u**2), lambda u: sp.Abs(u) ** sp.Rational(1, 3),
]  # fmt: skip
BINARY = [
    lambda u, v: u + v, lambda u, v: u - v, lambda u, v: u * v, sp.Max, sp.Min, lambda u, v: u / (2 + v**2),
]  # fmt: skip
LEAVES = [X0, X1, sp.Rational(1, 3), sp.Integer(2), sp.pi, sp.Float("0.1"), sp.Integer(-3)]


def _trees(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0](t[1]))
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: t[0](t[1], t[2]))
    return unary | binary


random_exprs = st.recursive(st.sampled_from(LEAVES), _trees, max_leaves=6)
half_widths = st.sampled_from([0.0, 1e-9, 1e-4, 1e-2, 0.3, 2.0])
fractions = st.floats(0, 1)


@st.composite
def boxes_with_points(draw, centre_range=(-2, 2), n_points=3):
    """One box (lo, hi) of shape (2,) and points inside it (as floats, exact in the reference)."""
    centre = np.array([draw(st.floats(*centre_range)) for _ in VARIABLES])
    half = np.array([draw(half_widths) for _ in VARIABLES])
    lo, hi = centre - half, centre + half
    points = [np.clip(lo + np.array([draw(fractions) for _ in VARIABLES]) * (hi - lo), lo, hi) for _ in range(n_points)]
    return lo, hi, points


def reference(expr, point):
    """expr at the exact binary point, by sympy at 50 digits; None where it is not a finite real."""
    value = expr.xreplace({v: sp.Rational(float(p)) for v, p in zip(VARIABLES, point)}).evalf(50)
    if not value.is_Number or not value.is_real or not value.is_finite:
        return None
    return mpmath.mpf(sp.Float(value, 50)._mpf_)


def assert_inside(value, lo, hi, what):
    if value is None:
        return
    slack = mpmath.mpf(10) ** -40 * (1 + abs(value))  # the reference is good to ~50 digits
    assert mpmath.mpf(float(lo)) - slack <= value <= mpmath.mpf(float(hi)) + slack, (what, value, lo, hi)


def check_enclosures(expr, lo, hi, points):
    target = compile_target([expr], list(VARIABLES))
    lo2, hi2 = lo[None, :], hi[None, :]
    value_box = target.interval(lo2, hi2)
    grad_box = target.grad_interval(lo2, hi2)
    hess_box = target.hessian_interval(lo2, hi2)
    for point in points:
        assert_inside(reference(expr, point), value_box[0][0, 0], value_box[1][0, 0], f"{expr} at {point}")
        for i in range(2):
            d_i = target.gradients[0][i]
            assert_inside(reference(d_i, point), grad_box[0][0, 0, i], grad_box[1][0, 0, i], f"{d_i} at {point}")
            for j in range(2):
                h_ij = target.hessians[0][i][j]
                assert_inside(reference(h_ij, point), hess_box[0][0, 0, i, j], hess_box[1][0, 0, i, j], h_ij)
    return target


@pytest.mark.parametrize("expr, centres", FIXED, ids=[str(e) for e, _ in FIXED])
@settings(max_examples=max(10, settings.default.max_examples // 4))  # 16 expressions share the budget
@given(data=st.data())
def test_fixed_expressions_enclose_values_and_derivatives(expr, centres, data):
    lo, hi, points = data.draw(boxes_with_points(centres))
    check_enclosures(expr, lo, hi, points)


@given(expr=random_exprs, box=boxes_with_points())
def test_random_expression_trees_enclose_values_and_derivatives(expr, box):
    assume(expr.free_symbols)
    check_enclosures(expr, *box)


@given(expr=st.sampled_from([e for e, c in FIXED if c == (-2, 2)]) | random_exprs, box=boxes_with_points(),
       a=st.lists(st.floats(-10, 10), min_size=2, max_size=2), c=st.floats(-10, 10))  # fmt: skip
def test_affine_residual_bounds_contain_the_residual(expr, box, a, c):
    lo, hi, points = box
    target = compile_target([expr], list(VARIABLES))
    lower, upper = affine_residual_bounds(target, lo[None, :], hi[None, :], np.array([a]), np.array([c]))
    residual = expr - a[0] * X0 - a[1] * X1 - c
    for point in points:
        assert_inside(reference(residual, point), lower[0], upper[0], f"{residual} at {point}")


@given(box=boxes_with_points(), a=st.floats(-4, 4), c=st.floats(-4, 4))
def test_affine_residual_against_another_output(box, a, c):
    lo, hi, points = box
    target = compile_target([sp.sin(X0) * X1, sp.Abs(X0 - X1)], list(VARIABLES))
    lower, upper = affine_residual_bounds(target, lo[None, :], hi[None, :], np.array([[a]]), np.array([c]))
    residual = sp.sin(X0) * X1 - a * sp.Abs(X0 - X1) - c
    for point in points:
        assert_inside(reference(residual, point), lower[0], upper[0], residual)


@given(index=st.integers(0, len(FIXED) - 1), L=st.floats(0.05, 40))
def test_lipschitz_verdicts_are_consistent_with_samples_and_replays(index, L):
    expr, centres = FIXED[index]
    lo, hi = np.full(2, float(centres[0])), np.full(2, float(centres[0]) + 1.0)
    target = compile_target([expr], list(VARIABLES))
    result = certified_lipschitz(target, lo, hi, L, max_boxes=4000, time_budget=2.0)
    if result.status is Status.REFUTED:
        (x, y) = result.witness
        fx, fy = (reference(expr, [float(t) for t in p]) for p in (x, y))
        dist = mpmath.sqrt(sum((mpmath.mpf(p.numerator) / p.denominator - mpmath.mpf(q.numerator) / q.denominator) ** 2
                               for p, q in zip(x, y)))  # fmt: skip
        assert abs(fx - fy) > L * dist
        assert all(lo[i] <= p[i] <= hi[i] for p in (x, y) for i in range(2))
    if result.status is Status.PROVED:
        grid = np.stack(np.meshgrid(*(np.linspace(lo[i], hi[i], 41) for i in range(2))), -1).reshape(-1, 2)
        steps = 1e-7 * np.eye(2)
        numeric = np.stack([(target.eval(grid + s) - target.eval(grid - s))[:, 0] / 2e-7 for s in steps], 1)
        assert np.nanmax(np.linalg.norm(numeric, axis=1)) <= L * (1 + 1e-5) + 1e-5
        assert result.upper <= L


LIBM = {
    "sin": (np.sin, mpmath.sin), "cos": (np.cos, mpmath.cos), "tan": (np.tan, mpmath.tan),
    "exp": (np.exp, mpmath.exp), "log": (np.log, mpmath.log), "tanh": (np.tanh, mpmath.tanh),
    "arctan": (np.arctan, mpmath.atan), "power": (lambda t: np.power(t, 1 / 3), lambda t: mpmath.power(t, mpmath.mpf(1 / 3))),  # noqa: E501
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LIBM))
def test_libm_error_is_within_half_the_assumed_allowance(name):
    numpy_fn, exact_fn = LIBM[name]
    rng = np.random.default_rng(7)
    xs = np.concatenate([rng.uniform(-10, 10, 1500), rng.uniform(-1e-3, 1e-3, 200),
                         10 ** rng.uniform(-300, 2.8, 400) * rng.choice([-1, 1], 400), rng.uniform(-1e5, 1e5, 200)])  # fmt: skip  # noqa: E501
    if name in ("log", "power"):
        xs = np.abs(xs)
    if name == "exp":
        xs = np.clip(xs, -700, 700)
    if name in ("sin", "cos", "tan", "arctan"):  # huge arguments: range reduction must be exact too
        xs = np.concatenate([xs, 10 ** rng.uniform(3, 300, 200) * rng.choice([-1, 1], 200)])
    ys = numpy_fn(xs)
    worst = 0.0
    with mpmath.workprec(1100):
        for x, y in zip(xs, ys):
            exact = exact_fn(mpmath.mpf(float(x)))
            if exact == 0 or not mpmath.isfinite(exact):
                continue
            ulp = np.spacing(abs(float(exact)))
            worst = max(worst, float(abs(mpmath.mpf(float(y)) - exact) / mpmath.mpf(float(ulp))))
    assert worst <= LIBM_ULPS / 2, f"{name}: {worst} ulp"
