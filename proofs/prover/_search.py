"""Counterexample search for ``g >= 0`` on a domain: the special points (endpoints, sign changes) of every
variable first, then random points (both signs on wide integer ranges); a hit is shrunk toward the lower
bounds and replayed in interval arithmetic at 170 bits."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction

import mpmath
import sympy

from proofs.prover._domain import Domain, in_domain
from proofs.prover._interval import (
    Unsupported,
    replay,
)

__all__ = ["find_counterexample", "sample_points"]

# an exact coordinate: an int on an integer variable, else a Fraction
Value = int | Fraction


def _special_values(a: float, b: float, integer: bool) -> list[Value]:
    """The endpoints of [a, b], the sign changes -1, 0, 1 and their neighbours inside it (exact values)."""
    if integer:
        a_i, b_i = math.ceil(a), math.floor(b)
        raw: list[Value] = [a_i, b_i, a_i + 1, b_i - 1, -1, 0, 1, 2, -2]
        return list(dict.fromkeys(v for v in raw if a_i <= v <= b_i))
    ends: list[Value] = [Fraction(a), Fraction(b)]
    raw = ends + [
        Fraction(v) for v in (-1, 0, 1, Fraction(1, 2), Fraction(-1, 2), Fraction(1, 1024), Fraction(-1, 1024))
    ]
    raw += [ends[0] + (ends[1] - ends[0]) * Fraction(1, 1 << 20), ends[1] - (ends[1] - ends[0]) * Fraction(1, 1 << 20)]
    return list(dict.fromkeys(v for v in raw if ends[0] <= v <= ends[1]))


def _random_value(a: float, b: float, integer: bool, rng: random.Random) -> Value:
    if integer:
        a_i, b_i = math.ceil(a), math.floor(b)
        if b_i - a_i <= 10**6:
            return rng.randint(a_i, b_i)
        # log-uniform magnitude on each signed part of a wide range (both signs, never only positives)
        parts = [(lo, hi) for lo, hi in ((max(a_i, 1), b_i), (max(-b_i, 1), -a_i)) if lo <= hi]
        k = rng.randrange(len(parts)) if parts else 0
        if not parts:
            return 0
        lo, hi = parts[k]
        v = round(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        v = min(max(v, lo), hi)
        return v if k == 0 and max(a_i, 1) <= b_i else -v
    return Fraction(rng.uniform(a, b)).limit_denominator(1 << 20)


def sample_points(
    dom: Domain, bounds: Mapping[str, tuple[float, float]], rng: random.Random, n_points: int
) -> Iterator[dict[str, Value]]:
    """The corners of the special values of every variable (endpoints, sign changes), then random points."""
    names = list(dom.ranges)
    if dom.empty_reason() is not None:
        return  # no point at all (an empty range would make the random draws raise)
    special = {n: _special_values(*bounds[n], n in dom.integers) for n in names}
    for n in names:  # the exact rational endpoints too (a float bound may fall just outside the range)
        exact = [Fraction(int(b.p), int(b.q)) for b in dom.ranges[n] if isinstance(b, sympy.Basic) and b.is_Rational]
        special[n] = list(dict.fromkeys(exact + special[n]))
    n_corners = math.prod(len(v) for v in special.values())
    grid: Iterable[tuple[Value, ...]]
    if n_corners <= max(n_points, 1):
        grid = itertools.product(*(special[n] for n in names))
    else:  # too many: every variable at each special value, the others at random special values
        grid = (
            tuple(v if n == m else rng.choice(special[n]) for n in names)
            for m in names
            for v in special[m]
            for _ in range(3)
        )
    for t in grid:
        p = dict(zip(names, t))
        if in_domain(p, dom):
            yield p
    for _ in range(n_points):
        p = {n: _random_value(*bounds[n], n in dom.integers, rng) for n in names}
        if in_domain(p, dom):
            yield p


def find_counterexample(
    expr: sympy.Expr, dom: Domain, bounds: Mapping[str, tuple[float, float]], rng: random.Random, n_points: int = 400
) -> tuple[dict[str, Value], tuple[str, str]] | None:
    """A domain point where ``expr < 0`` in exact replay, shrunk toward the lower bounds, or None."""
    if expr.has(sympy.Derivative, sympy.Integral, sympy.Subs):
        return None  # an unevaluated derivative (of floor, say) has no value to sample
    try:
        f = sympy.lambdify(
            [sympy.Symbol(n) for n in dom.ranges],
            expr.xreplace({s: sympy.Symbol(s.name) for s in expr.free_symbols}),
            modules=["mpmath"],
        )
    except Exception:  # noqa: BLE001 - a node mpmath's printer cannot write: no search, never a verdict
        return None
    best = None
    for p in sample_points(dom, bounds, rng, n_points):
        try:
            v = f(*[mpmath.mpf(x.numerator) / x.denominator if isinstance(x, Fraction) else x for x in p.values()])
            if isinstance(v, mpmath.mpc) or not mpmath.isfinite(v):
                continue
        except (ValueError, ZeroDivisionError, TypeError, OverflowError):
            continue
        if v < 0:
            best = p
            break
    if best is None:
        return None
    best = _shrink(expr, dom, best)
    lo, hi = replay(expr, best)
    if hi < 0:
        return best, (mpmath.nstr(lo, 20), mpmath.nstr(hi, 20))
    return None


def _shrink(expr: sympy.Expr, dom: Domain, point: Mapping[str, Value]) -> dict[str, Value]:
    """Move each coordinate toward its (numeric) lower bound by bisection while the exact replay
    stays negative; continuous coordinates are kept on simple dyadic rationals."""

    def neg(p: Mapping[str, Value]) -> bool:
        if not in_domain(p, dom):
            return False
        try:
            below: bool = replay(expr, p, prec=80)[1] < 0
            return below
        except Unsupported:
            return False

    def simple(n: str, v: Value) -> Value:
        return math.floor(v) if n in dom.integers else Fraction(v).limit_denominator(64)

    p = dict(point)
    los = {
        n: Fraction(int(dom.ranges[n][0].p), int(dom.ranges[n][0].q))
        for n in p
        if dom.ranges[n][0].is_number and dom.ranges[n][0].is_Rational
    }
    if len(los) == len(p):  # joint move toward the lower corner: p_t = lo + t (p - lo), bisect on t
        bad_t, good_t = Fraction(1), Fraction(0)
        for _ in range(30):
            t = (bad_t + good_t) / 2
            q = {n: simple(n, los[n] + t * (Fraction(p[n]) - los[n])) for n in p}
            if neg(q):
                bad_t, p_best = t, q
            else:
                good_t = t
        p = p_best if bad_t < 1 else p
    for _ in range(3):
        for n in reversed(list(p)):
            lo = dom.ranges[n][0]
            if not lo.is_number or not lo.is_Rational:
                continue
            bad, good = Fraction(p[n]), Fraction(int(lo.p), int(lo.q))
            q = dict(p)
            q[n] = simple(n, good)
            if neg(q):
                p = q
                continue
            for _ in range(40):  # invariant: value at `good` is not a counterexample, at `bad` it is
                mid = (bad + good) / 2
                mid = Fraction(math.floor(mid)) if n in dom.integers else Fraction(mid).limit_denominator(64)
                if mid in (bad, good):
                    break
                q = dict(p)
                q[n] = simple(n, mid)
                if neg(q):
                    bad = mid
                else:
                    good = mid
            q = {**p, n: simple(n, bad)}
            p[n] = q[n] if neg(q) else bad  # a simpler value only while it still refutes
    return p
