"""``make bench``: MoE forward throughput and certification throughput, one run, one results file.

Usage: ``python -m benchmarks.bench [--profile small|full] [--device auto|cpu|cuda] [--out results]``.
Writes ``<out>/bench-<device>.json`` (device, torch version, date, every figure), PNG plots next to it,
and prints a table. Figures are measured in this run only; nothing is carried over or typed in.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

# idle OpenMP threads must sleep, not spin: spinning threads bill CPU time to every figure (set before torch loads)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from benchmarks.certify_bench import (
    box_throughput,
    certify_scaling,
    grid_vs_certified,
    peer_throughput,
)
from benchmarks.forward_bench import device_ceilings, forward_throughput
from benchmarks.scaling_bench import PhaseMemory, certify_per_cell, forward_headline, peer_widths
from checkers.report import make_console, run_meta, write_atomic
from checkers.run import resolve_device
from proofs import InvalidInput

# Goals from issue 7 (benchmark targets, never tests): (what, device kind, predicate over the results)
TARGETS = (
    ("forward fp64 d=2 m=64 E=4 >= 500 M points/s", "cuda", lambda r: _best_forward(r, 2, 64, 4) >= 500e6),
    ("forward fp64 d=8 m=256 E=16 >= 100 M points/s", "cuda", lambda r: _best_forward(r, 8, 256, 16) >= 100e6),
    ("our CROWN boxes/s >= peer's on the same machine", "any", lambda r: _crown_vs_peer(r) >= 1.0),
    # issue 15
    (
        "certify time per cell: exponent of time in cells <= 1.1 (dim 2, eps 0.1..0.005)",
        "any",
        lambda r: r["per_cell"]["time_exponent_in_cells"] <= 1.1,
    ),
    (
        "certify time per cell flat within 2x (dim 2, eps 0.1..0.005)",
        "any",
        lambda r: r["per_cell"]["us_per_cell_max_over_min"] <= 2.0,
    ),
    ("approx --dim 3 --eps 0.05 certified within the default budget", "any", lambda r: r["per_cell"]["dim3"]["proved"]),
    ("CROWN boxes/s >= 5x bound-propagation (2-64-64-1, float64)", "any", lambda r: _crown_vs_peer(r) >= 5.0),
    ("IBP boxes/s >= 1x bound-propagation (2-64-64-1, float64)", "any", lambda r: _crown_vs_peer(r, "ibp") >= 1.0),
    (
        "CROWN and IBP widths no looser than bound-propagation's (median ratio <= 1 + 1e-9)",
        "any",
        lambda r: max(w["median"] for w in r["peer_widths"].values()) <= 1 + 1e-9,
    ),
    (
        "MoE forward >= 5x the former compiled IR at 2^20 points (d=8, m=256, E=16)",
        "any",
        lambda r: r["forward_headline"]["speedup"] >= 5.0,
    ),
)


def _best_forward(res: dict, d: int, m: int, E: int) -> float:
    rows = [f for f in res["forward"] if (f["d"], f["m"], f["E"], f["dtype"]) == (d, m, E, "float64")]
    if not rows:
        raise ValueError("no forward figures in this run")
    return max(f["points_per_s"] for f in rows)


def _crown_vs_peer(res: dict, method: str = "crown") -> float:
    """Our boxes/s over the peer's, the smallest over the batch sizes: from the interleaved runs when present."""
    inter = [r["ratio"] for r in res.get("peer_ratio", []) if r["method"] == method]
    if inter:
        return min(inter)
    ours = {
        f["boxes"]: f["boxes_per_s"]
        for f in res["boxes"]
        if f["engine"] == f"moecheck {method}" and f["net"] == "relu 2-64-64-1"
    }
    peer = {f["boxes"]: f["boxes_per_s"] for f in res["peer"] if f["engine"] == f"bound-propagation {method}"}
    common = sorted(set(ours) & set(peer))
    if not common:
        raise ValueError("no peer figures in this run")
    return min(ours[b] / peer[b] for b in common)


