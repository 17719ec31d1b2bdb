"""Benchmark part 1: MoE forward throughput at theory scale (tiny experts, huge point batches).

Variants of a top-1 MoE with E experts d -> m -> 1 (ReLU) and a linear gate:
* ``mask-loop``: per expert, a boolean mask of its points, then its MLP on them (the fp64 reference);
* ``sort-bmm``: sort the points by expert, pad each expert's segment to the longest, one batched matmul;
* ``moecheck``: the IR compiled by ``constructions.compile_net`` (the path checks use: sorted segments);
* ``moecheck loop``: the same IR with the former per-expert loop (``mode="loop"``), for comparison.
The gate is a nearest-centre gate (scores 2 c_e . x - |c_e|^2, centres c_e uniform in [0, 1]^d), so
the points spread over the experts; each figure reports the share of experts that received points.
Each figure is set against a floor: the bytes the forward must move (read x, write y: (d + 1) words a
point) over the device's measured copy bandwidth, and the arithmetic (2 d E + 2 d m + 2 m flops a point)
over the measured matmul rate; the larger of the two times is the floor. On a CPU every time is CPU time
(``clock``), the floor included, so the figures are per CPU second and robust to a shared machine's load.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from constructions import LinearGate, NetBuilder, StackedExperts, compile_net

__all__ = ["ForwardFigure", "device_ceilings", "forward_throughput", "FORWARD_CONFIGS", "clock", "timed", "interleaved"]

FORWARD_CONFIGS = {
    "small": dict(d=(2, 8), m=(64, 256), E=(4, 16, 64), dtypes=("float64",), points=1 << 16, repeats=3),
    "full": dict(d=(2, 8), m=(64, 256), E=(4, 16, 64), dtypes=("float64", "float32"), points=1 << 22, repeats=10),
}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def clock(device: str):
    """The bench's clock: CPU time of this process (all its threads) on a CPU, wall time on a GPU.

    CPU time is what a shared machine's load from other processes leaves alone (set OMP_WAIT_POLICY=PASSIVE,
    as the Makefile does, so idle threads do not spin): figures are per CPU second.
    """
    return time.perf_counter if device.startswith("cuda") else time.process_time


def timed(fn, device: str, repeats: int, *, warmup: bool = True) -> float:
    """Median seconds of ``fn()`` (``clock(device)``) after one warm-up call (device work synchronised)."""
    return interleaved({"fn": fn}, device, repeats, warmup=warmup)["fn"]


def interleaved(fns: dict, device: str, repeats: int, *, warmup: bool = True) -> dict[str, float]:
    """Median seconds of each ``fns[name]()``, timed in interleaved rounds (one call of each per round).

    A ratio of two medians from the same rounds sees the same load, unlike two back-to-back series.
    """
    tick = clock(device)
    if warmup:
        for fn in fns.values():
            fn()
        _sync(device)
    ts: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = tick()
            fn()
            _sync(device)
            ts[k].append(tick() - t0)
    return {k: float(np.median(v)) for k, v in ts.items()}


def device_ceilings(device: str, dtype=torch.float64) -> dict[str, float]:
    """Measured copy bandwidth (bytes read + written per second) and matmul rate (flop/s) in ``dtype``."""
    n = (1 << 26) if device.startswith("cuda") else (1 << 24)
    a = torch.rand(n, dtype=dtype, device=device)
    b = torch.empty_like(a)
    t = timed(lambda: b.copy_(a), device, 5)
    k = 4096 if device.startswith("cuda") else 1024
    x = torch.rand(k, k, dtype=dtype, device=device)
    tm = timed(lambda: x @ x, device, 3)
    return {"bandwidth_Bps": 2 * a.numel() * a.element_size() / t, "matmul_flops": 2 * k**3 / tm}


@dataclass(frozen=True)
class ForwardFigure:
    variant: str
    d: int
    m: int
    E: int
    dtype: str
    points: int
    seconds: float
    points_per_s: float
    floor_points_per_s: float
    ratio_to_floor: float
    experts_used: float  # share of the E experts that received at least one point

    def as_dict(self) -> dict:
        return asdict(self)


def _experts(d: int, m: int, E: int, seed: int = 0):
    """(gate (E, d + 1): weights and bias of a nearest-centre gate, w1, b1, w2, b2)."""
    rng = np.random.default_rng(seed)
    c = rng.random((E, d))
    gate = np.concatenate([2 * c, -(c * c).sum(axis=1, keepdims=True)], axis=1)
    return (
        gate,
        rng.normal(size=(E, m, d)) / np.sqrt(d),
        rng.normal(size=(E, m)) * 0.1,
        rng.normal(size=(E, 1, m)) / np.sqrt(m),
        rng.normal(size=(E, 1)) * 0.1,
    )


def _route(x, gate):
    """The gate's top-1 expert: argmax of [x, 1] . gate_e."""
    return torch.argmax(x @ gate[:, :-1].T + gate[:, -1], dim=1)


