"""The definedness guard of the symbolic checks: a claim's formulas, as written, are real on its whole domain.

A formula given as text is kept as written (``proofs.formula.parse_formula_written``) next to the evaluated
expression the prover works on: sympy's construction-time rewrites (``x/x`` -> 1, ``exp(log(x))`` -> x) drop
the points where the written formula is undefined, and a claim is stated for every point of its domain.
Before a symbolic check proves anything, :func:`undefined_outcome` asks ``proofs.prover.prove_defined`` about
the written trees: refuted at an exact point is FAIL, undecided is UNKNOWN, proved lets the check run.

A formula given as a sympy object was evaluated when the module built it: its written tree is the object
itself (give a string to have a formula checked as written; ``docs/user-theorems.md``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from checkers.checks._args import ArgError, ClaimArgs
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext
from proofs import InvalidInput, Status
from proofs.formula import Condition, definedness_conditions, parse_formula_written
from proofs.prover import (
    Domain,
    Unsupported,
    assume_domain,
    condition_holds,
    domain_point,
    prove_defined,
    replay,
    sympify_arg,
)

__all__ = [
    "WrittenArgs",
    "argmax_undefined",
    "written",
    "declared_symbols",
    "fix_written",
    "undefined_outcome",
    "undefined_near",
    "check_ranges",
]

#: the keys whose text is kept as written (top level, and inside chain steps)
_WRITTEN_KEYS = ("lhs", "rhs", "expr", "argmax")
_STEP_KEYS = ("expr", "a", "b")


def _written_value(key: str, v: Any) -> Any:
    if not isinstance(v, str):
        return v
    try:
        return parse_formula_written(v)
    except InvalidInput as exc:
        raise ArgError(key, str(exc)) from None


class WrittenArgs:
    """A mixin of the symbolic argument classes: :meth:`parse` also keeps each formula given as text as written
    (unevaluated), read back by :func:`written`."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ClaimArgs:
        obj: ClaimArgs = super().parse(raw)  # type: ignore[misc]
        if obj is raw or not isinstance(raw, Mapping):
            return obj
        kept: dict[str, Any] = {k: _written_value(k, raw[k]) for k in _WRITTEN_KEYS if isinstance(raw.get(k), str)}
        steps = raw.get("steps")
        if isinstance(steps, (tuple, list)):
            kept["steps"] = tuple(
                {k: _written_value("steps", st[k]) for k in _STEP_KEYS if k in st} if isinstance(st, Mapping) else {}
                for st in steps
            )
        object.__setattr__(obj, "_written", kept)
        return obj


def written(args: Any, key: str, step: int | None = None) -> Any:
    """The formula ``key`` of ``args`` as written: the text's unevaluated tree, else the value given."""
    kept = getattr(args, "_written", {})
    if step is None:
        return kept.get(key, getattr(args, key))
    steps = kept.get("steps", ())
    given = args.steps[step].get(key)
    return steps[step].get(key, given) if step < len(steps) else given


def declared_symbols(args: Any) -> list[sympy.Symbol]:
    """The symbols of the claim's formulas (with the assumptions they were declared with)."""
    vals = [getattr(args, k, None) for k in _WRITTEN_KEYS]
    vals += [st.get(k) for st in getattr(args, "steps", ()) for k in _STEP_KEYS]
    out: dict[str, sympy.Symbol] = {}
    for v in vals:
        if isinstance(v, sympy.Basic):
            for s in v.free_symbols:
                if isinstance(s, sympy.Symbol):
                    out.setdefault(s.name, s)
    return list(out.values())


def fix_written(expr: Any, instance: Mapping[str, Any]) -> sympy.Basic:
    """The written tree with the instance's fixed values (by symbol name) put in, still unevaluated."""
    e = expr if isinstance(expr, sympy.Basic) else sympify_arg(expr)
    reps = {
        s: sympify_arg(instance[s.name])
        for s in e.free_symbols
        if s.name in instance and not isinstance(instance[s.name], (tuple, list))
    }
    if not reps:
        return e
    with sympy.evaluate(False):
        return e.xreplace(reps)


