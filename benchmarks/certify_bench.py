"""Benchmark part 2: certification throughput and reach.

* boxes/s of IBP and CROWN (``checkers.certify._bounds.bound_net``) on a 2-64-64-1 ReLU net and on a 16-expert MoE;
* the same boxes through the peer ``bound-propagation`` (PyPI, GPL-3.0; optional, benchmark only);
* dense grid sampling given the same time as our certification: the lower bound it reaches against our
  certified interval [lower, upper] of the maximum;
* time to certify eps for the kratsios2024 construction (n = 1..4) against 1/eps, with the fitted
  scaling exponent of time in 1/eps next to the number of cells (experts).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from benchmarks.forward_bench import interleaved, timed
from checkers.certify import bound_net, certified_sup_error
from constructions import (
    LinearGate,
    NetBuilder,
    StackedExperts,
    compile_net,
    count_sizes,
    random_relu_net,
)
from constructions.momlp import momlp
from proofs import Status

__all__ = ["BoxFigure", "box_throughput", "peer_throughput", "grid_vs_certified", "certify_scaling", "moe16"]

CERT_CONFIGS = {
    "small": dict(boxes=(1 << 10, 1 << 12), repeats=3, eps=(0.1, 0.03, 0.01, 0.003), dims=(1, 2, 3), grid_budget=1.0),
    "full": dict(
        boxes=(1 << 12, 1 << 14, 1 << 16),
        repeats=5,
        eps=(0.2, 0.1, 0.05, 0.02, 0.01),
        dims=(1, 2, 3, 4),
        grid_budget=10.0,
    ),
}


@dataclass(frozen=True)
class BoxFigure:
    engine: str
    net: str
    boxes: int
    seconds: float
    boxes_per_s: float

    def as_dict(self) -> dict:
        return asdict(self)


def moe16(seed: int = 0):
    """A 16-expert top-1 MoE on [0,1]^2: linear gate with bias, experts 2 -> 32 -> 1."""
    rng = np.random.default_rng(seed)
    E, m = 16, 32
    b = NetBuilder(2)
    ex = StackedExperts(
        (rng.normal(size=(E, m, 2)), rng.normal(size=(E, 1, m)) / np.sqrt(m)),
        (rng.normal(size=(E, m)) * 0.1, rng.normal(size=(E, 1)) * 0.1),
    )
    net = b.build(b.moe(b.input, LinearGate(rng.normal(size=(E, 2)), rng.normal(size=E)), ex), name="moe-16x(2-32-1)")
    return net


def _boxes(B: int, n: int, width: float, seed: int, device: str):
    g = torch.Generator().manual_seed(seed)
    lo = torch.rand(B, n, generator=g, dtype=torch.float64) * (1 - width)
    return lo.to(device), (lo + width).to(device)


def box_throughput(profile: str, device: str, progress=None) -> list[BoxFigure]:
    cfg = CERT_CONFIGS[profile]
    nets = {"relu 2-64-64-1": random_relu_net((2, 64, 64, 1), seed=0), "moe 16 experts": moe16()}
    out = []
    for name, net in nets.items():
        for B in cfg["boxes"]:
            lo, hi = _boxes(B, 2, 1.0 / math.sqrt(B), 0, device)
            for method in ("ibp", "crown"):
                s = timed(lambda: bound_net(net, lo, hi, method=method, device=device), device, cfg["repeats"])
                out.append(BoxFigure(f"moecheck {method}", name, B, s, B / s))
                if progress:
                    progress(f"certify {method} {name} {B} boxes: {B / s:,.0f} boxes/s")
    return out


def _sequential(net) -> torch.nn.Sequential:
    """The affine/ReLU chain ``net`` as a float64 torch Sequential without gradients (the peer's input)."""
    seq = torch.nn.Sequential()
    for v in net.order:
        spec = net.spec(v)
        if net.graph.nodes[v]["op"] == "affine":
            lin = torch.nn.Linear(spec.n_in, spec.n_out, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(np.array(spec.weight)))
                lin.bias.copy_(torch.tensor(np.array(spec.bias)))
            seq.append(lin)
        elif net.graph.nodes[v]["op"] == "relu":
            seq.append(torch.nn.ReLU())
    return seq.requires_grad_(False)


def peer_throughput(profile: str, device: str, progress=None) -> tuple[list[BoxFigure], str, list[dict]]:
    """The peer on the same 2-64-64-1 net and boxes (MoE routing is not supported by the peer).

    Returns the peer's figures, a note, and the ratios ours/peer (boxes/s) from interleaved rounds (ours and
    the peer alternate, CPU time on a CPU, medians), which the targets use.
    """
    try:
        from bound_propagation import BoundModelFactory, HyperRectangle
    except ImportError:
        return [], "bound-propagation not installed (pip install 'moecheck[bench-peer]'); peer skipped", []
    cfg = CERT_CONFIGS[profile]
    net = random_relu_net((2, 64, 64, 1), seed=0)
    model = BoundModelFactory().build(_sequential(net).to(device))
    out, ratios = [], []
    for B in cfg["boxes"]:
        lo, hi = _boxes(B, 2, 1.0 / math.sqrt(B), 0, device)
        crown = lambda hr: model.crown(hr).concretize()  # noqa: E731  (output intervals, as ours return)
        for method, fn in (("ibp", model.ibp), ("crown", crown)):
            with torch.no_grad():
                med = interleaved(
                    {
                        "peer": lambda: fn(HyperRectangle(lo, hi)),
                        "ours": lambda: bound_net(net, lo, hi, method=method, device=device),
                    },
                    device,
                    max(cfg["repeats"], 5),
                )
            s = med["peer"]
            out.append(BoxFigure(f"bound-propagation {method}", "relu 2-64-64-1", B, s, B / s))
            ratios.append({"method": method, "boxes": B, "ours_s": med["ours"], "peer_s": s, "ratio": s / med["ours"]})
            if progress:
                progress(f"peer {method} {B} boxes: {B / s:,.0f} boxes/s; ours interleaved {s / med['ours']:.2f}x")
    return out, "bound-propagation 0.4.7 (GPL-3.0), same net and boxes", ratios


def grid_vs_certified(profile: str, device: str) -> dict:
    """Certify max of the 2-64-64-1 net on [0,1]^2 by CROWN over a uniform split; grid-sample for the same time."""
    net = random_relu_net((2, 64, 64, 1), seed=0)
    k = 64 if profile == "small" else 256
    t0 = time.perf_counter()
    g = torch.linspace(0, 1, k + 1, dtype=torch.float64)
    lo = torch.cartesian_prod(g[:-1], g[:-1]).to(device)
    hi = lo + 1.0 / k
    nb = bound_net(net, lo, hi, method="crown", device=device)
    upper = float(nb.upper.max())
    t_cert = time.perf_counter() - t0
    compiled = compile_net(net, device=device)
    t0 = time.perf_counter()
    best, n_pts, side = -math.inf, 0, 64
    with torch.no_grad():
        while time.perf_counter() - t0 < t_cert:
            s = torch.linspace(0, 1, side, dtype=torch.float64, device=device)
            pts = torch.cartesian_prod(s, s)
            best = max(best, float(compiled(pts).max()))
            n_pts += pts.shape[0]
            side *= 2
    return {
        "certified_upper": upper,
        "boxes": k * k,
        "certify_seconds": t_cert,
        "grid_lower": best,
        "grid_points": n_pts,
        "gap": upper - best,
    }


def certify_scaling(profile: str, device: str, progress=None) -> list[dict]:
    """Time to certify eps for the tree-routed MoMLP (constant experts) on sin-type targets, n = 1..4."""

    cfg = CERT_CONFIGS[profile]
    funcs = {1: "sin(3*x0)", 2: "sin(3*x0)*x1", 3: "sin(3*x0)*x1 + x2**2", 4: "sin(3*x0)*x1 + x2*x3"}
    rows = []
    for n in cfg["dims"]:
        for eps in cfg["eps"]:
            t0 = time.perf_counter()
            built = momlp(funcs[n], n, eps, experts="cpwl")
            cert = certified_sup_error(built, bound=eps, time_budget=120.0, max_boxes=2_000_000, device=device)
            s = time.perf_counter() - t0
            rows.append(
                {
                    "n": n,
                    "eps": eps,
                    "function": funcs[n],
                    "experts": count_sizes(built.net).n_experts,
                    "seconds": s,
                    "status": str(cert.status),
                    "proved": cert.status is Status.PROVED,
                    "upper": cert.upper,
                    "boxes": cert.n_boxes,
                }
            )
            if progress:
                progress(f"certify momlp n={n} eps={eps}: {cert.status} in {s:.2f}s ({cert.n_boxes} boxes)")
    for n in cfg["dims"]:
        pts = [(1 / r["eps"], r["seconds"]) for r in rows if r["n"] == n and r["proved"]]
        if len(pts) >= 2:
            x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
            slope = float(np.polyfit(x, y, 1)[0])
            xs, ys = (
                np.log([1 / r["eps"] for r in rows if r["n"] == n]),
                np.log([r["experts"] for r in rows if r["n"] == n]),
            )
            cells = float(np.polyfit(xs, ys, 1)[0]) if len(set(xs)) > 1 else float("nan")
            for r in rows:
                if r["n"] == n:
                    r["time_exponent_in_1_over_eps"] = slope
                    r["cells_exponent_in_1_over_eps"] = cells
    return rows
