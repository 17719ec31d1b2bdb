"""Experiments I and II of Wang & E 2025 (Sec. 6) as trained models, decided by pre-registered criteria.

Each claim carries a :class:`proofs.PreRegistered` rule (statistic, seeds, interval, decision), fixed
before the data. The trained grid of one experiment is shared by its claims (in-process cache: a pure
function of frozen inputs and the deterministic trainings), so the flat-in-D row and the table row
read the same networks.

* ``trained_ratio_in_band``: a "flat" claim. Per seed, the OLS slope b of log10 error on log2 p over the
  grid gives the fitted ratio error(p_max)/error(p_min) = 10^(b log2(p_max/p_min)); its interval over
  seeds must lie inside the band.
* ``trained_trend``: a trend claim. Per seed, the OLS slope of log10 error on log2 p; the interval must
  exclude the opposite sign.
* ``trained_paired_ratio``: per seed, log10(error_a / error_b) at one grid point (same seed, paired).
* ``trained_table_within``: per table value, per seed log10(error / paper's value); every interval must
  lie inside the band (the paper's value within a factor). The table (paper vs ours, mean and
  interval over seeds) is written next to the report, with a figure on the same axes.

PASS-EMPIRICAL at best; a result against the paper is NOT-REPRODUCED (never FAIL: a trained model
measures an optimiser and cannot refute an expressivity theorem).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from checkers.checks._args import ArgError, ClaimArgs
from checkers.checks._outcome import Evidence, Outcome, Verdict
from checkers.checks._registry import CheckContext, CheckTimeout, frozen_instance, register_check
from checkers.checks._seeds import interval_of, ols_slope
from checkers.checks.rates import plot_png
from constructions.trained import JobsTimeout, default_workers, run_jobs
from constructions.trained.wang_train import (
    LONG_I,
    LONG_II,
    PAPER_I,
    PAPER_II,
    TrainSetup,
    train_experiment_i_runs,
    train_experiment_ii_runs,
)
from proofs import InvalidInput, PreRegistered

__all__ = [
    "trained_ratio_in_band",
    "trained_trend",
    "trained_paired_ratio",
    "trained_table_within",
    "experiment_grid",
    "TrainedArgs",
    "PairedArgs",
    "TableArgs",
]

_SERIES = {"I": ("I",), "II": ("2-3", "1-6")}


@dataclass(frozen=True, kw_only=True)
class TrainedArgs(ClaimArgs):
    """A trained-experiment claim: ``experiment`` ('I' or 'II'), the ``series`` it reads ('I'; '2-3' or
    '1-6') and its pre-registered decision rule ``criterion`` (a :class:`proofs.PreRegistered`)."""

    experiment: Literal["I", "II"]
    criterion: Any
    series: str = "I"

    def validate(self) -> None:
        if not isinstance(self.criterion, PreRegistered):
            raise ArgError("criterion", f"got {type(self.criterion).__name__}; expected a proofs.PreRegistered")
        for key in self._series_keys():
            if getattr(self, key) not in _SERIES[self.experiment]:
                raise ArgError(
                    key,
                    f"got {getattr(self, key)!r}; experiment {self.experiment} has series {_SERIES[self.experiment]}",
                )

    def _series_keys(self) -> tuple[str, ...]:
        return ("series",)


@dataclass(frozen=True, kw_only=True)
class PairedArgs(TrainedArgs):
    """``trained_paired_ratio``: error of ``series_a`` over ``series_b`` at the last grid point."""

    series_a: str
    series_b: str

    def _series_keys(self) -> tuple[str, ...]:
        return ("series_a", "series_b")


@dataclass(frozen=True, kw_only=True)
class TableArgs(TrainedArgs):
    """``trained_table_within``: the paper's table ``paper`` ({series: {grid point: value}})."""

    paper: Mapping[str, Any]

    def _series_keys(self) -> tuple[str, ...]:
        return ()

    def validate(self) -> None:
        super().validate()
        for series, table in self.paper.items():
            if series not in _SERIES[self.experiment]:
                raise ArgError("paper", f"series {series!r} is not one of {_SERIES[self.experiment]}")
            if not all(isinstance(k, int) and isinstance(v, float) and v > 0 for k, v in dict(table).items()):
                raise ArgError("paper", f"{series!r}: expected {{grid point (int): positive value (float)}}")


_SETUPS = {"I": {"paper": PAPER_I, "long": LONG_I}, "II": {"paper": PAPER_II, "long": LONG_II}}
_CACHE: dict[tuple, dict] = {}
_VERDICT = {"holds": Verdict.PASS_EMPIRICAL, "opposite": Verdict.NOT_REPRODUCED, "undecided": Verdict.UNKNOWN}
#: trained rows are decided by an interval over seeds, not by a constant that could be tightened
_SLACK = dict(slack_kind="none", slack_note="decided by a pre-registered interval over seeds (see the criterion)")


