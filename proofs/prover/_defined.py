"""The definedness obligation of a symbolic claim: its formulas, as written, are real numbers on the whole domain.

A claim is stated for every point of its domain, so a point where one of its sides is undefined in real
arithmetic (``log`` of a negative number, a division by zero, an even root of a negative number) is a
point where it does not hold: the claim is refuted there (FAIL, the point replayed exactly), or, when
neither proved nor refuted, it is not certified (UNKNOWN). This is checked on the trees *as written*
(:func:`proofs.formula.definedness_conditions`), before any sympy rewriting, so ``x/x == 1`` on
[-1, 1] and ``exp(log(x)) == x`` on [-2, -1] are not certified.

Main statements:

* ``prove_defined(exprs, dom)``: PROVED (every condition proved: sympy under the domain's assumptions, else
  strict interval evaluation of the written trees over every box of a compact domain), REFUTED (an exact
  domain point where a condition fails, replayed at 170 bits or exactly), or UNKNOWN.
* ``declared_conflict(exprs, dom)``: the first symbol declared with an assumption (``positive``,
  ``integer``...) that its stated range does not imply, or None. sympy may have used the declaration when
  it built the expression, so such a claim is not certified on the wider range.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

from proofs import Status
from proofs.formula import Condition, definedness_conditions
from proofs.prover._domain import Domain, Proof, assume_domain, in_domain, range_assumptions
from proofs.prover._interval import Unsupported, replay
from proofs.prover._prover import _bnb, prove_nonneg, prove_positive
from proofs.prover._search import sample_points

__all__ = ["prove_defined", "declared_conflict", "respects_declarations", "domain_point", "condition_holds"]

# [review] the extended_* signs too: x declared extended_positive has is_positive None (it may be oo), yet
# sympy builds sqrt(x**2) -> x and Abs(x) -> x from it (sqrt(x**2) = x on [-1, 1] was CERTIFIED)
_ASSUMPTIONS = (
    "positive", "nonnegative", "negative", "nonpositive", "integer", "nonzero", "zero", "even", "odd",
    "extended_positive", "extended_nonnegative", "extended_negative", "extended_nonpositive", "extended_nonzero",
    "rational", "irrational", "noninteger",
)  # fmt: skip


def declared_conflict(exprs: Sequence[sympy.Basic], dom: Domain) -> str | None:
    """The first ranged symbol whose declared assumption its range does not imply (None when all agree).

    A symbol declared ``positive`` with a range starting at 0 is the half-open range (0, hi]: it agrees.
    """
    for e in exprs:
        for s in sorted(sympy.sympify(e).free_symbols, key=lambda s: s.name):
            if not isinstance(s, sympy.Symbol) or s.name not in dom.ranges:
                continue
            kw = range_assumptions(s.name, dom, s)
            t = sympy.Symbol(s.name, **kw)
            for a in _ASSUMPTIONS:
                if getattr(s, f"is_{a}") is True and getattr(t, f"is_{a}") is not True:
                    lo, hi = dom.ranges[s.name]
                    return (
                        f"{s.name} is declared {a} but its range [{lo}, {hi}] allows other values "
                        f"(sympy may have used the declaration when it built the expression)"
                    )
    return None


def respects_declarations(point: Mapping[str, Any], exprs: Sequence[sympy.Basic]) -> bool:
    """Whether the exact point satisfies every declared sign and integrality of the symbols it names."""
    for e in exprs:
        for s in sympy.sympify(e).free_symbols:
            if s.name not in point:
                continue
            v = Fraction(point[s.name])
            if (
                (s.is_positive and v <= 0)
                or (s.is_nonnegative and v < 0)
                or (s.is_negative and v >= 0)
                or (s.is_nonpositive and v > 0)
                or (s.is_integer and v.denominator != 1)
                or (s.is_nonzero and v == 0)
            ):
                return False
    return True


def _nonneg(a: sympy.Basic, dom: Domain) -> bool:
    return prove_nonneg(a, dom, search=False, budget=0).status is Status.PROVED


def _holds(a: sympy.Basic, dom: Domain, want: str, depth: int = 0) -> bool:
    """``a > 0`` (want 'pos'), ``a >= 0`` ('nonneg') or ``a >= 1`` ('ge1') on the domain: by the signs of
    the parts (products, sums, powers, exp, log, binomials of 0 <= k <= n), else the prover's sympy tier."""
    if want == "pos" and a.is_positive is True or want == "nonneg" and a.is_nonnegative is True:
        return True
    if want == "ge1" and (a - 1).is_nonnegative is True:
        return True
    if depth < 12 and not a.is_number:
        parts = _by_parts(a, dom, want, depth + 1)
        if parts is not None:
            return parts
    if want == "pos":
        return prove_positive(a, dom)
    return _nonneg(a - 1 if want == "ge1" else a, dom)


