"""Generalization checks on trained sparse MoEs, and the Rademacher steps behind them (zhao2024).

* ``smoe_gap_le_bound``: measured gap (test minus train ramp loss) <= the bound, per trained model.
* ``smoe_gap_trend``: do measured gaps rise with k at fixed (T, m), as Z2 says the bound does?
* ``smoe_best_k_interior``: is the best test loss at a k strictly between 1 and T (Z6)?
* ``rademacher_union_bound`` and ``spectral_rademacher_dominates_sample`` live in ``rademacher``.

Trained networks measure an optimiser: these checks give PASS-EMPIRICAL at best, never CERTIFIED.
A bound >= 1 says nothing about a loss in [0, 1]: it is reported as *vacuous*, never hidden.

The bound for one trained model (ours; ``args`` carry the formulas): Z3 with ``d_N`` from
``args['natarajan']`` (Z5: T n for a linear router) and the expert term
``R = sqrt(2) (L_Phi/gamma) sum_a [Z4_a(gamma=4) + ||w_a|| ||X||_F / m]``: Maurer's vector
contraction over (router scores, expert outputs), through which the mixture is ``L_Phi``-Lipschitz
with ``L_Phi = sqrt(1 + 4 B^2)``, ``B = max_a s1_a s2_a max_i ||x_i||`` bounding every expert output;
``Z4`` at ``gamma = 4`` (``4/gamma = 1``) bounds each expert's raw output class, and ``||w_a|| ||X||_F/m``
each router row's. The norms are the trained weights' (the union bound over norm scales is omitted).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import sympy

from checkers.checks._args import ArgError, ClaimArgs, Construction, Expr
from checkers.checks._outcome import Evidence, Outcome, Verdict, vacuous_if
from checkers.checks._registry import CheckContext, CheckTimeout, frozen_instance, register_check
from checkers.checks._seeds import bootstrap_interval, interval_of, ols_slope
from constructions.trained import JobsTimeout, default_workers, run_jobs
from proofs import PreRegistered
from proofs.formula import float_function
from proofs.prover import replay

__all__ = ["smoe_gap_le_bound", "smoe_gap_trend", "smoe_best_k_interior", "bound_terms_for"]

_CACHE: dict[tuple, tuple] = {}


def _load(path: str):
    mod, _, name = path.partition(":")
    return getattr(importlib.import_module(mod), name)


def _batched_of(path: str):
    """The construction's many-runs form ``<name>_runs`` where its module has one (e.g.
    ``train_sparse_moe_runs``: runs of one (T, m) trained together as one model), else None."""
    mod, _, name = path.partition(":")
    return getattr(importlib.import_module(mod), name + "_runs", None)


def _grid_runs(inst: Mapping[str, Any]) -> list[tuple[int, int, int, int]]:
    """The grid's runs (T, k, m, seed), T-major, then k, m, seed."""
    base = int(inst.get("train_seed", 0))
    return [
        (int(T), int(k), int(m), base * 1000 + s)
        for T in inst["T"]
        for k in inst["k"]
        if k <= T
        for m in inst["m"]
        for s in range(int(inst["seeds"]))
    ]


def _groups(runs: list[tuple[int, int, int, int]]) -> list[list[tuple[int, int, int, int]]]:
    """The grid's runs (T, k, m, seed) grouped by (T, m), in order of first appearance: the runs that
    train together (and are replayed together: a run's numbers depend on its group at rounding level)."""
    by: dict[tuple[int, int], list] = {}
    for r in runs:
        by.setdefault((r[0], r[2]), []).append(r)
    return list(by.values())


