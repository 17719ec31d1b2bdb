"""Benchmark part 3 (issue 15): cost per cell, the forward headline, widths against the peer, memory per phase.

* ``certify_per_cell``: ``approx``'s problem (constant-expert MoMLP of sin(3 x0) x1 on [0,1]^2, tree router)
  certified at eps = 0.1 ... 0.005: seconds, cells, microseconds per cell, and the fitted exponent of time
  against cells (1 = linear); plus ``--dim 3 --eps 0.05`` with approx's default budget (120 s, box limit
  from the memory budget);
* ``forward_headline``: the compiled IR at 2^20 points on d = 8, m = 256, E = 16 (nearest-centre gate), the
  sorted-segments forward against the former compiled IR (``former_forward``) and today's loop mode,
  interleaved repeats, CPU time, medians, with the share of experts used;
* ``peer_widths``: CROWN and IBP output widths, ours over bound-propagation's, on the same boxes;
* ``PhaseMemory``: peak resident memory of each phase (Linux: the high-water mark is reset between phases
  through ``/proc/self/clear_refs``; elsewhere the process peak so far).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.forward_bench import _experts, interleaved
from checkers.certify import bound_net, certified_sup_error
from constructions import LinearGate, NetBuilder, StackedExperts, compile_net, count_sizes, random_relu_net
from constructions.momlp import momlp
from proofs import Status

__all__ = ["PhaseMemory", "certify_per_cell", "forward_headline", "former_forward", "peer_widths"]

PER_CELL = {"small": dict(eps=(0.1, 0.05, 0.02, 0.01, 0.005)), "full": dict(eps=(0.1, 0.05, 0.02, 0.01, 0.005, 0.003))}


class PhaseMemory:
    """Peak resident set size (bytes) of each named phase."""

    def __init__(self):
        self.peaks: dict[str, float] = {}
        self._status = Path("/proc/self/status")
        self._clear = Path("/proc/self/clear_refs")

    def _hwm(self) -> float:
        if self._status.exists():
            for line in self._status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) * 1024
        import resource

        return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024

    def run(self, name: str, fn):
        """fn() with its peak RSS recorded under ``name``."""
        try:
            self._clear.write_text("5")  # reset the high-water mark to the current RSS
        except OSError:
            pass  # not Linux, or not allowed: the peak is the process's peak so far
        out = fn()
        self.peaks[name] = self._hwm()
        return out


def _fit(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0]) if len(set(x)) > 1 else float("nan")


def certify_per_cell(profile: str, device: str, progress=None) -> dict:
    """Certification time per cell of approx's default problem against 1/eps, and the dim-3 reach."""
    rows = []
    for eps in PER_CELL[profile]["eps"]:
        built = momlp("sin(3*x0)*x1", 2, eps)
        t0, c0 = time.perf_counter(), time.process_time()  # the certification only (approx's call)
        cert = certified_sup_error(built, bound=eps, tol=0.02, time_budget=120.0, device=device)
        s, cpu = time.perf_counter() - t0, time.process_time() - c0
        cells = count_sizes(built.net).n_experts
        rows.append(
            {
                "eps": eps,
                "cells": cells,
                "seconds": s,
                "us_per_cell": 1e6 * s / cells,
                "cpu_seconds": cpu,  # CPU time of this process: what other processes' load leaves alone
                "us_per_cell_cpu": 1e6 * cpu / cells,
                "status": str(cert.status),
                "proved": cert.status is Status.PROVED,
                "boxes": cert.n_boxes,
                "upper": cert.upper,
            }
        )
        if progress:
            progress(
                f"certify per cell eps={eps}: {cert.status}, {cells} cells, {s:.2f}s, {1e6 * s / cells:.1f} us/cell"
            )
    ok = [r for r in rows if r["proved"]]
    built = momlp("sin(3*x0)*x1", 3, 0.05)
    t0 = time.perf_counter()
    cert = certified_sup_error(built, bound=0.05, tol=0.02, time_budget=120.0, device=device)
    dim3 = {
        "eps": 0.05,
        "cells": count_sizes(built.net).n_experts,
        "status": str(cert.status),
        "proved": cert.status is Status.PROVED,
        "boxes": cert.n_boxes,
        "seconds": time.perf_counter() - t0,
        "upper": cert.upper,
    }
    if progress:
        progress(f"certify dim 3 eps 0.05: {cert.status} in {dim3['seconds']:.1f}s ({cert.n_boxes} boxes)")
    per_cell = [r["us_per_cell"] for r in ok]
    return {
        "function": "sin(3*x0)*x1",
        "dim": 2,
        "rows": rows,
        "time_exponent_in_cells": _fit([r["cells"] for r in ok], [r["seconds"] for r in ok]),
        "time_exponent_in_1_over_eps": _fit([1 / r["eps"] for r in ok], [r["seconds"] for r in ok]),
        "cells_exponent_in_1_over_eps": _fit([1 / r["eps"] for r in ok], [r["cells"] for r in ok]),
        "us_per_cell_max_over_min": max(per_cell) / min(per_cell) if per_cell else float("nan"),
        "us_per_cell_cpu_max_over_min": (
            max(r["us_per_cell_cpu"] for r in ok) / min(r["us_per_cell_cpu"] for r in ok) if ok else float("nan")
        ),
        "time_exponent_in_cells_cpu": _fit([r["cells"] for r in ok], [r["cpu_seconds"] for r in ok]),
        "dim3": dim3,
    }