def _by_parts(a: sympy.Basic, dom: Domain, want: str, depth: int) -> bool | None:
    """The structural step of :func:`_holds` (None: no rule applies, or the rule failed)."""

    def h(b: sympy.Basic, w: str) -> bool:
        return _holds(b, dom, w, depth)

    ok: bool | None = None
    if isinstance(a, sympy.Symbol) and a.name in dom.ranges:
        lo = assume_domain(dom.ranges[a.name][0], dom)
        ok = lo is not -sympy.oo and (h(lo, want) if want != "pos" else h(lo, "pos") or bool(a.is_positive))
    elif isinstance(a, sympy.Mul):
        ok = all(h(f, want) for f in a.args)
    elif isinstance(a, sympy.Add):
        if want == "ge1":
            ok = any(h(t, "ge1") and all(h(u, "nonneg") for u in a.args if u is not t) for t in a.args)
        else:
            ok = all(h(t, "nonneg") for t in a.args) and (want == "nonneg" or any(h(t, "pos") for t in a.args))
    elif isinstance(a, sympy.Pow):
        b, e = a.args
        if want == "ge1":
            ok = (h(b, "ge1") and h(e, "nonneg")) or (bool(e.is_negative) and h(b, "pos") and h(1 - b, "nonneg"))
        else:
            ok = h(b, "pos") or (want == "nonneg" and (h(b, "nonneg") or bool(e.is_even)))
    elif isinstance(a, sympy.exp):
        ok = want != "ge1" or h(a.args[0], "nonneg")
    elif isinstance(a, sympy.log) and want == "nonneg":
        ok = h(a.args[0], "ge1")
    elif isinstance(a, sympy.binomial):
        n, k = a.args
        ok = bool(n.is_integer and k.is_integer) and h(k, "nonneg") and h(n - k, "nonneg")
    return ok or None


def condition_holds(c: Condition, dom: Domain) -> bool:
    """The condition proved on the whole domain (the sympy tiers of :func:`prove_defined`)."""
    return _sympy_holds(c, dom)


def _sympy_holds(c: Condition, dom: Domain) -> bool:
    """The condition proved on the domain by sympy (the prover's sympy tier under the range assumptions)."""
    a = assume_domain(c.arg, dom)
    if c.kind in ("pos", "nonneg"):
        return _holds(a, dom, c.kind)
    if c.kind == "nonzero":
        return a.is_nonzero is True or _holds(a, dom, "pos") or _holds(-a, dom, "pos")
    if c.kind == "unit":
        return _holds(1 - a, dom, "nonneg") and _holds(1 + a, dom, "nonneg")
    if c.kind == "natural":
        return a.is_integer is True and _holds(a, dom, "nonneg")
    if c.kind == "pow":
        e = assume_domain(c.exponent, dom)
        if _holds(a, dom, "pos"):
            return True
        if e.is_integer is True:  # an integer power: real for every base, except 0 to a negative power
            return e.is_nonnegative is True or a.is_nonzero is True
        return False
    return False  # opaque


def _fails_at(c: Condition, point: Mapping[str, Any]) -> str | None:
    """Why the condition fails at the exact point (replayed at 170 bits, or exactly), or None."""
    try:
        if c.kind in ("pos", "nonneg", "unit"):
            g = 1 - c.arg**2 if c.kind == "unit" else c.arg
            lo, hi = replay(g, point)
            if hi < 0 or (c.kind == "pos" and hi <= 0):
                return f"{sympy.sstr(c.arg)} = [{lo}, {hi}] (170-bit interval)"
            return None
        if c.kind in ("nonzero", "natural", "pow"):
            reps = {s: sympy.Rational(point[s.name]) for s in c.arg.free_symbols if s.name in point}
            v = sympy.sympify(c.arg).xreplace(reps)
            if c.kind == "nonzero" and v.is_zero is True:
                return f"{sympy.sstr(c.arg)} = 0 exactly"
            if c.kind == "natural" and v.is_number and (v.is_integer is False or v.is_negative is True):
                return f"{sympy.sstr(c.arg)} = {sympy.sstr(v)} exactly"
            if c.kind == "pow" and c.exponent is not None:
                ev = c.exponent.xreplace(
                    {s: sympy.Rational(point[s.name]) for s in c.exponent.free_symbols if s.name in point}
                )
                if ev.is_number and ev.is_integer is False and v.is_negative is True:
                    return f"{sympy.sstr(c.arg)} = {sympy.sstr(v)} < 0 to the non-integer power {sympy.sstr(ev)}"
                if ev.is_number and ev.is_negative is True and v.is_zero is True:  # 0**0 = 1 (the convention)
                    return f"0 to the negative power {sympy.sstr(ev)}"
    except (Unsupported, ArithmeticError, ValueError, TypeError):
        return None
    return None


