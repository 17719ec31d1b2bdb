"""Exact point checks: the error of a construction at one rational point, in exact arithmetic.

``exact_point_error`` args:
    construction: dotted path of the builder (returns a Built with an identity chart).
    point: tuple of sympy expressions in the instance parameters (rational coordinates).
    expected: sympy expression of the error target(point) - net(point) (output 0).
    relation: 'eq' (default), 'ge' or 'le'.
The network is evaluated in rationals (float64 weights are dyadic rationals); a rational target is
evaluated by sympy exactly. An exact equality at a point proves that the sup error is at least that
value, which pairs with a certified upper bound to pin the sup down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Literal

import sympy

from checkers.checks._args import ClaimArgs, Construction, Expr
from checkers.checks._construct import build_construction, eval_formula
from checkers.checks._outcome import Evidence, Outcome, Verdict
from checkers.checks._registry import CheckContext, register_check
from constructions import evaluate_exact
from proofs import Claim, InvalidInput
from proofs.formula import exact_floats


def exact_error_at(built, point: tuple[sympy.Rational, ...], output: int = 0) -> sympy.Expr:
    """target(point) - net(point) exactly (the point must be rational, the chart the identity)."""
    if built.chart is not None:
        raise InvalidInput("exact_point_error needs an identity chart")
    net_val = evaluate_exact(built.net, [Fraction(int(p.p), int(p.q)) for p in point])[output]
    tgt = built.target[output].subs(dict(zip(built.variables, point)))
    # a Float in the target means its exact binary value (never a 'nice' nsimplified rational)
    return exact_floats(tgt) - sympy.Rational(net_val.numerator, net_val.denominator)


@dataclass(frozen=True, kw_only=True)
class ExactPointArgs(ClaimArgs):
    """``exact_point_error``: the error target(point) - net(point) at one rational point, exactly."""

    construction: Construction
    point: tuple[Expr, ...]
    expected: Expr
    relation: Literal["eq", "ge", "le"] = "eq"
    bound_key: ClassVar[str] = "expected"

    def stated(self) -> tuple[str, Any, Any]:
        return self.relation, "f(x) - F(x)", self.expected


@register_check("exact_point_error", args=ExactPointArgs)
def exact_point_error(claim: Claim, a: ExactPointArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    built = build_construction(a.construction, instance)
    point = tuple(eval_formula(p, instance) for p in a.point)
    if not all(p.is_Rational for p in point):
        raise InvalidInput(f"point {point} must be rational for an exact replay")
    err = exact_error_at(built, point)
    if not err.is_Rational:
        return Outcome(Verdict.UNKNOWN, method="exact evaluation", why=f"the error {err} is not rational: not decided")
    expected = eval_formula(a.expected, instance)
    relation = a.relation
    holds = {"eq": err == expected, "ge": err >= expected, "le": err <= expected}[relation]
    ok = bool(holds)
    shown = ", ".join(str(p) for p in point)
    return Outcome(
        Verdict.CERTIFIED if ok else Verdict.FAIL,
        measured=float(err),
        bound=float(expected),
        sense=relation,
        method="exact rational evaluation of the network and the target",
        why=f"error at x=({shown}) is exactly {err}" + ("" if ok else f", not {relation} {expected}"),
        evidence=Evidence(
            point=tuple(str(p) for p in point), replay="exact rational", replayed_value=(str(err), str(err))
        ),
    )
