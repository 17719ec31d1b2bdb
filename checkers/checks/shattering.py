"""K3's two readings against a constructive shattering (``_shatter``): (W/2) n points in R^n shattered
by one ReLU layer of width W (an MoMLP with L = 1 expert, J = 1 hidden layer).

``vc_constructive_shattering`` args: ``bound`` (sympy, in ``n_in``, ``W`` (width), ``L``, ``J``,
``n_weights`` and ``layers`` of the shattering network), ``relation``:

* ``'exceeds'`` (a finding: the reading is refuted): CERTIFIED when the N shattered points exceed the
  bound (every labelling is realised by the construction; its preconditions are checked exactly and
  labellings are replayed in rationals), FAIL otherwise;
* ``'le'`` (the reading survives this test): PASS-EMPIRICAL when N <= bound (a lower bound cannot
  certify an upper bound), FAIL when N > bound (refuted by the shattered set).
Instance: ``n_in``, ``W``, ``L`` = ``J`` = 1, optional ``replays``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import sympy

from checkers.checks._args import ClaimArgs, Expr
from checkers.checks._construct import eval_formula
from checkers.checks._outcome import Evidence, Outcome, Verdict
from checkers.checks._registry import CheckContext, register_check
from checkers.checks._shatter import classify as classify
from checkers.checks._shatter import inverse_exact as inverse_exact
from checkers.checks._shatter import ramp_bound as ramp_bound
from checkers.checks._shatter import realise_labelling as realise_labelling
from checkers.checks._shatter import shattered_by_construction as shattered_by_construction
from checkers.checks._shatter import shattering_points as shattering_points
from proofs import Claim, InvalidInput

__all__ = [
    "vc_constructive_shattering",
    "classify",
    "inverse_exact",
    "ramp_bound",
    "realise_labelling",
    "shattered_by_construction",
    "shattering_points",
]


@dataclass(frozen=True, kw_only=True)
class ShatteringArgs(ClaimArgs):
    """``vc_constructive_shattering``: ``bound`` in n_in, W, L, J, n_weights, layers; ``relation``
    'le' (the reading survives: N <= bound) or 'exceeds' (a finding: N > bound refutes the reading)."""

    bound: Expr
    relation: Literal["le", "exceeds"] = "le"
    bound_key: ClassVar[str] = "bound"

    def stated(self) -> tuple[str, Any, Any] | None:
        return ("le", "VCdim", self.bound) if self.relation == "le" else None


@register_check("vc_constructive_shattering", args=ShatteringArgs)
def vc_constructive_shattering(
    claim: Claim, a: ShatteringArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:
    n, W = int(instance["n_in"]), int(instance["W"])
    if int(instance.get("L", 1)) != 1 or int(instance.get("J", 1)) != 1 or n < 1 or W < 2 or W % 2:
        raise InvalidInput(f"instance {dict(instance)}: the construction needs L = J = 1, n >= 1 and an even W >= 2")
    rel = a.relation
    res = shattered_by_construction(n, W, seed=ctx.seed, replays=int(instance.get("replays", 2)))
    if not res["replays_ok"]:
        return Outcome(
            Verdict.ERROR,
            method="constructive shattering",
            why="the construction did not realise a replayed labelling: the construction is wrong",
        )
    N = res["N"]
    vals = {**instance, "n_weights": res["n_weights"], "layers": 2}
    b = eval_formula(a.bound, vals)
    bf = float(b)
    facts = (
        f"{N} = (W/2) n points shattered by one ReLU layer of width {W} ({res['n_weights']} weights) in R^{n}; "
        f"bound {a.bound} = {bf:.4g}"
    )
    method = (
        f"constructive: every labelling realised by ramps of ReLU pairs (preconditions exact: "
        f"{W // 2} group matrices inverted in rationals, M = {res['M']} >= 2 (H + 1), H = {res['H']:.4g}); "
        f"{res['replayed']} labellings replayed in exact rationals"
    )
    ev = Evidence(
        seed=ctx.seed,
        replay="exact rationals",
        extra={"N": N, "M": str(res["M"]), "H": res["H"], "n_weights": res["n_weights"]},
    )
    exceeds = bool(sympy.Integer(N) > b)
    if rel == "exceeds":
        return Outcome(
            Verdict.CERTIFIED if exceeds else Verdict.FAIL,
            measured=N,
            bound=bf,
            sense="ge",
            method=method,
            evidence=ev,
            why=(
                "VCdim >= N > bound: this reading is refuted; "
                if exceeds
                else "N does not exceed the bound: this reading is not refuted here; "
            )
            + facts,
        )
    if exceeds:
        return Outcome(
            Verdict.FAIL,
            measured=N,
            bound=bf,
            method=method,
            evidence=ev,
            why="the shattered set is larger than the bound: " + facts,
        )
    return Outcome(
        Verdict.PASS_EMPIRICAL,
        measured=N,
        bound=bf,
        method=method,
        evidence=ev,
        why=f"consistent: the constructive lower bound {N} <= {bf:.4g} (an upper bound is not certified by a "
        f"lower bound; log2 slack {math.log2(bf / N):.2f}); " + facts,
    )