def _root_points(conds: Sequence[Condition], dom: Domain) -> list[dict[str, Any]]:
    """Exact rational zeros, inside a one-variable range, of the polynomial arguments that must be nonzero."""
    out: list[dict[str, Any]] = []
    for c in conds:
        syms = [s for s in c.arg.free_symbols if s.name in dom.ranges]
        if c.kind != "nonzero" or len(syms) != 1 or len(c.arg.free_symbols) != 1:
            continue
        try:
            poly = sympy.Poly(c.arg, syms[0])
            roots = [r for r in poly.ground_roots() if r.is_Rational] if poly.degree() <= 8 else []
        except (sympy.PolynomialError, ValueError, NotImplementedError):
            continue
        for r in roots:
            out.append({syms[0].name: int(r) if r.is_Integer else Fraction(int(r.p), int(r.q))})
    return out


def _refute(
    conds: Sequence[Condition], exprs: Sequence[sympy.Basic], dom: Domain, seed: int, others: Mapping[str, Any]
) -> Proof | None:
    """A domain point (honouring the symbols' declarations) where some condition fails, or None."""
    bounds = dom.numeric_bounds()
    if bounds is None:
        bounds = {
            n: (a if math.isfinite(a) else -1e3, b if math.isfinite(b) else 1e3) for n, (a, b) in _loose(dom).items()
        }
    candidates: list[dict[str, Any]] = [p for p in _root_points(conds, dom) if len(p) == len(dom.ranges)]
    candidates += list(sample_points(dom, bounds, random.Random(seed), 100))
    for p in candidates:
        if not in_domain(p, dom) or not respects_declarations(p, exprs):
            continue
        point = {**others, **p}
        for c in conds:
            if c.kind == "opaque" or (c.arg.free_symbols and not {s.name for s in c.arg.free_symbols} <= set(point)):
                continue
            why = _fails_at(c, point)
            if why is not None:
                return Proof(
                    Status.REFUTED,
                    f"undefined in real arithmetic: {c.describe()} fails: {why}",
                    p,
                    None,
                )
    return None


def domain_point(dom: Domain, seed: int = 0) -> dict[str, Any] | None:
    """An exact point of the domain (proved inside by the one evaluator), or None when none is found."""
    if dom.empty_reason() is not None:
        return None
    bounds = dom.numeric_bounds() or {
        n: (a if math.isfinite(a) else -1e3, b if math.isfinite(b) else 1e3) for n, (a, b) in _loose(dom).items()
    }
    return next((p for p in sample_points(dom, bounds, random.Random(seed), 200) if in_domain(p, dom)), None)


def _loose(dom: Domain) -> dict[str, tuple[float, float]]:
    out = {}
    for n, (lo, hi) in dom.ranges.items():
        out[n] = (float(lo) if lo.is_number else -math.inf, float(hi) if hi.is_number else math.inf)
    return out


def prove_defined(
    exprs: Sequence[sympy.Basic],
    dom: Domain,
    *,
    seed: int = 0,
    budget: int = 2000,
    deadline: Callable[[], None] | None = None,
) -> Proof:
    """Whether the written trees ``exprs`` are real numbers at every point of ``dom`` (module docstring)."""
    conflict = declared_conflict(exprs, dom)
    if conflict is not None:
        return Proof(Status.UNKNOWN, conflict)
    conds = [c for c in definedness_conditions(exprs) if not _trivial(c)]
    if not conds:
        return Proof(Status.PROVED, "defined everywhere (no division, log, root or other partial operation)")
    open_ = [c for c in conds if not _sympy_holds(c, dom)]
    if not open_:
        return Proof(Status.PROVED, f"{len(conds)} definedness condition(s) proved by sympy on the domain")
    refuted = _refute(conds, exprs, dom, seed, {})
    if refuted is not None:
        return refuted
    bounds = dom.numeric_bounds()
    if bounds is not None and budget > 0 and not any(c.kind == "opaque" for c in open_):
        with sympy.evaluate(False):
            probe = sympy.Abs(sympy.Add(*exprs))
        status, n, _ = _bnb(probe, dom, bounds, budget, deadline)
        if status is Status.PROVED:
            return Proof(Status.PROVED, f"defined: strict interval evaluation of the written formulas over {n} boxes")
    return Proof(Status.UNKNOWN, f"not proved defined on {dom.describe()}: {open_[0].describe()}")


def _trivial(c: Condition) -> bool:
    """A condition on a number that sympy decides true at once."""
    a = c.arg
    if not (isinstance(a, sympy.Basic) and a.is_number) or c.kind in ("opaque", "pow"):
        return False
    return bool(
        (c.kind == "pos" and a.is_positive)
        or (c.kind == "nonneg" and a.is_nonnegative)
        or (c.kind == "nonzero" and a.is_nonzero)
        or (c.kind == "natural" and a.is_integer and a.is_nonnegative)
    )
