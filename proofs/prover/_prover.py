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
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy
from mpmath import iv

from proofs import Status
from proofs.boxes import BoxBounds, box_search
from proofs.prover._domain import (
    Domain,
    Proof,
    assume_domain,
    in_domain,
    range_assumptions,
)
from proofs.prover._interval import (
    Unsupported,
    _hi,
    _lo,
    ieval,
    point_text,
    replay,
    sign_of_constant,
    sympify_arg,
)
from proofs.prover._search import find_counterexample

__all__ = [
    "Domain",
    "Proof",
    "assume_domain",
    "expand_log_on",
    "ieval",
    "in_domain",
    "point_text",
    "prove_identity",
    "prove_nonneg",
    "prove_positive",
    "range_assumptions",
    "replay",
    "sign_of_constant",
    "sympify_arg",
]


oo = sympy.oo


def _substitution_covers(expr: sympy.Basic, sub: Mapping[str, Any], dom: Domain) -> bool:
    """Whether the claim's substitution {v: a(others) * w + b(others)} (one new symbol w >= 0, a > 0 and
    b <= lower bound of v proved on the domain) maps onto a superset of v's range. Any other shape is
    not used: a substitution is never trusted on the claim's word."""
    for name, value in sub.items():
        if name not in dom.ranges:
            return False
        rep = sympify_arg(value)
        new = [f for f in rep.free_symbols if f.name not in dom.ranges]
        if len(new) != 1:
            return False
        w = new[0]
        a, b = rep.diff(w), rep.subs(w, 0)
        if a.has(w) or b.has(sympy.zoo, sympy.nan):
            return False
        lo = dom.ranges[name][0]
        others = dom.restricted({n: r for n, r in dom.ranges.items() if n != name}, dom.integers - {name})
        if (
            lo is -oo
            or not prove_positive(a, others)
            or prove_nonneg(lo - b, others, search=False, budget=200).status is not Status.PROVED
        ):
            return False
        if w.is_positive and not prove_positive(lo - b, others):
            # w > 0 misses v = b = lo: a cover only where the claim is undefined at v = lo (e.g. 1/lam at 0)
            at_lo = sympy.sympify(expr).subs({s: lo for s in sympy.sympify(expr).free_symbols if s.name == name})
            if not at_lo.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
                return False
    return True


# ------------------------------------------------------------------------------------- tier 1: sympy
def _rewrites(e: sympy.Expr, expensive: bool | None = None) -> Iterator[sympy.Expr]:
    """Equivalent forms of ``e`` under its symbols' assumptions (never ``force=True``, which treats every
    quantity as positive whatever the ranges say): the cheap ones, then (``expensive``) the
    ``simplify`` ones; ``None`` yields both."""
    if expensive is not True:
        yield e
        el = sympy.expand_log(e)
        yield el
        yield e.replace(lambda x: isinstance(x, sympy.log), lambda x: sympy.log(sympy.expand(x.args[0])))
        yield sympy.factor(sympy.together(el))
    if expensive is not False:
        yield sympy.simplify(e)
        yield sympy.simplify(sympy.powsimp(sympy.expand_power_base(e)))


