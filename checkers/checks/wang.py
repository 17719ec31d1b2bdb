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
* ``wang_experiment_i`` / ``wang_experiment_ii``: Experiments I and II as trained models
  (PASS-EMPIRICAL at best, never CERTIFIED), side by side with the paper's reported numbers.
"""

from __future__ import annotations

import itertools
import math
import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Mapping

import mpmath
import numpy as np

from checkers.certify import (
    bound_net,
    certified_partition,
    certified_sup_error,
    exact_path,
)
from checkers.checks._construct import build_construction, eval_formula
from checkers.checks._args import ClaimArgs, Construction, Expr
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext, register_check
from checkers.checks.rates import plot_png
from constructions import Built
from constructions.trained import training_env
from constructions.trained.wang_train import TrainSetup, train_experiment_i, train_experiment_ii
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


@dataclass(frozen=True, kw_only=True)
class ExperimentIArgs(ClaimArgs):
    """``wang_experiment_i``: trained error flat in D (max/min <= ``ratio``); ``paper_error`` is shown."""

    paper_error: float = 3.4e-4
    ratio: float = 3.0


@dataclass(frozen=True, kw_only=True)
class ExperimentIIArgs(ClaimArgs):
    """``wang_experiment_ii``: ``paper`` (arch -> {m: error}, shown), ``min_gain`` (the 2-3-MoE falls at least
    this factor), ``max_plateau_gain`` (the 1-6-MoE falls at most this factor over the m range)."""

    paper: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    min_gain: float = 2.0
    max_plateau_gain: float = 4.0


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
    sub = Built(net=prefix_net(built.net, block["tau_node"], start, stop), target=block["rho"],
                variables=built.variables, domain_lo=built.domain_lo, domain_hi=built.domain_hi, chart=built.chart)
    E = len(block["rho"])
    bound = math.nextafter(1.0 / (2 * E), 0.0)
    return certified_sup_error(sub, bound=bound, tol=0.05, time_budget=budget, device=ctx.device, seed=ctx.seed,
                               max_boxes=1 << 12), bound


@register_check("routing_in_chart_of_tau_close", args=ChartRoutingArgs)
def routing_in_chart_of_tau_close(claim: Claim, a: ChartRoutingArgs, instance: Mapping[str, Any],
                                  ctx: CheckContext) -> Outcome:
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
    part = certified_partition(net, built.domain_lo, built.domain_hi, max_boxes=a.max_boxes,
                               time_budget=budget, device=ctx.device, chart=chart)
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
        extra[f"block{k + 1}"] = (f"sup|tau-rho| {'<=' if cert.status is Status.PROVED else '?'} {cert.upper:.4g} "
                                  f"(1/(2E) = {bound:.4g}, {cert.status}); min <e_i*, x> over boxes {margin:.4f}")
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
                    ev = Evidence(point=tuple(str(t) for t in p), replay="exact rational route on the chart's "
                                  "enclosure; <e_i, x> by 60-digit intervals", replayed_value=(str(e), str(e)),
                                  extra={**extra, "expert": e, "<e_e, x> upper": float(s_hi)})
                    hyp = "held" if cert.status is Status.PROVED else "failed"
                    return Outcome(Verdict.FAIL, measured=float(s_hi), bound=0.0, sense="ge",
                                   method="exact replay of a routed point",
                                   why=f"point routed to expert {e} lies outside U_{e} (<e_{e}, x> <= {float(s_hi):.4g}); "
                                       f"hypothesis sup|tau - rho| < 1/(2E) {hyp}", evidence=ev)
    ev = Evidence(extra={**extra, "boxes": int(lo.shape[0]), "ambiguous_boxes": int(part.ambiguous_lo.shape[0])})
    method = f"tau: certified sup error vs rho; routing: {int(lo.shape[0])} boxes, candidate chart domains by intervals"
    proved = all(d.status is Status.PROVED for d in deltas) and bad_total == 0
    verdict = verdict_of(Status.PROVED if proved else Status.UNKNOWN)
    if verdict is Verdict.CERTIFIED:
        return Outcome(verdict, measured=max(d.upper for d in deltas), bound=bound, method=method,
                       why="sup|tau - rho| < 1/(2E) and every candidate expert's chart contains its box", evidence=ev)
    return Outcome(verdict, measured=max(d.upper for d in deltas), bound=bound, method=method,
                   why=f"{bad_total} boxes undecided; tau statuses {[str(d.status) for d in deltas]}", evidence=ev)


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
    part = certified_partition(net, built.domain_lo, built.domain_hi, max_boxes=a.max_boxes,
                               time_budget=a.time_budget, device=ctx.device, chart=chart)
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
            return Outcome(Verdict.FAIL, measured=len(paths), bound=want, sense="eq",
                           method="certified routing on a box inside one piece",
                           why=f"box in piece {piece} is routed along {p}",
                           evidence=Evidence(point=tuple(str(t) for t in pt), replay="exact rational route",
                                             replayed_value=(str(got), str(got))))
    # close the count: every candidate path of an ambiguous box must already be certified
    closed = True
    if part.ambiguous_lo.shape[0]:
        xl, xh = (part.ambiguous_lo, part.ambiguous_hi) if chart is None else \
            chart.interval(part.ambiguous_lo, part.ambiguous_hi)
        cands = bound_net(net, xl, xh, device=ctx.device).candidates
        sets = [cands[order[i]].cpu().numpy() for i in keep]
        for b in range(part.ambiguous_lo.shape[0]):
            for combo in itertools.product(*[np.nonzero(s[b])[0].tolist() for s in sets]):
                if tuple(combo) not in paths:
                    closed = False
                    break
            if not closed:
                break
    n = len(paths)
    ev = Evidence(extra={"certified_boxes": int(part.lo.shape[0]), "ambiguous_boxes": int(part.ambiguous_lo.shape[0]),
                         "dense_layers": sorted(dense), "closed_by_candidates": closed,
                         "ambiguous_volume": round(part.ambiguous_fraction(np.array(built.domain_lo),
                                                                           np.array(built.domain_hi)), 6)})
    method = (f"certified partition ({part.n_boxes} boxes, {part.method.upper()}); dense layers counted once; "
              f"ambiguous boxes closed by candidate sets")
    # n is a certified lower bound of the path count, exact when the candidate sets close it
    status = Status.REFUTED if n > want or (closed and n != want) else \
        Status.PROVED if closed and n == want else Status.UNKNOWN
    verdict = verdict_of(status)
    if verdict is Verdict.FAIL:
        return Outcome(verdict, measured=n, bound=want, sense="eq", method=method,
                       why=f"{n} distinct expert paths {'certified' if closed else '(a certified lower bound)'}, "
                           f"claimed {want}", evidence=ev)
    if verdict is Verdict.CERTIFIED:
        return Outcome(verdict, measured=n, bound=want, sense="eq", method=method,
                       why=f"exactly {n} distinct expert paths, each certified box routed to its own piece",
                       evidence=ev)
    return Outcome(verdict, measured=n, bound=want, sense="eq", method=method,
                   why=f"{n} paths certified so far (lower bound); ambiguous boxes not closed", evidence=ev)


# ------------------------------------------------------------------------------ counts from the graph
@register_check("expert_counts_from_graph", args=ExpertCountsArgs)
def expert_counts_from_graph(claim: Claim, a: ExpertCountsArgs, instance: Mapping[str, Any],
                             ctx: CheckContext) -> Outcome:
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
            lay = [d for _, d in g.nodes(data=True) if d["kind"] == "expert_layer" and d["moe"] == v
                   and d["expert"] == 0]
            hidden = lay[0]["fan_out"]
            n_pass = block["tau_slice"][0]  # signed pass-through outputs, 2 relu units each
            rows[f"tau width {v}"] = (hidden - 2 * n_pass, want_w)
    bad = {k: v for k, v in rows.items() if v[0] != v[1]}
    ev = Evidence(replay="counted from the detailed networkx graph",
                  extra={k: f"{c} (formula {w})" for k, (c, w) in rows.items()})
    if bad:
        return Outcome(Verdict.FAIL, measured=total, bound=want_t, sense="eq", method="graph count",
                       why="; ".join(f"{k}: counted {c} != {w}" for k, (c, w) in bad.items()), evidence=ev)
    return Outcome(Verdict.CERTIFIED, measured=total, bound=want_t, sense="eq", method="graph count",
                   why="; ".join(f"{k} = {c}" for k, (c, _) in rows.items()), evidence=ev)


# ------------------------------------------------------------------------------ experiments
def _budget(ctx: CheckContext, quick: int, full: int) -> int:
    return quick if ctx.profile == "quick" else full


@register_check("wang_experiment_i", args=ExperimentIArgs)
def wang_experiment_i(claim: Claim, a: ExperimentIArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Exp I: one trained MoE layer (4 experts, width 10) on the circle in R^D; error flat in D.

    ``args``: paper_error (3.4e-4), ratio (max/min allowed across D); instance: Ds, steps, seed.
    """

    Ds = tuple(instance.get("Ds", (16, 32, 64, 128)))
    steps = int(instance.get("steps", _budget(ctx, 600, 2000)))
    setup = TrainSetup("ours", steps=steps, lr=1e-2, schedule="cosine", gate="st", init="he")
    res = [train_experiment_i(D, setup=setup, seed=ctx.seed + int(instance.get("seed", 0)), device=ctx.device)
           for D in Ds]
    errs = [r["test_mse"] for r in res]
    ratio = max(errs) / min(errs)
    paper = a.paper_error
    allowed = a.ratio

    def draw(ax):
        ax.semilogy(Ds, errs, "o-", label=f"ours ({steps} steps, CPU)")
        ax.semilogy(Ds, [paper] * len(Ds), "k--", label="paper [secondary]: 3.4e-4")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("ambient dimension D")
        ax.set_ylabel("test MSE")
        ax.set_title("Wang & E Exp. I: error vs D")
        ax.legend(fontsize=7)

    fig = plot_png(ctx.out_dir, "wang_e2025_exp1_error_vs_D.png", draw)
    ev = Evidence(seed=ctx.seed, extra={**{f"D={D}": f"ours {e:.3g} | paper {paper:.2g}" for D, e in zip(Ds, errs)},
                                        "steps": steps, "max/min": round(ratio, 3), **res[0]["env"]})
    method = (f"trained (Adam, lr 1e-2 cosine to 1e-4, batch 128, {steps} steps): a measurement of the optimiser, "
              "not a certificate")
    common = dict(measured=ratio, bound=allowed, sense="le", method=method, evidence=ev, figures=(fig,) if fig else ())
    if ratio <= allowed:
        return Outcome(Verdict.PASS_EMPIRICAL, why=f"test error flat in D: max/min = {ratio:.2f} <= {allowed}", **common)
    return Outcome(Verdict.UNKNOWN, why=f"max/min = {ratio:.2f} > {allowed}: not reproduced in this budget "
                                        "(a trained run cannot refute an expressivity theorem)", **common)


