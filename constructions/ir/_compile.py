"""Compile a :class:`~constructions.ir._ir.Net` to a torch module (one compile path for all consumers).

The module evaluates the graph in topological order. An MoE node routes every point (linear gate:
stable top-k, ties to the lowest index, as in the exact replay; tree router: the sign test level by
level) and applies the selected experts in one of three ways:

* ``segments`` (sorted segments): sort the points by expert once, gather them into one contiguous
  tensor, run each expert present on its contiguous slice (``addmm`` with the bias fused, ReLU in
  place, the last layer written straight into the sorted output), and scatter back once;
* ``gather``: gather every point's expert weights (one batched matmul, memory N * out * in): best
  when the experts present are many and their segments short (thousands of tiny experts);
* ``loop``: the former per-expert loop (a gather and a scatter per expert; kept as the reference).

``auto`` picks gather when its memory is small and the segments would be short (under
``_MIN_SEGMENT`` points an expert on average), sorted segments otherwise. Points are processed in
chunks of ``_CHUNK_POINTS`` (a chunk's working set stays small; memory is bounded for any N).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from constructions.ir._ir import (
    Affine,
    Concat,
    Input,
    MoE,
    Net,
    PReLU,
    Slice,
    StackedExperts,
    TreeRouter,
)

__all__ = ["TorchNet", "compile_net"]

_GATHER_LIMIT = 1 << 24  # entries of the per-point gathered weight tensor
_MIN_SEGMENT = 64  # average points an expert below which gathering weights beats sorted segments
_CHUNK_POINTS = 1 << 16  # points per forward chunk
MODES = ("auto", "segments", "gather", "loop")


def _t(a, dtype, device=None) -> torch.Tensor:
    """A fresh tensor copy of a (read-only) numpy array."""
    return torch.tensor(np.array(a), dtype=dtype, device=device)


class _ExpertStack(nn.Module):
    def __init__(self, ex: StackedExperts, dtype, device):
        super().__init__()
        self.slope = float(ex.slope)
        self.n_layers = ex.n_layers
        for i, (w, b) in enumerate(zip(ex.weights, ex.biases)):
            self.register_buffer(f"w{i}", _t(w, dtype=dtype, device=device))
            self.register_buffer(f"b{i}", _t(b, dtype=dtype, device=device))
        self.max_entries = max(w.shape[1] * w.shape[2] for w in ex.weights)
        self.n_experts = ex.n_experts

    def layers(self):
        return [(getattr(self, f"w{i}"), getattr(self, f"b{i}")) for i in range(self.n_layers)]

    def _act(self, h):
        return torch.maximum(h, self.slope * h) if self.slope else torch.relu(h)

    def gather(self, idx: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, (w, b) in enumerate(self.layers()):
            h = torch.bmm(w[idx], h.unsqueeze(-1)).squeeze(-1) + b[idx]
            if i < self.n_layers - 1:
                h = self._act(h)
        return h

    def loop(self, idx: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        order = torch.argsort(idx, stable=True)
        experts, counts = torch.unique_consecutive(idx[order], return_counts=True)
        out = x.new_empty((x.shape[0], getattr(self, f"w{self.n_layers - 1}").shape[1]))
        start = 0
        for e, c in zip(experts.tolist(), counts.tolist()):
            rows = order[start : start + c]
            h = x[rows]
            for i, (w, b) in enumerate(self.layers()):
                h = h @ w[e].T + b[e]
                if i < self.n_layers - 1:
                    h = self._act(h)
            out[rows] = h
            start += c
        return out

    def segments(self, idx: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Sorted segments: one sort, one gather in, contiguous per-expert slices, one scatter out."""
        layers = self.layers()
        order = torch.argsort(idx, stable=True)
        counts = torch.bincount(idx, minlength=layers[0][0].shape[0]).tolist()
        xs = x.index_select(0, order)
        ys = x.new_empty((x.shape[0], layers[-1][0].shape[1]))
        start = 0
        for e, c in enumerate(counts):
            if not c:
                continue
            h = xs[start : start + c]
            for i, (w, b) in enumerate(layers):
                if i < self.n_layers - 1:
                    h = torch.addmm(b[e], h, w[e].T)
                    h = h.relu_() if not self.slope else torch.maximum(h, self.slope * h)
                else:
                    torch.addmm(b[e], h, w[e].T, out=ys[start : start + c])
            start += c
        out = torch.empty_like(ys)
        out.index_copy_(0, order, ys)
        return out

    def forward(self, idx: torch.Tensor, x: torch.Tensor, mode: str = "auto") -> torch.Tensor:
        if mode == "auto":
            short = x.shape[0] < _MIN_SEGMENT * self.n_experts
            mode = "gather" if short and x.shape[0] * self.max_entries <= _GATHER_LIMIT else "segments"
        if mode == "gather":
            return self.gather(idx, x)
        return self.segments(idx, x) if mode == "segments" else self.loop(idx, x)