def _setup(exp: str, inst: Mapping[str, Any]) -> TrainSetup:
    name = inst.get("setup", "paper")
    if name not in _SETUPS[exp]:
        raise InvalidInput(f"setup={name!r} must be one of {tuple(_SETUPS[exp])}")
    s = _SETUPS[exp][name]
    if "steps" in inst:  # the quick profile's reduced budget (it says so in the report)
        s = dataclasses.replace(s, steps=int(inst["steps"]))
    return s


def experiment_grid(exp: str, inst: Mapping[str, Any], ctx: CheckContext) -> dict:
    """Train (or fetch) the grid: {'grid', 'err': {series: (seeds, points) array}, 'setup', 'env', 'seeds'}.

    Exp I: series 'I' over ``Ds``; Exp II: series '2-3' and '1-6' over ``ms``. Seeds ``train_seed +
    range(seeds)`` (instance), the same for every claim of the experiment."""
    if exp not in _SETUPS:
        raise InvalidInput(f"experiment={exp!r} must be 'I' or 'II'")
    setup = _setup(exp, inst)
    key_grid = "Ds" if exp == "I" else "ms"
    grid = tuple(int(v) for v in inst[key_grid])
    seeds = tuple(int(inst.get("train_seed", 0)) + s for s in range(int(inst["seeds"])))
    workers = int(inst.get("workers", 1 if ctx.profile == "quick" else default_workers()))
    key = (exp, setup, grid, seeds, ctx.device)
    if key in _CACHE:
        return _CACHE[key]
    series = ("I",) if exp == "I" else ("2-3", "1-6")
    runs = [(p, s) for s in seeds for p in grid]
    # one job per series: its runs train together as one model (a fixed grouping: the numbers do not
    # depend on the number of workers)
    if exp == "I":
        fn, jobs = train_experiment_i_runs, [dict(runs=runs, setup=setup, device=ctx.device)]
    else:
        fn, jobs = train_experiment_ii_runs, [dict(arch=a, runs=runs, setup=setup, device=ctx.device) for a in series]
    try:
        res = [r for out in run_jobs(fn, jobs, workers=workers, time_left=ctx.time_left) for r in out]
    except JobsTimeout as exc:
        raise CheckTimeout(str(exc)) from None
    errs = np.array([r["test_mse"] for r in res]).reshape(len(series), len(seeds), len(grid))
    _CACHE[key] = {
        "grid": grid,
        "param": key_grid[:-1],
        "err": dict(zip(series, errs)),
        "setup": setup,
        "env": res[0]["env"],
        "seeds": seeds,
        "workers": workers,
    }
    return _CACHE[key]


def _share_grid(a: TrainedArgs, inst: Mapping[str, Any]) -> tuple:
    """The claims of one experiment at one instance read one trained grid (run them in one worker)."""
    return ("wang_trained_grid", a.experiment, frozen_instance(inst))


def _evidence(g: dict, crit: PreRegistered, extra: Mapping[str, Any]) -> Evidence:
    return Evidence(
        seed=g["seeds"][0],
        extra={
            **extra,
            "setup": g["setup"].label(),
            "seeds": len(g["seeds"]),
            "criterion": crit.describe(),
            **g["env"],
        },
    )


def _method(g: dict, crit: PreRegistered) -> str:
    short = "" if len(g["seeds"]) >= crit.seeds else f" (reduced from the pre-registered {crit.seeds})"
    return (
        f"{len(g['seeds'])} seeds{short}, {g['setup'].label()}; {crit.interval} interval; trained models: a "
        "measurement of the optimiser, not a certificate"
    )


def _fmt_iv(mean: float, lo: float, hi: float, log10: bool) -> str:
    f = (lambda v: 10**v) if log10 else (lambda v: v)
    return f"{f(mean):.3g} [{f(lo):.3g}, {f(hi):.3g}]"


def _slopes(g: dict, series: str) -> np.ndarray:
    x = np.log2(np.array(g["grid"], dtype=float))
    return np.array([ols_slope(x, np.log10(row)) for row in g["err"][series]])