def check_ranges(ranges: Mapping[str, Any], integers: Sequence[str]) -> None:
    """An :class:`ArgError` for a stated range with no point: numeric ``lo > hi``, or an integer range holding no
    integer (a claim over an empty domain could not fail). ``lo == hi`` is one point."""
    for name, (lo, hi) in ranges.items():
        a, b = sympify_arg(lo), sympify_arg(hi)
        if not (isinstance(a, sympy.Basic) and isinstance(b, sympy.Basic) and a.is_number and b.is_number):
            continue
        if (a - b).is_positive is True or a is sympy.oo or b is -sympy.oo:
            raise ArgError(
                "ranges", f"{name!r}: lo={sympy.sstr(a)} > hi={sympy.sstr(b)}; expected lo <= hi (an empty range)"
            )
        if name in integers and a.is_finite and b.is_finite and sympy.ceiling(a) > sympy.floor(b):
            raise ArgError(
                "ranges", f"{name!r}: [{sympy.sstr(a)}, {sympy.sstr(b)}] holds no integer; expected an integer range"
            )


def _empty_outcome(dom: Domain, ctx: CheckContext) -> Outcome | None:
    """VACUOUS when the domain is shown empty (a claim over no point could not fail); UNKNOWN when no point of it
    is found; None when an exact point of it is found."""
    why = dom.empty_reason()
    if why is not None:
        return Outcome(
            Verdict.VACUOUS,
            method="domain bounds",
            why=f"the domain is empty ({why}): the claim holds vacuously and could not have failed",
        )
    if dom.ranges and domain_point(dom, ctx.seed) is None:
        return Outcome(Verdict.UNKNOWN, method="domain search", why="no point of the domain found: it may be empty")
    return None


def undefined_outcome(
    exprs: Sequence[Any],
    dom: Domain,
    instance: Mapping[str, Any],
    ctx: CheckContext,
    *,
    what: str = "the claim",
    identity: bool = False,
) -> Outcome | None:
    """None when the domain has a point and the written ``exprs`` are proved real on it; else the VACUOUS (empty
    domain), FAIL (an exact point where one is undefined) or UNKNOWN outcome the check returns instead of a
    proof about sympy's rewritten form.

    A relation with an undefined side does not hold there. For an ``identity`` (``exprs`` = its two sides) two
    sides undefined at the same point agree there (equality of partial functions): the witness of a FAIL is a
    point where one side is undefined and the other is proved defined."""
    empty = _empty_outcome(dom, ctx)
    if empty is not None:
        return empty
    trees = [fix_written(e, instance) for e in exprs if e is not None]
    groups = [[t] for t in trees] if identity else [trees]
    unknown = None
    for k, group in enumerate(groups):
        proof = prove_defined(group, dom, seed=ctx.seed, deadline=ctx.check_deadline)
        if proof.status is Status.REFUTED and identity and not _defined_at(trees[1 - k], proof.point or {}):
            proof = dataclasses.replace(proof, status=Status.UNKNOWN, method=proof.method + " (so is the other side)")
        if proof.status is Status.REFUTED:
            pt = tuple(f"{k}={v}" for k, v in (proof.point or {}).items())
            return Outcome(
                verdict_of(proof.status),
                method=proof.method,
                why=f"{what} is not defined at {', '.join(pt) or 'its instance'} ({proof.method})",
                evidence=Evidence(point=pt or None, replay="interval arithmetic, 170 bits, or exact, at the point"),
            )
        if proof.status is Status.UNKNOWN and unknown is None:
            unknown = proof
    if unknown is None:
        return None
    return Outcome(
        Verdict.UNKNOWN,
        method=unknown.method,
        why=f"{what}: formulas not proved defined on the domain ({unknown.method})",
    )


def _defined_at(tree: sympy.Basic, point: Mapping[str, Any]) -> bool:
    """Whether the written tree is proved real at the exact point (strict 170-bit interval evaluation)."""
    try:
        replay(tree, point)
        return True
    except (Unsupported, ArithmeticError, ValueError, KeyError):
        return False


