"""The MoE layer of Wang & E (arXiv 2505.24205, Sec. 2) on the IR, its stacks, and their graph view.

The paper's MoE layer [paper]: E experts f^(e) (ReLU nets of l layers, i.e. l - 1 hidden layers of
width m), a linear gate g(x) = W_R x *without bias*, K = argTopK(g(x)) (any K >= 1; ties to the lowest
index, our convention) and output sum_{k in K} softmax_K(g)_k f^(k)(x). H^{L,E}_{l,m} stacks L such
layers by plain composition (no residual). :func:`moe_layer` adds one to a :class:`NetBuilder`,
:func:`stacked_moe_net` builds a whole stack, :func:`moe_class` reads (L, E, l, widths) back from a
network and refuses anything that is not a plain stack of bias-free gated MoE layers.

:func:`moe_graph` is the detailed view: ONE networkx DiGraph per network with a node per MoE layer,
gate, expert, expert layer and combine step, and data-flow edges; :func:`graph_sizes` counts every
field of :class:`~constructions.NetSizes` from that view (a test asserts it equals ``count_sizes``).

Expert weights are assembled by :class:`TwoLayerExpert` / :class:`ThreeLayerExpert` ("units" and
linear output forms, so each construction reads like its proof) and stacked with zero padding to a
common width (:func:`stack_experts`). :func:`cpwl_form` is the ReLU form of a 1-D piecewise-linear
interpolant: I(s) = v_0 + sum_k c_k relu(s - t_k), one unit per kink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import networkx as nx
import numpy as np

from constructions.ir import (
    Affine,
    Concat,
    LinearGate,
    MoE,
    Net,
    NetBuilder,
    NetSizes,
    PReLU,
    Slice,
    StackedExperts,
)
from proofs import InvalidInput

__all__ = [
    "moe_layer",
    "stacked_moe_net",
    "moe_class",
    "moe_graph",
    "graph_sizes",
    "TwoLayerExpert",
    "ThreeLayerExpert",
    "stack_experts",
    "cpwl_knots",
    "cpwl_form",
    "active_experts",
    "prefix_net",
]


# ------------------------------------------------------------------------------------ layers and stacks
def moe_layer(
    b: NetBuilder, src: str, gate_weight, experts: StackedExperts, *, k: int = 1, name: str | None = None
) -> str:
    """Add the paper's MoE layer: gate W_R (E, n) without bias, top-k, softmax over the selected."""
    w = np.asarray(gate_weight, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != experts.n_experts:
        raise InvalidInput(f"gate weight shape {w.shape} must be (E={experts.n_experts}, n)")
    if experts.slope != 0.0:
        raise InvalidInput(f"paper-3 experts are ReLU nets (slope 0), got slope={experts.slope!r}")
    return b.moe(src, LinearGate(w, None, int(k)), experts, name)


def stacked_moe_net(n_in: int, layers: Sequence[tuple], *, name: str = "moe-stack") -> Net:
    """H^{L,E}_{l,m}: ``layers`` = [(gate_weight, experts, k), ...] composed in order, no residual."""
    if not layers:
        raise InvalidInput("a stack needs at least one MoE layer")
    b = NetBuilder(int(n_in))
    h = b.input
    for i, (w, ex, k) in enumerate(layers, start=1):
        h = moe_layer(b, h, w, ex, k=k, name=f"moe{i}")
    return b.build(h, name=name)


def moe_class(net: Net) -> dict:
    """(L, E, l, per-layer hidden widths, k) of a plain stack; InvalidInput for anything else."""
    chain = [v for v in net.order if v != net.input]
    prev = net.input
    L, E, depths, widths, ks = 0, set(), set(), [], []
    for v in chain:
        spec = net.spec(v)
        if not isinstance(spec, MoE) or net.operands(v) != [prev]:
            raise InvalidInput(f"{net.name!r}: node {v!r} is not an MoE layer in a plain chain (H^(L,E)_(l,m))")
        if not isinstance(spec.router, LinearGate) or spec.router.bias is not None:
            raise InvalidInput(f"{net.name!r}: layer {v!r} must have a bias-free linear gate")
        L += 1
        E.add(spec.experts.n_experts)
        depths.add(spec.experts.n_layers)
        widths.append(max([w.shape[1] for w in spec.experts.weights[:-1]], default=0))
        ks.append(spec.k)
        prev = v
    if prev != net.output or len(E) != 1 or len(depths) != 1:
        raise InvalidInput(f"{net.name!r}: layers must share E and the expert depth l (got E={E}, l={depths})")
    return {"L": L, "E": E.pop(), "l": depths.pop(), "widths": tuple(widths), "k": tuple(ks)}


def prefix_net(net: Net, node: str, start: int, stop: int) -> Net:
    """The sub-network computing ``node`` (same specs, same node names), sliced to [start, stop)."""

    keep = nx.ancestors(net.graph, node) | {node}
    b = NetBuilder(net.n_in)
    new = {net.input: b.input}
    for v in net.order:
        if v == net.input or v not in keep:
            continue
        spec, ops = net.spec(v), [new[u] for u in net.operands(v)]
        if isinstance(spec, MoE):
            new[v] = b.moe(ops[0], spec.router, spec.experts, name=v)
        elif isinstance(spec, Affine):
            new[v] = b.affine(ops[0], spec.weight, spec.bias, name=v)
        elif isinstance(spec, PReLU):
            new[v] = b.prelu(ops[0], spec.slope, name=v) if spec.slope else b.relu(ops[0], name=v)
        elif isinstance(spec, Slice):
            new[v] = b.slice(ops[0], spec.start, spec.stop, name=v)
        elif isinstance(spec, Concat):
            new[v] = b.concat(ops, name=v)
    return b.build(b.slice(new[node], start, stop, name=f"{node}[{start}:{stop}]"), name=f"{net.name}/{node}")


def active_experts(net: Net) -> tuple[int, int]:
    """(experts in all, experts active per input) counted from the detailed graph."""
    g = moe_graph(net)
    total = sum(1 for _, d in g.nodes(data=True) if d["kind"] == "expert")
    active = sum(d["k"] for _, d in g.nodes(data=True) if d["kind"] == "gate")
    return total, active


# ------------------------------------------------------------------------------------ expert assembly
class TwoLayerExpert:
    """One expert x -> W2 relu(W1 x + b1) + b2, written as hidden units and linear output forms."""

    def __init__(self, n_in: int):
        self.n_in = n_in
        self.rows: list[np.ndarray] = []
        self.bias: list[float] = []
        self.outs: list[tuple[dict[int, float], float]] = []

    def unit(self, w, b: float) -> int:
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (self.n_in,):
            raise InvalidInput(f"unit weight shape {w.shape} != ({self.n_in},)")
        self.rows.append(w)
        self.bias.append(float(b))
        return len(self.rows) - 1

    def coord(self, j: int, sign: float = 1.0) -> np.ndarray:
        e = np.zeros(self.n_in)
        e[j] = sign
        return e

    def pass_nonneg(self, j: int) -> tuple[dict, float]:
        # x_j >= 0 on the domain => relu(x_j) = x_j
        return {self.unit(self.coord(j), 0.0): 1.0}, 0.0

    def pass_signed(self, j: int) -> tuple[dict, float]:
        # x = relu(x) - relu(-x)
        return {self.unit(self.coord(j), 0.0): 1.0, self.unit(self.coord(j, -1.0), 0.0): -1.0}, 0.0

    def cpwl(self, direction, offset: float, knots, values) -> tuple[dict, float]:
        """Interpolant of (knots, values) in s = direction . x + offset (constant left of knots[0])."""
        coef, v0 = cpwl_form(knots, values)
        d = np.asarray(direction, dtype=np.float64)
        form = {self.unit(d, offset - t): c for t, c in zip(knots[:-1], coef)}
        return form, v0

    def output(self, form: tuple[dict, float]) -> None:
        self.outs.append(form)

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        W1 = np.array(self.rows).reshape(len(self.rows), self.n_in)
        W2 = np.zeros((len(self.outs), len(self.rows)))
        b2 = np.zeros(len(self.outs))
        for o, (form, const) in enumerate(self.outs):
            for u, c in form.items():
                W2[o, u] += c
            b2[o] = const
        return [(W1, np.array(self.bias)), (W2, b2)]


class ThreeLayerExpert:
    """x -> W3 relu(W2 relu(W1 x + b1) + b2) + b3: a first block, then units on its linear forms."""

    def __init__(self, first: TwoLayerExpert):
        self.first = first
        self.rows2: list[tuple[dict, float]] = []
        self.outs: list[tuple[dict[int, float], float]] = []

    def unit(self, form: tuple[dict, float], shift: float = 0.0) -> int:
        """A second-layer unit relu(form + shift), form a linear form of first-layer units."""
        f, c = form
        self.rows2.append((dict(f), c + shift))
        return len(self.rows2) - 1

    def pass_nonneg(self, form: tuple[dict, float]) -> tuple[dict, float]:
        # form >= 0 on the domain => relu(form) = form
        return {self.unit(form): 1.0}, 0.0

    def pass_signed(self, form: tuple[dict, float]) -> tuple[dict, float]:
        # z = relu(z) - relu(-z)
        neg = ({u: -c for u, c in form[0].items()}, -form[1])
        return {self.unit(form): 1.0, self.unit(neg): -1.0}, 0.0

    def cpwl(self, form: tuple[dict, float], knots, values) -> tuple[dict, float]:
        coef, v0 = cpwl_form(knots, values)
        return {self.unit(form, -t): c for t, c in zip(knots[:-1], coef)}, v0

    def output(self, form: tuple[dict, float]) -> None:
        self.outs.append(form)

    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        (W1, b1), _ = self.first.layers()
        n1 = W1.shape[0]
        W2 = np.zeros((len(self.rows2), n1))
        b2 = np.zeros(len(self.rows2))
        for r, (form, const) in enumerate(self.rows2):
            for u, c in form.items():
                W2[r, u] += c
            b2[r] = const
        W3 = np.zeros((len(self.outs), len(self.rows2)))
        b3 = np.array([c for _, c in self.outs], dtype=np.float64)
        for o, (form, _) in enumerate(self.outs):
            for u, c in form.items():
                W3[o, u] += c
        return [(W1, b1), (W2, b2), (W3, b3)]


def stack_experts(experts: Sequence) -> StackedExperts:
    """Stack experts of one depth, zero-padding every hidden layer to the common (largest) width."""
    layer_lists = [e.layers() if hasattr(e, "layers") else e for e in experts]
    depth = {len(ls) for ls in layer_lists}
    if len(depth) != 1:
        raise InvalidInput(f"experts of one layer must share their depth, got depths {sorted(depth)}")
    n_layers = depth.pop()
    widths = [max(ls[i][0].shape[0] for ls in layer_lists) for i in range(n_layers)]
    outs = {ls[-1][0].shape[0] for ls in layer_lists}
    if len(outs) != 1:
        raise InvalidInput(f"experts of one layer must share their output size, got {sorted(outs)}")
    n_in = layer_lists[0][0][0].shape[1]
    ws, bs = [], []
    for i in range(n_layers):
        fan_in = n_in if i == 0 else widths[i - 1]
        W = np.zeros((len(layer_lists), widths[i], fan_in))
        B = np.zeros((len(layer_lists), widths[i]))
        for e, ls in enumerate(layer_lists):
            w, b = ls[i]
            W[e, : w.shape[0], : w.shape[1]] = w
            B[e, : b.shape[0]] = b
        ws.append(W)
        bs.append(B)
    return StackedExperts(tuple(ws), tuple(bs))


def cpwl_knots(a: float, b: float, m: int) -> np.ndarray:
    """m + 1 uniform knots on [a, b] (m pieces)."""
    if not (isinstance(m, (int, np.integer)) and m >= 1):
        raise InvalidInput(f"m={m!r} must be a positive integer (number of pieces)")
    if not b > a:
        raise InvalidInput(f"interval [{a}, {b}] must have a < b")
    return np.linspace(a, b, int(m) + 1)


def cpwl_form(knots, values) -> tuple[np.ndarray, float]:
    """(c_k, v_0) with I(s) = v_0 + sum_{k < m} c_k relu(s - t_k) the interpolant of (t_k, v_k)."""
    t = np.asarray(knots, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if t.ndim != 1 or t.shape != v.shape or t.size < 2 or not np.all(np.diff(t) > 0):
        raise InvalidInput(f"knots must increase and match values, got {t.shape} knots, {v.shape} values")
    if not np.all(np.isfinite(v)):
        raise InvalidInput("interpolated values must be finite")
    slopes = np.diff(v) / np.diff(t)
    return np.concatenate([[slopes[0]], np.diff(slopes)]), float(v[0])


def interpolate(fn: Callable[[np.ndarray], np.ndarray], a: float, b: float, m: int) -> tuple[np.ndarray, np.ndarray]:
    t = cpwl_knots(a, b, m)
    return t, np.asarray(fn(t), dtype=np.float64)


# ------------------------------------------------------------------------------------ graph view
def moe_graph(net: Net) -> nx.DiGraph:
    """The detailed data-flow graph of ``net``: one node per MoE layer, gate, expert, expert layer, combine.

    Node attribute ``kind``: input | layer (a non-MoE IR node: affine, relu, slice, concat) | moe_layer |
    gate (n_params, k, E) | expert (index, n_params) | expert_layer (fan_in, fan_out, params, relu) |
    combine (softmax over the selected experts). Edges carry the data flow: the layer input feeds the
    gate and every expert; expert layers chain; gate and experts feed the combine node; the combine
    node is the layer's output. Static attributes only (no values).
    """
    g = nx.DiGraph(name=net.name)
    out_of: dict[str, str] = {}
    for v in net.order:
        spec = net.spec(v)
        srcs = [out_of[u] for u in net.operands(v)]
        if v == net.input:
            g.add_node(v, kind="input", dim=net.n_in)
            out_of[v] = v
            continue
        if not isinstance(spec, MoE):
            params = spec.weight.size + spec.bias.size if isinstance(spec, Affine) else 0
            width = spec.n_out if isinstance(spec, Affine) else 0
            g.add_node(
                v,
                kind="layer",
                op=net.graph.nodes[v]["op"],
                params=params,
                width=width,
                affine=isinstance(spec, Affine),
            )
            for s in srcs:
                g.add_edge(s, v)
            out_of[v] = v
            continue
        ex, r = spec.experts, spec.router
        g.add_node(v, kind="moe_layer", E=ex.n_experts, k=r.k, n_layers=ex.n_layers)
        gate, comb = f"{v}/gate", f"{v}/combine"
        g.add_node(
            gate,
            kind="gate",
            moe=v,
            E=r.n_experts,
            k=r.k,
            n_params=r.n_params,
            path_params=r.path_params,
            bias=getattr(r, "bias", None) is not None,
        )
        g.add_node(comb, kind="combine", moe=v, dim=ex.n_out)
        for s in srcs:
            g.add_edge(s, v)
        g.add_edge(v, gate)
        g.add_edge(gate, comb)
        for e in range(ex.n_experts):
            en = f"{v}/expert{e}"
            g.add_node(en, kind="expert", moe=v, index=e, n_params=ex.params_per_expert)
            g.add_edge(v, en)
            prev = en
            for i, (w, b) in enumerate(zip(ex.weights, ex.biases)):
                ln = f"{en}/layer{i + 1}"
                g.add_node(
                    ln,
                    kind="expert_layer",
                    moe=v,
                    expert=e,
                    fan_in=w.shape[2],
                    fan_out=w.shape[1],
                    params=w.shape[1] * w.shape[2] + b.shape[1],
                    relu=i < ex.n_layers - 1,
                )
                g.add_edge(prev, ln)
                prev = ln
            g.add_edge(prev, comb)
        out_of[v] = comb
    g.graph["output"] = out_of[net.output]
    return g


def graph_sizes(g: nx.DiGraph) -> NetSizes:
    """Every NetSizes field counted from the detailed graph of :func:`moe_graph`."""
    nodes = g.nodes
    n_params = active = path = ppe = width = 0
    n_experts = n_moe = 0
    for _v, d in nodes(data=True):
        kind = d["kind"]
        if kind == "layer":
            n_params += d["params"]
            active += d["params"]
            width = max(width, d["width"])
        elif kind == "gate":
            n_moe += 1
            n_params += d["n_params"]
            path += d["path_params"]
            active += d["path_params"]
        elif kind == "expert":
            n_experts += 1
            n_params += d["n_params"]
            ppe = max(ppe, d["n_params"])
        elif kind == "expert_layer":
            width = max(width, d["fan_out"])
    for v, d in nodes(data=True):
        if d["kind"] == "moe_layer":
            per = max(nodes[e]["n_params"] for e in g.successors(v) if nodes[e]["kind"] == "expert")
            active += d["k"] * per
    # depth: affine layers on the longest path; within an MoE layer, one expert's chain of layers
    depth: dict[str, int] = {}
    for v in nx.topological_sort(g):
        d = nodes[v]
        before = max((depth[u] for u in g.predecessors(v) if nodes[u]["kind"] != "gate"), default=0)
        step = 1 if (d["kind"] == "expert_layer" or (d["kind"] == "layer" and d["affine"])) else 0
        depth[v] = before + step
    return NetSizes(n_params, n_experts, ppe, path, active, depth[g.graph["output"]], width, n_moe)
