"""Checks specific to Kratsios et al. 2024 (MoMLP) that no generic check covers.

* ``momlp_active_memory`` (K1): out-of-core inference keeps one routed expert resident; the measured
  peak stays flat while the number of experts grows 16x (PASS-EMPIRICAL: a measurement of runs).
* ``momlp_tradeoff_exponents`` (K2): experts and expert sizes counted from built networks over an eps
  grid; fitted exponents against n - 2r and r (PASS-EMPIRICAL: a fit over a finite range).
* ``momlp_sign_patterns`` (K3): falsification of the stated VC bound by sign-pattern counts.
* ``sin_unit_shattering`` (K4): every labelling of s points realised by one sin unit (CERTIFIED:
  exact rational sign decisions).
* ``momlp_single_network_baseline`` (K5): single-network parameter counts next to the MoMLP's,
  fitted exponent against n/2 (PASS-EMPIRICAL), with a Markdown table and the rate plot.

Arguments come from ``claim.args`` (static) and the instance; every size is counted from the network.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import sympy

from checkers.checks._args import ClaimArgs, Construction, Expr
from checkers.checks._construct import build_construction, eval_formula
from checkers.checks._kratsios_vc import (
    pattern_count,
    sauer_shelah,
    shattered_size,
    sin_labelling_signs,
)
from checkers.checks._outcome import Evidence, Outcome, Verdict
from checkers.checks._registry import CheckContext, register_check
from constructions import ActiveMemoryMoE, count_sizes, evaluate_numpy
from constructions.momlp import momlp, momlp_net, single_network
from proofs import Claim, InvalidInput


def _eps_grid(inst: Mapping[str, Any]) -> np.ndarray:
    hi, lo, k = float(inst["eps_max"]), float(inst["eps_min"]), int(inst["n_eps"])
    if not (0 < lo < hi < 1 and k >= 3):
        raise InvalidInput(
            f"eps grid eps_max={hi!r}, eps_min={lo!r}, n_eps={k!r}: need 0 < eps_min < eps_max < 1, n_eps >= 3"
        )
    return np.geomspace(hi, lo, k)


def _slope(eps: np.ndarray, counts) -> float:
    """Least-squares exponent a in count ~ eps^-a."""
    return float(np.polyfit(np.log(1 / eps), np.log(np.asarray(counts, dtype=float)), 1)[0])


def _plot(path: Path, draw) -> str | None:
    """Draw with matplotlib (Agg) into ``path``; None when matplotlib is not installed (no figure)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = draw(plt)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


# ------------------------------------------------------------------------------------------ K1 memory


@dataclass(frozen=True, kw_only=True)
class ActiveMemoryArgs(ClaimArgs):
    """``momlp_active_memory``: peak resident expert bytes with ``growth`` x the experts <= ``ratio_tol`` x
    the peak with 1x, over ``n_points`` sample points."""

    growth: int = 16
    ratio_tol: float = 1.5
    n_points: int = 4000