@dataclass(frozen=True, kw_only=True)
class SmoeArgs(ClaimArgs):
    """The trained sparse-MoE grid and the Z3 bound (``smoe_gap_le_bound``, ``smoe_gap_trend``,
    ``smoe_best_k_interior``): ``construction`` is the trainer's dotted path; ``bound_terms`` Z3 term
    by term in m, T, k, delta, d_N, R; ``expert_rademacher`` Z4 in m, gamma, X_F, s1, s2, b1, b2, W_bar;
    ``natarajan`` in T, n; ``bound`` the whole Z3 as stated."""

    construction: Construction
    bound: Expr
    bound_terms: Mapping[str, Expr]
    expert_rademacher: Expr
    natarajan: Expr
    delta: float
    gamma: float
    n_in: int
    width: int
    bound_key: ClassVar[str] = "bound"

    def stated(self) -> tuple[str, Any, Any]:
        return "le", "L_D - L_S", self.bound


@dataclass(frozen=True, kw_only=True)
class SmoeTrendArgs(SmoeArgs):
    """``smoe_gap_trend`` / ``smoe_best_k_interior``: the grid and bound of :class:`SmoeArgs` plus the
    pre-registered decision rule ``criterion`` (a :class:`proofs.PreRegistered`)."""

    criterion: Any

    def validate(self) -> None:
        if not isinstance(self.criterion, PreRegistered):
            raise ArgError("criterion", f"got {type(self.criterion).__name__}; expected a proofs.PreRegistered")


def _share_grid(a: SmoeArgs, inst: Mapping[str, Any]) -> tuple:
    """The claims reading one trained grid (Z1, Z2, Z6 at one instance) run in one worker."""
    return ("smoe_grid", a.construction, a.n_in, a.width, a.gamma, frozen_instance(inst))


def _grid(args: SmoeArgs | Mapping[str, Any], inst: Mapping[str, Any], ctx: CheckContext) -> tuple:
    """Train (or fetch from the in-process cache: a pure function of these frozen inputs) the grid.

    The grid is one experiment read by several claims (Z1 gap <= bound, Z2 trend, Z6 best k), so its
    seeds come from the instance (``train_seed``, default 0), not from the per-row ``ctx.seed``: every
    row sees the same networks, and each row still replays alone."""
    args = SmoeArgs.parse(args)
    base = int(inst.get("train_seed", 0))
    key = (
        args.construction,
        args.n_in,
        args.width,
        args.gamma,
        tuple(inst["k"]),
        tuple(inst["T"]),
        tuple(inst["m"]),
        int(inst["seeds"]),
        int(inst["steps"]),
        int(inst["n_test"]),
        base,
        ctx.device,
    )
    if key in _CACHE:
        return _CACHE[key]
    train = _load(args.construction)
    steps, n_test = int(inst["steps"]), int(inst["n_test"])
    common = dict(n_in=args.n_in, width=args.width, n_test=n_test, steps=steps, gamma=args.gamma, device=ctx.device)
    runs = _grid_runs(inst)
    workers = int(inst.get("workers", 1 if ctx.profile == "quick" else default_workers()))
    batched = _batched_of(args.construction)
    if batched is None:  # a one-run trainer: one job per run
        fn, jobs = train, [dict(n_experts=T, k=k, m=m, seed=s, **common) for T, k, m, s in runs]
    else:  # one job per (T, m) group, trained as one model: the grouping is fixed by the grid, not the workers
        groups = _groups(runs)
        fn, jobs = batched, [dict(runs=[(T, k, s) for T, k, _, s in g], m=g[0][2], **common) for g in groups]
    try:
        out = run_jobs(fn, jobs, workers=workers, time_left=ctx.time_left)
    except JobsTimeout as exc:
        raise CheckTimeout(str(exc)) from None
    if batched is not None:  # back to the grid's run order
        by_run = {r: res for g, results in zip(groups, out) for r, res in zip(g, results)}
        out = [by_run[r] for r in runs]
    _CACHE[key] = tuple(out)
    return _CACHE[key]