@register_check("wang_experiment_ii", args=ExperimentIIArgs)
def wang_experiment_ii(claim: Claim, a: ExperimentIIArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Exp II: 2-3-MoE vs 1-6-MoE on the 9-piece target; 2-3 error falls with m, 1-6 plateaus.

    ``args``: paper (dict arch -> {m: error}), min_gain (2-3 falls at least this factor, default 2),
    max_plateau_gain (1-6 falls at most this factor over the m range, default 4); instance: ms, steps.
    """

    ms = tuple(instance.get("ms", (16, 64)))
    steps = int(instance.get("steps", _budget(ctx, 800, 5000)))
    seed = ctx.seed + int(instance.get("seed", 0))
    n_seeds = int(instance.get("seeds", 1))
    # best of n_seeds runs per point (training top-1 gates is a coin flip at small budgets)
    setup = TrainSetup("ours", steps=steps, lr=1e-2, schedule="cosine", gate="st", init="he", target_scale=10.0)
    ours = {arch: [min(train_experiment_ii(arch, m, setup=setup, seed=seed + s, device=ctx.device)["test_mse"]
                       for s in range(n_seeds)) for m in ms] for arch in ("2-3", "1-6")}
    paper = a.paper
    gain23 = ours["2-3"][0] / ours["2-3"][-1]
    gain16 = ours["1-6"][0] / ours["1-6"][-1]
    need = a.min_gain
    falls = gain23 >= need  # "falls with m": at least min_gain over the m range (the paper: ~30x)
    better = ours["2-3"][-1] < ours["1-6"][-1]
    # "1-6 plateaus": an absolute test, its error falls at most max_plateau_gain over the m range (the paper's
    # 1-6-MoE moves ~2.5x between 2e-5 and 5e-5); gaining less than the 2-3-MoE alone is not a plateau
    max_plateau = a.max_plateau_gain
    plateau = gain16 <= max_plateau and gain16 < gain23

    def draw(ax):
        for arch, mk in (("2-3", "o-"), ("1-6", "s-")):
            ax.loglog(ms, ours[arch], mk, label=f"{arch}-MoE (ours)")
            if arch in paper:
                pm = sorted(paper[arch])
                ax.loglog(pm, [paper[arch][k] for k in pm], mk[0] + "--", alpha=0.5, label=f"{arch}-MoE (paper)")
        ax.set_xlabel("expert width m")
        ax.set_ylabel("test MSE")
        ax.set_title("Wang & E Exp. II: error vs m")
        ax.legend(fontsize=7)

    fig = plot_png(ctx.out_dir, "wang_e2025_exp2_error_vs_m.png", draw)
    extra = {f"{arch} m={m}": f"ours {e:.3g}" + (f" | paper {paper[arch][m]:.2g}" if m in paper.get(arch, {}) else "")
             for arch in ours for m, e in zip(ms, ours[arch])}
    env = training_env(ctx.device)
    ev = Evidence(seed=seed, extra={**extra, "steps": steps, "seeds (best of)": n_seeds, **env,
                                    "2-3 gain": round(gain23, 2), "1-6 gain": round(gain16, 2)})
    method = (f"trained (Adam, lr 1e-2 cosine to 1e-4, batch 128, {steps} steps): a measurement of the optimiser, "
              "not a certificate")
    common = dict(measured=ours["2-3"][-1], bound=ours["1-6"][-1], sense="le", method=method, evidence=ev,
                  figures=(fig,) if fig else ())
    parts = {"2-3 falls with m": falls, f"2-3 below 1-6 at m={ms[-1]}": better, "1-6 plateaus": plateau}
    said = f"2-3 gain {gain23:.1f}x (>= {need}x needed), 1-6 gain {gain16:.1f}x (<= {max_plateau}x for a plateau)"
    if all(parts.values()):
        return Outcome(Verdict.PASS_EMPIRICAL, why=f"all three reproduced: {said}", **common)
    missing = ", ".join(k for k, v in parts.items() if not v)
    return Outcome(Verdict.UNKNOWN, why=f"not reproduced in this budget: {missing} ({said}); a trained run cannot "
                                        "refute an expressivity theorem", **common)
