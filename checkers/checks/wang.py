"""Checks specific to Wang & E 2025 (arXiv 2505.24205) that no generic check covers.

* ``routing_in_chart_of_tau_close`` (Thm 4.8 / Cor 4.9 / Thm 5.2 routing lemma): the hypothesis
  sup|tau - rho| < 1/(2E) is certified on the manifold (``certified_sup_error`` of the layer-1
  sub-network against rho), then the conclusion "the top-1 expert i* of every point has x in U_(i*)"
  is certified box by box: every candidate expert e of a box has <e_e, x> > 0 on the whole box
  (interval enclosure through the chart). A box that fails is probed; a point routed (exactly, on
  the rational enclosure of the chart) to an expert whose chart does not contain it is a FAIL.
* ``expert_path_count`` (Thm 5.2 / 5.3): distinct expert paths over a certified partition of the
  domain (never from samples). Dense layers (all experts identical, checked on the weights) count as
  one expert. Every certified box must lie in one piece and its routing experts must be that piece's;
  the leftover ambiguous boxes are closed by their candidate sets (each candidate path must be one
  already certified), which makes the count exact; otherwise it is only a lower bound (UNKNOWN).
* ``expert_counts_from_graph``: experts in all, experts active per input, and the tau-layer width
  condition m_1 = c E^2, all counted from the detailed graph (``constructions.wang_moe.moe_graph``).
* Experiments I and II (trained models) live in ``wang_trained``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import mpmath
import numpy as np

from checkers.certify import (
    bound_net,
    certified_partition,
    certified_sup_error,
    exact_path,
    route_count_bounds,
)
from checkers.checks._args import ClaimArgs, Construction, Expr
from checkers.checks._construct import build_construction, eval_formula
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext, register_check
from constructions import Built
from constructions.wang_moe import active_experts, moe_graph, prefix_net
from proofs import Claim, InvalidInput, Status
from proofs.formula import compile_target, exact_value


def _built(path: str, instance) -> Built:
    b = build_construction(path, instance)
    if not isinstance(b, Built):
        raise InvalidInput(f"{path!r} must return a Built")
    return b


@dataclass(frozen=True, kw_only=True)
class ChartRoutingArgs(ClaimArgs):
    """``routing_in_chart_of_tau_close``: a construction whose ``meta['routing']`` lists its routing blocks."""

    construction: Construction
    max_boxes: int = 512
    time_budget: float = 20.0


@dataclass(frozen=True, kw_only=True)
class PathCountArgs(ClaimArgs):
    """``expert_path_count``: distinct expert paths over a certified partition == ``n_paths``."""

    construction: Construction
    n_paths: Expr
    max_boxes: int = 1024
    time_budget: float = 20.0
    bound_key: ClassVar[str] = "n_paths"

    def stated(self) -> tuple[str, Any, Any]:
        return "eq", "expert_paths", self.n_paths


@dataclass(frozen=True, kw_only=True)
class ExpertCountsArgs(ClaimArgs):
    """``expert_counts_from_graph``: experts in all == ``total``, active per input == ``active``, and every
    tau layer's hidden width == ``tau_width`` when given."""

    construction: Construction
    total: Expr
    active: Expr
    tau_width: Expr | None = None
    bound_key: ClassVar[str] = "total"

    def stated(self) -> tuple[str, Any, Any]:
        return "eq", "experts", self.total


def _fr(v: mpmath.mpf) -> Fraction:
    """Exact value of an mpmath binary float (sign included)."""
    sign, man, exp, _ = v._mpf_
    q = Fraction(int(man)) * Fraction(2) ** int(exp)
    return -q if sign else q


def _chart_box(built: Built, point: tuple[Fraction, ...]) -> tuple[list[Fraction], list[Fraction]]:
    """Rational enclosure of chart(point) (60-digit mpmath intervals)."""

    if built.chart is None:
        return list(point), list(point)
    ends = [exact_value(c, built.variables, point) for c in built.chart]
    return [_fr(a) for a, _ in ends], [_fr(b) for _, b in ends]