@register_check("momlp_active_memory", args=ActiveMemoryArgs)
def momlp_active_memory(claim: Claim, a: ActiveMemoryArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:

    n = int(instance["n_in"])
    growth, tol, n_pts = a.growth, a.ratio_tol, a.n_points
    step = max(1, math.ceil(math.log2(growth) / n))  # extra router levels: 2^(n step) >= growth times the experts
    D = int(instance["depth"])
    x = np.random.default_rng(ctx.seed).random((n_pts, n))
    rows = []
    with tempfile.TemporaryDirectory(prefix="moecheck-active-") as tmp:
        for depth in (D, D + step):
            net = momlp_net(
                instance["function"],
                n,
                depth=depth,
                experts=instance.get("experts", "cpwl"),
                sub_level=int(instance.get("sub_level", 0)),
            )
            am = ActiveMemoryMoE(net, Path(tmp) / f"D{depth}")
            am(x[:64])  # warm-up: first-call allocations of numpy are not the experts
            y, st = am(x)
            dev = float(np.max(np.abs(y - evaluate_numpy(net, x))))
            rows.append((depth, st, dev))
            ctx.check_deadline()
    (d0, s0, e0), (d1, s1, e1) = rows
    ratio = s1.peak_traced_bytes / max(1, s0.peak_traced_bytes)
    exact = max(e0, e1) <= 1e-9
    ok = (
        exact
        and s1.peak_expert_bytes == s0.peak_expert_bytes
        and ratio <= tol
        and s1.peak_traced_bytes < s1.all_expert_bytes
    )
    grown = s1.n_experts / s0.n_experts
    why = (
        f"{s0.n_experts} -> {s1.n_experts} experts ({grown:.0f}x; expert table {s0.all_expert_bytes} -> "
        f"{s1.all_expert_bytes} B on disk): peak resident expert bytes {s0.peak_expert_bytes} -> "
        f"{s1.peak_expert_bytes}, traced heap peak {s0.peak_traced_bytes} -> {s1.peak_traced_bytes} B "
        f"(x{ratio:.2f}); outputs equal the in-memory net to {max(e0, e1):.1e}"
    )
    if not exact:
        why = "out-of-core outputs differ from the in-memory network: " + why
    return Outcome(
        Verdict.PASS_EMPIRICAL if ok else Verdict.FAIL,
        measured=ratio,
        bound=tol,
        sense="le",
        method=f"np.memmap experts, one routed expert loaded at a time; tracemalloc over {n_pts} points "
        "(a measurement of two runs, not a proof)",
        why=why,
        evidence=Evidence(
            seed=ctx.seed,
            extra={
                "depths": [d0, d1],
                "n_experts": [s0.n_experts, s1.n_experts],
                "peak_expert_bytes": [s0.peak_expert_bytes, s1.peak_expert_bytes],
                "peak_traced_bytes": [s0.peak_traced_bytes, s1.peak_traced_bytes],
                "all_expert_bytes": [s0.all_expert_bytes, s1.all_expert_bytes],
                "experts_loaded": [s0.experts_loaded, s1.experts_loaded],
            },
        ),
    )


# ------------------------------------------------------------------------------------------ K1 routing depth


def _tree_router(net):
    """The (first) tree router of ``net``."""
    for v in net.order:
        router = getattr(net.spec(v), "router", None)
        if router is not None and hasattr(router, "centres"):
            return router
    raise InvalidInput("the construction has no tree router")


def least_depth(lipschitz: float, n: int, eps: float) -> int:
    """The least D >= 1 with L sqrt(n) 2^-(D+1) <= eps, in exact rationals (squared: L^2 n <= (2^(D+1) eps)^2).

    >>> least_depth(2.0, 1, 0.03)  # 2 / 2^(D+1) <= 0.03 first at D = 6
    6
    """
    from fractions import Fraction

    L2n, e = Fraction(lipschitz) ** 2 * n, Fraction(eps)
    D = 1
    while L2n > (2 ** (D + 1) * e) ** 2:
        D += 1
    return D


@dataclass(frozen=True, kw_only=True)
class RoutingDepthArgs(ClaimArgs):
    """``routing_depth_from_tree``: the routing path of the built tree == ``formula``; ``quantity`` and
    ``relation`` may be given and must name what is measured (the routing path, equality)."""

    construction: Construction
    formula: Expr
    quantity: Literal["routing_path_params"] = "routing_path_params"
    relation: Literal["eq"] = "eq"
    bound_key: ClassVar[str] = "formula"

    def stated(self) -> tuple[str, Any, Any]:
        return "eq", self.quantity, self.formula


@register_check("routing_depth_from_tree", args=RoutingDepthArgs)
def routing_depth_from_tree(
    claim: Claim, a: RoutingDepthArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:
    """Routing path of the *built* tree (levels walked, leaf-cell side measured) against the claim's
    formula and, independently, the least D meeting the Lipschitz error bound in exact rationals."""
    n = int(instance["n_in"])
    built = build_construction(a.construction, instance)
    router = _tree_router(built.net)
    x = np.random.default_rng(ctx.seed).random((256, n))
    levels = len(router.centres)  # one centre (n numbers) read per level walked
    node, read = np.zeros(len(x), dtype=np.int64), np.zeros(len(x), dtype=np.int64)
    for c in router.centres:
        node = node * 2**n + (x >= c[node]).astype(np.int64) @ (2 ** np.arange(n))
        read += c.shape[1]
    lo, hi = router.leaf_cells(np.zeros(n), np.ones(n))
    side = float(np.max(hi - lo))
    d_geom = round(-math.log2(side))
    d_star = least_depth(float(instance["lipschitz"]), n, float(instance["eps"]))
    rhs = eval_formula(a.formula, instance)
    path = int(read.max())
    facts = (
        f"walked {levels} levels reading {path} numbers per input; leaf cells of side 2^-{d_geom}; "
        f"least D with L sqrt(n) 2^-(D+1) <= eps (exact rationals): {d_star}; formula {a.formula} = {rhs}"
    )
    ok = (
        path == int(read.min()) == n * levels
        and side == 2.0**-levels
        and d_geom == levels
        and path == n * d_star
        and sympy.Integer(path) == rhs
    )
    return Outcome(
        Verdict.CERTIFIED if ok else Verdict.FAIL,
        measured=path,
        bound=float(rhs),
        sense="eq",
        method="counted by walking the built tree on 256 points and measuring its leaf cells",
        why=facts if ok else "mismatch: " + facts,
        evidence=Evidence(
            point=tuple(f"{k}={instance[k]}" for k in ("n_in", "eps", "lipschitz")),
            replay="exact integer counts and rational depth",
            seed=ctx.seed,
            extra={"levels": levels, "leaf_side": side, "least_depth": d_star},
        ),
    )


# ------------------------------------------------------------------------------------------ K2 trade-off


def _counts(built) -> tuple[int, int]:
    """(number of experts, parameters per expert); one MLP counts as one expert of all its parameters."""
    s = count_sizes(built.net)
    return (s.n_experts, s.params_per_expert) if s.n_experts else (1, s.n_params)


@dataclass(frozen=True, kw_only=True)
class TradeoffArgs(ClaimArgs):
    """``momlp_tradeoff_exponents``: fitted exponents of the expert count and size, for a Lipschitz-only f and a
    smooth f (formulas in x0..): at most K2's (n - 2r, r) + ``tol`` and within ``tol`` of our construction's
    predicted ones on both sides (constant experts: (n, 0); cpwl: (n/2, 0); deep: (n/2 - r, r))."""

    smooth: str
    lipschitz_only: str
    tol: float = 0.3


@register_check("momlp_tradeoff_exponents", args=TradeoffArgs)
def momlp_tradeoff_exponents(claim: Claim, a: TradeoffArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:

    n = int(instance["n_in"])
    tol, eps = a.tol, _eps_grid(instance)
    rows = [
        ("constant", a.lipschitz_only, 0.0, "constant experts, kinked f (Lipschitz)"),
        ("cpwl", a.smooth, 0.0, "cpwl experts, C^2 f"),
        ("deep", a.smooth, n / 4, "deep experts r = n/4, C^2 f"),
        ("deep", a.smooth, n / 2, "deep experts r = n/2, C^2 f"),
    ]
    table, failures = [], []
    for fam, f, r, label in rows:
        N, S = [], []
        for e in eps:
            b = momlp(f, n, float(e), experts=fam, r=r if fam == "deep" else None)
            k, s = _counts(b)
            N.append(k)
            S.append(s)
            ctx.check_deadline()
        aN, aS = _slope(eps, N), _slope(eps, S)
        pN, pS = (n, 0.0) if fam == "constant" else (n / 2 - r, r)  # our construction's exponents
        table.append(
            {
                "row": label,
                "r": r,
                "experts_exponent": aN,
                "size_exponent": aS,
                "bound_experts": n - 2 * r,
                "bound_size": r,
                "predicted_experts": pN,
                "predicted_size": pS,
                "n_experts": N,
                "params_per_expert": S,
            }
        )
        if aN > n - 2 * r + tol or aS > r + tol:
            failures.append(
                f"{label}: fitted n_experts ~ eps^-{aN:.2f} (bound {n - 2 * r:g}), size ~ eps^-{aS:.2f} (bound {r:g})"
            )
        if abs(aN - pN) > tol or abs(aS - pS) > tol:
            failures.append(
                f"{label}: fitted (experts, size) exponents ({aN:.2f}, {aS:.2f}) not within {tol:g} of "
                f"the construction's ({pN:g}, {pS:g})"
            )

    def draw(plt):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        for row in table:
            ax1.loglog(1 / eps, row["n_experts"], "o-", label=f"{row['row']} (slope {row['experts_exponent']:.2f})")
            ax2.loglog(row["params_per_expert"], row["n_experts"], "s-", label=row["row"])
        ax1.set_xlabel("1/eps"), ax1.set_ylabel("number of experts"), ax1.legend(fontsize=7)
        ax1.set_title(f"K2: experts vs eps (n = {n}; bound eps^-(n-2r))")
        ax2.set_xlabel("parameters per expert"), ax2.set_ylabel("number of experts"), ax2.legend(fontsize=7)
        ax2.set_title("trade-off across r (each curve: eps grid)")
        return fig

    figs = tuple(f for f in (_plot(Path(ctx.out_dir) / "kratsios2024_k2_tradeoff.png", draw),) if f)
    # the worst distance, in exponent units, from K2's upper bound (one-sided) or our prediction (two-sided)
    worst = max(
        max(
            t["experts_exponent"] - t["bound_experts"],
            t["size_exponent"] - t["bound_size"],
            abs(t["experts_exponent"] - t["predicted_experts"]),
            abs(t["size_exponent"] - t["predicted_size"]),
        )
        for t in table
    )
    summary = "; ".join(
        f"{t['row']}: experts eps^-{t['experts_exponent']:.2f} (<= {t['bound_experts']:g}; ours "
        f"{t['predicted_experts']:g}), size eps^-{t['size_exponent']:.2f} (<= {t['bound_size']:g}; "
        f"ours {t['predicted_size']:g})"
        for t in table
    )
    ok = not failures
    return Outcome(
        Verdict.PASS_EMPIRICAL if ok else Verdict.FAIL,
        measured=worst,
        bound=tol,
        sense="le",
        slack=tol - worst,
        slack_kind="exponent",
        slack_note="exponent margin: tol - worst distance from K2's bound or the construction's exponent",
        method=f"counts from {len(rows) * len(eps)} built networks, least-squares exponents over "
        f"eps in [{eps[-1]:g}, {eps[0]:g}] (a fit, not a proof)",
        why=summary if ok else "; ".join(failures),
        evidence=Evidence(extra={"eps": eps.tolist(), "rows": table}),
        figures=figs,
    )


# ------------------------------------------------------------------------------------------ K3 VC dimension


@dataclass(frozen=True, kw_only=True)
class SignPatternsArgs(ClaimArgs):
    """``momlp_sign_patterns``: the VC dimension of random MoMLPs <= ``vc_bound`` (falsification by ``draws``)."""

    vc_bound: Expr
    draws: int = 20000  # an instance may override it
    bound_key: ClassVar[str] = "vc_bound"

    def stated(self) -> tuple[str, Any, Any]:
        return "le", "VCdim", self.vc_bound


@register_check("momlp_sign_patterns", args=SignPatternsArgs)
def momlp_sign_patterns(claim: Claim, a: SignPatternsArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    n, L, J, W = (int(instance[k]) for k in ("n_in", "L", "J", "W"))
    d = eval_formula(a.vc_bound, instance)
    d_bound = int(sympy.floor(d))
    draws = int(instance.get("draws", a.draws))
    s_lo, counts = shattered_size(n, L, J, W, draws=draws, seed=ctx.seed, s_max=min(16, d_bound + 1))
    ctx.check_deadline()
    s_g = min(62, max(2 * d_bound, 24))
    x = np.random.default_rng(ctx.seed + 1).random((s_g, n))
    count = pattern_count(x, draws, L, J, W, seed=ctx.seed + 2)
    sauer = sauer_shelah(s_g, d_bound)
    ok = s_lo <= d_bound and count <= sauer
    why = (
        f"largest set found shattered: {s_lo} points <= VC bound {d_bound}; on {s_g} points {count} sign "
        f"patterns <= Sauer-Shelah {sauer:.3g} (log2 margin {math.log2(sauer) - math.log2(count):.1f})"
    )
    if not ok:
        why = f"the VC bound {d_bound} is refuted: " + why
    return Outcome(
        Verdict.PASS_EMPIRICAL if ok else Verdict.FAIL,
        measured=max(s_lo, 0),
        bound=d_bound,
        sense="le",
        method=f"{draws} random MoMLPs (L={L} experts, J={J}, W={W}, n={n}), every threshold; "
        "pattern counts are lower bounds of the growth function (falsification only)",
        why=why,
        evidence=Evidence(
            seed=ctx.seed,
            extra={
                "vc_bound": str(d),
                "shattered_counts": counts,
                "s_growth": s_g,
                "patterns": count,
                "sauer_shelah": str(sauer),
            },
        ),
    )


# ------------------------------------------------------------------------------------------ K4 sin unit


@dataclass(frozen=True, kw_only=True)
class SinUnitArgs(ClaimArgs):
    """``sin_unit_shattering``: theta = pi (offset + sum_i (1 - y_i) 10^i); the classical offset is 1."""

    offset: int = 1


@register_check("sin_unit_shattering", args=SinUnitArgs)
def sin_unit_shattering(claim: Claim, a: SinUnitArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    s = int(instance["s_max"])
    if not 1 <= s <= 16:
        raise InvalidInput(f"s_max={s!r} must be an integer in 1..16 (2^s labellings are enumerated)")
    offset = a.offset
    bad = None
    for y in itertools.product((0, 1), repeat=s):
        if sin_labelling_signs(y, offset) != tuple(2 * v - 1 for v in y):
            bad = y
            break
        ctx.check_deadline()
    if bad is not None:
        return Outcome(
            Verdict.FAIL,
            measured=0,
            bound=s,
            sense="ge",
            method="exact rational sign decision",
            why=f"labelling {bad} is not realised",
            evidence=Evidence(point=tuple(map(str, bad))),
        )
    return Outcome(
        Verdict.CERTIFIED,
        measured=s,
        bound=s,
        sense="ge",
        method=f"all 2^{s} labellings of x_j = 10^-j realised by sign(sin(theta x)); signs decided "
        "exactly (theta x_j / pi rational, reduced mod 2)",
        why=(
            f"one sin unit (depth 1, width 1) shatters {s} points, so its VC dimension is >= {s} for every "
            "s checked (the classical infinite-VC example); the paper's own family is unchecked"
        ),
    )


# ------------------------------------------------------------------------------------------ K5 baseline


@dataclass(frozen=True, kw_only=True)
class BaselineArgs(ClaimArgs):
    """``momlp_single_network_baseline``: the fitted parameter exponent of one ReLU network for ``function``,
    within ``tol`` of n/2 on both sides (K5's exponent; our interpolant's too, on a C^2 target)."""

    function: str
    tol: float = 0.2


@register_check("momlp_single_network_baseline", args=BaselineArgs)
def momlp_single_network_baseline(
    claim: Claim, a: BaselineArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:

    n = int(instance["n_in"])
    tol, eps, f = a.tol, _eps_grid(instance), a.function
    rows = []
    for e in eps:
        single = count_sizes(single_network(f, n, float(e)).net)
        cons = count_sizes(momlp(f, n, float(e), experts="constant").net)
        cpwl = count_sizes(momlp(f, n, float(e), experts="cpwl").net)
        rows.append(
            {
                "eps": float(e),
                "single_params": single.n_params,
                "single_depth": single.depth,
                "cpwl_experts": cpwl.n_experts,
                "cpwl_params": cpwl.n_params,
                "cpwl_active": cpwl.active_params,
                "const_experts": cons.n_experts,
                "const_params": cons.n_params,
                "const_active": cons.active_params,
            }
        )
        ctx.check_deadline()
    col = {k: [r[k] for r in rows] for k in rows[0]}
    a_single = _slope(eps, col["single_params"])
    slopes = {k: _slope(eps, col[k]) for k in ("cpwl_params", "cpwl_active", "const_params", "const_active")}
    head = (
        "| eps | single MLP params (depth) | MoMLP cpwl: experts / total / active | "
        "MoMLP constant: experts / total / active |"
    )
    lines = [f"# K5 baseline: {f} on [0,1]^{n}", "", head, "|---|---|---|---|"]
    lines += [
        f"| {r['eps']:.4g} | {r['single_params']} ({r['single_depth']}) | {r['cpwl_experts']} / {r['cpwl_params']} / "
        f"{r['cpwl_active']} | {r['const_experts']} / {r['const_params']} / {r['const_active']} |"
        for r in rows
    ]
    lines += [
        "",
        f"fitted exponents (count ~ eps^-a): single {a_single:.2f} (K5: n/2 = {n / 2:g}); "
        + ", ".join(f"{k} {v:.2f}" for k, v in slopes.items()),
    ]
    out = Path(ctx.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "kratsios2024_k5_baseline.md").write_text("\n".join(lines) + "\n")

    def draw(plt):
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for key, label in (
            ("single_params", "one MLP: all parameters"),
            ("cpwl_params", "MoMLP cpwl: all"),
            ("cpwl_active", "MoMLP cpwl: active"),
            ("const_params", "MoMLP constant: all"),
            ("const_active", "MoMLP constant: active"),
        ):
            ax.loglog(1 / eps, col[key], "o-", label=f"{label} (slope {_slope(eps, col[key]):.2f})")
        ax.loglog(1 / eps, col["single_params"][0] * (eps[0] / eps) ** (n / 2), "k--", label=f"eps^-{n / 2:g} (K5)")
        ax.set_xlabel("1/eps"), ax.set_ylabel("parameters"), ax.legend(fontsize=7)
        ax.set_title(f"rates: {f}, n = {n}")
        return fig

    figs = tuple(f for f in ("kratsios2024_k5_baseline.md", _plot(out / "kratsios2024_rates.png", draw)) if f)
    ok = abs(a_single - n / 2) <= tol  # two-sided: neither faster nor slower than eps^-(n/2)
    why = (
        f"one MLP needs eps^-{a_single:.2f} parameters ({col['single_params'][-1]} at eps={eps[-1]:g}); the cpwl "
        f"MoMLP touches {col['cpwl_active'][-1]} per input (active exponent {slopes['cpwl_active']:.2f})"
    )
    return Outcome(
        Verdict.PASS_EMPIRICAL if ok else Verdict.FAIL,
        measured=a_single,
        bound=n / 2,
        sense="eq",
        slack=tol - abs(a_single - n / 2),
        slack_kind="exponent",
        slack_note="exponent margin: tol - |fitted exponent - n/2|",
        method=f"counts from built networks over {len(eps)} eps values, least-squares exponent "
        f"(two-sided, tolerance {tol:g}; a fit, not a proof)",
        why=why if ok else f"fitted exponent {a_single:.2f} is not within {tol:g} of n/2: " + why,
        evidence=Evidence(extra={"rows": rows, "exponents": {"single": a_single, **slopes}}),
        figures=figs,
    )