class _Router(nn.Module):
    def __init__(self, r, dtype, device):
        super().__init__()
        self.tree = isinstance(r, TreeRouter)
        self.k = r.k
        if self.tree:
            self.n_in = r.n_in
            for d, c in enumerate(r.centres):
                self.register_buffer(f"c{d}", _t(c, dtype=dtype, device=device))
            self.depth = r.depth
            self.register_buffer("bits", 2 ** torch.arange(r.n_in, device=device))
        else:
            self.register_buffer("weight", _t(r.weight, dtype=dtype, device=device))
            self.has_bias = r.bias is not None
            if self.has_bias:
                self.register_buffer("bias", _t(r.bias, dtype=dtype, device=device))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(selected experts (N, k), softmax weights over the selected (N, k))."""
        if self.tree:
            node = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
            for d in range(self.depth):
                c = getattr(self, f"c{d}")[node]
                s = ((x >= c).long() * self.bits).sum(dim=1)
                node = node * (2**self.n_in) + s
            idx = node[:, None]
            return idx, torch.ones(idx.shape, dtype=x.dtype, device=x.device)
        scores = x @ self.weight.T
        if self.has_bias:
            scores = scores + self.bias
        if self.k == 1:
            idx = torch.argmax(scores, dim=1, keepdim=True)  # first maximal index
        else:
            idx = torch.sort(-scores, dim=1, stable=True).indices[:, : self.k]
        sel = torch.gather(scores, 1, idx)
        return idx, torch.softmax(sel, dim=1)


class TorchNet(nn.Module):
    """The compiled network: ``forward(x: (N, n_in)) -> (N, n_out)`` in the compile dtype."""

    def __init__(self, net: Net, dtype=torch.float64, device="cpu", mode: str = "auto"):
        super().__init__()
        self.net_name = net.name
        self.order = list(net.order)
        self.operands = {v: net.operands(v) for v in net.order}
        self.kinds: dict[str, tuple] = {}
        self.mode = mode
        self.mods = nn.ModuleDict()
        for v in net.order:
            spec = net.spec(v)
            key = v.replace(".", "_")
            if isinstance(spec, Affine):
                lin = nn.Linear(spec.n_in, spec.n_out, dtype=dtype, device=device)
                with torch.no_grad():
                    lin.weight.copy_(_t(spec.weight, dtype))
                    lin.bias.copy_(_t(spec.bias, dtype))
                lin.requires_grad_(False)
                self.mods[key] = lin
                self.kinds[v] = ("affine", key)
            elif isinstance(spec, MoE):
                self.mods[key + "_router"] = _Router(spec.router, dtype, device)
                self.mods[key + "_experts"] = _ExpertStack(spec.experts, dtype, device)
                self.kinds[v] = ("moe", key)
            elif isinstance(spec, PReLU):
                self.kinds[v] = ("prelu", spec.slope)
            elif isinstance(spec, Slice):
                self.kinds[v] = ("slice", spec.start, spec.stop)
            elif isinstance(spec, Concat):
                self.kinds[v] = ("concat",)
            elif isinstance(spec, Input):
                self.kinds[v] = ("input",)
        self.input_name, self.output_name = net.input, net.output

    def forward(self, x: torch.Tensor, *, return_routes: bool = False):
        if torch.jit.is_tracing() or x.shape[0] <= _CHUNK_POINTS:
            return self._forward(x, return_routes)
        parts = [self._forward(x[s : s + _CHUNK_POINTS], return_routes) for s in range(0, x.shape[0], _CHUNK_POINTS)]
        if not return_routes:
            return torch.cat(parts)
        return torch.cat([p[0] for p in parts]), {v: torch.cat([p[1][v] for p in parts]) for v in parts[0][1]}

    def _forward(self, x: torch.Tensor, return_routes: bool):
        vals: dict[str, torch.Tensor] = {}
        routes: dict[str, torch.Tensor] = {}
        for v in self.order:
            kind = self.kinds[v]
            ops = [vals[u] for u in self.operands[v]]
            if kind[0] == "input":
                out = x
            elif kind[0] == "affine":
                out = self.mods[kind[1]](ops[0])
            elif kind[0] == "prelu":
                out = torch.relu(ops[0]) if kind[1] == 0 else torch.maximum(ops[0], kind[1] * ops[0])
            elif kind[0] == "slice":
                out = ops[0][:, kind[1] : kind[2]]
            elif kind[0] == "concat":
                out = torch.cat(ops, dim=1)
            else:
                router = self.mods[kind[1] + "_router"]
                idx, w = router(ops[0])
                experts = self.mods[kind[1] + "_experts"]
                if router.k == 1:
                    out = experts(idx[:, 0], ops[0], self.mode)  # top-1: the softmax weight is exactly 1
                else:
                    out = sum(w[:, j : j + 1] * experts(idx[:, j], ops[0], self.mode) for j in range(idx.shape[1]))
                routes[v] = idx
            vals[v] = out
        return (vals[self.output_name], routes) if return_routes else vals[self.output_name]


def compile_net(net: Net, *, dtype=torch.float64, device: str = "cpu", mode: str = "auto") -> TorchNet:
    """Compile ``net`` to a torch module on ``device`` in ``dtype`` (float64 by default).

    >>> from constructions import random_relu_net, evaluate_numpy
    >>> import numpy as np
    >>> net = random_relu_net((2, 8, 1), seed=1)
    >>> x = np.random.default_rng(0).random((5, 2))
    >>> bool(np.allclose(compile_net(net)(torch.as_tensor(x)).numpy(), evaluate_numpy(net, x)))
    True
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} must be one of {', '.join(MODES)}")
    return TorchNet(net, dtype=dtype, device=device, mode=mode)