def undefined_near(a: Any, instance: Mapping[str, Any], x: sympy.Symbol, point, dom: Domain) -> str | None:
    """None when expr, as written, is proved real near the point (on a punctured neighbourhood, on the side(s)
    approached) for every value of the other symbols; else why not. A condition g > 0 (>= 0, != 0) holds near
    the point when the limit of g there is > 0 (or +oo; != 0 for a nonzero condition), or when sympy's
    assumptions give it outright; a polynomial in x that is not identically 0 is nonzero on a punctured
    neighbourhood of a finite point."""
    w = fix_written(written(a, "expr"), instance)
    with sympy.evaluate(False):
        for sub in a.substitutions:
            w = w.xreplace({s: sympify_arg(v) for s in w.free_symbols for k, v in sub.items() if s.name == k})
        w = w.xreplace({s: x for s in w.free_symbols if s.name == a.var})
    for c in definedness_conditions([w]):
        g = assume_domain(c.arg.xreplace({s: x for s in c.arg.free_symbols if s.name == a.var}), dom)
        if not _holds_near(c.kind, g, x, point, a.direction, dom):
            return f"expr as written is not proved real near {a.var} -> {sympy.sstr(point)}: {c.describe()}"
    return None


def _isolated_zeros(g, x, dom: Domain) -> bool:
    """g is a polynomial in x that is not the zero polynomial for any value of the other symbols on the
    domain (one coefficient proved nonzero everywhere), so its zeros in x are isolated. Not enough: 'g is
    not identically zero' (d = 1 makes (d**2 - 1) x + d - 1 vanish for every x: review finding)."""
    if not g.is_polynomial(x):
        return False
    try:
        coeffs = sympy.Poly(g, x).all_coeffs()
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        return False
    return any(condition_holds(Condition("nonzero", k, k), dom) for k in coeffs)


def _holds_near(kind: str, g, x, point, direction: str, dom: Domain) -> bool:
    kind = "pos" if kind == "pow" else kind  # a power with a symbolic exponent: a positive base
    if kind == "pos" and g.is_positive or kind == "nonneg" and g.is_nonnegative or kind == "nonzero" and g.is_nonzero:
        return True
    if kind == "opaque":
        return False
    if not g.has(x):  # a condition on the other symbols: on their whole domain
        return condition_holds(Condition(kind, g, g), dom)
    if kind == "natural":
        return False
    c, h = sympy.factor_terms(g).as_independent(x, as_Add=False)
    if c != 1 and kind in ("pos", "nonneg", "nonzero"):  # g = c h, c free of x: the sign of c, then of h near
        sign_ok = {"pos": c.is_positive, "nonneg": c.is_nonnegative, "nonzero": c.is_nonzero}[kind]
        return (sign_ok is True or condition_holds(Condition(kind, c, c), dom)) and _holds_near(
            kind, h, x, point, direction, dom
        )
    probe = {"unit": 1 - g**2}.get(kind, g)
    try:
        sides = ["+", "-"] if point not in (sympy.oo, -sympy.oo) and direction == "+-" else [direction]
        lims = [sympy.limit(probe, x, point) if point in (sympy.oo, -sympy.oo) else sympy.limit(probe, x, point, d)
                for d in sides]  # fmt: skip
    except (NotImplementedError, ValueError, TypeError):
        return False
    for lim in lims:
        if lim is sympy.oo or lim.is_positive is True:
            continue
        if kind == "nonzero" and (lim is -sympy.oo or lim.is_negative is True):
            continue
        if kind == "nonzero" and point not in (sympy.oo, -sympy.oo) and _isolated_zeros(g, x, dom):
            continue  # isolated zeros: nonzero on a punctured neighbourhood
        return False
    return True


def argmax_undefined(a: Any, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome | None:
    """The definedness guard of an argmax claim: expr and argmax real for var > 0 and the other symbols' ranges."""
    others = {n: r for n, r in a.ranges.items() if n != a.var}
    fixed = {k: v for k, v in instance.items() if k in others}
    dom = Domain.from_args({**others, a.var: (0, "oo")}, (), fixed, [sympy.Symbol(a.var, positive=True)])
    trees = []
    for key in ("expr", "argmax"):
        t = written(a, key)
        t = t if isinstance(t, sympy.Basic) else sympify_arg(t)
        pos = {s: sympy.Symbol(a.var, positive=True) for s in t.free_symbols if s.name == a.var}
        with sympy.evaluate(False):
            trees.append(t.xreplace(pos))
    return undefined_outcome(trees, dom, instance, ctx)