def _retrain(a: SmoeArgs, inst: Mapping[str, Any], ctx: CheckContext, r):
    """Train run ``r`` again from its seed, as the grid trained it (with its (T, m) group when batched)."""
    common = dict(
        n_in=r.n_in,
        width=r.width,
        m=r.m,
        n_test=int(inst["n_test"]),
        steps=int(inst["steps"]),
        gamma=a.gamma,
        device=ctx.device,
    )
    batched = _batched_of(a.construction)
    if batched is None:
        return _load(a.construction)(n_experts=r.n_experts, k=r.k, seed=r.seed, **common)
    (g,) = [g for g in _groups(_grid_runs(inst)) if (g[0][0], g[0][2]) == (r.n_experts, r.m)]
    group = [(T, k, s) for T, k, _, s in g]
    return batched(group, **common)[group.index((r.n_experts, r.k, r.seed))]


def _fn(expr, names):
    # the formula as a float64 function (the one evaluator's point interpreter): these bounds are compared
    # with measured gaps of trained models, reported, never certified
    return float_function(expr, names)


def bound_terms_for(r, args: SmoeArgs | Mapping[str, Any]) -> dict[str, float]:
    """The Z3 terms for one trained model ``r`` (a ``TrainedSparseMoE``); see the module docstring.
    ``args``: the claim's arguments (a dict is validated as :class:`SmoeArgs`)."""
    args = SmoeArgs.parse(args)
    z4 = _fn(args.expert_rademacher, ["m", "gamma", "X_F", "s1", "s2", "b1", "b2", "W_bar"])
    gamma = args.gamma
    B = max(a * b for a, b in zip(r.spectral1, r.spectral2)) * r.x_max
    L_phi = math.sqrt(1 + 4 * B * B)
    routed = r.n_experts > 1  # with one expert the gate is identically 1: the router plays no part
    per_expert = [
        z4(r.m, 4.0, r.x_fro, s1, s2, max(b1, 1e-300), max(b2, 1e-300), r.w_bar)
        + (w * r.x_fro / r.m if routed else 0.0)
        for s1, s2, b1, b2, w in zip(r.spectral1, r.spectral2, r.dist21_1, r.dist21_2, r.router_rows)
    ]
    R = math.sqrt(2) * (L_phi / gamma) * sum(per_expert)
    dn = sympy.sympify(args.natarajan)
    d_N = float(dn.subs({s: {"T": r.n_experts, "n": r.n_in}[s.name] for s in dn.free_symbols}))
    terms = {}
    for name, e in args.bound_terms.items():
        f = _fn(e, ["m", "T", "k", "delta", "d_N", "R"])
        terms[name] = float(f(r.m, r.n_experts, r.k, args.delta, d_N, R))
    terms["total"] = sum(terms.values())
    terms["d_N"] = d_N
    return terms


def _cells(results, args: SmoeArgs):
    """Aggregate over seeds: {(T, k, m): dict(gap mean/sd, bound mean, train, test)}."""
    cells: dict[tuple, list] = {}
    for r in results:
        cells.setdefault((r.n_experts, r.k, r.m), []).append((r, bound_terms_for(r, args)))
    out = {}
    for key, rows in sorted(cells.items()):
        gaps = [r.gap for r, _ in rows]
        mu = sum(gaps) / len(gaps)
        sd = math.sqrt(sum((g - mu) ** 2 for g in gaps) / max(len(gaps) - 1, 1))
        out[key] = {
            "gap": mu,
            "gap_sd": sd,
            "n": len(gaps),
            "bound": sum(t["total"] for _, t in rows) / len(rows),
            "bound_min": min(t["total"] for _, t in rows),
            "router": rows[0][1]["router"],
            "train": sum(r.train_loss for r, _ in rows) / len(rows),
            "test": sum(r.test_loss for r, _ in rows) / len(rows),
            "gaps": gaps,
        }
    return out


