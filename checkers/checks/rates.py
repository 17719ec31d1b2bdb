"""Generic rate checks: a fitted error exponent, and an error that stays flat in a parameter.

``fitted_rate`` (a theorem's rate is an upper bound, so the comparison is one-sided):
    log e(n) = a + s log n + k log log n is fitted on the tail of the sizes (``log_power`` = k allows
    the log factor of an O~ rate: the errors are divided by log(n)^k before the fit). The claim
    "exponent >= alpha" passes when s <= -alpha + tol.

    *What CERTIFIED means here (our decision).* Each point is a certified sup error: its upper bound
    comes from the certifier and its lower bound from an exactly replayed point, so each log error
    lies in a known interval [l_j, u_j]. A least-squares slope is linear in the data, s = sum_j c_j y_j,
    so its range over those intervals is exact: [sum min(c_j l_j, c_j u_j), sum max(...)]. The same
    holds for every leave-one-out slope (the confidence interval we report: the jackknife range, which
    needs no distributional assumption). CERTIFIED = every point certified and the *largest* slope
    consistent with the enclosures, over the full tail and over every leave-one-out tail, is
    <= -alpha + tol. That certifies the stated finite-range claim ("the least-squares exponent over
    these sizes"), never the asymptotic O-statement itself, and the report says so. FAIL = every
    point certified and even the *smallest* consistent full-tail slope exceeds -alpha + tol. Points
    not certified within budget make the fit PASS-EMPIRICAL (or UNKNOWN when it does not pass).

``error_flat_in_parameter``: certified errors e(v) over the values v of one parameter; max/min <=
    ``ratio`` is CERTIFIED when max_v upper(v) / min_v lower(v) <= ratio (lower = replayed), FAIL
    when max_v lower(v) / min_v upper(v) > ratio, else UNKNOWN (or PASS-EMPIRICAL on sampled values).

Both write a PNG (matplotlib, Agg) into ``ctx.out_dir`` and name it in ``Outcome.figures``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from checkers.certify import certified_sup_error
from checkers.checks._args import ClaimArgs, Construction, Expr
from checkers.checks._construct import build_construction, formula_float, resolve
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext, frozen_instance, register_check
from proofs import Claim, InvalidInput, Status

__all__ = ["RateFit", "fit_rate", "certified_point", "fitted_rate", "error_flat_in_parameter", "plot_png"]


@dataclass(frozen=True)
class RateFit:
    """A least-squares exponent with its enclosure and leave-one-out range."""

    sizes: tuple[float, ...]
    slope: float  # on the upper values (or the given values)
    slope_lo: float  # smallest slope consistent with the enclosures (full tail)
    slope_hi: float  # largest slope consistent with the enclosures (full tail)
    loo_lo: float  # smallest leave-one-out slope (on the enclosures)
    loo_hi: float  # largest leave-one-out slope (on the enclosures)
    r2: float
    intercept: float

    @property
    def ci(self) -> tuple[float, float]:
        return min(self.slope_lo, self.loo_lo), max(self.slope_hi, self.loo_hi)


def _slope_range(x: np.ndarray, ylo: np.ndarray, yhi: np.ndarray) -> tuple[float, float]:
    c = (x - x.mean()) / ((x - x.mean()) ** 2).sum()
    a, b = c * ylo, c * yhi
    return float(np.minimum(a, b).sum()), float(np.maximum(a, b).sum())


def fit_rate(
    sizes: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    log_power: float = 0.0,
    tail: int | None = None,
) -> RateFit:
    """Fit log(e / log(n)^k) = a + s log n on the last ``tail`` points; e in [lower, upper].

    >>> f = fit_rate([8, 16, 32, 64], [1/64, 1/256, 1/1024, 1/4096], [1/64, 1/256, 1/1024, 1/4096])
    >>> round(f.slope, 6), round(f.r2, 6)
    (-2.0, 1.0)
    """
    n = np.asarray(sizes, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    if n.ndim != 1 or n.size != lo.size or n.size != hi.size:
        raise InvalidInput(f"sizes, lower and upper must have one value each, got {n.size}, {lo.size}, {hi.size}")
    if tail is not None:
        n, lo, hi = n[-int(tail) :], lo[-int(tail) :], hi[-int(tail) :]
    if n.size < 3:
        raise InvalidInput(f"a rate fit needs at least 3 sizes on the tail, got {n.size}")
    if np.any(n <= 1) or np.any(lo <= 0) or np.any(hi < lo) or not np.all(np.isfinite(hi)):
        raise InvalidInput(f"sizes must exceed 1 and errors satisfy 0 < lower <= upper < inf; got {n}, {lo}, {hi}")
    x = np.log(n)
    corr = log_power * np.log(np.log(n))
    ylo, yhi = np.log(lo) - corr, np.log(hi) - corr
    s_lo, s_hi = _slope_range(x, ylo, yhi)
    A = np.stack([np.ones_like(x), x], axis=1)
    (a, s), *_ = np.linalg.lstsq(A, yhi, rcond=None)
    resid = yhi - (a + s * x)
    ss = ((yhi - yhi.mean()) ** 2).sum()
    r2 = 1.0 - float((resid**2).sum() / ss) if ss > 0 else 1.0
    loo = (
        [_slope_range(np.delete(x, j), np.delete(ylo, j), np.delete(yhi, j)) for j in range(x.size)]
        if x.size >= 4
        else [(s_lo, s_hi)]
    )
    return RateFit(
        tuple(float(v) for v in n), float(s), s_lo, s_hi, min(p[0] for p in loo), max(p[1] for p in loo), r2, float(a)
    )


def certified_point(
    built, ctx: CheckContext, *, tol: float, max_boxes: int, time_budget: float, seed: int | None = None
) -> dict:
    """Certified sup error of one construction: [lower, upper] with lower from the certifier's exact replay.

    A replayed lower bound above the certified upper bound is an inconsistent replay: the point is then
    reported with ``rigorous_lower = None`` (never used as a bound) and ``consistent = False``.
    ``seed`` is the sampling seed (default: the row's ``ctx.seed``).
    """

    cert = certified_sup_error(
        built,
        tol=tol,
        max_boxes=max_boxes,
        time_budget=time_budget,
        device=ctx.device,
        seed=ctx.seed if seed is None else seed,
    )
    consistent = 0 <= cert.lower <= cert.upper
    rig_lo = cert.lower if consistent else None
    return {
        "status": cert.status,
        "consistent": consistent,
        "lower": rig_lo if rig_lo else cert.upper,
        "upper": cert.upper,
        "rigorous_lower": rig_lo,
        "boxes": cert.n_boxes,
        "seconds": cert.seconds,
        "method": cert.method,
    }


def plot_png(out_dir, name: str, draw) -> str | None:
    """Draw with matplotlib (Agg) into out_dir/name; returns the file name (None without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    path = Path(out_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    draw(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _values(instance: Mapping[str, Any], key: str) -> tuple:
    v = instance.get(key)
    if not isinstance(v, (tuple, list)) or len(v) < 2:
        raise InvalidInput(f"instance {key}={v!r} must list at least two values")
    return tuple(v)


@dataclass(frozen=True, kw_only=True)
class PointsArgs(ClaimArgs):
    """A construction certified at several sizes: ``tol``, ``max_boxes`` and ``time_budget`` are per point."""

    construction: Construction
    tol: float = 0.05
    max_boxes: int = 1 << 14
    time_budget: float = 30.0


@dataclass(frozen=True, kw_only=True)
class RateArgs(PointsArgs):
    """``fitted_rate``: the fitted exponent of the sup error in ``param`` is <= -alpha + slope_tol."""

    alpha: Expr
    param: str = "m"
    slope_tol: float = 0.1
    log_power: float = 0.0
    tail: int | None = None  # fit on the last ``tail`` sizes (default all)
    two_sided: bool = False  # the claim "exponent == alpha within slope_tol" (a construction's predicted exponent)


@dataclass(frozen=True, kw_only=True)
class FlatArgs(PointsArgs):
    """``error_flat_in_parameter``: max_v e(v) / min_v e(v) <= ratio."""

    param: str = "D"
    ratio: float = 1.5


def _figure_name(claim: Claim, a: PointsArgs, kind: str, instance) -> str:
    path = a.construction.split(":")
    stem = f"{path[0].split('.')[-1]}_{path[-1]}_{claim.name}"
    fixed = "_".join(f"{k}{v}" for k, v in instance.items() if not isinstance(v, (tuple, list)))
    name = f"{stem}_{kind}{'_' + fixed if fixed else ''}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "", name)[:150] + ".png"


#: certified points whose search settled (status PROVED), by (construction, point, tol, max_boxes, device, seed).
#: A settled search is a pure function of that key (its sampling seed is derived from the key, never from a
#: row, and a search that settles within a time budget settles identically within any larger one), so the
#: rows reading one point (a fitted rate and the two-sided rate on the same sizes) certify it once per process.
_POINTS: dict[tuple, dict] = {}


def _share_points(a: PointsArgs, instance: Mapping[str, Any]) -> tuple:
    """The rows of one construction at one instance read the same certified points (run them in one worker)."""
    return ("certified_points", a.construction, frozen_instance(instance), a.tol, a.max_boxes)


def _point(a: PointsArgs, point: Mapping[str, Any], ctx: CheckContext, budget: float) -> dict:
    """The certified point (from :data:`_POINTS` when an identical search has settled in this process)."""
    key = (a.construction, frozen_instance(point), a.tol, a.max_boxes, ctx.device)
    seed = ctx.shared_seed(f"certified_point {key!r}")
    if (hit := _POINTS.get((key, seed))) is not None:
        return dict(hit)
    built = build_construction(a.construction, point)
    p = certified_point(built, ctx, tol=a.tol, max_boxes=a.max_boxes, time_budget=budget, seed=seed)
    if p["status"] is Status.PROVED:
        _POINTS[(key, seed)] = dict(p)
    return p


def _points(a: PointsArgs, instance, key: str, param: str, ctx: CheckContext) -> tuple[tuple, list[dict]]:
    values = _values(instance, key)
    base = {k: v for k, v in instance.items() if k != key}
    resolve(a.construction)  # fail early on a bad path
    pts = []
    for i, v in enumerate(values):
        ctx.check_deadline()
        budget = max(1.0, min(a.time_budget, ctx.time_left() / max(1, len(values) - i) - 1.0))
        pts.append(_point(a, {**base, param: v}, ctx, budget))
    return values, pts


def _inconsistent(values, pts, param: str) -> Outcome | None:
    bad = [v for v, p in zip(values, pts) if not p["consistent"]]
    if not bad:
        return None
    return Outcome(
        Verdict.UNKNOWN,
        method="certified sup error per point",
        why=f"inconsistent replay at {param} in {bad}: the replayed lower bound exceeds the certified "
        f"upper bound (a fault of the replay, never a pass)",
        evidence=Evidence(extra={str(v): f"upper {p['upper']:.6g} ({_shown(p)})" for v, p in zip(values, pts)}),
    )


def _error_bounds(pts: list[dict]) -> tuple[bool, list[float], list[float]]:
    """(all certified, per-point lower, per-point upper) of the sup errors behind a rate or flatness claim.

    Only when every point is certified with a positive rigorous lower bound are the lower ends rigorous;
    otherwise both ends fall back to the sampled values (and the verdict cannot be CERTIFIED).
    """
    certified = all(p["status"] is Status.PROVED and (p["rigorous_lower"] or 0) > 0 for p in pts)
    lower = [p["rigorous_lower"] if certified else p["lower"] for p in pts]
    upper = [p["upper"] if p["status"] is Status.PROVED else p["lower"] for p in pts]
    return certified, lower, upper


def _shown(p: dict) -> str:
    return str(p["status"]) if p["consistent"] else "inconsistent"


def _claim_status(certified: bool, holds: bool, fails: bool) -> Status:
    """PROVED when the claim holds on the (certified or sampled) enclosures, REFUTED only when it fails
    on certified ones; with ``certified`` False the verdict is asked with ``empirical=True``."""
    return Status.PROVED if holds else Status.REFUTED if certified and fails else Status.UNKNOWN


@register_check("fitted_rate", args=RateArgs, share=_share_points)
def fitted_rate(claim: Claim, a: RateArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Error exponent in a size parameter, one-sided against ``alpha`` (see the module docstring).

    ``args``: construction (dotted path), param (the size's name, e.g. 'm'), alpha (sympy expression
    in the instance), slope_tol (default 0.1), log_power (default 0), tail (default all), tol,
    max_boxes, time_budget (per point). The instance lists the sizes under ``sizes``.
    """
    param = a.param
    alpha = formula_float(a.alpha, instance)
    stol = a.slope_tol
    lp = a.log_power
    sizes, pts = _points(a, instance, "sizes", param, ctx)
    if (bad := _inconsistent(sizes, pts, param)) is not None:
        return bad
    certified, lower, upper = _error_bounds(pts)
    fit = fit_rate(sizes, lower, upper, log_power=lp, tail=a.tail)
    goal = -alpha + stol
    worst = max(fit.slope_hi, fit.loo_hi)
    if a.two_sided:
        return _two_sided(claim, a, instance, ctx, sizes, pts, certified, lower, upper, fit, alpha)

    def draw(ax):
        ax.loglog(sizes, upper, "o-", label="certified upper" if certified else "error (upper/sampled)")
        ax.loglog(sizes, lower, "x:", label="replayed lower" if certified else "sampled lower")
        ref = np.asarray(sizes, dtype=float)
        ax.loglog(ref, upper[0] * (ref / ref[0]) ** (-alpha), "--", label=f"slope -{alpha:g} (claimed)")
        ax.set_xlabel(param)
        ax.set_ylabel("sup error")
        ax.set_title(
            f"{claim.name}: fitted slope {fit.slope:.2f}" + (f" (of e / log^{lp:g} {param})" if lp else ""), fontsize=9
        )
        ax.legend(fontsize=7)

    fig = plot_png(ctx.out_dir, _figure_name(claim, a, f"error_vs_{param}", instance), draw)
    table = {
        str(s): f"[{lo:.4g}, {hi:.4g}] ({_shown(p)}, {p['boxes']} boxes)"
        for s, lo, hi, p in zip(sizes, lower, upper, pts)
    }
    ev = Evidence(
        lower_bound=fit.slope_lo,
        upper_bound=worst,
        replay="exact replay of each point's lower bound",
        extra={
            "slope": round(fit.slope, 4),
            "slope_range": (round(fit.slope_lo, 4), round(fit.slope_hi, 4)),
            "loo_range": (round(fit.loo_lo, 4), round(fit.loo_hi, 4)),
            "r2": round(fit.r2, 5),
            "log_power": lp,
            "alpha": alpha,
            "points": table,
        },
    )
    # slack in exponent units: how far alpha could be raised and the rule still hold (negative: refuted)
    common = dict(
        measured=worst if certified else fit.slope,
        bound=goal,
        sense="le",
        evidence=ev,
        figures=(fig,) if fig else (),
        slack=goal - (worst if certified else fit.slope),
        slack_kind="exponent",
        slack_note="exponent margin: (-alpha + slope_tol) - largest consistent slope",
    )
    fin = f"least-squares slope over {param} in {list(sizes)} (finite range; not the asymptotic O-rate itself)"
    status = _claim_status(certified, worst <= goal if certified else fit.slope_hi <= goal, fit.slope_lo > goal)
    verdict = verdict_of(status, empirical=not certified)
    if verdict is Verdict.CERTIFIED:
        return Outcome(
            verdict,
            method=f"{fin}; slope interval from certified enclosures, LOO range",
            why=f"every consistent slope <= {worst:.3f} <= -alpha + tol = {goal:.3f} "
            f"(fit {fit.slope:.3f}, r^2 {fit.r2:.4f})",
            **common,
        )
    if verdict is Verdict.FAIL:
        return Outcome(
            verdict,
            method=f"{fin}; slope interval from certified enclosures",
            why=f"even the smallest consistent slope {fit.slope_lo:.3f} > -alpha + tol = {goal:.3f}",
            **common,
        )
    if verdict is Verdict.PASS_EMPIRICAL:
        return Outcome(
            verdict,
            method=f"{fin}; some points not certified within budget",
            why=f"fitted slope {fit.slope:.3f} <= {goal:.3f} on sampled/partly certified errors",
            **common,
        )
    return Outcome(
        verdict,
        method=fin,
        why=f"slope range [{fit.ci[0]:.3f}, {fit.ci[1]:.3f}] straddles {goal:.3f} or points uncertified",
        **common,
    )


def _two_sided(
    claim, a: RateArgs, instance, ctx, sizes, pts, certified, lower, upper, fit: RateFit, alpha: float
) -> Outcome:
    """ "Exponent == alpha within slope_tol": every consistent slope (full tail and leave-one-out) in
    [-alpha - tol, -alpha + tol] is CERTIFIED; all consistent full-tail slopes outside it, on certified
    points, is FAIL; otherwise UNKNOWN (PASS-EMPIRICAL on sampled points inside the window)."""
    lo_edge, hi_edge = -alpha - a.slope_tol, -alpha + a.slope_tol
    c_lo, c_hi = fit.ci
    holds = lo_edge <= c_lo and c_hi <= hi_edge if certified else lo_edge <= fit.slope <= hi_edge
    fails = fit.slope_lo > hi_edge or fit.slope_hi < lo_edge
    verdict = verdict_of(_claim_status(certified, holds, fails), empirical=not certified)
    off = max(abs(c_lo + alpha), abs(c_hi + alpha)) if certified else abs(fit.slope + alpha)

    def draw(ax):
        ax.loglog(sizes, upper, "o-", label="certified upper" if certified else "error (upper/sampled)")
        ref = np.asarray(sizes, dtype=float)
        ax.loglog(ref, upper[0] * (ref / ref[0]) ** (-alpha), "--", label=f"slope -{alpha:g} (predicted)")
        ax.set_xlabel(a.param)
        ax.set_ylabel("sup error")
        ax.set_title(f"{claim.name}: slope {fit.slope:.2f} vs -{alpha:g} +- {a.slope_tol:g}", fontsize=9)
        ax.legend(fontsize=7)

    fig = plot_png(ctx.out_dir, _figure_name(claim, a, f"error_vs_{a.param}", instance), draw)
    ev = Evidence(
        lower_bound=c_lo,
        upper_bound=c_hi,
        replay="exact replay of each point's lower bound",
        extra={
            "slope": round(fit.slope, 4),
            "slope_range": (round(fit.slope_lo, 4), round(fit.slope_hi, 4)),
            "loo_range": (round(fit.loo_lo, 4), round(fit.loo_hi, 4)),
            "alpha": alpha,
            "window": (lo_edge, hi_edge),
            "points": {
                str(sz): f"[{lo:.4g}, {hi:.4g}] ({_shown(p)})" for sz, lo, hi, p in zip(sizes, lower, upper, pts)
            },
        },
    )
    method = (
        f"least-squares slope over {a.param} in {list(sizes)}, two-sided against the predicted exponent "
        f"{alpha:g} +- {a.slope_tol:g} (slope interval from the enclosures, leave-one-out range)"
    )
    why = f"consistent slopes [{c_lo:.3f}, {c_hi:.3f}] (fit {fit.slope:.3f}) vs window [{lo_edge:.3f}, {hi_edge:.3f}]"
    return Outcome(
        verdict,
        measured=fit.slope,
        bound=-alpha,
        sense="eq",
        method=method,
        why=(
            "inside the window: "
            if verdict.is_pass
            else "outside the window: "
            if verdict is Verdict.FAIL
            else "not decided: "
        )
        + why,
        evidence=ev,
        figures=(fig,) if fig else (),
        slack=a.slope_tol - off,
        slack_kind="exponent",
        slack_note="exponent margin: slope_tol - largest distance of a consistent slope from -alpha",
    )


@register_check("error_flat_in_parameter", args=FlatArgs, share=_share_points)
def error_flat_in_parameter(claim: Claim, a: FlatArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """max_v e(v) / min_v e(v) <= ratio for certified sup errors e(v) over the instance's ``values``.

    ``args``: construction, param (e.g. 'D'), ratio (default 1.5), tol, max_boxes, time_budget.
    """
    param = a.param
    ratio = a.ratio
    values, pts = _points(a, instance, "values", param, ctx)
    if (bad := _inconsistent(values, pts, param)) is not None:
        return bad
    certified, lo, hi = _error_bounds(pts)
    worst = max(hi) / min(lo)
    best = max(lo) / min(hi)

    def draw(ax):
        ax.semilogx(values, hi, "o-", label="certified upper" if certified else "upper/sampled")
        ax.semilogx(values, lo, "x:", label="replayed lower" if certified else "sampled lower")
        ax.set_ylim(0, 1.3 * max(hi))
        ax.set_xlabel(param)
        ax.set_ylabel("sup error")
        ax.set_title(f"{claim.name}: max/min <= {worst:.3f}")
        ax.legend(fontsize=7)

    fig = plot_png(ctx.out_dir, _figure_name(claim, a, f"error_vs_{param}", instance), draw)
    ev = Evidence(
        lower_bound=best,
        upper_bound=worst,
        extra={str(v): f"[{l:.6g}, {h:.6g}] ({_shown(p)})" for v, l, h, p in zip(values, lo, hi, pts)},
    )
    common = dict(measured=worst, bound=ratio, sense="le", evidence=ev, figures=(fig,) if fig else ())
    method = f"certified sup error at {param} in {list(values)}; ratio max upper / min replayed lower"
    verdict = verdict_of(_claim_status(certified, worst <= ratio, best > ratio), empirical=not certified)
    if verdict is Verdict.CERTIFIED:
        return Outcome(verdict, method=method, why=f"max/min <= {worst:.4f} <= {ratio}", **common)
    if verdict is Verdict.FAIL:
        return Outcome(verdict, method=method, why=f"max/min >= {best:.4f} > {ratio}", **common)
    if verdict is Verdict.PASS_EMPIRICAL:
        return Outcome(
            verdict,
            method=method + " (some points not certified)",
            why=f"max/min ~ {worst:.4f} <= {ratio} on partly sampled errors",
            **common,
        )
    return Outcome(verdict, method=method, why=f"max/min in [{best:.4f}, {worst:.4f}] vs {ratio}", **common)