@register_check("trained_ratio_in_band", args=TrainedArgs, share=_share_grid)
def trained_ratio_in_band(claim, a: TrainedArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """A flat claim: the fitted ratio error(p_max)/error(p_min) (per seed, OLS on log-log) lies in the band.

    ``args``: experiment ('I' or 'II'), series ('I', '2-3' or '1-6'), criterion (rule 'inside', log10).
    """
    crit, g = a.criterion, experiment_grid(a.experiment, instance, ctx)
    series = a.series
    span = math.log2(g["grid"][-1] / g["grid"][0])
    mean, lo, hi = interval_of(crit, _slopes(g, series) * span)
    decision = crit.decide(lo, hi)
    iv = _fmt_iv(mean, lo, hi, True)
    ev = _evidence(
        g,
        crit,
        {
            "fitted ratio [95% interval]": iv,
            **{
                f"{g['param']}={p}": f"{10 ** np.log10(g['err'][series][:, i]).mean():.3g} (geo. mean)"
                for i, p in enumerate(g["grid"])
            },
        },
    )
    why = {
        "holds": f"flat: fitted error ratio {g['param']}={g['grid'][-1]} vs {g['grid'][0]} is {iv}, inside the band",
        "opposite": f"not flat: fitted ratio {iv} lies outside the band {crit.band}",
        "undecided": f"fitted ratio {iv} straddles the band {crit.band}: undecided",
    }[decision]
    return Outcome(
        _VERDICT[decision],
        measured=10**mean,
        bound=crit.band[1],
        sense="le",
        method=_method(g, crit),
        why=why,
        evidence=ev,
        **_SLACK,
    )


@register_check("trained_trend", args=TrainedArgs, share=_share_grid)
def trained_trend(claim, a: TrainedArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """A trend claim: the per-seed OLS slope of log10 error on log2 p excludes the opposite sign.

    ``args``: experiment, series, criterion (rule 'below' 0: falls; 'above' 0: rises).
    """
    crit, g = a.criterion, experiment_grid(a.experiment, instance, ctx)
    series = a.series
    mean, lo, hi = interval_of(crit, _slopes(g, series))
    decision = crit.decide(lo, hi)
    word = "falls" if crit.rule == "below" else "rises"
    iv = f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    ev = _evidence(
        g, crit, {"slope of log10 error per doubling [95% interval]": iv, "fold change per doubling": f"{10**mean:.3g}"}
    )
    why = {
        "holds": f"{series} error {word} with {g['param']}: slope {iv} per doubling",
        "opposite": f"{series} error does not {word[:-1]} with {g['param']}: slope {iv} excludes it",
        "undecided": f"{series} slope {iv} includes 0: undecided",
    }[decision]
    return Outcome(
        _VERDICT[decision],
        measured=mean,
        bound=crit.threshold,
        sense="le" if crit.rule == "below" else "ge",
        method=_method(g, crit),
        why=why,
        evidence=ev,
        **_SLACK,
    )


@register_check("trained_paired_ratio", args=PairedArgs, share=_share_grid)
def trained_paired_ratio(claim, a: PairedArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Per seed log10(error_a / error_b) at the last grid point (same seed: paired); the rule decides.

    ``args``: experiment, series_a, series_b, criterion (rule 'below' 1 on log10: a beats b).
    """
    crit, g = a.criterion, experiment_grid(a.experiment, instance, ctx)
    sa, sb = a.series_a, a.series_b
    per_seed = np.log10(g["err"][sa][:, -1] / g["err"][sb][:, -1])
    mean, lo, hi = interval_of(crit, per_seed)
    decision = crit.decide(lo, hi)
    iv = _fmt_iv(mean, lo, hi, True)
    at = f"{g['param']}={g['grid'][-1]}"
    ev = _evidence(g, crit, {f"error {sa} / error {sb} at {at} [95% interval]": iv})
    why = {
        "holds": f"{sa} below {sb} at {at}: ratio {iv}",
        "opposite": f"{sa} not below {sb} at {at}: ratio {iv}",
        "undecided": f"ratio {sa}/{sb} at {at} is {iv}: undecided",
    }[decision]
    return Outcome(
        _VERDICT[decision],
        measured=10**mean,
        bound=crit.threshold,
        sense="le",
        method=_method(g, crit),
        why=why,
        evidence=ev,
        **_SLACK,
    )


def _table_rows(g: dict, paper: Mapping[str, Mapping[int, float]], crit: PreRegistered) -> list[dict]:
    rows = []
    for series, table in paper.items():
        for i, p in enumerate(g["grid"]):
            if p not in table:
                continue
            e = g["err"][series][:, i]
            mean, lo, hi = interval_of(crit, np.log10(e / table[p]))
            rows.append(
                {
                    "series": series,
                    "p": p,
                    "paper": table[p],
                    "ours": table[p] * 10**mean,
                    "lo": table[p] * 10**lo,
                    "hi": table[p] * 10**hi,
                    "decision": crit.decide(lo, hi),
                    "runs": e.tolist(),
                }
            )
    return rows


def _write_table(ctx: CheckContext, name: str, title: str, g: dict, rows: list[dict], crit: PreRegistered) -> str:
    lines = [
        f"{title}",
        "",
        f"{g['setup'].label()}; {len(g['seeds'])} seeds; test error = MSE on fresh samples "
        f"(our reading); torch {g['env']['torch']}, {g['env']['device']}.",
        "",
        f"| series | {g['param']} | paper | ours (geo. mean) | 95% interval | ours / paper | within 3x? |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['series']} | {r['p']} | {r['paper']:.3g} | {r['ours']:.3g} | [{r['lo']:.3g}, {r['hi']:.3g}] "
            f"| {r['ours'] / r['paper']:.3g} | {dict(holds='yes', opposite='no').get(r['decision'], 'undecided')} |"
        )
    lines += ["", crit.describe()]
    out = Path(ctx.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / (name + ".tmp")).write_text("\n".join(lines) + "\n")
    (out / (name + ".tmp")).replace(out / name)
    return name


def _draw_table(ctx: CheckContext, name: str, title: str, g: dict, rows: list[dict]):
    def draw(ax):
        for k, series in enumerate(dict.fromkeys(r["series"] for r in rows)):
            rs = [r for r in rows if r["series"] == series]
            ps = np.array([r["p"] for r in rs], dtype=float)
            ours = np.array([r["ours"] for r in rs])
            err = np.array([[o - r["lo"] for o, r in zip(ours, rs)], [r["hi"] - o for o, r in zip(ours, rs)]])
            c = f"C{k}"
            ax.errorbar(ps, ours, yerr=err, fmt="o-", color=c, capsize=3, label=f"{series} ours (95% over seeds)")
            ax.plot(ps, [r["paper"] for r in rs], "s--", color=c, alpha=0.6, label=f"{series} paper [secondary]")
            ax.fill_between(ps, [r["paper"] / 3 for r in rs], [r["paper"] * 3 for r in rs], color=c, alpha=0.08)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(g["param"])
        ax.set_ylabel("test MSE")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=6)

    return plot_png(ctx.out_dir, name, draw)


@register_check("trained_table_within", args=TableArgs, share=_share_grid)
def trained_table_within(claim, a: TableArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Every table value of the paper reproduced: per seed log10(error/paper), interval inside the band.

    ``args``: experiment, paper ({series: {p: value}}), criterion (rule 'inside', log10, band (1/3, 3)),
    title. Writes the paper-vs-ours table (Markdown) and figure next to the report.
    """
    crit, g = a.criterion, experiment_grid(a.experiment, instance, ctx)
    rows = _table_rows(g, {k: {int(p): float(v) for p, v in dict(t).items()} for k, t in a.paper.items()}, crit)
    if not rows:
        raise InvalidInput(f"no grid point of {g['grid']} has a paper value")
    stem = f"wang_e2025_exp{a.experiment.lower()}_{instance.get('setup', 'paper')}_{ctx.profile}"
    title = f"Wang & E Exp. {a.experiment}: paper vs ours ({g['setup'].name} setup)"
    md = _write_table(ctx, stem + ".md", title, g, rows, crit)
    png = _draw_table(ctx, stem + ".png", title, g, rows)
    decisions = [r["decision"] for r in rows]
    decision = (
        "opposite" if "opposite" in decisions else "holds" if all(d == "holds" for d in decisions) else "undecided"
    )
    worst = max(rows, key=lambda r: abs(math.log10(r["ours"] / r["paper"])))
    ev = _evidence(
        g,
        crit,
        {
            **{
                f"{r['series']} {g['param']}={r['p']}": f"ours {r['ours']:.3g} [{r['lo']:.3g}, "
                f"{r['hi']:.3g}] | paper {r['paper']:.3g}"
                for r in rows
            },
            **{f"{r['series']} {g['param']}={r['p']} per seed": [float(f"{e:.4g}") for e in r["runs"]] for r in rows},
        },
    )
    n_in = decisions.count("holds")
    why = (
        f"{n_in} of {len(rows)} table values within {crit.band[1]:g}x of the paper's; furthest: {worst['series']} "
        f"{g['param']}={worst['p']} ours {worst['ours']:.3g} vs paper {worst['paper']:.3g} "
        f"(x{worst['ours'] / worst['paper']:.3g})"
    )
    return Outcome(
        _VERDICT[decision],
        measured=worst["ours"] / worst["paper"],
        bound=crit.band[1],
        sense="le",
        method=_method(g, crit),
        why=why,
        evidence=ev,
        figures=tuple(f for f in (md, png) if f),
        **_SLACK,
    )
