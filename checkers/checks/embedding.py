"""``params_grow_only_in_input_layer``: as the ambient dimension D grows, only the input layer grows.

The construction is built at every D in the instance's ``values``; parameters are counted per MoE layer
from the graph (gate + experts). CERTIFIED when every layer after the first has the same count at every
D and the first layer's count is affine in D (a + b D, b > 0: one weight per input row and coordinate);
FAIL otherwise, with the layer and the values that differ (exact integer counts: the witness is the
instance itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checkers.checks._args import ClaimArgs, Construction
from checkers.checks._construct import build_construction
from checkers.checks._outcome import Evidence, Outcome, Verdict
from checkers.checks._registry import CheckContext, register_check
from constructions import MoE
from proofs import Claim, InvalidInput

__all__ = ["params_grow_only_in_input_layer", "layer_params"]


def layer_params(net) -> list[int]:
    """Parameters of each MoE layer of ``net`` (gate weights and bias + every expert's weights and biases)."""
    out = []
    for v in net.order:
        spec = net.spec(v)
        if isinstance(spec, MoE):
            ex = spec.experts
            out.append(spec.router.n_params + sum(w.size for w in ex.weights) + sum(b.size for b in ex.biases))
    return out


@dataclass(frozen=True, kw_only=True)
class GrowthArgs(ClaimArgs):
    """``params_grow_only_in_input_layer``: ``construction`` built at every ``param`` value in the instance's ``values``."""  # noqa: E501

    construction: Construction
    param: str = "D"


@register_check("params_grow_only_in_input_layer", args=GrowthArgs)
def params_grow_only_in_input_layer(
    claim: Claim, a: GrowthArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:
    values = tuple(instance.get("values", ()))
    if len(values) < 3:
        raise InvalidInput(f"instance values={values!r}: need at least three {a.param} values")
    base = {k: v for k, v in instance.items() if k != "values"}
    counts = []
    for v in values:
        counts.append(layer_params(build_construction(a.construction, {**base, a.param: v}).net))
        ctx.check_deadline()
    later_same = all(c[1:] == counts[0][1:] for c in counts)
    first = [c[0] for c in counts]
    slope = (first[1] - first[0]) / (values[1] - values[0])
    affine = slope > 0 and all(f - first[0] == slope * (v - values[0]) for f, v in zip(first, values))
    table = {str(v): c for v, c in zip(values, counts)}
    ok = later_same and affine
    why = (
        f"per-layer parameters at {a.param} = {list(values)}: {table}; input layer {first[0]} + {slope:g} per unit of "
        f"{a.param}, later layers {'unchanged' if later_same else 'CHANGE'}"
    )
    return Outcome(
        Verdict.CERTIFIED if ok else Verdict.FAIL,
        measured=slope,
        bound=None,
        sense="eq",
        method="exact parameter counts per MoE layer of the built networks",
        why=why if ok else "a layer other than the input layer grows with " + a.param + ": " + why,
        evidence=Evidence(replay="exact integer counts of the rebuilt networks", extra={"counts": table}),
        slack_kind="none",
        slack_note="a structural property (exact counts): no constant to tighten",
    )