def former_forward(net):
    """The compiled IR's forward as it was when issue 15 was filed (before the sorted segments, commit 9bb3dbd),
    for a network that is one top-1 linear-gate MoE on the input: scores, argmax, the softmax over the selected
    score (exactly 1), the per-expert loop over the whole batch (a gather and a scatter an expert, no chunks)
    and the softmax-weighted sum. A benchmark reference only: ``x: (N, d) -> (N, n_out)``."""
    spec = net.spec(net.moe_nodes()[0])
    r, ex = spec.router, spec.experts
    if r.k != 1 or ex.n_layers != 2:
        raise ValueError("former_forward reproduces the top-1, two-layer-expert case only")
    t = lambda a: torch.tensor(np.array(a), dtype=torch.float64)  # noqa: E731
    gw, gb = t(r.weight), t(np.zeros(r.n_experts) if r.bias is None else r.bias)
    (w1, w2), (b1, b2) = map(t, ex.weights), map(t, ex.biases)

    def forward(x):
        scores = x @ gw.T + gb
        idx = torch.argmax(scores, dim=1, keepdim=True)
        w = torch.softmax(torch.gather(scores, 1, idx), dim=1)
        order = torch.argsort(idx[:, 0], stable=True)
        experts, counts = torch.unique_consecutive(idx[order, 0], return_counts=True)
        out = x.new_empty((x.shape[0], w2.shape[1]))
        start = 0
        for e, c in zip(experts.tolist(), counts.tolist()):
            rows = order[start : start + c]
            out[rows] = torch.relu(x[rows] @ w1[e].T + b1[e]) @ w2[e].T + b2[e]
            start += c
        return sum(w[:, j : j + 1] * out for j in range(1))

    return forward


def forward_headline(device: str, ceilings: dict, progress=None, points: int = 1 << 20, repeats: int = 5) -> dict:
    """Sorted segments against the former compiled IR on d = 8, m = 256, E = 16 (float64), interleaved, CPU time.

    ``speedup`` is the former forward's median time over the sorted segments' (the issue's "today's compiled
    IR"); ``speedup_vs_loop`` compares with today's per-expert loop mode (chunked), for reference.
    ``experts_used`` is the share of the 16 experts that receive points, ``points_share_max`` the largest
    share of the points one expert receives.
    """
    d, m, E = 8, 256, 16
    gate, w1, b1, w2, b2 = _experts(d, m, E)
    b = NetBuilder(d)
    net = b.build(b.moe(b.input, LinearGate(gate[:, :-1], gate[:, -1]), StackedExperts((w1, w2), (b1, b2))))
    x = torch.rand(points, d, dtype=torch.float64, device=device, generator=None)
    new, loop = compile_net(net, device=device), compile_net(net, device=device, mode="loop")
    former = former_forward(net) if device == "cpu" else None
    with torch.no_grad():
        y, routes = new(x, return_routes=True)
        assert torch.allclose(y, loop(x), rtol=1e-12, atol=1e-12), "the sorted-segments forward disagrees"
        fns = {"segments": lambda: new(x), "loop": lambda: loop(x)}
        if former is not None:
            assert torch.allclose(y, former(x), rtol=1e-12, atol=1e-12), "the former forward disagrees"
            fns["former"] = lambda: former(x)
        counts = torch.bincount(routes[net.moe_nodes()[0]][:, 0], minlength=E)
        med = interleaved(fns, device, repeats)  # a shared machine's load hits every variant alike
    ceil = ceilings["float64"]
    floor = min(ceil["bandwidth_Bps"] / ((d + 1) * 8), ceil["matmul_flops"] / (2 * d * E + 2 * d * m + 2 * m))
    out = {
        "d": d,
        "m": m,
        "E": E,
        "points": points,
        "repeats": repeats,
        "clock": "process CPU time" if device == "cpu" else "wall",
        "experts_used": float((counts > 0).sum()) / E,
        "points_share_max": float(counts.max()) / points,
        "segments_points_per_s": points / med["segments"],
        "loop_points_per_s": points / med["loop"],
        "former_points_per_s": points / med["former"] if "former" in med else None,
        "floor_points_per_s": floor,
    }
    out["speedup_vs_loop"] = med["loop"] / med["segments"]
    out["speedup"] = med["former"] / med["segments"] if "former" in med else out["speedup_vs_loop"]
    out["ratio_to_floor"] = out["segments_points_per_s"] / floor
    if progress:
        progress(
            f"forward headline d=8 m=256 E=16 at {points} points: {out['segments_points_per_s']:,.0f} points/s, "
            f"{out['speedup']:.2f}x the former compiled IR, {out['speedup_vs_loop']:.2f}x today's loop mode "
            f"({out['experts_used']:.0%} of experts used, at most {out['points_share_max']:.0%} of points on one)"
        )
    return out


def peer_widths(device: str, boxes: int = 4096) -> dict:
    """Quantiles of our output width over bound-propagation's (2-64-64-1, same boxes); {} without the peer."""
    try:
        from bound_propagation import BoundModelFactory, HyperRectangle
    except ImportError:
        return {}
    from benchmarks.certify_bench import _boxes, _sequential

    net = random_relu_net((2, 64, 64, 1), seed=0)
    model = BoundModelFactory().build(_sequential(net).to(device))
    lo, hi = _boxes(boxes, 2, 1.0 / math.sqrt(boxes), 0, device)
    out = {}
    with torch.no_grad():
        for method, peer in (
            ("ibp", lambda: model.ibp(HyperRectangle(lo, hi))),
            ("crown", lambda: model.crown(HyperRectangle(lo, hi)).concretize()),
        ):
            p = peer()
            ours = bound_net(net, lo, hi, method=method, device=device)
            r = ((ours.upper - ours.lower) / (p.upper - p.lower)).detach().flatten().double().cpu()
            q = torch.quantile(r, torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
            out[method] = {"min": float(q[0]), "median": float(q[1]), "max": float(q[2]), "mean": float(r.mean())}
    return out