def _orthant_substitutions(
    expr: sympy.Expr, dom: Domain, extra: tuple[Mapping[str, Any], ...]
) -> Iterator[tuple[str, sympy.Expr]]:
    """Yield (label, expr') with every variable replaced by an expression in nonnegative symbols."""
    names = list(dom.ranges)
    sym = {n: next((s for s in expr.free_symbols if s.name == n), sympy.Symbol(n)) for n in names}

    def fresh(n: str, integer: bool = False) -> sympy.Symbol:
        return sympy.Symbol(f"{n}_", nonnegative=True, integer=integer or None)

    def shift(n: str) -> sympy.Expr | None:
        lo = dom.ranges[n][0]
        if lo is not -oo and lo.is_number:
            return lo + fresh(n, n in dom.integers and lo.is_integer)
        return None

    def base_subs() -> dict[sympy.Symbol, sympy.Symbol]:
        s: dict[sympy.Symbol, sympy.Symbol] = {}
        for n in names:
            lo = dom.ranges[n][0]
            if lo.is_number and lo >= 0:
                s[sym[n]] = sympy.Symbol(
                    n,
                    positive=bool(lo > 0) or bool(sym[n].is_positive) or None,
                    nonnegative=True,
                    integer=(n in dom.integers) or None,
                )
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
            lo_n = dom.ranges[n][0]
            if c == 0 and (lo_n.is_positive is True or (lo_n.is_number and lo_n > 0)):
                # u = n(1 + w), w >= 0, covers every u >= n only when n > 0 on the whole range
                reps.append((f"{u.name} = {n}(1 + w)", sym[n] * (1 + w)))
            for label, rep in reps:
                s = {u: rep}
                e2 = expr.xreplace(s)
                sh2 = {sym[m]: shift(m) for m in names if m != top.name and shift(m) is not None}
                yield f"sympy, after {label}, w >= 0, and lower-bound shifts", e2.xreplace(sh2)
    for sub in extra:
        if not _substitution_covers(expr, sub, dom):
            continue
        s = {sym.get(k, sympy.Symbol(k)): sympify_arg(v) for k, v in sub.items()}
        e2 = expr.xreplace(s)
        news = {
            f: sympy.Symbol(f.name, nonnegative=True)
            for f in e2.free_symbols
            if f.name not in names and f.is_nonnegative is not True
        }
        e2 = e2.xreplace(news).xreplace(base_subs())
        yield "sympy, after the claim's substitution " + ", ".join(f"{k} = {v}" for k, v in sub.items()), e2


def _tier_sympy(
    expr: sympy.Expr, dom: Domain, extra: tuple[Mapping[str, Any], ...], attr: str = "is_nonnegative"
) -> Proof | None:
    variants = list(_orthant_substitutions(expr, dom, extra))
    variants = variants[len(variants) - len(extra) :] + variants[: len(variants) - len(extra)]  # hints first
    for expensive in (False, True):
        for label, e in variants:
            for form in _rewrites(e, expensive):
                if getattr(form, attr) is True:
                    return Proof(Status.PROVED, f"{label}: {sympy.sstr(form)} is {attr[3:]}")
    return None


def prove_positive(expr: sympy.Expr, dom: Domain, substitutions: Iterable[Mapping[str, Any]] = ()) -> bool:
    """``expr > 0`` on the domain, by the sympy tier (binomials and factorials rewritten as gammas)."""
    e = assume_domain(expr, dom).rewrite(sympy.gamma)
    return _tier_sympy(e, dom, tuple(substitutions), "is_positive") is not None


# ---------------------------------------------------------------------------- tier 2: derivative sign
def _value_sign_at(g: sympy.Expr, x: sympy.Symbol, a: sympy.Expr, side: str = "+") -> int | None:
    """The sign of g at the end ``a`` of the range, or of its one-sided limit from inside the range (``side``:
    '+' at the lower end, '-' at the upper end) where g is undefined at ``a``."""
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
            v = sympy.limit(g, x, a, side)  # [review] from inside the range: 2 - exp(1/(1 - x)) -> -oo as x -> 1-
        except (NotImplementedError, ValueError, TypeError):
            return None
    return sign_of_constant(v)


def _tier_derivative(g: sympy.Expr, x: sympy.Symbol, lo: sympy.Expr, hi: sympy.Expr, depth: int) -> list[str] | None:
    """The proof steps of g >= 0 on [lo, hi] by derivative signs (recursively), or None."""
    xs = sympy.Symbol(x.name, positive=bool(lo.is_number and lo > 0) or None, real=True)
    g = g.xreplace({x: xs})
    x = xs
    # [review] only a finite lower bound shifts: -oo + t_ is -oo, and g(-oo) "nonnegative" proved nothing
    # (-exp(x) >= 0 on [-oo, oo] was "proved" as -exp(-oo) = 0, certifying 1 + x + 1e-20 <= exp(x))
    finite_lo = lo.is_number and lo.is_finite is True
    shifted = g.xreplace({x: lo + sympy.Symbol("t_", nonnegative=True)}) if finite_lo else g
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
    if sub is not None and _value_sign_at(g, x, hi, "-") in (0, 1):
        at = " (sympy limit)" if hi is oo else ""
        return sub + [f"so {sympy.sstr(g)} is nonincreasing, and >= 0 at {x}={hi}{at}"]
    return None


