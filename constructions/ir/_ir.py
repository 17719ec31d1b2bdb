"""The network IR: a networkx DiGraph of affine, (P)ReLU, concat/slice and MoE nodes.

Every construction in moecheck produces a :class:`Net`. One IR serves three consumers: the torch
compiler (``constructions.compile_net``), the certifier's bound propagation (``checkers``) and the
size counts (``constructions.sizes``), so a size is always counted from the network that was checked.

Node attributes hold the *static spec only* (a frozen dataclass under ``spec``, its kind under ``op``);
nothing is ever cached on a node. Edges carry ``port`` (the operand position, for concat).

Ops
---
``input``   ``Input(dim)``: the network input, exactly one.
``affine``  ``Affine(weight (out, in), bias (out,))``: y = W x + b.
``relu``    ``PReLU(slope=0)``; ``prelu`` ``PReLU(slope=a)``: y = max(x, a x), 0 <= a <= 1.
``concat``  ``Concat()``: operands in port order.
``slice``   ``Slice(start, stop)``: y = x[start:stop].
``moe``     ``MoE(router, experts)``: route x to the top-k experts of ``router`` and return
            sum_{e in K} softmax_K(scores)_e * expert_e(x). With k = 1 the softmax weight is exactly 1:
            hard routing, y = expert_{e*(x)}(x).

Routers: :class:`LinearGate` (scores W_R x (+ b), top-k; ties go to the lowest index) and
:class:`TreeRouter` (a dyadic tree of prototypes: at each level the child is the nearest of the 2^n
child centres, which for the dyadic centres c +- 2^-(d+2) s is the sign test s_i = [x_i >= c_i]).
Experts: :class:`StackedExperts`, E experts of one architecture stored as stacked arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import networkx as nx
import numpy as np

from proofs import InvalidInput

__all__ = [
    "Input",
    "Affine",
    "PReLU",
    "Concat",
    "Slice",
    "MoE",
    "LinearGate",
    "TreeRouter",
    "StackedExperts",
    "Net",
    "NetBuilder",
    "dyadic_tree_router",
    "sequential_net",
    "random_relu_net",
    "evaluate_numpy",
    "evaluate_exact",
    "route_numpy",
]


def _f64(a, shape_desc: str) -> np.ndarray:
    arr = np.array(a, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise InvalidInput(f"{shape_desc} has a non-finite entry; expected finite float64 weights")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Input:
    dim: int


@dataclass(frozen=True, eq=False)
class Affine:
    """y = weight @ x + bias; weight (out, in), bias (out,)."""

    weight: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _f64(self.weight, "affine weight"))
        object.__setattr__(self, "bias", _f64(self.bias, "affine bias"))
        if self.weight.ndim != 2 or self.bias.shape != (self.weight.shape[0],):
            raise InvalidInput(f"affine shapes weight={self.weight.shape} bias={self.bias.shape} do not fit")

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def n_out(self) -> int:
        return self.weight.shape[0]


@dataclass(frozen=True)
class PReLU:
    """sigma_a(t) = max(t, a t), 0 <= a <= 1 (a = 0 is ReLU)."""

    slope: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.slope <= 1.0):
            raise InvalidInput(f"PReLU slope a={self.slope!r} must lie in [0, 1]")


@dataclass(frozen=True)
class Concat:
    pass


@dataclass(frozen=True)
class Slice:
    start: int
    stop: int


@dataclass(frozen=True, eq=False)
class LinearGate:
    """Scores W_R x (+ b) for E experts; the top-k experts are selected (ties: lowest index)."""

    weight: np.ndarray  # (E, n)
    bias: np.ndarray | None = None  # (E,) or None (the paper-3 gate has no bias)
    k: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _f64(self.weight, "gate weight"))
        if self.bias is not None:
            object.__setattr__(self, "bias", _f64(self.bias, "gate bias"))
            if self.bias.shape != (self.weight.shape[0],):
                raise InvalidInput(f"gate bias shape {self.bias.shape} != ({self.weight.shape[0]},)")
        if not (1 <= self.k <= self.weight.shape[0]):
            raise InvalidInput(f"top-k k={self.k} must satisfy 1 <= k <= E={self.weight.shape[0]}")

    @property
    def n_experts(self) -> int:
        return self.weight.shape[0]

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def n_params(self) -> int:
        return self.weight.size + (0 if self.bias is None else self.bias.size)

    @property
    def path_params(self) -> int:
        """Parameters read while routing one input: every score is computed."""
        return self.n_params


@dataclass(frozen=True, eq=False)
class TreeRouter:
    """A depth-D tree with 2^n children per node; ``centres[d]`` is (2^(n d), n), one row per node.

    At a node with centre c the input goes to child s = sum_i [x_i >= c_i] 2^i (nearest child centre
    for the dyadic centres c +- 2^-(d+2) s). The leaf (= expert) index is the path read as base-2^n
    digits, most significant first. k is always 1.
    """

    n_in: int
    depth: int
    centres: tuple[np.ndarray, ...]
    k: int = 1

    def __post_init__(self) -> None:
        cs = tuple(_f64(c, f"tree centres level {d}") for d, c in enumerate(self.centres))
        object.__setattr__(self, "centres", cs)
        if len(cs) != self.depth:
            raise InvalidInput(f"tree router depth={self.depth} but {len(cs)} levels of centres")
        for d, c in enumerate(cs):
            if c.shape != (2 ** (self.n_in * d), self.n_in):
                raise InvalidInput(f"tree level {d} centres shape {c.shape} != ({2 ** (self.n_in * d)}, {self.n_in})")
        if self.k != 1:
            raise InvalidInput("a tree router selects exactly one expert (k=1)")

    @property
    def n_experts(self) -> int:
        return 2 ** (self.n_in * self.depth)

    @property
    def n_params(self) -> int:
        return sum(c.size for c in self.centres)

    @property
    def path_params(self) -> int:
        """Parameters read while routing one input: one centre (n numbers) per level."""
        return self.n_in * self.depth

    def route_numpy(self, x: np.ndarray) -> np.ndarray:
        """Leaf index of each row of x (N, n) -> (N,) int64."""
        node = np.zeros(x.shape[0], dtype=np.int64)
        weights = 2 ** np.arange(self.n_in)
        for c in self.centres:
            s = (x >= c[node]).astype(np.int64) @ weights
            node = node * (2**self.n_in) + s
        return node

    def leaf_cells(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cell (box) of every leaf inside the root box [lo, hi]: (E, n) lower and upper corners."""
        cl = lo[None, :].copy()
        ch = hi[None, :].copy()
        n, k = self.n_in, 2**self.n_in
        bits = ((np.arange(k)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)  # (2^n, n) child sign bits
        step = max(1, _CHUNK_ROWS // k)  # in chunks: no single numpy call runs long (a time-out lands promptly)
        for c in self.centres:
            parents = cl.shape[0]
            new_l, new_h = np.empty((parents * k, n)), np.empty((parents * k, n))
            for s in range(0, parents, step):
                e = min(parents, s + step)
                c_rep = np.repeat(c[s:e], k, axis=0)
                b = np.tile(bits, (e - s, 1))
                pl, ph = np.repeat(cl[s:e], k, axis=0), np.repeat(ch[s:e], k, axis=0)
                new_l[s * k : e * k] = np.where(b, np.maximum(pl, c_rep), pl)
                new_h[s * k : e * k] = np.where(b, ph, np.minimum(ph, c_rep))
            cl, ch = new_l, new_h
        return cl, ch


@dataclass(frozen=True, eq=False)
class StackedExperts:
    """E experts of one architecture: layer l has weights (E, out_l, in_l) and biases (E, out_l).

    Hidden layers are followed by sigma_a (``slope`` a; 0 = ReLU); the last layer is affine.
    An expert with L layers has L - 1 hidden layers ("L-layer" in paper 3's convention).
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    slope: float = 0.0

    def __post_init__(self) -> None:
        ws = tuple(_f64(w, f"expert weight {i}") for i, w in enumerate(self.weights))
        bs = tuple(_f64(b, f"expert bias {i}") for i, b in enumerate(self.biases))
        object.__setattr__(self, "weights", ws)
        object.__setattr__(self, "biases", bs)
        if not ws or len(ws) != len(bs):
            raise InvalidInput("experts need at least one layer and one bias per layer")
        E = ws[0].shape[0]
        for i, (w, b) in enumerate(zip(ws, bs)):
            if w.ndim != 3 or w.shape[0] != E or b.shape != (E, w.shape[1]):
                raise InvalidInput(f"expert layer {i}: weight {w.shape}, bias {b.shape} do not stack over E={E}")
            if i and w.shape[2] != ws[i - 1].shape[1]:
                raise InvalidInput(f"expert layer {i} takes {w.shape[2]} inputs, previous gives {ws[i - 1].shape[1]}")
        PReLU(self.slope)

    @property
    def n_experts(self) -> int:
        return self.weights[0].shape[0]

    @property
    def n_in(self) -> int:
        return self.weights[0].shape[2]

    @property
    def n_out(self) -> int:
        return self.weights[-1].shape[1]

    @property
    def params_per_expert(self) -> int:
        return sum(w.shape[1] * w.shape[2] + b.shape[1] for w, b in zip(self.weights, self.biases))

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def width(self) -> int:
        return max(w.shape[1] for w in self.weights)


@dataclass(frozen=True, eq=False)
class MoE:
    router: LinearGate | TreeRouter
    experts: StackedExperts

    def __post_init__(self) -> None:
        if self.router.n_experts != self.experts.n_experts:
            raise InvalidInput(
                f"router has {self.router.n_experts} experts, experts stack has {self.experts.n_experts}"
            )
        if self.router.n_in != self.experts.n_in:
            raise InvalidInput(f"router reads {self.router.n_in} inputs, experts read {self.experts.n_in}")

    @property
    def k(self) -> int:
        return self.router.k

    @property
    def n_out(self) -> int:
        return self.experts.n_out


_OPS = {Input: "input", Affine: "affine", Concat: "concat", Slice: "slice", MoE: "moe"}


def _op_name(spec) -> str:
    if isinstance(spec, PReLU):
        return "relu" if spec.slope == 0 else "prelu"
    return _OPS[type(spec)]


@dataclass(frozen=True, eq=False)
class Net:
    """A validated network graph with one input and one output node.

    ``graph`` nodes: ``op`` (str), ``spec`` (frozen dataclass), ``dim`` (output dimension).
    """

    graph: nx.DiGraph
    input: str
    output: str
    name: str = "net"
    order: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        g = self.graph
        if not nx.is_directed_acyclic_graph(g):
            raise InvalidInput(f"network {self.name!r} has a cycle")
        object.__setattr__(self, "order", tuple(nx.topological_sort(g)))
        for v in self.order:
            self._infer_dim(v)
        if not nx.has_path(g, self.input, self.output):
            raise InvalidInput(f"network {self.name!r}: output {self.output!r} is not reachable from the input")
        nx.freeze(g)

    def operands(self, v: str) -> list[str]:
        """The predecessors of v in port order."""
        preds = list(self.graph.predecessors(v))
        return sorted(preds, key=lambda u: self.graph.edges[u, v].get("port", 0))

    def _infer_dim(self, v: str) -> None:
        node = self.graph.nodes[v]
        spec, ops = node["spec"], self.operands(v)
        dims = [self.graph.nodes[u]["dim"] for u in ops]
        if isinstance(spec, Input):
            d = spec.dim
        elif isinstance(spec, Concat):
            d = sum(dims)
        else:
            if len(dims) != 1:
                raise InvalidInput(f"node {v!r} ({node['op']}) needs exactly one operand, has {len(dims)}")
            (d_in,) = dims
            if isinstance(spec, Affine):
                if spec.n_in != d_in:
                    raise InvalidInput(f"node {v!r}: affine takes {spec.n_in} inputs, operand gives {d_in}")
                d = spec.n_out
            elif isinstance(spec, PReLU):
                d = d_in
            elif isinstance(spec, Slice):
                if not (0 <= spec.start < spec.stop <= d_in):
                    raise InvalidInput(f"node {v!r}: slice [{spec.start}:{spec.stop}] outside dim {d_in}")
                d = spec.stop - spec.start
            elif isinstance(spec, MoE):
                if spec.experts.n_in != d_in:
                    raise InvalidInput(f"node {v!r}: MoE takes {spec.experts.n_in} inputs, operand gives {d_in}")
                d = spec.n_out
            else:  # pragma: no cover - guarded by NetBuilder
                raise InvalidInput(f"node {v!r}: unknown op {node['op']!r}")
        node["dim"] = d

    @property
    def n_in(self) -> int:
        return self.graph.nodes[self.input]["dim"]

    @property
    def n_out(self) -> int:
        return self.graph.nodes[self.output]["dim"]

    def spec(self, v: str):
        return self.graph.nodes[v]["spec"]

    def moe_nodes(self) -> list[str]:
        return [v for v in self.order if self.graph.nodes[v]["op"] == "moe"]


class NetBuilder:
    """Builds a :class:`Net` node by node.

    >>> b = NetBuilder(1)
    >>> h = b.relu(b.affine(b.input, [[1.0], [-1.0]], [0.0, 0.0]))
    >>> net = b.build(b.affine(h, [[1.0, 1.0]], [0.0]), name='abs')
    >>> float(evaluate_numpy(net, np.array([[-0.5]]))[0, 0])
    0.5
    """

    def __init__(self, n_in: int):
        if not (isinstance(n_in, int) and n_in >= 1):
            raise InvalidInput(f"n_in={n_in!r} must be a positive integer")
        self.graph = nx.DiGraph()
        self._count = 0
        self.input = self._add(Input(n_in), [], name="x")

    def _add(self, spec, operands: Sequence[str], name: str | None = None) -> str:
        v = name or f"{_op_name(spec)}{self._count}"
        self._count += 1
        if v in self.graph:
            raise InvalidInput(f"node name {v!r} used twice")
        if len(set(operands)) != len(operands):
            # [review] a DiGraph holds one edge per (u, v): a repeated operand would silently be dropped
            raise InvalidInput(f"{v!r} reads an operand twice ({list(operands)}); slice it to read a copy")
        self.graph.add_node(v, op=_op_name(spec), spec=spec)
        for port, u in enumerate(operands):
            if u not in self.graph:
                raise InvalidInput(f"operand {u!r} of {v!r} does not exist")
            self.graph.add_edge(u, v, port=port)
        return v

    def affine(self, src: str, weight, bias, name: str | None = None) -> str:
        return self._add(Affine(weight, bias), [src], name)

    def relu(self, src: str, name: str | None = None) -> str:
        return self._add(PReLU(0.0), [src], name)

    def prelu(self, src: str, slope: float, name: str | None = None) -> str:
        return self._add(PReLU(float(slope)), [src], name)

    def concat(self, srcs: Sequence[str], name: str | None = None) -> str:
        return self._add(Concat(), list(srcs), name)

    def slice(self, src: str, start: int, stop: int, name: str | None = None) -> str:
        return self._add(Slice(int(start), int(stop)), [src], name)

    def moe(self, src: str, router: LinearGate | TreeRouter, experts: StackedExperts, name: str | None = None) -> str:
        return self._add(MoE(router, experts), [src], name)

    def build(self, output: str, name: str = "net") -> Net:
        return Net(self.graph, self.input, output, name=name)


def sequential_net(layers: Sequence[tuple], *, slope: float = 0.0, name: str = "mlp") -> Net:
    """An MLP from ``[(W1, b1), ..., (WL, bL)]`` with sigma_slope after every layer but the last."""
    w0 = np.asarray(layers[0][0])
    b = NetBuilder(int(w0.shape[1]))
    h = b.input
    for i, (w, bias) in enumerate(layers):
        h = b.affine(h, w, bias)
        if i < len(layers) - 1:
            h = b.prelu(h, slope) if slope else b.relu(h)
    return b.build(h, name=name)


def random_relu_net(sizes: Sequence[int], *, seed: int = 0, scale: float | None = None) -> Net:
    """A seeded random ReLU MLP with layer sizes ``sizes`` (e.g. (2, 32, 32, 1)), He-style init."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        s = scale if scale is not None else np.sqrt(2.0 / i)
        layers.append((rng.normal(0, s, (o, i)), rng.normal(0, 0.1, o)))
    return sequential_net(layers, name=f"random-{'-'.join(map(str, sizes))}-seed{seed}")


# --- reference evaluation (numpy float64) and exact evaluation (rationals) -------------------------------


def _topk_lowest_index(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores per row, ties to the lowest index: (N, E) -> (N, k)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, :k]


def _experts_numpy(ex: StackedExperts, idx: np.ndarray, x: np.ndarray) -> np.ndarray:
    h = x
    for i, (w, b) in enumerate(zip(ex.weights, ex.biases)):
        h = np.einsum("noi,ni->no", w[idx], h) + b[idx]
        if i < ex.n_layers - 1:
            h = np.maximum(h, ex.slope * h)
    return h


def route_numpy(spec: MoE, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Selected experts (N, k) and their softmax weights (N, k) for inputs x (N, n)."""
    r = spec.router
    if isinstance(r, TreeRouter):
        idx = r.route_numpy(x)[:, None]
        return idx, np.ones_like(idx, dtype=np.float64)
    scores = x @ r.weight.T + (0.0 if r.bias is None else r.bias)
    idx = _topk_lowest_index(scores, r.k)
    sel = np.take_along_axis(scores, idx, axis=1)
    w = np.exp(sel - sel.max(axis=1, keepdims=True))
    return idx, w / w.sum(axis=1, keepdims=True)


def evaluate_numpy(net: Net, x: np.ndarray, *, return_all: bool = False):
    """Reference float64 evaluation: x (N, n_in) -> (N, n_out) (all node values if ``return_all``)."""
    x = np.asarray(x, dtype=np.float64)
    vals: dict[str, np.ndarray] = {}
    for v in net.order:
        spec, ops = net.spec(v), [vals[u] for u in net.operands(v)]
        if isinstance(spec, Input):
            out = x
        elif isinstance(spec, Affine):
            out = ops[0] @ spec.weight.T + spec.bias
        elif isinstance(spec, PReLU):
            out = np.maximum(ops[0], spec.slope * ops[0])
        elif isinstance(spec, Concat):
            out = np.concatenate(ops, axis=1)
        elif isinstance(spec, Slice):
            out = ops[0][:, spec.start : spec.stop]
        else:
            idx, w = route_numpy(spec, ops[0])
            out = sum(w[:, j : j + 1] * _experts_numpy(spec.experts, idx[:, j], ops[0]) for j in range(idx.shape[1]))
        vals[v] = out
    return vals if return_all else vals[net.output]


def _fr(a: float) -> Fraction:
    return Fraction(float(a))


def evaluate_exact(net: Net, point: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """Exact rational evaluation at one point (float64 weights are dyadic rationals, ReLU is exact).

    Routing is decided on exact scores (ties: lowest index). Top-k with k > 1 mixes experts with
    softmax weights, which are not rational: such nets raise :class:`InvalidInput` here (replay
    them with interval arithmetic instead).
    """
    vals: dict[str, list[Fraction]] = {}
    for v in net.order:
        spec, ops = net.spec(v), [vals[u] for u in net.operands(v)]
        if isinstance(spec, Input):
            out = [Fraction(p) for p in point]
            if len(out) != spec.dim:
                raise InvalidInput(f"point has {len(out)} coordinates, the network takes {spec.dim}")
        elif isinstance(spec, Affine):
            out = _affine_exact(spec.weight, spec.bias, ops[0])
        elif isinstance(spec, PReLU):
            a = _fr(spec.slope)
            out = [t if t >= 0 else a * t for t in ops[0]]
        elif isinstance(spec, Concat):
            out = [t for o in ops for t in o]
        elif isinstance(spec, Slice):
            out = ops[0][spec.start : spec.stop]
        else:
            out = _moe_exact(spec, ops[0])
        vals[v] = out
    return tuple(vals[net.output])


def _affine_exact(w: np.ndarray, b: np.ndarray, x: list[Fraction]) -> list[Fraction]:
    return [sum((_fr(wi) * xi for wi, xi in zip(row, x)), _fr(bi)) for row, bi in zip(w, b)]


def _moe_exact(spec: MoE, x: list[Fraction]) -> list[Fraction]:
    r = spec.router
    if isinstance(r, TreeRouter):
        node = 0
        for c in r.centres:
            s = sum((1 << i) for i in range(r.n_in) if x[i] >= _fr(c[node, i]))
            node = node * (2**r.n_in) + s
        e = node
    else:
        if r.k != 1:
            raise InvalidInput("exact replay of a top-k (k > 1) softmax mixture is not rational; use interval replay")
        scores = _affine_exact(r.weight, r.bias if r.bias is not None else np.zeros(r.n_experts), x)
        best = max(scores)
        e = scores.index(best)  # ties: lowest index
    h = x
    ex = spec.experts
    for i, (w, b) in enumerate(zip(ex.weights, ex.biases)):
        h = _affine_exact(w[e], b[e], h)
        if i < ex.n_layers - 1:
            a = _fr(ex.slope)
            h = [t if t >= 0 else a * t for t in h]
    return h


#: rows per numpy call in the tree loops (a signal, e.g. a time-out, is handled between calls)
_CHUNK_ROWS = 1 << 18


def dyadic_tree_router(n_in: int, depth: int, *, lo: float = 0.0, hi: float = 1.0) -> TreeRouter:
    """The dyadic tree router on [lo, hi]^n: level d holds the centres of the 2^(n d) dyadic cells.

    The leaf index of a point is the index of its dyadic cell of side (hi - lo) 2^-depth, as base-2^n
    digits of the path (the child digit is sum_i [x_i >= c_i] 2^i).

    >>> r = dyadic_tree_router(1, 2)
    >>> r.route_numpy(np.array([[0.1], [0.3], [0.6], [0.9]])).tolist()
    [0, 1, 2, 3]
    """
    if not (isinstance(depth, int) and depth >= 1):
        raise InvalidInput(f"depth={depth!r} must be a positive integer")
    if not (isinstance(n_in, int) and n_in >= 1):
        raise InvalidInput(f"n_in={n_in!r} must be a positive integer")
    centres = []
    cell_lo = np.full((1, n_in), float(lo))
    side = float(hi - lo)
    bits = ((np.arange(2**n_in)[:, None] >> np.arange(n_in)[None, :]) & 1).astype(np.float64)
    for _level in range(depth):
        centres.append(cell_lo + side / 2)
        # children in digit order: child s has lower corner cell_lo + (side/2) * bits(s); in chunks of rows
        step = max(1, _CHUNK_ROWS // 2**n_in)
        cell_lo = np.concatenate(
            [
                (cell_lo[i : i + step, None, :] + (side / 2) * bits[None, :, :]).reshape(-1, n_in)
                for i in range(0, cell_lo.shape[0], step)
            ]
        )
        side /= 2
    return TreeRouter(n_in, depth, tuple(centres))
