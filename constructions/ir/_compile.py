"""Compile a :class:`~constructions.ir._ir.Net` to a torch module (one compile path for all consumers).

The module evaluates the graph in topological order. An MoE node routes every point (linear gate:
stable top-k, ties to the lowest index, as in the exact replay; tree router: the sign test level by
level) and applies the selected experts either by gathering their weights per point (``gather``: one
batched matmul, memory N * out * in) or by sorting points by expert and looping over the experts
present (``loop``); ``auto`` picks gather when that memory is small.
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
            rows = order[start:start + c]
            h = x[rows]
            for i, (w, b) in enumerate(self.layers()):
                h = h @ w[e].T + b[e]
                if i < self.n_layers - 1:
                    h = self._act(h)
            out[rows] = h
            start += c
        return out

    def forward(self, idx: torch.Tensor, x: torch.Tensor, mode: str = "auto") -> torch.Tensor:
        if mode == "gather" or (mode == "auto" and x.shape[0] * self.max_entries <= _GATHER_LIMIT):
            return self.gather(idx, x)
        return self.loop(idx, x)


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
                node = node * (2 ** self.n_in) + s
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
                out = ops[0][:, kind[1]:kind[2]]
            elif kind[0] == "concat":
                out = torch.cat(ops, dim=1)
            else:
                idx, w = self.mods[kind[1] + "_router"](ops[0])
                experts = self.mods[kind[1] + "_experts"]
                out = sum(w[:, j:j + 1] * experts(idx[:, j], ops[0], self.mode) for j in range(idx.shape[1]))
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
    if mode not in ("auto", "gather", "loop"):
        raise ValueError(f"mode={mode!r} must be auto, gather or loop")
    return TorchNet(net, dtype=dtype, device=device, mode=mode)
