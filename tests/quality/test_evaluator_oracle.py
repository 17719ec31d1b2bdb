"""The one sympy-to-interval evaluator against an independent oracle (python-flint ``arb``, 300+ bits).

Random expressions from the supported grammar, random boxes and exact points:
* the strict mpmath enclosure (the prover's ``ieval``) of a box contains the arb value at every
  sampled point of the box, and raises ``Unsupported`` whenever some sampled point is outside the
  expression's domain (a pole, log of a number <= 0, a non-integer power of a negative number,
  binomial of a non-integer): it never returns a finite interval there;
* the exact replay (``replay``, 170 bits) at a point contains the arb value, or raises where undefined;
* the float64 backend (``run_intervals``) and ``exact_value`` contain the arb value wherever the
  expression is defined (they evaluate loosely, on the part of an argument inside the domain);
* ``float_bounds`` of a closed-form constant brackets it.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, note, settings
from hypothesis import strategies as st
from mpmath import iv

from proofs import InvalidInput
from proofs.formula import (
    Unsupported,
    compile_program,
    exact_value,
    float_bounds,
    interval_enclosure,
    mpf_to_fraction,
    point_enclosure,
    run_intervals,
)
from proofs.prover import ieval, replay
from tests.oracles.arb_eval import UNDEFINED, arb_value, ball_outside

X, Y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
P = sp.Symbol("p", positive=True)  # its boxes stay inside (0, 4]
N, K = sp.Symbol("n", integer=True, nonnegative=True), sp.Symbol("k", integer=True, nonnegative=True)
_POSITIVE, _INTEGER = {"p"}, {"n", "k"}

# ------------------------------------------------------------------------------------ the grammar

# box ends: dyadic in [-4, 4], often exactly 0 or +-1 (domain edges of log, powers, 1/x)
_dyadic = st.one_of(
    st.integers(-64, 64).map(lambda i: sp.Rational(i, 16)), st.sampled_from([0, 0, 1, -1]).map(sp.Integer)
)
_leaves = st.one_of(
    st.sampled_from([X, Y, P, X, Y]),
    st.integers(-3, 3).map(sp.Integer),
    st.sampled_from([sp.Rational(1, 3), sp.Rational(-5, 7), sp.Rational(3, 2)]),
    st.floats(-4, 4, allow_nan=False, allow_infinity=False).map(sp.Float),
    st.sampled_from([sp.pi, sp.E]),
    st.sampled_from([sp.binomial(N, K), sp.factorial(N), sp.binomial(N + 2, 2)]),
)
# exp only of a bounded argument and symbolic powers with a bounded exponent: nested exponentials reach
# numbers with exponents of 2^1000000 bits, which no interval library evaluates in reasonable time
_UNARY = [
    lambda a: sp.exp(sp.atan(a) * 3),
    sp.log,
    sp.sin,
    sp.cos,
    sp.tan,
    sp.tanh,
    sp.atan,
    sp.asin,
    sp.acos,
    sp.Abs,
    sp.sign,
    sp.sqrt,
    sp.floor,
    sp.ceiling,
]


def _apply(op, *args):
    try:
        return op(*args)
    except (ValueError, TypeError, ArithmeticError):  # e.g. Max of a non-real constant: sympy refuses it
        return args[0]


def _extend(children):
    unary = st.builds(_apply, st.sampled_from(_UNARY), children)
    binary = st.builds(
        _apply,
        st.sampled_from([sp.Add, sp.Mul, lambda a, b: a - b, lambda a, b: a / b, sp.Max, sp.Min]),
        children,
        children,
    )
    powers = st.one_of(
        st.builds(lambda a, n: a**n, children, st.integers(-3, 4)),
        st.builds(
            lambda a, q: a ** sp.Rational(*q), children, st.sampled_from([(1, 2), (-1, 2), (3, 2), (1, 3), (-2, 3)])
        ),
        st.builds(lambda a, b: a ** sp.atan(b), children, children),
    )
    return st.one_of(unary, binary, powers)


expressions = st.recursive(_leaves, _extend, max_leaves=6)


@st.composite
def boxes(draw, expr):
    """{name: (lo, hi)} with exact dyadic ends: p inside (0, 4], n and k integers in [0, 6]."""
    box = {}
    for s in sorted(expr.free_symbols, key=lambda s: s.name):
        if s.name in _INTEGER:
            a = draw(st.integers(0, 6))
            b = a if draw(st.booleans()) else draw(st.integers(a, 6))
        else:
            a, b = sorted((Fraction(str(draw(_dyadic))), Fraction(str(draw(_dyadic)))))
            if draw(st.integers(0, 3)) == 0:
                b = a
            if s.name in _POSITIVE:
                a, b = (abs(a) or Fraction(1, 64)), (abs(b) or Fraction(1, 64))
                a, b = min(a, b), max(a, b)
        box[s.name] = (Fraction(a), Fraction(b))
    return box


def _points(box, rng_fracs):
    """Exact points of the box: the lower corner, the upper corner, the centre and two more."""
    names = list(box)
    pts = [{n: box[n][0] for n in names}, {n: box[n][1] for n in names}]
    pts.append({n: (box[n][0] + box[n][1]) / 2 if n not in _INTEGER else box[n][0] for n in names})
    for t in rng_fracs:
        pt = {}
        for n in names:
            a, b = box[n]
            pt[n] = a + (b - a) * t if n not in _INTEGER else (a if t < Fraction(1, 2) else b)
        pts.append(pt)
    return pts


_fracs = st.lists(st.integers(0, 64).map(lambda i: Fraction(i, 64)), min_size=2, max_size=2)


def _ends(value):
    lo, hi = value._mpi_
    lo, hi = mpmath.mp.make_mpf(lo), mpmath.mp.make_mpf(hi)
    return (mpf_to_fraction(lo) if mpmath.isfinite(lo) else None, mpf_to_fraction(hi) if mpmath.isfinite(hi) else None)


def _iv_box(box):
    # the ends are dyadic with small denominators: exact as mpf
    return {n: iv.mpf([mpmath.mpf(a.numerator) / a.denominator, mpmath.mpf(b.numerator) / b.denominator])
            for n, (a, b) in box.items()}  # fmt: skip


# ------------------------------------------------------------------------------------ properties


@settings(max_examples=max(50, settings.default.max_examples))
@given(data=st.data(), expr=expressions, prec=st.sampled_from([53, 113]))
def test_strict_box_enclosure_contains_arb_and_raises_off_domain(data, expr, prec):
    box = data.draw(boxes(expr))
    points = _points(box, data.draw(_fracs))
    note(f"expr={expr} box={box} prec={prec}")
    saved = iv.prec
    iv.prec = prec
    try:
        value = interval_enclosure(expr, _iv_box(box))
    except Unsupported:
        return  # no enclosure: always sound
    finally:
        iv.prec = saved
    lo, hi = _ends(value)
    for pt in points:
        ball = arb_value(expr, pt)
        note(f"point={pt} arb={ball} enclosure=[{lo}, {hi}]")
        assert ball is not UNDEFINED, "a finite enclosure over a box holding a point outside the domain"
        if ball is not None:
            assert not ball_outside(ball, lo, hi)


@given(data=st.data(), expr=expressions, prec=st.sampled_from([80, 170]))
def test_replay_at_a_point_contains_arb_or_raises(data, expr, prec):
    box = data.draw(boxes(expr))
    for pt in _points(box, data.draw(_fracs))[:3]:
        ball = arb_value(expr, pt)
        try:
            lo, hi = replay(expr, pt, prec=prec)
        except Unsupported:
            continue
        note(f"expr={expr} point={pt} arb={ball} replay=[{lo}, {hi}]")
        assert ball is not UNDEFINED, "a replayed value at a point outside the domain"
        if ball is not None:
            assert not ball_outside(ball, mpf_to_fraction(lo), mpf_to_fraction(hi))


def _float_box(box, names):
    lo = np.array([[float(box[n][0]) for n in names]])
    hi = np.array([[float(box[n][1]) for n in names]])
    return lo, hi


@given(data=st.data(), expr=expressions)
def test_float64_backend_and_exact_value_contain_arb_where_defined(data, expr):
    box = data.draw(boxes(expr))
    names = sorted(box)
    symbols = tuple(sp.Symbol(n) for n in names)
    try:
        program = compile_program((expr,), symbols)  # the evaluator's grammar, wider than a target's
    except InvalidInput:
        assert expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I, sp.AccumBounds), f"{expr} should compile"
        return
    lo, hi, undefined = run_intervals(program, *_float_box(box, names))
    f_lo = Fraction(float(lo[0, 0])) if np.isfinite(lo[0, 0]) else None
    f_hi = Fraction(float(hi[0, 0])) if np.isfinite(hi[0, 0]) else None
    for pt in _points(box, data.draw(_fracs)):
        ball = arb_value(expr, pt, exp_log=True)
        if ball is None or ball is UNDEFINED:
            continue
        note(f"expr={expr} point={pt} arb={ball} float64=[{f_lo}, {f_hi}] undefined={undefined[0]}")
        if not undefined[0]:
            assert not ball_outside(ball, f_lo, f_hi)
        try:
            e_lo, e_hi = exact_value(expr, symbols, [pt[n] for n in names], digits=30)
        except InvalidInput:
            continue
        e_lo = mpf_to_fraction(e_lo) if mpmath.isfinite(e_lo) else None
        e_hi = mpf_to_fraction(e_hi) if mpmath.isfinite(e_hi) else None
        assert not ball_outside(ball, e_lo, e_hi)


@given(expr=expressions.filter(lambda e: not e.free_symbols))
def test_float_bounds_bracket_closed_form_constants(expr):
    ball = arb_value(expr, {})
    try:
        lo, hi = float_bounds(expr)
    except Unsupported:
        return
    assert ball is not UNDEFINED
    assert lo <= hi
    if ball is not None:
        assert not ball_outside(
            ball, Fraction(lo) if np.isfinite(lo) else None, Fraction(hi) if np.isfinite(hi) else None
        )


# ------------------------------------------------------------------------------ poles and domain edges

_I = iv.mpf


@pytest.mark.parametrize(
    "expr, env",
    [
        (sp.tan(X), {"x": _I([1, 2])}),  # the pole pi/2 inside
        (1 / sp.sin(X), {"x": _I([3, 4])}),  # sin(pi) = 0
        (1 / X, {"x": _I([-1, 1])}),
        (1 / X, {"x": _I([0, 1])}),
        (X**-2, {"x": _I([0, 0])}),
        (sp.log(X), {"x": _I([0, 1])}),
        (sp.log(X - sp.Rational(1, 3)), {"x": _I(1) / 3}),  # an exact zero at a point
        (X ** sp.Rational(1, 3), {"x": _I([-1e-300, 1])}),
        (sp.sqrt(X), {"x": _I([-1, 0])}),
        (X ** sp.Rational(-1, 2), {"x": _I([0, 1])}),
        (X**Y, {"x": _I([0, 1]), "y": _I([-1, 1])}),
        (X**Y, {"x": _I([-1, 1]), "y": _I(2)}),
        (sp.binomial(N, K), {"n": _I([3, 4]), "k": _I(1)}),
        (sp.binomial(N, 2), {"n": _I(0.5)}),
        (sp.factorial(N), {"n": _I(-1)}),
        (sp.DiracDelta(X), {"x": _I([-1, 1])}),
        (sp.gamma(X), {"x": _I(2)}),  # outside the grammar
        (sp.erf(X), {"x": _I(2)}),
        (sp.EulerGamma * X, {"x": _I(2)}),
        (X + Y, {"x": _I(2)}),  # a free symbol without a value
        (sp.zoo * X, {"x": _I(1)}),
        (sp.asin(X), {"x": _I([0, 2])}),
        (sp.acos(X), {"x": _I([-1.5, 0])}),
    ],
)
def test_off_domain_and_unsupported_nodes_raise(expr, env):
    with pytest.raises(Unsupported):
        ieval(expr, env)


@pytest.mark.parametrize(
    "expr, env, lo, hi",
    [
        (sp.tan(X), {"x": _I([1, 1.5])}, 1.56, 14.1),
        (sp.sqrt(X), {"x": _I([0, 1])}, 0, 1),
        (X**Y, {"x": _I([0, 1]), "y": _I([0.5, 1])}, 0, 1),
        (X ** sp.Rational(1, 3), {"x": _I([0, 8])}, 0, 2),
        (sp.binomial(N, K) * sp.factorial(K), {"n": _I(5), "k": _I(2)}, 20, 20),
        (sp.asin(X) + sp.acos(X), {"x": _I([-1, 1])}, 1.5708, 1.5708),  # pi/2, loosely
        (sp.floor(3 * X) + sp.ceiling(X), {"x": _I([0.2, 0.5])}, 1, 2),
        (sp.Max(X, Y) - sp.Min(X, Y), {"x": _I([0, 1]), "y": _I([2, 3])}, 1, 3),
        (sp.Symbol("k", positive=True) + sp.Symbol("k"), {"k": _I([1, 2])}, 2, 4),  # symbols by name
    ],
)
def test_enclosures_inside_the_domain(expr, env, lo, hi):
    a, b = _ends(ieval(expr, env))
    assert a is not None and b is not None and a <= Fraction(lo) and Fraction(hi) <= b


def test_a_float_is_its_exact_binary_value():
    # 10 * Float(0.1) - 1 = 10 * 3602879701896397 / 2^55 - 1 = 2^-54, not 0
    lo, hi = replay(X * sp.Float(0.1) - 1, {"x": 10})
    assert lo <= mpmath.mpf(2) ** -54 <= hi and hi - lo < mpmath.mpf(2) ** -150


def test_replay_uses_the_requested_precision():
    lo, hi = point_enclosure(sp.sqrt(X), {"x": 2}, prec=170)
    assert 0 < hi - lo < mpmath.mpf(2) ** -160
    lo, hi = replay(sp.pi - sp.E, {})
    assert lo > 0 and hi - lo < mpmath.mpf(2) ** -160
