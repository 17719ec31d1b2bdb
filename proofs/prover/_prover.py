"""The engine behind the symbolic checks: prove ``g >= 0`` over a stated domain, or refute it exactly.

Three tiers, tried in order, each sound on its own (a tier that cannot decide says so and the next
one runs; nothing here turns a sympy ``None`` into a pass):

1. **sympy**: substitute variables so that the domain becomes an orthant (``v = lo + v'`` with
   ``v' >= 0``; for a constraint ``v <= u``: ``u = v + w`` or ``u = v(1 + w)``, ``w >= 0``; plus
   substitutions named by the claim) and ask sympy whether some rewriting of ``g`` is nonnegative.
   Every substitution maps a superset of the domain onto the orthant, so a proof there is a proof.
2. **derivative sign, one variable**: ``g`` nondecreasing (``g' >= 0`` proved, recursively) and
   ``g(lo) >= 0``; or ``g`` nonincreasing and ``g(hi) >= 0`` (``hi`` may be ``oo``: sympy's
   Gruntz ``limit``). Endpoint signs come from outward-rounded interval arithmetic.
3. **interval branch-and-bound** (``mpmath.iv``, outward rounding) over a compact box.

A refutation is a point found by sampling, shrunk toward the lower bounds, and replayed in interval
arithmetic at 170 bits: only an enclosure entirely below zero counts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping

import mpmath
import numpy as np
import sympy
from mpmath import iv

from proofs import Status
from proofs.boxes import BoxBounds, box_search
from proofs.prover._interval import (
    Unsupported,
    _hi,
    _iv_of,
    _lo,
    ieval,
    point_text,
    replay,
    sign_of_constant,
    sympify_arg,
)

__all__ = ["Domain", "Proof", "prove_nonneg", "prove_positive", "prove_identity", "in_domain", "ieval", "replay", "sympify_arg", "point_text", "sign_of_constant"]

oo = sympy.oo


# ------------------------------------------------------------------------------------------- domain
@dataclass(frozen=True)
class Domain:
    """Variables with bounds ``lo <= v <= hi`` (bounds are sympy numbers, ``oo`` or expressions in
    other variables), some of them integer-valued; ``fixed`` values substituted before proving."""

    ranges: Mapping[str, tuple[Any, Any]]
    integers: frozenset[str] = frozenset()

    @classmethod
    def from_args(cls, ranges: Mapping[str, Any], integers=(), fixed: Mapping[str, Any] | None = None) -> "Domain":
        fixed = dict(fixed or {})
        rs = {}
        for name, (lo, hi) in ranges.items():
            if name in fixed and not isinstance(fixed[name], (tuple, list)):
                continue
            if name in fixed:
                lo, hi = fixed[name]
            rs[name] = (sympify_arg(lo), sympify_arg(hi))
        subs = {sympy.Symbol(n): sympify_arg(v) for n, v in fixed.items() if not isinstance(v, (tuple, list))}
        rs = {n: (_subs_name(lo, subs), _subs_name(hi, subs)) for n, (lo, hi) in rs.items()}
        return cls(rs, frozenset(i for i in integers if i in rs))

    def describe(self) -> str:
        parts = []
        for n, (lo, hi) in self.ranges.items():
            kind = " (integers)" if n in self.integers else ""
            parts.append(f"{n} in [{lo}, {hi}]{kind}")
        return ", ".join(parts) if parts else "no free variables"

    def numeric_bounds(self) -> dict[str, tuple[float, float]] | None:
        """Resolve bounds that refer to other variables to numbers (None when some bound is infinite)."""
        out: dict[str, tuple[float, float]] = {}
        for _ in range(len(self.ranges) + 1):
            for n, (lo, hi) in self.ranges.items():
                if n in out:
                    continue
                lo_n, hi_n = _resolve(lo, out, 0), _resolve(hi, out, 1)
                if lo_n is not None and hi_n is not None:
                    out[n] = (lo_n, hi_n)
        if len(out) != len(self.ranges) or any(not math.isfinite(a) or not math.isfinite(b) for a, b in out.values()):
            return None
        return out


def _subs_name(e, subs):
    return e.subs(subs) if isinstance(e, sympy.Basic) else e


def _resolve(bound, known, side):
    """A numeric value for ``bound`` given numeric boxes of the variables it names (outer side)."""
    if bound is oo or bound is -oo:
        return float(bound)
    if bound.is_number:
        return float(bound)
    names = [s.name for s in bound.free_symbols]
    if not all(n in known for n in names):
        return None
    env = {n: iv.mpf(list(known[n])) for n in names}
    try:
        val = ieval(bound, env)
    except Unsupported:
        return None
    return float(_lo(val)) if side == 0 else float(_hi(val))


@dataclass(frozen=True)
class Proof:
    """``status``: PROVED, REFUTED or UNKNOWN; ``method`` says how; ``point``/``value`` hold an
    exact refuting point and its replayed enclosure; ``steps`` records sub-proofs in words."""

    status: Status
    method: str
    point: Mapping[str, Any] | None = None
    value: tuple[str, str] | None = None
    steps: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        Status.checked(self.status)


# ------------------------------------------------------------------------------------- tier 1: sympy
def _rewrites(e: sympy.Expr, expensive: bool | None = None):
    """Equivalent forms of ``e`` (all symbols positive): the cheap ones, then (``expensive``) the
    ``simplify`` ones; ``None`` yields both."""
    if expensive is not True:
        yield e
        el = sympy.expand_log(e, force=True)
        yield el
        yield e.replace(lambda x: isinstance(x, sympy.log), lambda x: sympy.log(sympy.expand(x.args[0])))
        yield sympy.factor(sympy.together(el))
    if expensive is not False:
        yield sympy.simplify(e)
        yield sympy.simplify(sympy.powsimp(sympy.expand_power_base(e, force=True), force=True))


def _orthant_substitutions(expr: sympy.Expr, dom: Domain, extra: tuple[Mapping[str, Any], ...]):
    """Yield (label, expr') with every variable replaced by an expression in nonnegative symbols."""
    names = list(dom.ranges)
    sym = {n: next((s for s in expr.free_symbols if s.name == n), sympy.Symbol(n)) for n in names}

    def fresh(n, integer=False):
        return sympy.Symbol(f"{n}_", nonnegative=True, integer=integer or None)

    def shift(n):
        lo = dom.ranges[n][0]
        if lo is not -oo and lo.is_number:
            return lo + fresh(n, n in dom.integers and lo.is_integer)
        return None

    def base_subs():
        s = {}
        for n in names:
            lo = dom.ranges[n][0]
            if lo.is_number and lo >= 0:
                s[sym[n]] = sympy.Symbol(n, positive=bool(lo > 0) or bool(sym[n].is_positive) or None, nonnegative=True,
                                         integer=(n in dom.integers) or None)
        return s

    yield "sympy, under the positivity assumptions", expr.xreplace(base_subs())
    sh = {sym[n]: shift(n) for n in names if shift(n) is not None}
    yield "sympy, after v = lower bound + v' (v' >= 0)", expr.xreplace(sh)
    for n in names:
        hi = dom.ranges[n][1]
        if hi is oo or hi.is_number:
            continue
        c = hi.as_coeff_Add()[0]
        top = hi - c
        if isinstance(top, sympy.Symbol) and top.name in sym and top.name != n:
            u = sym[top.name]
            w = sympy.Symbol(f"w_{u.name}", nonnegative=True)
            reps = [(f"{u.name} = {n} - ({c}) + w", sym[n] - c + w)]
            if c == 0:
                reps.append((f"{u.name} = {n}(1 + w)", sym[n] * (1 + w)))
            for label, rep in reps:
                s = {u: rep}
                e2 = expr.xreplace(s)
                sh2 = {sym[m]: shift(m) for m in names if m != top.name and shift(m) is not None}
                yield f"sympy, after {label}, w >= 0, and lower-bound shifts", e2.xreplace(sh2)
    for sub in extra:
        s = {sym.get(k, sympy.Symbol(k)): sympify_arg(v) for k, v in sub.items()}
        e2 = expr.xreplace(s)
        news = {f: sympy.Symbol(f.name, nonnegative=True) for f in e2.free_symbols
                if f.name not in names and f.is_nonnegative is not True}
        e2 = e2.xreplace(news).xreplace(base_subs())
        yield "sympy, after the claim's substitution " + ", ".join(f"{k} = {v}" for k, v in sub.items()), e2


def _tier_sympy(expr, dom, extra, attr: str = "is_nonnegative") -> Proof | None:
    variants = list(_orthant_substitutions(expr, dom, extra))
    variants = variants[len(variants) - len(extra):] + variants[: len(variants) - len(extra)]  # hints first
    for expensive in (False, True):
        for label, e in variants:
            for form in _rewrites(e, expensive):
                if getattr(form, attr) is True:
                    return Proof(Status.PROVED, f"{label}: {sympy.sstr(form)} is {attr[3:]}")
    return None


def prove_positive(expr: sympy.Expr, dom: Domain, substitutions=()) -> bool:
    """``expr > 0`` on the domain, by the sympy tier (binomials and factorials rewritten as gammas)."""
    e = sympy.sympify(expr).rewrite(sympy.gamma)
    return _tier_sympy(e, dom, tuple(substitutions), "is_positive") is not None


# ---------------------------------------------------------------------------- tier 2: derivative sign
def _value_sign_at(g, x, a) -> int | None:
    if a is oo or a is -oo:
        try:
            lim = sympy.limit(g, x, a)
        except (NotImplementedError, ValueError, TypeError):
            return None
        if lim.has(sympy.Limit) or lim is sympy.nan or lim.has(sympy.AccumBounds):
            return None
        if lim is oo:
            return 1
        if lim is -oo:
            return -1
        return sign_of_constant(lim)
    v = g.subs(x, a)
    if v.has(sympy.zoo, sympy.nan):
        try:
            v = sympy.limit(g, x, a, "+")
        except (NotImplementedError, ValueError, TypeError):
            return None
    return sign_of_constant(v)


def _tier_derivative(g, x, lo, hi, depth) -> list[str] | None:
    """The proof steps of g >= 0 on [lo, hi] by derivative signs (recursively), or None."""
    xs = sympy.Symbol(x.name, positive=bool(lo.is_number and lo > 0) or None, real=True)
    g = g.xreplace({x: xs})
    x = xs
    shifted = g.xreplace({x: lo + sympy.Symbol("t_", nonnegative=True)}) if lo.is_number else g
    for form in _rewrites(shifted):
        if form.is_nonnegative is True:
            return [f"{sympy.sstr(g)} >= 0 on [{lo}, {hi}] (sympy)"]
    if depth <= 0:
        return None
    dg = sympy.simplify(sympy.diff(g, x))
    sub = _tier_derivative(dg, x, lo, hi, depth - 1)
    if sub is not None and _value_sign_at(g, x, lo) in (0, 1):
        return sub + [f"so {sympy.sstr(g)} is nondecreasing, and >= 0 at {x}={lo}"]
    sub = _tier_derivative(-dg, x, lo, hi, depth - 1)
    if sub is not None and _value_sign_at(g, x, hi) in (0, 1):
        at = " (sympy limit)" if hi is oo else ""
        return sub + [f"so {sympy.sstr(g)} is nonincreasing, and >= 0 at {x}={hi}{at}"]
    return None


# ----------------------------------------------------------------------- tier 3: branch-and-bound
def _feasible_corner(box, dom):
    """False when the box lies wholly outside the dependent bounds (e.g. k_lo > T_hi)."""
    env = {n: iv.mpf([a, b]) for n, (a, b) in box.items()}
    for n, (lo, hi) in dom.ranges.items():
        for bound, side in ((lo, 0), (hi, 1)):
            if bound.is_number or bound in (oo, -oo):
                continue
            try:
                bv = ieval(bound, env)
            except Unsupported:
                continue
            if side == 0 and _lo(bv) > box[n][1]:
                return False
            if side == 1 and _hi(bv) < box[n][0]:
                return False
    return True


def _float_down(x: mpmath.mpf) -> float:
    """The largest float <= x (exact comparison in mpmath; never rounds a tiny negative up to 0)."""
    f = float(x)
    return math.nextafter(f, -math.inf) if mpmath.mpf(f) > x else f


def _bnb(expr, dom, bounds, budget, deadline) -> tuple[Status, int, dict | None]:
    """Interval branch and bound of ``expr >= 0`` over the box ``bounds`` (the one box search, objective -expr):
    (PROVED, or REFUTED with a box where expr < 0 throughout (still to be replayed at a point), or UNKNOWN;
    boxes bounded; that box as {name: (lo, hi)} or None)."""
    names = list(bounds)
    integer = np.array([n in dom.integers for n in names])

    def negated_bounds(lo, hi):
        # upper of -expr = -(lower of expr), rounded up; lower of -expr on the whole box = -(upper of expr)
        up, low = np.full(lo.shape[0], np.inf), np.full(lo.shape[0], -np.inf)
        for r in range(lo.shape[0]):
            box = {n: (float(a), float(b)) for n, a, b in zip(names, lo[r], hi[r])}
            if not _feasible_corner(box, dom):
                up[r] = -np.inf  # no domain point in this box
                continue
            try:
                val = ieval(expr, {n: iv.mpf([a, b]) for n, (a, b) in box.items()})
            except Unsupported:
                continue
            up[r], low[r] = -_float_down(_lo(val)), _float_down(-_hi(val))
        return BoxBounds(up, lower=low)

    def split(lo, hi, _data):
        # the widest side (integers at integer points: [a, m] and [m + 1, b])
        rows, side = np.arange(lo.shape[0]), np.argmax(hi - lo, axis=1)
        a, b = lo[rows, side], hi[rows, side]
        whole = integer[side]
        mid = np.where(whole, np.floor(0.5 * a + 0.5 * b), np.clip(0.5 * a + 0.5 * b, a, b))
        left_hi, right_lo = hi.copy(), lo.copy()
        left_hi[rows, side] = mid
        right_lo[rows, side] = np.where(whole, mid + 1, mid)
        return np.concatenate([lo, right_lo]), np.concatenate([left_hi, hi])

    lo = np.array([float(bounds[n][0]) for n in names])
    hi = np.array([float(bounds[n][1]) for n in names])
    s = box_search(lo, hi, negated_bounds, goal=0.0, max_boxes=budget, split=split, deadline=deadline)
    if s.refuting is not None:
        box = {n: (mpmath.mpf(a), mpmath.mpf(b)) for n, a, b in zip(names, s.open_lo[s.refuting], s.open_hi[s.refuting])}
        return Status.REFUTED, s.n_boxes, box
    return (Status.PROVED if s.complete else Status.UNKNOWN), s.n_boxes, None


# ------------------------------------------------------------------------------ counterexamples
def in_domain(point, dom) -> bool:
    env = {n: _iv_of(v) for n, v in point.items()}
    for n, (lo, hi) in dom.ranges.items():
        try:
            lv = ieval(lo, env) if lo is not -oo else None
            hv = ieval(hi, env) if hi is not oo else None
        except Unsupported:
            return False
        if lv is not None and _hi(lv) > _lo(env[n]):
            return False
        if hv is not None and _lo(hv) < _hi(env[n]):
            return False
    return True


def _sample_points(dom, bounds, rng, n_points):
    names = list(dom.ranges)
    for _ in range(n_points):
        p = {}
        for n in names:
            a, b = bounds[n]
            if n in dom.integers:
                a_i, b_i = math.ceil(a), math.floor(b)
                if b_i - a_i > 10**6:  # log-uniform on wide integer ranges
                    p[n] = int(round(math.exp(rng.uniform(math.log(max(a_i, 1)), math.log(b_i)))))
                else:
                    p[n] = rng.randint(a_i, b_i)
            else:
                p[n] = Fraction(rng.uniform(a, b)).limit_denominator(1 << 20)
        if in_domain(p, dom):
            yield p


def find_counterexample(expr, dom, bounds, rng, n_points=400) -> tuple[dict, tuple] | None:
    """A domain point where ``expr < 0`` in exact replay, shrunk toward the lower bounds, or None."""
    f = sympy.lambdify([sympy.Symbol(n) for n in dom.ranges], expr.xreplace(
        {s: sympy.Symbol(s.name) for s in expr.free_symbols}), modules=["mpmath"])
    best = None
    for p in _sample_points(dom, bounds, rng, n_points):
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


def _shrink(expr, dom, point):
    """Move each coordinate toward its (numeric) lower bound by bisection while the exact replay
    stays negative; continuous coordinates are kept on simple dyadic rationals."""
    def neg(p):
        if not in_domain(p, dom):
            return False
        try:
            return replay(expr, p, prec=80)[1] < 0
        except Unsupported:
            return False

    def simple(n, v):
        return math.floor(v) if n in dom.integers else Fraction(v).limit_denominator(64)

    p = dict(point)
    los = {n: Fraction(int(dom.ranges[n][0].p), int(dom.ranges[n][0].q)) for n in p
           if dom.ranges[n][0].is_number and dom.ranges[n][0].is_Rational}
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
            p[n] = simple(n, bad)
    return p


# ------------------------------------------------------------------------------------------ driver
def prove_nonneg(expr: sympy.Expr, dom: Domain, *, substitutions=(), budget: int = 4000, seed: int = 0,
                 deadline: Callable[[], None] | None = None, search: bool = True) -> Proof:
    """Prove ``expr >= 0`` on ``dom`` (tiers in the module docstring), or refute it with an exact point."""
    expr = sympy.sympify(expr)
    bounds = dom.numeric_bounds()
    rng = random.Random(seed)
    if search and bounds is not None:
        cex = find_counterexample(expr, dom, bounds, rng)
        if cex is not None:
            p, val = cex
            return Proof(Status.REFUTED, "random search, shrunk, replayed in interval arithmetic (170 bits)", p, val)
    got = _tier_sympy(expr, dom, tuple(substitutions))
    if got is not None:
        return got
    free = [n for n in dom.ranges if any(s.name == n for s in expr.free_symbols)]
    if len(free) == 1 and not expr.free_symbols - {s for s in expr.free_symbols if s.name == free[0]}:
        lo, hi = _outer_range(dom, free[0])
        if lo.is_number and (hi.is_number or hi is oo):
            x = next(s for s in expr.free_symbols if s.name == free[0])
            steps = _tier_derivative(expr, x, lo, hi, 3)
            if steps is not None:
                return Proof(Status.PROVED, f"derivative signs on {free[0]} in [{lo}, {hi}]: " + "; ".join(steps),
                             steps=tuple(steps))
    if search and bounds is None and free:
        # unbounded domain: search a large compact part for a counterexample only
        capped = {n: (a if math.isfinite(a) else -1e6, b if math.isfinite(b) else 1e6)
                  for n, (a, b) in _loose_bounds(dom).items()}
        cex = find_counterexample(expr, dom, capped, rng)
        if cex is not None:
            p, val = cex
            return Proof(Status.REFUTED, "random search, shrunk, replayed in interval arithmetic (170 bits)", p, val)
    if bounds is not None:
        res, nboxes, box = _bnb(expr, dom, bounds, budget, deadline)
        where = dom.describe()
        if res is Status.PROVED:
            return Proof(Status.PROVED, f"interval arithmetic (mpmath.iv, outward rounding) over {where}: {nboxes} boxes")
        if res is Status.REFUTED:
            mid = {n: (int(a) if n in dom.integers else Fraction(str((a + b) / 2))) for n, (a, b) in box.items()}
            if in_domain(mid, dom):
                lo, hi = replay(expr, mid)
                if hi < 0:
                    return Proof(Status.REFUTED, f"interval branch-and-bound ({nboxes} boxes), replayed at 170 bits",
                                 mid, (mpmath.nstr(lo, 20), mpmath.nstr(hi, 20)))
        return Proof(Status.UNKNOWN, f"sympy undecided; interval branch-and-bound over {where} inconclusive after {nboxes} boxes")
    return Proof(Status.UNKNOWN, f"sympy undecided and the domain ({dom.describe()}) is not compact: no interval certificate")


def _outer_range(dom: Domain, name: str):
    """Numeric bounds of ``name`` over the whole domain (a superset: other variables' ranges resolved
    outward; an infinite one makes the bound infinite)."""
    lo, hi = dom.ranges[name]
    loose = _loose_bounds(dom)
    out = []
    for b, side in ((lo, 0), (hi, 1)):
        if b is oo or b is -oo or b.is_number:
            out.append(b)
            continue
        deps = [s.name for s in b.free_symbols]
        if any(not dom.ranges[d][1].is_number for d in deps if d in dom.ranges and side == 1) or \
                any(d not in dom.ranges for d in deps):
            out.append(oo if side else -oo)
            continue
        env = {d: iv.mpf(list(loose[d])) for d in deps}
        try:
            v = ieval(b, env)
            out.append(sympy.Float(_hi(v)) if side else sympy.Float(_lo(v)))
        except Unsupported:
            out.append(oo if side else -oo)
    return out[0], out[1]


def _loose_bounds(dom):
    out = {}
    for n, (lo, hi) in dom.ranges.items():
        out[n] = (float(lo) if lo.is_number else (1.0 if lo is not -oo else -math.inf),
                  float(hi) if hi.is_number else 1e4 if hi is oo else 1e4)
    return out


def prove_identity(lhs, rhs, dom: Domain, *, seed: int = 0, deadline: Callable[[], None] | None = None) -> Proof:
    """Proof that ``lhs == rhs`` identically (sympy), or a refuting point found in ``dom``."""
    d = lhs - rhs
    for form in (sympy.simplify(d), sympy.simplify(sympy.expand_log(d, force=True)),
                 sympy.simplify(sympy.powdenest(sympy.expand_log(d, force=True), force=True))):
        if form.is_zero is True or form == 0:
            return Proof(Status.PROVED, "sympy: simplify(lhs - rhs) == 0 (logs expanded: all symbols positive)")
    if dom.ranges:
        for sign, e in ((1, d), (-1, -d)):
            p = prove_nonneg(e, dom, seed=seed, budget=0, deadline=deadline)
            if p.status is Status.REFUTED:
                return p
    return Proof(Status.UNKNOWN, "sympy: simplify(lhs - rhs) did not reduce to 0 and no refuting point was found")