def _mask_loop(x, gate, w1, b1, w2, b2):
    idx = _route(x, gate)
    out = x.new_empty((x.shape[0], 1))
    for e in range(gate.shape[0]):
        mask = idx == e
        h = torch.relu(x[mask] @ w1[e].T + b1[e])
        out[mask] = h @ w2[e].T + b2[e]
    return out


def _sort_bmm(x, gate, w1, b1, w2, b2):
    idx = _route(x, gate)
    E = gate.shape[0]
    order = torch.argsort(idx)
    counts = torch.bincount(idx, minlength=E)
    width = int(counts.max())
    starts = torch.cumsum(counts, 0) - counts
    # position of each sorted point inside its expert's padded segment
    pos = torch.arange(x.shape[0], device=x.device) - starts[idx[order]]
    padded = x.new_zeros((E, width, x.shape[1]))
    padded[idx[order], pos] = x[order]
    h = torch.relu(torch.baddbmm(b1[:, None, :], padded, w1.transpose(1, 2)))
    y = torch.baddbmm(b2[:, None, :], h, w2.transpose(1, 2))
    out = x.new_empty((x.shape[0], 1))
    out[order] = y[idx[order], pos]
    return out


def forward_throughput(
    profile: str, device: str, ceilings: dict[str, dict[str, float]], progress=None
) -> list[ForwardFigure]:
    """Points/s of each variant on each configuration of ``FORWARD_CONFIGS[profile]``."""
    cfg = FORWARD_CONFIGS[profile]
    figures = []
    for dtype_name in cfg["dtypes"]:
        dtype = getattr(torch, dtype_name)
        word = torch.finfo(dtype).bits // 8
        ceil = ceilings[dtype_name]
        for d in cfg["d"]:
            for m in cfg["m"]:
                for E in cfg["E"]:
                    N = cfg["points"]
                    gate_np, w1n, b1n, w2n, b2n = _experts(d, m, E)
                    t = lambda a: torch.tensor(a, dtype=dtype, device=device)  # noqa: E731
                    gate, w1, b1, w2, b2 = map(t, (gate_np, w1n, b1n, w2n, b2n))
                    x = torch.rand(N, d, dtype=dtype, device=device)
                    b = NetBuilder(d)
                    net = b.build(
                        b.moe(
                            b.input, LinearGate(gate_np[:, :-1], gate_np[:, -1]), StackedExperts((w1n, w2n), (b1n, b2n))
                        )
                    )
                    compiled = compile_net(net, dtype=dtype, device=device)
                    former = compile_net(net, dtype=dtype, device=device, mode="loop")
                    bytes_pt = (d + 1) * word
                    flops_pt = 2 * d * E + 2 * d * m + 2 * m
                    floor = min(ceil["bandwidth_Bps"] / bytes_pt, ceil["matmul_flops"] / flops_pt)
                    variants = {
                        "mask-loop": lambda: _mask_loop(x, gate, w1, b1, w2, b2),
                        "sort-bmm": lambda: _sort_bmm(x, gate, w1, b1, w2, b2),
                        "moecheck": lambda: compiled(x),
                        "moecheck loop": lambda: former(x),
                    }
                    with torch.no_grad():
                        ref = variants["mask-loop"]()
                        used = int(torch.unique(_route(x, gate)).numel()) / E
                        for name, fn in variants.items():
                            assert torch.allclose(fn(), ref, rtol=1e-4, atol=1e-4), f"{name} disagrees with mask-loop"
                            s = timed(fn, device, cfg["repeats"])
                            figures.append(
                                ForwardFigure(name, d, m, E, dtype_name, N, s, N / s, floor, (N / s) / floor, used)
                            )
                            if progress:
                                progress(
                                    f"forward {name} d={d} m={m} E={E} {dtype_name}: {N / s:,.0f} points/s "
                                    f"({used:.0%} of experts used)"
                                )
    return figures