def _write_outputs(ctx: CheckContext, cells) -> tuple[str, ...]:
    out = Path(ctx.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = f"zhao2024_generalization_{ctx.profile}.md"
    png = f"zhao2024_generalization_{ctx.profile}.png"
    lines = [
        "Sparse MoEs trained on synthetic binary classification; ramp loss in [0, 1]; bound = Z3 (ours) "
        "with the Z4 expert term and d_N = T n. A bound >= 1 is vacuous.",
        "",
        "| k | T | m | seeds | train loss | test loss | measured gap (mean ± sd) | bound (mean) | router term | vacuous? |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (T, k, m), c in cells.items():
        lines.append(
            f"| {k} | {T} | {m} | {c['n']} | {c['train']:.3f} | {c['test']:.3f} | {c['gap']:.4f} ± "
            f"{c['gap_sd']:.4f} | {c['bound']:.4g} | {c['router']:.3g} | {'vacuous' if c['bound_min'] >= 1 else 'no'} |"
        )
    tmp = out / (md + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(out / md)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for T in sorted({t for t, _, _ in cells}):
        for k in sorted({k for t, k, _ in cells if t == T}):
            ms = sorted(m for t, kk, m in cells if t == T and kk == k)
            ax1.errorbar(
                ms,
                [cells[(T, k, m)]["gap"] for m in ms],
                yerr=[cells[(T, k, m)]["gap_sd"] for m in ms],
                marker="o",
                capsize=3,
                label=f"T={T}, k={k}",
            )
            ax2.plot(ms, [cells[(T, k, m)]["bound"] for m in ms], marker="s", label=f"T={T}, k={k}")
    ax1.set(
        xscale="log",
        xlabel="m (training samples)",
        ylabel="measured gap (test - train ramp loss)",
        title="measured generalization gap",
    )
    ax2.axhline(1.0, color="k", ls="--", lw=1, label="1 (vacuous above)")
    ax2.set(xscale="log", yscale="log", xlabel="m", ylabel="Z3 bound (ours)", title="bound")
    ax1.legend(fontsize=6, ncol=2)
    ax2.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out / (png + ".tmp.png"), dpi=110)
    plt.close(fig)
    (out / (png + ".tmp.png")).replace(out / png)
    return md, png


def _n_models(cells) -> int:
    return sum(c["n"] for c in cells.values())


@register_check("smoe_gap_le_bound", args=SmoeArgs, share=_share_grid)
def smoe_gap_le_bound(claim, a: SmoeArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Measured gap <= Z3 bound on every trained model of the grid.

    ``args``: ``construction`` (dotted path of the trainer), ``bound_terms`` (Z3 term by term, in
    ``m, T, k, delta, d_N, R``), ``expert_rademacher`` (Z4 in ``m, gamma, X_F, s1, s2, b1, b2, W_bar``),
    ``natarajan`` (in ``T, n``), ``delta``, ``gamma``, ``n_in``, ``width``. Instance: the grid ``k``,
    ``T``, ``m`` (tuples), ``seeds``, ``steps``, ``n_test``.
    """
    results = _grid(a, instance, ctx)
    cells = _cells(results, a)
    figs = _write_outputs(ctx, cells)
    worst = None
    for r in results:
        b = bound_terms_for(r, a)["total"]
        # the test loss is an estimate: count a violation only beyond 3 standard errors
        excess = (r.test_loss - 3 * r.test_loss_se - r.train_loss) - b
        if worst is None or excess > worst[0]:
            worst = (excess, r, b)
    excess, r, b = worst
    vac = sum(1 for c in cells.values() if c["bound_min"] >= 1)
    pt = (f"T={r.n_experts}", f"k={r.k}", f"m={r.m}", f"seed={r.seed}")
    ev = Evidence(
        point=pt,
        replay="deterministic retraining from the seed",
        lower_bound=r.gap,
        upper_bound=b,
        seed=ctx.seed,
        extra={"models": len(results), "cells_vacuous": vac, "cells": len(cells)},
    )
    if excess > 0:
        again = _retrain(a, instance, ctx, r)
        if abs(again.gap - r.gap) < 1e-9:
            return Outcome(
                Verdict.FAIL,
                r.gap,
                b,
                method=f"{len(results)} trained models; replayed by retraining",
                why=f"gap {r.gap:.4f} > bound {b:.4f} beyond 3 standard errors of the test estimate",
                evidence=Evidence(
                    point=pt, replay="deterministic retraining", replayed_value=(repr(again.gap), repr(again.gap))
                ),
                figures=figs,
            )
        return Outcome(
            Verdict.UNKNOWN,
            r.gap,
            b,
            method="retraining did not reproduce the gap",
            why="inconsistent replay",
            evidence=ev,
            figures=figs,
        )
    note = (
        f"all {len(cells)} cells vacuous (bound >= 1): the pass says nothing about these networks"
        if vac == len(cells)
        else f"{vac} of {len(cells)} cells vacuous (bound >= 1)"
    )
    worst_gap = max(r.gap for r in results)
    out = Outcome(
        Verdict.PASS_EMPIRICAL,
        worst_gap,
        min(c["bound_min"] for c in cells.values()),
        method=f"{len(results)} trained sparse MoEs ({ctx.device}); test loss on {instance['n_test']} "
        "fresh samples (3 standard errors allowed); not a certificate",
        why=f"gap <= bound on every model; {note}",
        evidence=ev,
        figures=figs,
    )
    # a gap of a [0, 1] loss is at most 1: a bound >= 1 in every cell could not have failed
    return vacuous_if(out, 1.0, "the range of the [0, 1] loss")


_VERDICT = {"holds": Verdict.PASS_EMPIRICAL, "opposite": Verdict.NOT_REPRODUCED, "undecided": Verdict.UNKNOWN}
_SLACK = dict(slack_kind="none", slack_note="decided by a pre-registered interval over seeds (see the criterion)")


def _per_seed(results, inst) -> tuple[list[int], dict[tuple, dict[int, Any]]]:
    """Seed indices and {(T, m): {k: {seed index: result}}}."""
    by: dict[tuple, dict] = {}
    for r in results:
        by.setdefault((r.n_experts, r.m), {}).setdefault(r.k, {})[r.seed % 1000] = r
    return list(range(int(inst["seeds"]))), by


def _env_extra(results, crit: PreRegistered, n_seeds: int) -> dict[str, Any]:
    short = "" if n_seeds >= crit.seeds else f" (reduced from the pre-registered {crit.seeds})"
    return {"seeds": f"{n_seeds}{short}", "criterion": crit.describe(), **results[0].env}


@register_check("smoe_gap_trend", args=SmoeTrendArgs, share=_share_grid)
def smoe_gap_trend(claim, a: SmoeTrendArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Do measured gaps rise with k at fixed (T, m) (Z2's trend)? Same ``args``/instance as
    ``smoe_gap_le_bound`` plus a pre-registered ``criterion``: per seed, the OLS slope of the gap on
    log2 k in each (T, m) cell, averaged over the cells; a t interval over seeds; rule 'above' 0.
    The gaps falling with k is NOT-REPRODUCED, never FAIL: Z2 is about the bound, and a trained model
    cannot refute it. The slope on log2 T at fixed (k, m) is reported (Z2: slow, O(log T))."""
    crit = a.criterion
    results = _grid(a, instance, ctx)
    seeds, by = _per_seed(results, instance)
    ks = [k for k in instance["k"]]
    lines = [
        "| T | m | " + " | ".join(f"gap k={k}" for k in ks) + " | mean slope per log2 k |",
        "|---|---|" + "---|" * (len(ks) + 1),
    ]
    per_seed = []
    for s in seeds:
        cell_slopes = []
        for _cell_key, cell in sorted(by.items()):
            pts = [(math.log2(k), cell[k][s].gap) for k in ks if k in cell]
            if len(pts) >= 2:
                cell_slopes.append(ols_slope(*zip(*pts)))
        per_seed.append(sum(cell_slopes) / len(cell_slopes))
    for (T, m), cell in sorted(by.items()):
        gaps = {k: sum(r.gap for r in cell[k].values()) / len(cell[k]) for k in ks if k in cell}
        slope = ols_slope([math.log2(k) for k in gaps], list(gaps.values())) if len(gaps) >= 2 else math.nan
        lines.append(
            f"| {T} | {m} | " + " | ".join(f"{gaps[k]:.4f}" if k in gaps else "-" for k in ks) + f" | {slope:+.4f} |"
        )
    mean, lo, hi = interval_of(crit, per_seed)
    decision = crit.decide(lo, hi)
    t_slopes = []
    if len(instance["T"]) > 1:
        for k in ks:
            for m in instance["m"]:
                pts = [
                    (math.log2(T), r.gap)
                    for (T, mm), cell in by.items()
                    if mm == m and k in cell
                    for r in cell[k].values()
                ]
                if len({p[0] for p in pts}) > 1:
                    t_slopes.append(ols_slope(*zip(*pts)))
    t_txt = (
        f"; mean slope per log2 T at fixed (k, m): {sum(t_slopes) / len(t_slopes):+.4f}"
        if t_slopes
        else "; one T only (the T trend needs the full profile)"
    )
    iv = f"{mean:+.4f} [{lo:+.4f}, {hi:+.4f}]"
    lines += [
        "",
        f"per-seed slope of the gap per doubling of k (mean over cells): {iv} (95% t over {len(seeds)} seeds){t_txt}",
        "",
        crit.describe(),
    ]
    out = Path(ctx.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"zhao2024_gap_trend_{ctx.profile}.md"
    (out / (name + ".tmp")).write_text("\n".join(lines) + "\n")
    (out / (name + ".tmp")).replace(out / name)
    method = (
        f"per-seed OLS of the gap on log2 k in {len(by)} (T, m) cells, averaged; {crit.interval} over "
        f"{len(seeds)} seeds; {len(results)} trained models"
    )
    ev = Evidence(
        seed=ctx.seed, extra={"slope per doubling of k [95% interval]": iv, **_env_extra(results, crit, len(seeds))}
    )
    why = {
        "holds": "gaps rise with k: ",
        "opposite": "gaps do not rise with k (not a refutation of Z2's bound): ",
        "undecided": "no trend resolved within the seed interval: ",
    }[decision] + f"slope {iv}{t_txt}"
    return Outcome(_VERDICT[decision], mean, 0.0, "ge", method, why, ev, (name,), **_SLACK)


def _interior_gain(T_of_cell: list[int], ks: list[int]):
    """statistic(seed-mean losses, flattened cell-major over ks): mean over cells of
    min_(1<k<T) loss - min_(k in {1, T}) loss (negative: an interior k is best)."""

    def stat(flat):
        vals, i = [], 0
        for T in T_of_cell:
            row = {k: flat[i + j] for j, k in enumerate(ks)}
            i += len(ks)
            inner = [v for k, v in row.items() if 1 < k < T and not math.isnan(v)]
            edge = [v for k, v in row.items() if k in (1, T) and not math.isnan(v)]
            if inner and edge:
                vals.append(min(inner) - min(edge))
        return sum(vals) / len(vals) if vals else math.nan

    return stat


@register_check("smoe_best_k_interior", args=SmoeTrendArgs, share=_share_grid)
def smoe_best_k_interior(claim, a: SmoeTrendArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Is the best mean test loss at a k strictly between 1 and T (Z6)? Same ``args``/instance as
    ``smoe_gap_le_bound`` plus a pre-registered ``criterion``: the statistic mean over (T, m) cells of
    [min over interior k - min over k in {1, T}] of the seed-mean test loss, with a percentile bootstrap
    over seeds; rule 'below' 0 (an interior k is best). One synthetic task cannot refute a claim about
    task complexity: the opposite outcome is NOT-REPRODUCED."""
    crit = a.criterion
    results = _grid(a, instance, ctx)
    seeds, by = _per_seed(results, instance)
    ks = list(instance["k"])
    cells = sorted(by)
    per_seed = np.array([[by[c][k][s].test_loss if k in by[c] else math.nan for c in cells for k in ks] for s in seeds])
    stat = _interior_gain([T for T, _ in cells], ks)
    if crit.interval == "bootstrap95":
        value, lo, hi = bootstrap_interval(per_seed, stat)
    else:
        value, lo, hi = interval_of(crit, [stat(row) for row in per_seed])
    decision = crit.decide(lo, hi)
    means = per_seed.mean(axis=0)
    best = {}
    for ci, (T, m) in enumerate(cells):
        row = [(means[ci * len(ks) + j], k) for j, k in enumerate(ks) if not math.isnan(means[ci * len(ks) + j])]
        best[(T, m)] = min(row)[1]
    txt = ", ".join(f"T={T} m={m}: k*={k}" for (T, m), k in best.items())
    iv = f"{value:+.4f} [{lo:+.4f}, {hi:+.4f}]"
    method = (
        f"interior-minus-edge best test loss, mean over {len(cells)} cells; {crit.interval} over {len(seeds)} "
        f"seeds; {len(results)} trained models"
    )
    ev = Evidence(
        seed=ctx.seed,
        extra={"interior - edge [95% interval]": iv, "argmin per cell": txt, **_env_extra(results, crit, len(seeds))},
    )
    why = {
        "holds": "an interior k is best: ",
        "opposite": "an edge k (1 or T) is best (one task; not a refutation): ",
        "undecided": "interior vs edge not resolved within the seed interval: ",
    }[decision] + f"{iv}; {txt}"
    return Outcome(_VERDICT[decision], value, 0.0, "le", method, why, ev, **_SLACK)


@dataclass(frozen=True, kw_only=True)
class BoundValueArgs(ClaimArgs):
    """``bound_value_below_range``: a bound given term by term (formulas in the instance's values) is below
    ``loss_range``, the largest value the bounded loss gap can take."""

    terms: Mapping[str, Expr]
    loss_range: float = 1.0


@register_check("bound_value_below_range", args=BoundValueArgs)
def bound_value_below_range(claim, a: BoundValueArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Each term evaluated in interval arithmetic (170 bits) at the instance: CERTIFIED when the whole
    bound is below the loss range (it says something), VACUOUS when even its lower end is not, UNKNOWN when
    a term is not given (its value is missing from the instance) and the given ones stay below."""
    vals = {k: sympy.nsimplify(v, rational=True) for k, v in instance.items() if v is not None}
    enclosures, formulas, missing = {}, {}, []
    for name, e in a.terms.items():
        e = sympy.sympify(e)
        formulas[name] = sympy.sstr(e)
        at = e.subs({s: vals[s.name] for s in e.free_symbols if s.name in vals})
        if at.free_symbols:
            missing.append(name)
            continue
        lo, hi = replay(at, {})
        enclosures[name] = (float(lo), float(hi))
    lo, hi = sum(v[0] for v in enclosures.values()), sum(v[1] for v in enclosures.values())
    total = (lo + hi) / 2
    ev = Evidence(
        lower_bound=lo,
        upper_bound=hi,
        replay="interval arithmetic, 170 bits",
        extra={
            "terms": {n: (sum(enclosures[n]) / 2 if n in enclosures else None) for n in a.terms},
            "formulas": formulas,
            "missing": missing,
        },
    )
    common = dict(
        measured=total, bound=a.loss_range, sense="le", method="each term in interval arithmetic", evidence=ev
    )
    left_out = (
        f" (without the {', '.join(missing)} term{'s' if len(missing) > 1 else ''}, not given)" if missing else ""
    )
    if lo >= a.loss_range:
        return Outcome(
            Verdict.VACUOUS,
            why=f"the bound is >= {lo:.6g}{left_out}, not below the loss range {a.loss_range:g}: it says nothing here",
            **common,
        )
    if hi < a.loss_range and not missing:
        return Outcome(Verdict.CERTIFIED, why=f"the bound is <= {hi:.6g} < the loss range {a.loss_range:g}", **common)
    return Outcome(
        Verdict.UNKNOWN,
        why=f"the bound is in [{lo:.6g}, {hi:.6g}]{left_out}: not decided against the loss range {a.loss_range:g}",
        **common,
    )