def _dense_nodes(net) -> set[str]:
    """MoE nodes whose experts are all identical (a dense layer: its route is immaterial)."""
    out = set()
    for v in net.moe_nodes():
        ex = net.spec(v).experts
        if all(np.array_equal(w, w[:1].repeat(w.shape[0], 0)) for w in (*ex.weights, *ex.biases)):
            out.add(v)
    return out


# ------------------------------------------------------------------------------ routing lemma
def _tau_delta(built: Built, block: Mapping, ctx: CheckContext, budget: float):

    start, stop = block["tau_slice"]
    sub = Built(
        net=prefix_net(built.net, block["tau_node"], start, stop),
        target=block["rho"],
        variables=built.variables,
        domain_lo=built.domain_lo,
        domain_hi=built.domain_hi,
        chart=built.chart,
    )
    E = len(block["rho"])
    bound = math.nextafter(1.0 / (2 * E), 0.0)
    return certified_sup_error(
        sub, bound=bound, tol=0.05, time_budget=budget, device=ctx.device, seed=ctx.seed, max_boxes=1 << 12
    ), bound


@register_check("routing_in_chart_of_tau_close", args=ChartRoutingArgs)
def routing_in_chart_of_tau_close(
    claim: Claim, a: ChartRoutingArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:
    """sup|tau - rho| < 1/(2E) certified, and every routed point lies in its expert's chart domain.

    ``args``: construction (a Built whose ``meta['routing']`` lists tau node/slice, gate node, rho and the
    chart-domain expressions, expert e needing domain_e > 0), max_boxes, time_budget.
    """

    built = _built(a.construction, instance)
    blocks = built.meta.get("routing")
    if not blocks:
        raise InvalidInput(f"{a.construction!r} declares no routing blocks in meta['routing']")
    net = built.net
    budget = a.time_budget
    chart = compile_target(list(built.chart), built.variables) if built.chart is not None else None
    part = certified_partition(
        net, built.domain_lo, built.domain_hi, max_boxes=a.max_boxes, time_budget=budget, device=ctx.device, chart=chart
    )
    lo = np.concatenate([part.lo, part.ambiguous_lo])
    hi = np.concatenate([part.hi, part.ambiguous_hi])
    x_lo, x_hi = (lo, hi) if chart is None else chart.interval(lo, hi)
    cands = bound_net(net, x_lo, x_hi, device=ctx.device).candidates
    order = net.moe_nodes()
    deltas, extra, bad_total = [], {}, 0
    for k, block in enumerate(blocks):
        ctx.check_deadline()
        cert, bound = _tau_delta(built, block, ctx, budget)
        deltas.append(cert)
        dom = compile_target(list(block["domain"]), built.variables)
        d_lo, _ = dom.interval(lo, hi)  # (B, E): lower bound of <e_e, x> on each box
        c = cands[block["gate_node"]].cpu().numpy()
        ok = np.where(c, d_lo > 0, True).all(axis=1)
        margin = float(np.min(np.where(c, d_lo, np.inf)))
        extra[f"block{k + 1}"] = (
            f"sup|tau-rho| {'<=' if cert.status is Status.PROVED else '?'} {cert.upper:.4g} "
            f"(1/(2E) = {bound:.4g}, {cert.status}); min <e_i*, x> over boxes {margin:.4f}"
        )
        bad = np.nonzero(~ok)[0]
        bad_total += bad.size
        gi = order.index(block["gate_node"])
        for b in bad[:64]:
            # probe: exact route at interior sample points of the failing box
            for frac in (0.5, 0.25, 0.75, 0.125, 0.875):
                p = tuple(Fraction(float(v)) for v in lo[b] + frac * (hi[b] - lo[b]))
                xl, xh = _chart_box(built, p)
                path = exact_path(net, xl, xh)
                if path is None:
                    continue
                e = path[gi]
                _, s_hi = _exact_interval(block["domain"][e], built.variables, p)
                if s_hi <= 0:
                    ev = Evidence(
                        point=tuple(str(t) for t in p),
                        replay="exact rational route on the chart's enclosure; <e_i, x> by 60-digit intervals",
                        replayed_value=(str(e), str(e)),
                        extra={**extra, "expert": e, "<e_e, x> upper": float(s_hi)},
                    )
                    hyp = "held" if cert.status is Status.PROVED else "failed"
                    return Outcome(
                        Verdict.FAIL,
                        measured=float(s_hi),
                        bound=0.0,
                        sense="ge",
                        method="exact replay of a routed point",
                        why=f"point routed to expert {e} lies outside U_{e} (<e_{e}, x> <= {float(s_hi):.4g}); "
                        f"hypothesis sup|tau - rho| < 1/(2E) {hyp}",
                        evidence=ev,
                    )
    ev = Evidence(extra={**extra, "boxes": int(lo.shape[0]), "ambiguous_boxes": int(part.ambiguous_lo.shape[0])})
    method = f"tau: certified sup error vs rho; routing: {int(lo.shape[0])} boxes, candidate chart domains by intervals"
    proved = all(d.status is Status.PROVED for d in deltas) and bad_total == 0
    verdict = verdict_of(Status.PROVED if proved else Status.UNKNOWN)
    if verdict is Verdict.CERTIFIED:
        return Outcome(
            verdict,
            measured=max(d.upper for d in deltas),
            bound=bound,
            method=method,
            why="sup|tau - rho| < 1/(2E) and every candidate expert's chart contains its box",
            evidence=ev,
        )
    return Outcome(
        verdict,
        measured=max(d.upper for d in deltas),
        bound=bound,
        method=method,
        why=f"{bad_total} boxes undecided; tau statuses {[str(d.status) for d in deltas]}",
        evidence=ev,
    )


def _exact_interval(expr, variables, point) -> tuple[float, float]:

    lo, hi = exact_value(expr, variables, point)
    return float(_fr(lo)), float(_fr(hi))


# ------------------------------------------------------------------------------ E^L expert paths
def _piece_of_box(meta, lo: np.ndarray, hi: np.ndarray, domain_lo) -> tuple | None:
    """The piece (per block, 0-based) containing the closed box, or None when it straddles pieces."""
    out = []
    for l in range(meta["L"]):
        if meta["piece_kind"] == "cube":
            j = math.floor(lo[l])
            if hi[l] > j + 1:
                return None
            out.append(j)
        else:  # sector i: theta - c_i in [-pi/4, pi/4] (mod 2 pi)
            q = math.pi / 4
            j = math.floor((lo[l] + q) / (2 * q))
            if hi[l] > (2 * j + 1) * q:
                return None
            out.append(j % 4)
    return tuple(out)


@register_check("expert_path_count", args=PathCountArgs)
def expert_path_count(claim: Claim, a: PathCountArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Distinct expert paths over a certified partition == ``n_paths`` (sympy formula in the instance).

    ``args``: construction (meta: L, piece_kind, routing_nodes), n_paths, max_boxes, time_budget.
    """

    built = _built(a.construction, instance)
    net, meta = built.net, built.meta
    want = int(eval_formula(a.n_paths, instance))
    chart = compile_target(list(built.chart), built.variables) if built.chart is not None else None
    part = certified_partition(
        net,
        built.domain_lo,
        built.domain_hi,
        max_boxes=a.max_boxes,
        time_budget=a.time_budget,
        device=ctx.device,
        chart=chart,
    )
    order = net.moe_nodes()
    dense = _dense_nodes(net)
    keep = [i for i, v in enumerate(order) if v not in dense]
    routing = [order.index(v) for v in meta["routing_nodes"]]
    paths = {tuple(p[i] for i in keep) for p in part.paths}
    # each certified box inside one piece must be routed to that piece's experts
    for lo, hi, p in zip(part.lo, part.hi, part.paths):
        piece = _piece_of_box(meta, lo, hi, built.domain_lo)
        if piece is not None and tuple(p[i] for i in routing) != piece:
            pt = tuple(Fraction(float(v)) for v in (lo + hi) / 2)
            got = exact_path(net, *_chart_box(built, pt))
            return Outcome(
                Verdict.FAIL,
                measured=len(paths),
                bound=want,
                sense="eq",
                method="certified routing on a box inside one piece",
                why=f"box in piece {piece} is routed along {p}",
                evidence=Evidence(
                    point=tuple(str(t) for t in pt), replay="exact rational route", replayed_value=(str(got), str(got))
                ),
            )
    # closed-domain count (the forward's tie-breaking: routes taken only on faces or at ties count):
    # lower <= number of paths <= upper; exact when they meet
    lower, upper = route_count_bounds(net, part, keep=keep, chart=chart, device=ctx.device)
    n, top = len(lower), (len(upper) if upper is not None else None)
    closed = top is not None and top == n
    ev = Evidence(
        extra={
            "certified_boxes": int(part.lo.shape[0]),
            "ambiguous_boxes": int(part.ambiguous_lo.shape[0]),
            "dense_layers": sorted(dense),
            "paths_lower": n,
            "paths_upper": top if top is not None else "unbounded",
            "ambiguous_volume": round(part.ambiguous_fraction(np.array(built.domain_lo), np.array(built.domain_hi)), 6),
        }
    )
    method = (
        f"certified partition ({part.n_boxes} boxes, {part.method.upper()}); dense layers counted once; "
        f"closed-domain count: certified paths and exact routes at box vertices <= n <= candidate paths"
    )
    # lower <= the closed-domain path count <= upper
    status = (
        Status.REFUTED
        if n > want or (top is not None and top < want)
        else Status.PROVED
        if closed and n == want
        else Status.UNKNOWN
    )
    verdict = verdict_of(status)
    measured, why = n, f"{n} <= distinct paths <= {top if top is not None else 'unbounded'}: not closed"
    if verdict is Verdict.FAIL:
        measured, why = (n if n > want else top), f"{n} <= distinct expert paths <= {top}, claimed {want}"
    elif verdict is Verdict.CERTIFIED:
        why = f"exactly {n} distinct expert paths, each certified box routed to its own piece"
    return Outcome(verdict, measured=measured, bound=want, sense="eq", method=method, why=why, evidence=ev)


# ------------------------------------------------------------------------------ counts from the graph
@register_check("expert_counts_from_graph", args=ExpertCountsArgs)
def expert_counts_from_graph(
    claim: Claim, a: ExpertCountsArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:
    """Experts in all == ``total``, active per input == ``active`` and, when ``tau_width`` is given,
    every tau layer's hidden width minus its pass-through units == ``tau_width`` (formulas)."""
    built = _built(a.construction, instance)
    g = moe_graph(built.net)
    total, active = active_experts(built.net)
    want_t, want_a = int(eval_formula(a.total, instance)), int(eval_formula(a.active, instance))
    rows = {"experts": (total, want_t), "active": (active, want_a)}
    if a.tau_width is not None:
        want_w = int(eval_formula(a.tau_width, instance))
        for block in built.meta.get("routing", ()):
            v = block["tau_node"]
            lay = [
                d for _, d in g.nodes(data=True) if d["kind"] == "expert_layer" and d["moe"] == v and d["expert"] == 0
            ]
            hidden = lay[0]["fan_out"]
            n_pass = block["tau_slice"][0]  # signed pass-through outputs, 2 relu units each
            rows[f"tau width {v}"] = (hidden - 2 * n_pass, want_w)
    bad = {k: v for k, v in rows.items() if v[0] != v[1]}
    ev = Evidence(
        replay="counted from the detailed networkx graph", extra={k: f"{c} (formula {w})" for k, (c, w) in rows.items()}
    )
    if bad:
        return Outcome(
            Verdict.FAIL,
            measured=total,
            bound=want_t,
            sense="eq",
            method="graph count",
            why="; ".join(f"{k}: counted {c} != {w}" for k, (c, w) in bad.items()),
            evidence=ev,
        )
    return Outcome(
        Verdict.CERTIFIED,
        measured=total,
        bound=want_t,
        sense="eq",
        method="graph count",
        why="; ".join(f"{k} = {c}" for k, (c, _) in rows.items()),
        evidence=ev,
    )
