"""The domain of a symbolic claim: variables with (possibly dependent) bounds, integer variables, the
sympy assumptions the ranges prove, and membership of an exact point."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy
from mpmath import iv

from proofs import Status
from proofs.prover._interval import (
    Unsupported,
    _hi,
    _iv_of,
    _lo,
    ieval,
    sympify_arg,
)

__all__ = ["Domain", "Proof", "assume_domain", "in_domain", "range_assumptions"]

oo = sympy.oo


# ------------------------------------------------------------------------------------------- domain
@dataclass(frozen=True)
class Domain:
    """Variables with bounds ``lo <= v <= hi`` (bounds are sympy numbers, ``oo`` or expressions in
    other variables), some of them integer-valued; ``fixed`` values substituted before proving."""

    ranges: Mapping[str, tuple[Any, Any]]
    integers: frozenset[str] = frozenset()
    #: variables whose lower (upper) bound is excluded: declared positive with a range from 0 (negative, to 0)
    open_lo: frozenset[str] = frozenset()
    open_hi: frozenset[str] = frozenset()

    @classmethod
    def from_args(
        cls,
        ranges: Mapping[str, Any],
        integers: Iterable[str] = (),
        fixed: Mapping[str, Any] | None = None,
        declared: Iterable[Any] = (),
    ) -> Domain:
        """The domain of a claim's ``ranges`` (an instance's ``fixed`` values removed, its ranges overriding).
        ``declared``: the claim's symbols; one declared integer is an integer variable, one declared positive
        with a range from 0 has the half-open range (0, hi] (negative: [lo, 0)), as sympy assumed when it
        built the claim's expressions."""
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
        syms = [s for s in declared if isinstance(s, sympy.Symbol) and s.name in rs]
        ints = {i for i in integers if i in rs} | {s.name for s in syms if s.is_integer}
        open_lo = {s.name for s in syms if s.is_positive and rs[s.name][0] == 0}
        open_hi = {s.name for s in syms if s.is_negative and rs[s.name][1] == 0}
        return cls(rs, frozenset(ints), frozenset(open_lo), frozenset(open_hi))

    def restricted(self, ranges: Mapping[str, tuple[Any, Any]], integers: Iterable[str] | None = None) -> Domain:
        """A domain over ``ranges`` keeping this one's integer variables (or ``integers``) and open ends."""
        ints = frozenset(self.integers if integers is None else integers) & set(ranges)
        return Domain(ranges, ints, self.open_lo & set(ranges), self.open_hi & set(ranges))

    def describe(self) -> str:
        parts = []
        for n, (lo, hi) in self.ranges.items():
            kind = " (integers)" if n in self.integers else ""
            left, right = "(" if n in self.open_lo else "[", ")" if n in self.open_hi else "]"
            parts.append(f"{n} in {left}{lo}, {hi}{right}{kind}")
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

    def empty_reason(self) -> str | None:
        """Why the domain has no point, where its outer numeric bounds show it (a range with lo > hi for every
        value of the variables its bounds name, or an integer range holding no integer); None otherwise
        (which does not prove a point exists: dependent bounds may still exclude every point)."""
        known: dict[str, tuple[float, float]] = {}
        for _ in range(len(self.ranges) + 1):
            for n, (lo, hi) in self.ranges.items():
                if n in known:
                    continue
                lo_n, hi_n = _resolve(lo, known, 0), _resolve(hi, known, 1)
                if lo_n is None or hi_n is None:
                    continue
                known[n] = (lo_n, hi_n)
                if lo_n > hi_n or lo_n == math.inf or hi_n == -math.inf:
                    return f"{n} in [{lo}, {hi}] is empty"
                if n in self.integers and math.isfinite(lo_n) and math.isfinite(hi_n):
                    if math.ceil(lo_n) > math.floor(hi_n):
                        return f"{n} in [{lo}, {hi}] holds no integer"
        return None


def _subs_name(e: Any, subs: Mapping[sympy.Symbol, Any]) -> Any:
    return e.subs(subs) if isinstance(e, sympy.Basic) else e


def _resolve(bound: Any, known: Mapping[str, tuple[float, float]], side: int) -> float | None:
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


# ------------------------------------------------------------------------------ assumptions from ranges
def _sign_of_bound(b: Any) -> int | None:
    """+1 if b > 0, 0 if b >= 0 (not known > 0), -1 if b < 0, -2 if b <= 0, None when unknown."""
    if b is oo or b is -oo or not isinstance(b, sympy.Basic):
        return None
    if b.is_positive:
        return 1
    if b.is_nonnegative:
        return 0
    if b.is_negative:
        return -1
    if b.is_nonpositive:
        return -2
    return None


def range_assumptions(name: str, dom: Domain, declared: sympy.Symbol | None = None) -> dict[str, bool]:
    """The sympy assumptions of the variable ``name`` on the domain: real, integer when declared so, the
    sign its range proves, and a sign the symbol was ``declared`` with only where the range agrees with
    it (declared positive with a lower bound >= 0 is the half-open range; declared positive with a
    negative lower bound is dropped: the stated range governs)."""
    lo, hi = dom.ranges[name]
    kw = {"real": True}
    if name in dom.integers or (declared is not None and declared.is_integer):
        kw["integer"] = True
    sl, sh = _sign_of_bound(lo), _sign_of_bound(hi)
    if declared is not None:
        if sl in (0, 1) and declared.is_positive:
            sl = 1
        if sh in (-1, -2) and declared.is_negative:
            sh = -1
    if sl == 1:
        kw["positive"] = True
    elif sl == 0:
        kw["nonnegative"] = True
    elif sh == -1:
        kw["negative"] = True
    elif sh == -2:
        kw["nonpositive"] = True
    return kw


def assume_domain(expr: sympy.Expr, dom: Domain) -> sympy.Expr:
    """``expr`` with each ranged variable replaced by a symbol of the same name that carries exactly the
    assumptions its range proves (:func:`range_assumptions`); unranged symbols keep their own."""
    expr = sympy.sympify(expr)
    reps = {
        s: sympy.Symbol(s.name, **range_assumptions(s.name, dom, s))
        for s in expr.free_symbols
        if isinstance(s, sympy.Symbol) and s.name in dom.ranges
    }
    return expr.xreplace(reps)


# ------------------------------------------------------------------------------ counterexamples
def in_domain(point: Mapping[str, Any], dom: Domain) -> bool:
    env = {n: _iv_of(v) for n, v in point.items()}
    for n, (lo, hi) in dom.ranges.items():
        try:
            lv = ieval(lo, env) if lo is not -oo else None
            hv = ieval(hi, env) if hi is not oo else None
        except Unsupported:
            return False
        if lv is not None and (_hi(lv) > _lo(env[n]) or (n in dom.open_lo and _hi(lv) >= _lo(env[n]))):
            return False
        if hv is not None and (_lo(hv) < _hi(env[n]) or (n in dom.open_hi and _lo(hv) <= _hi(env[n]))):
            return False
    return True
