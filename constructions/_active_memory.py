"""Active-memory inference for a tree-routed MoMLP: only the routed expert is resident [ours].

K1's point (Kratsios et al., abstract): the MoMLP needs only the routed expert "loaded in memory".
:class:`ActiveMemoryMoE` stores the router centres and the stacked expert weights in ``.npy`` files on
disk, opened as read-only ``np.memmap``. Inference reads, level by level, only the centres on the
points' routing paths, then loads the routed experts one at a time (a copy of that expert's rows),
evaluates the points routed to it and drops it. Two measurements per call:

* ``peak_expert_bytes``: the largest number of expert-weight bytes held in process memory at once
  (accounted at each load; by design one expert);
* ``peak_traced_bytes``: the peak of every heap allocation during the call (``tracemalloc``, which
  sees numpy buffers), an independent check that nothing materialises the whole expert table.
  Pages of the mapped files live in the OS page cache (reclaimable, not process heap) and are not
  counted.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from constructions.ir import MoE, Net, TreeRouter
from proofs import InvalidInput

__all__ = ["ActiveMemoryMoE", "InferenceStats"]


@dataclass(frozen=True)
class InferenceStats:
    n_points: int
    n_experts: int
    experts_loaded: int
    peak_expert_bytes: int
    peak_traced_bytes: int
    all_expert_bytes: int


class ActiveMemoryMoE:
    """Out-of-core inference for a net whose only nonlinear node is one tree-routed MoE on the input.

    Arguments:
        net: ``x -> moe(x)`` (as built by ``constructions.momlp.momlp_net`` with depth >= 1).
        directory: where the ``.npy`` files are written (existing files are overwritten).
    """

    def __init__(self, net: Net, directory: str | Path):
        moes = net.moe_nodes()
        if len(moes) != 1 or net.operands(moes[0]) != [net.input] or net.output != moes[0]:
            raise InvalidInput(f"network {net.name!r}: active-memory mode needs exactly x -> tree-routed MoE")
        spec: MoE = net.spec(moes[0])
        if not isinstance(spec.router, TreeRouter):
            raise InvalidInput("active-memory mode needs a tree router (hard routing, one expert per input)")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.n_in, self.depth, self.slope = spec.router.n_in, spec.router.depth, spec.experts.slope
        self.n_experts = spec.experts.n_experts
        self._files = []
        for lvl, c in enumerate(spec.router.centres):
            self._files.append(self._dump(d / f"centres{lvl}.npy", c))
        n_layers = spec.experts.n_layers
        for i in range(n_layers):
            self._files.append(self._dump(d / f"w{i}.npy", spec.experts.weights[i]))
            self._files.append(self._dump(d / f"b{i}.npy", spec.experts.biases[i]))
        self.centres = [np.load(d / f"centres{lvl}.npy", mmap_mode="r") for lvl in range(self.depth)]
        self.w = [np.load(d / f"w{i}.npy", mmap_mode="r") for i in range(n_layers)]
        self.b = [np.load(d / f"b{i}.npy", mmap_mode="r") for i in range(n_layers)]
        self.expert_bytes = sum(w[0].nbytes + b[0].nbytes for w, b in zip(self.w, self.b))
        self.all_expert_bytes = self.expert_bytes * self.n_experts

    @staticmethod
    def _dump(path: Path, arr: np.ndarray) -> Path:
        mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=arr.shape)
        mm[...] = arr
        mm.flush()
        del mm
        return path

    def route(self, x: np.ndarray) -> np.ndarray:
        """Leaf of each point, reading only the centres on the paths: (N, n) -> (N,)."""
        node = np.zeros(x.shape[0], dtype=np.int64)
        weights = 2 ** np.arange(self.n_in)
        for c in self.centres:
            path_c = c[node]  # fancy indexing copies only the rows on the paths
            node = node * (2**self.n_in) + (x >= path_c).astype(np.int64) @ weights
        return node

    def _run(self, x: np.ndarray, batch: int) -> tuple[np.ndarray, int, int]:
        out = np.empty((x.shape[0], self.w[-1].shape[1]))
        loaded = peak = 0
        for s in range(0, x.shape[0], batch):
            xb = x[s : s + batch]
            leaf = self.route(xb)
            order = np.argsort(leaf, kind="stable")
            experts, starts = np.unique(leaf[order], return_index=True)
            bounds = list(starts[1:]) + [len(order)]
            for e, a, z in zip(experts.tolist(), starts.tolist(), bounds):
                layers = [(np.array(w[e]), np.array(b[e])) for w, b in zip(self.w, self.b)]  # load one expert
                peak = max(peak, sum(w.nbytes + b.nbytes for w, b in layers))
                loaded += 1
                rows = order[a:z]
                h = xb[rows]
                for i, (w, b) in enumerate(layers):
                    h = h @ w.T + b
                    if i < len(layers) - 1:
                        h = np.maximum(h, self.slope * h)
                out[s + rows] = h
                del layers  # drop the expert
        return out, loaded, peak

    def __call__(self, x: np.ndarray, *, batch: int = 1024) -> tuple[np.ndarray, InferenceStats]:
        """Evaluate x (N, n) -> (N, n_out), with the memory statistics of this call."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise InvalidInput(f"x of shape {x.shape} must have shape (N, {self.n_in})")
        started = tracemalloc.is_tracing()
        if not started:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        try:
            y, loaded, peak = self._run(x, batch)
            traced = tracemalloc.get_traced_memory()[1] - base
        finally:
            if not started:
                tracemalloc.stop()
        return y, InferenceStats(x.shape[0], self.n_experts, loaded, peak, int(traced), self.all_expert_bytes)