# ----------------------------------------------------------------------- tier 3: branch-and-bound
def _feasible_corner(box: Mapping[str, tuple[float, float]], dom: Domain) -> bool:
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


def _bnb(
    expr: sympy.Expr,
    dom: Domain,
    bounds: Mapping[str, tuple[float, float]],
    budget: int,
    deadline: Callable[[], None] | None,
) -> tuple[Status, int, dict[str, tuple[Any, Any]] | None]:
    """Interval branch and bound of ``expr >= 0`` over the box ``bounds`` (the one box search, objective -expr):
    (PROVED, or REFUTED with a box where expr < 0 throughout (still to be replayed at a point), or UNKNOWN;
    boxes bounded; that box as {name: (lo, hi)} or None)."""
    names = list(bounds)
    integer = np.array([n in dom.integers for n in names])

    def negated_bounds(lo: np.ndarray, hi: np.ndarray) -> BoxBounds:
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

    def split(lo: np.ndarray, hi: np.ndarray, _data: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
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
        box = {
            n: (mpmath.mpf(a), mpmath.mpf(b)) for n, a, b in zip(names, s.open_lo[s.refuting], s.open_hi[s.refuting])
        }
        return Status.REFUTED, s.n_boxes, box
    return (Status.PROVED if s.complete else Status.UNKNOWN), s.n_boxes, None


# ------------------------------------------------------------------------------------------ driver
def prove_nonneg(
    expr: sympy.Expr,
    dom: Domain,
    *,
    substitutions: Iterable[Mapping[str, Any]] = (),
    budget: int = 4000,
    seed: int = 0,
    deadline: Callable[[], None] | None = None,
    search: bool = True,
) -> Proof:
    """Prove ``expr >= 0`` on ``dom`` (tiers in the module docstring), or refute it with an exact point."""
    expr = assume_domain(expr, dom)
    empty = dom.empty_reason()
    if empty is not None:  # nothing to prove or refute: never a proof (the checks report it as VACUOUS)
        return Proof(Status.UNKNOWN, f"the domain is empty: {empty}")
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
                return Proof(
                    Status.PROVED,
                    f"derivative signs on {free[0]} in [{lo}, {hi}]: " + "; ".join(steps),
                    steps=tuple(steps),
                )
    if search and bounds is None and free:
        # unbounded domain: search a large compact part for a counterexample only
        capped = {
            n: (a if math.isfinite(a) else -1e6, b if math.isfinite(b) else 1e6)
            for n, (a, b) in _loose_bounds(dom).items()
        }
        cex = find_counterexample(expr, dom, capped, rng)
        if cex is not None:
            p, val = cex
            return Proof(Status.REFUTED, "random search, shrunk, replayed in interval arithmetic (170 bits)", p, val)
    if bounds is not None:
        res, nboxes, box = _bnb(expr, dom, bounds, budget, deadline)
        where = dom.describe()
        if res is Status.PROVED:
            return Proof(
                Status.PROVED, f"interval arithmetic (mpmath.iv, outward rounding) over {where}: {nboxes} boxes"
            )
        if res is Status.REFUTED:
            # a REFUTED branch and bound always returns its box
            mid = {n: (int(a) if n in dom.integers else Fraction(str((a + b) / 2))) for n, (a, b) in box.items()}  # type: ignore[union-attr]
            if in_domain(mid, dom):
                lo, hi = replay(expr, mid)
                if hi < 0:
                    return Proof(
                        Status.REFUTED,
                        f"interval branch-and-bound ({nboxes} boxes), replayed at 170 bits",
                        mid,
                        (mpmath.nstr(lo, 20), mpmath.nstr(hi, 20)),
                    )
        return Proof(
            Status.UNKNOWN, f"sympy undecided; interval branch-and-bound over {where} inconclusive after {nboxes} boxes"
        )
    return Proof(
        Status.UNKNOWN, f"sympy undecided and the domain ({dom.describe()}) is not compact: no interval certificate"
    )


def _outer_range(dom: Domain, name: str) -> tuple[sympy.Expr, sympy.Expr]:
    """Numeric bounds of ``name`` over the whole domain (a superset: other variables' ranges resolved
    outward; an infinite one makes the bound infinite)."""
    lo, hi = dom.ranges[name]
    loose = _loose_bounds(dom)
    out: list[sympy.Expr] = []
    for b, side in ((lo, 0), (hi, 1)):
        if b is oo or b is -oo or b.is_number:
            out.append(b)
            continue
        deps = [s.name for s in b.free_symbols]
        if any(not dom.ranges[d][1].is_number for d in deps if d in dom.ranges and side == 1) or any(
            d not in dom.ranges for d in deps
        ):
            out.append(oo if side else -oo)
            continue
        env = {d: iv.mpf(list(loose[d])) for d in deps}
        try:
            v = ieval(b, env)
            out.append(sympy.Float(_hi(v)) if side else sympy.Float(_lo(v)))
        except Unsupported:
            out.append(oo if side else -oo)
    return out[0], out[1]


def _loose_bounds(dom: Domain) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for n, (lo, hi) in dom.ranges.items():
        out[n] = (
            float(lo) if lo.is_number else (1.0 if lo is not -oo else -math.inf),
            float(hi) if hi.is_number else 1e4 if hi is oo else 1e4,
        )
    return out


def expand_log_on(e: sympy.Expr, dom: Domain) -> sympy.Expr:
    """``expand_log`` valid on the domain: log(a b) = log a + log b and log(a^c) = c log a only where a and
    b are proved positive there (each such factor is replaced by a positive symbol while expanding)."""
    e = assume_domain(e, dom)
    reps: dict[sympy.Expr, sympy.Dummy] = {}
    for node in sympy.preorder_traversal(e):
        if not isinstance(node, sympy.log):
            continue
        for fac in sympy.Mul.make_args(node.args[0]):
            base = fac.base if fac.is_Pow else fac
            if base.is_Number or base.is_positive or base in reps or base.is_Symbol:
                continue
            if prove_positive(base, dom):
                reps[base] = sympy.Dummy("p", positive=True)
    out = sympy.expand_log(e.xreplace(reps))
    return out.xreplace({v: k for k, v in reps.items()})


def prove_identity(
    lhs: sympy.Basic, rhs: sympy.Basic, dom: Domain, *, seed: int = 0, deadline: Callable[[], None] | None = None
) -> Proof:
    """Proof that ``lhs == rhs`` identically (sympy), or a refuting point found in ``dom``."""
    d = assume_domain(sympy.sympify(lhs) - sympy.sympify(rhs), dom)
    el = expand_log_on(d, dom) if d.has(sympy.log) else d
    for form in (sympy.simplify(d), sympy.simplify(el), sympy.simplify(sympy.powdenest(el))):
        if form.is_zero is True or form == 0:
            return Proof(
                Status.PROVED,
                "sympy: simplify(lhs - rhs) == 0 (rewrites valid under the stated ranges and "
                "the symbols' declared assumptions)",
            )
    if dom.ranges:
        for e in (d, -d):
            p = prove_nonneg(e, dom, seed=seed, budget=0, deadline=deadline)
            if p.status is Status.REFUTED:
                return p
    return Proof(Status.UNKNOWN, "sympy: simplify(lhs - rhs) did not reduce to 0 and no refuting point was found")
