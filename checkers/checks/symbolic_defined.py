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

from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from checkers.checks._args import ArgError, ClaimArgs
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext
from proofs import InvalidInput, Status
from proofs.formula import parse_formula_written
from proofs.prover import Domain, prove_defined, sympify_arg

__all__ = ["WrittenArgs", "written", "fix_written", "undefined_outcome"]

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


def undefined_outcome(
    exprs: Sequence[Any], dom: Domain, instance: Mapping[str, Any], ctx: CheckContext, *, what: str = "the claim"
) -> Outcome | None:
    """None when the written ``exprs`` are proved real on ``dom``; else the FAIL (an exact point where one is
    undefined) or UNKNOWN outcome the check returns instead of a proof about sympy's rewritten form."""
    trees = [fix_written(e, instance) for e in exprs if e is not None]
    proof = prove_defined(trees, dom, seed=ctx.seed, deadline=ctx.check_deadline)
    if proof.status is Status.PROVED:
        return None
    if proof.status is Status.REFUTED:
        pt = tuple(f"{k}={v}" for k, v in (proof.point or {}).items())
        return Outcome(
            verdict_of(proof.status),
            method=proof.method,
            why=f"{what} is not defined at {', '.join(pt) or 'its instance'} ({proof.method})",
            evidence=Evidence(point=pt or None, replay="interval arithmetic, 170 bits, or exact, at the exact point"),
        )
    return Outcome(
        Verdict.UNKNOWN, method=proof.method, why=f"{what}: formulas not proved defined on the domain ({proof.method})"
    )