def _plots(res: dict, out: Path, tag: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for variant in sorted({f["variant"] for f in res["forward"]}):
        rows = [f for f in res["forward"] if f["variant"] == variant and f["dtype"] == "float64"]
        labels = [f"d{f['d']} m{f['m']} E{f['E']}" for f in rows]
        ax.plot(labels, [f["points_per_s"] for f in rows], marker="o", label=variant)
    ax.set_yscale("log")
    ax.set_ylabel("points/s (float64)")
    ax.tick_params(axis="x", rotation=60)
    ax.set_title(f"MoE forward throughput ({res['meta']['device_name']})")
    ax.legend()
    fig.tight_layout()
    name = f"bench-forward-{tag}.png"
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    names.append(name)
    fig, ax = plt.subplots(figsize=(6, 4))
    for engine in sorted({f["engine"] for f in res["boxes"] + res["peer"]}):
        rows = [f for f in res["boxes"] + res["peer"] if f["engine"] == engine and f["net"] == "relu 2-64-64-1"]
        ax.plot([f["boxes"] for f in rows], [f["boxes_per_s"] for f in rows], marker="o", label=engine)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("boxes per call")
    ax.set_ylabel("boxes/s")
    ax.set_title("bound propagation on 2-64-64-1")
    ax.legend()
    fig.tight_layout()
    name = f"bench-boxes-{tag}.png"
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    names.append(name)
    if res["scaling"]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for n in sorted({r["n"] for r in res["scaling"]}):
            rows = [r for r in res["scaling"] if r["n"] == n]
            ax.plot([1 / r["eps"] for r in rows], [r["seconds"] for r in rows], marker="o", label=f"n={n}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("1/eps")
        ax.set_ylabel("seconds to certify")
        ax.set_title("MoMLP certification time")
        ax.legend()
        fig.tight_layout()
        name = f"bench-scaling-{tag}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        names.append(name)
    rows = [r for r in (res.get("per_cell") or {}).get("rows", []) if r["proved"]]
    if rows:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot([1 / r["eps"] for r in rows], [r["us_per_cell"] for r in rows], marker="o", label="us per cell")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("1/eps")
        ax.set_ylabel("microseconds per cell")
        ax.set_title("approx sin(3*x0)*x1, dim 2: certify time per cell")
        ax.legend()
        fig.tight_layout()
        name = f"bench-per-cell-{tag}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        names.append(name)
    return names


def _table(res: dict) -> None:

    con = make_console()
    if res["forward"]:
        _forward_table(con, res)
    if res["boxes"] or res["peer"]:
        _boxes_table(con, res)
    if res["grid"]:
        _grid_line(con, res["grid"])
    if res["scaling"]:
        _scaling_table(con, res["scaling"])
    _issue15_lines(con, res)
    for name, verdict in res["targets"].items():
        con.print(f"target: {name}: {verdict}")


def _issue15_lines(con, res: dict) -> None:
    pc = res.get("per_cell") or {}
    for r in pc.get("rows", []):
        con.print(
            f"certify per cell (dim 2) eps={r['eps']}: {r['status']}, {r['cells']:,} cells, {r['seconds']:.2f}s, "
            f"{r['us_per_cell']:.1f} us/cell"
        )
    if pc:
        con.print(
            f"  exponent of time in cells {pc['time_exponent_in_cells']:.2f}; us/cell max/min "
            f"{pc['us_per_cell_max_over_min']:.2f} (CPU time: {pc['us_per_cell_cpu_max_over_min']:.2f}); "
            f"dim 3 eps 0.05: {pc['dim3']['status']} in "
            f"{pc['dim3']['seconds']:.1f}s"
        )
    fh = res.get("forward_headline") or {}
    if fh:
        con.print(
            f"forward d=8 m=256 E=16 at {fh['points']:,} points: {fh['segments_points_per_s']:,.0f} points/s "
            f"({fh['speedup']:.2f}x the former compiled IR, {fh['speedup_vs_loop']:.2f}x the loop mode, "
            f"{fh['ratio_to_floor']:.3f} of the floor, "
            f"{fh['experts_used']:.0%} of experts used)"
        )
    for method, w in (res.get("peer_widths") or {}).items():
        con.print(f"{method} width ours/peer: median {w['median']:.6f}, min {w['min']:.4f}, max {w['max']:.4f}")
    for name, b in (res.get("peak_rss_bytes") or {}).items():
        con.print(f"peak RSS {name}: {b / 2**20:,.0f} MiB")


def _forward_table(con, res: dict) -> None:
    from rich.table import Table

    t = Table(title=f"MoE forward, points/s ({res['meta']['device_name']})", title_justify="left")
    for c in ("variant", "dtype", "d", "m", "E", "points/s", "x floor"):
        t.add_column(c, justify="right" if c not in ("variant", "dtype") else "left")
    for f in res["forward"]:
        t.add_row(
            f["variant"],
            f["dtype"],
            str(f["d"]),
            str(f["m"]),
            str(f["E"]),
            f"{f['points_per_s']:,.0f}",
            f"{f['ratio_to_floor']:.3f}",
        )
    con.print(t)


def _boxes_table(con, res: dict) -> None:
    from rich.table import Table

    t = Table(title="bound propagation, boxes/s", title_justify="left")
    for c in ("engine", "net", "boxes", "boxes/s"):
        t.add_column(c)
    for f in res["boxes"] + res["peer"]:
        t.add_row(f["engine"], f["net"], str(f["boxes"]), f"{f['boxes_per_s']:,.0f}")
    con.print(t)


def _grid_line(con, g: dict) -> None:
    con.print(
        f"grid vs certified (2-64-64-1 max on [0,1]^2): certified upper {g['certified_upper']:.6f} in "
        f"{g['certify_seconds']:.2f}s over {g['boxes']} boxes; grid sampling for the same time reached "
        f"{g['grid_lower']:.6f} with {g['grid_points']:,} points (gap {g['gap']:.2e})"
    )


def _scaling_table(con, rows: list) -> None:
    from rich.table import Table

    if rows:
        t = Table(title="time to certify eps, MoMLP (CPWL experts)", title_justify="left")
        for c in ("n", "eps", "experts", "status", "seconds", "time exp. in 1/eps", "cells exp. in 1/eps"):
            t.add_column(c)
        for r in rows:
            t.add_row(
                str(r["n"]),
                str(r["eps"]),
                str(r["experts"]),
                r["status"],
                f"{r['seconds']:.2f}",
                f"{r.get('time_exponent_in_1_over_eps', float('nan')):.2f}",
                f"{r.get('cells_exponent_in_1_over_eps', float('nan')):.2f}",
            )
        con.print(t)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="moecheck-bench", description=__doc__.splitlines()[0])
    p.add_argument("--profile", choices=["small", "full"], default="small")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--out", default="results")
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["forward", "headline", "boxes", "peer", "widths", "grid", "scaling", "per-cell"],
    )
    p.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    args = p.parse_args(argv)
    try:
        device = resolve_device(args.device)
    except InvalidInput as exc:
        print(f"moecheck-bench: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.perf_counter()
    torch.set_num_threads(args.threads or torch.get_num_threads())
    name = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    ceilings = {dt: device_ceilings(device, getattr(torch, dt)) for dt in ("float64", "float32")}
    res: dict = {"meta": run_meta(device=device, device_name=name, profile=args.profile, ceilings=ceilings)}
    mem = PhaseMemory()
    skip = set(args.skip)

    def phase(name, fn, empty):
        return mem.run(name, fn) if name not in skip else empty

    res["forward"] = phase(
        "forward", lambda: [f.as_dict() for f in forward_throughput(args.profile, device, ceilings, log)], []
    )
    res["forward_headline"] = phase("headline", lambda: forward_headline(device, ceilings, log), {})
    res["boxes"] = phase("boxes", lambda: [f.as_dict() for f in box_throughput(args.profile, device, log)], [])
    peer, peer_note, ratios = phase("peer", lambda: peer_throughput(args.profile, device, log), ([], "skipped", []))
    res["peer"], res["meta"]["peer"], res["peer_ratio"] = [f.as_dict() for f in peer], peer_note, ratios
    res["peer_widths"] = phase("widths", lambda: peer_widths(device), {})
    res["grid"] = phase("grid", lambda: grid_vs_certified(args.profile, device), {})
    res["scaling"] = phase("scaling", lambda: certify_scaling(args.profile, device, log), [])
    res["per_cell"] = phase("per-cell", lambda: certify_per_cell(args.profile, device, log), {})
    res["peak_rss_bytes"] = dict(mem.peaks)
    res["targets"] = {}
    for what, kind, pred in TARGETS:
        if kind == "cuda" and device != "cuda":
            res["targets"][what] = f"not measured: needs a GPU, this run is on {device}"
            continue
        try:
            ok = pred(res)
            res["targets"][what] = "met" if ok else "missed"
        except (KeyError, ValueError):
            res["targets"][what] = "not measured"
    res["meta"]["gpu_vs_cpu_crown"] = (
        "not measured: needs runs on both devices (compare bench-cpu.json and bench-cuda.json)"
    )
    res["meta"]["seconds"] = time.perf_counter() - t0
    res["figures"] = _plots(res, out, device) if res["forward"] or res["boxes"] or res["per_cell"] else []
    path = out / f"bench-{device}.json"
    write_atomic(
        path,
        json.dumps(res, indent=2, default=lambda o: None if isinstance(o, float) and not math.isfinite(o) else str(o))
        + "\n",
    )
    _table(res)
    print(f"wrote {path} and {', '.join(res['figures'])} in {res['meta']['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
