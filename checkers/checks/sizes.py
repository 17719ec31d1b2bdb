"""Size checks: counts taken from the built network against a claimed formula.

``size_formula`` args:
    construction: dotted path of the builder (returns a Built or a Net).
    quantity: a field of :class:`constructions.NetSizes` (n_params, n_experts, params_per_expert,
        routing_path_params, active_params, depth, width, n_moe_layers) or a key of ``Built.meta``.
    formula: sympy expression in the instance parameters (explicit constants, never O(.)).
    relation: 'le' (count <= formula), 'ge' or 'eq'.
A count is an exact integer and the formula is evaluated exactly, so the verdict is CERTIFIED or FAIL
(the witness is the instance itself: the network can be rebuilt and recounted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import sympy

from checkers.checks._args import ClaimArgs, Construction, Expr
from checkers.checks._construct import build_construction, eval_formula
from checkers.checks._outcome import Evidence, Outcome, Verdict
from checkers.checks._registry import CheckContext, register_check
from constructions import Built, MoE, count_sizes
from proofs import Claim, InvalidInput

_REL = {"le": (lambda a, b: a <= b, "<="), "ge": (lambda a, b: a >= b, ">="), "eq": (lambda a, b: a == b, "==")}


def counted_quantity(built, quantity: str) -> int:
    """The named size of the built network (counted from its graph), ``expert_width`` (the widest expert of
    any MoE layer) or a count in ``Built.meta``."""
    net = built.net if isinstance(built, Built) else built
    if quantity == "expert_width":  # the widest expert of any MoE layer (H_{l,m}: every expert has width <= m)
        widths = [spec.experts.width for v in net.order if isinstance(spec := net.spec(v), MoE)]
        if not widths:
            raise InvalidInput("quantity 'expert_width': the network has no MoE layer")
        return max(widths)
    sizes = count_sizes(net).as_dict()
    if quantity in sizes:
        return sizes[quantity]
    if isinstance(built, Built) and quantity in built.meta:
        return built.meta[quantity]
    raise InvalidInput(f"quantity {quantity!r} is not a size of the network; expected one of {sorted(sizes)}")


@dataclass(frozen=True, kw_only=True)
class SizeFormulaArgs(ClaimArgs):
    """``size_formula``: a size counted from the built network against a formula."""

    construction: Construction
    quantity: str
    formula: Expr
    relation: Literal["le", "ge", "eq"] = "le"
    bound_key: ClassVar[str] = "formula"

    def stated(self) -> tuple[str, Any, Any]:
        return self.relation, self.quantity, self.formula


@register_check("size_formula", args=SizeFormulaArgs)
def size_formula(claim: Claim, a: SizeFormulaArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    relation = a.relation
    built = build_construction(a.construction, instance)
    count = counted_quantity(built, a.quantity)
    rhs = eval_formula(a.formula, instance)
    holds_fn, sym = _REL[relation]
    holds = holds_fn(sympy.Integer(count), rhs)
    if holds not in (sympy.true, sympy.false, True, False):
        return Outcome(
            Verdict.UNKNOWN,
            measured=count,
            bound=float(rhs),
            sense=relation,
            method="exact comparison",
            why=f"sympy could not decide {count} {sym} {rhs}",
        )
    ok = bool(holds)
    method = f"counted from the built network: {a.quantity} = {count}"
    why = f"{count} {sym} {a.formula} = {rhs}" if ok else f"{count} {sym} {rhs} is false"
    return Outcome(
        Verdict.CERTIFIED if ok else Verdict.FAIL,
        measured=count,
        bound=float(rhs),
        sense=relation,
        method=method,
        why=why,
        evidence=Evidence(
            replay="exact integer count of the rebuilt network",
            replayed_value=(str(count), str(count)),
            extra={"formula": str(a.formula), "formula_value": str(rhs)},
        ),
    )
