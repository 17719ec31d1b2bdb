"""Bounds of a network over many boxes at once: IBP and CROWN in float64, with MoE routing candidates.

:func:`bound_net` lowers the IR to a :class:`~checkers.certify._crown.StepGraph` and fills in a sound interval
for every step, in topological order:

* IBP for every step (outward rounded);
* with ``method="crown"``, the operands of every (P)ReLU and MoE node are also bounded by CROWN's
  backward pass (linear relaxation down to the input) and the two enclosures are intersected;
  ``"crown-ibp"`` keeps IBP for the pre-activations and uses CROWN for routing scores and the output;
* an MoE node first decides, per box, which experts can be selected (:mod:`checkers.certify._routing`), then
  lowers each candidate slot to a chain of per-box gathered expert layers. A box with a single
  top-1 candidate has exact routing: the node is that expert and CROWN runs straight through it.
  Otherwise the node's interval is the hull over the candidates (a softmax mixture is a convex
  combination, so the hull is sound for any k) and CROWN treats the node as that interval.

Every returned bound holds in real arithmetic (see the rounding model of :mod:`checkers.certify._crown`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import torch

from checkers.certify._chunks import DEFAULT_MEMORY_BUDGET, NetTensors, boxes_per_chunk
from checkers.certify._crown import (
    TINY,
    Step,
    StepGraph,
    round_down,
    round_up,
    slack_factor,
)
from checkers.certify._routing import (
    Candidates,
    gate_candidates,
    tree_candidates,
)
from constructions.ir import Affine, Concat, Input, MoE, Net, PReLU, Slice, TreeRouter
from proofs import InvalidInput

__all__ = ["NetBounds", "bound_net", "METHODS"]

METHODS = ("ibp", "crown", "crown-ibp")
_U2 = 2.0**-52


@dataclass(frozen=True)
class NetBounds:
    """Bounds of a network over B boxes.

    Arguments:
        lower, upper: (B, n_out) sound bounds of the output on each box.
        A_l, c_l, A_u, c_u: linear bounds in the network input, A_l x + c_l <= net(x) <= A_u x + c_u
            on each box (A: (B, n_out, n_in), c: (B, n_out)); ``None`` for IBP.
        routing: per MoE node, the :class:`~checkers.certify._routing.Candidates` (experts that can be
            selected somewhere in each box); ``candidates`` gives them as (B, E) bool masks.
        feasible: (B,) bool; False where a forced route is impossible on the box (then the bounds
            are vacuous: no point of the box takes that route).
        bounded: (B,) bool; False where an MoE node had more than ``max_candidates`` candidates:
            those boxes were not bounded (lower -inf, upper +inf, A 0, c -+inf) and should be split.
        affine_on_box: (B,) bool; True where the network is one affine map on the whole (closed) box:
            every (P)ReLU unit keeps its sign and every MoE node has one top-1 route.
        method: the engine ('ibp', 'crown', 'crown-ibp').

    With forced ``routes`` the bounds hold for the points of the box that take those routes.
    """

    lower: torch.Tensor
    upper: torch.Tensor
    A_l: torch.Tensor | None
    c_l: torch.Tensor | None
    A_u: torch.Tensor | None
    c_u: torch.Tensor | None
    routing: Mapping[str, Candidates]
    feasible: torch.Tensor
    bounded: torch.Tensor
    method: str
    affine_on_box: torch.Tensor

    @property
    def n_boxes(self) -> int:
        return self.lower.shape[0]

    @property
    def candidates(self) -> dict[str, torch.Tensor]:
        """Per MoE node, (B, E) bool: the experts that can be selected somewhere in each box."""
        return {v: c.dense() for v, c in self.routing.items()}

    @property
    def routing_unique(self) -> torch.Tensor:
        """(B,) bool: at every MoE node exactly k experts are candidates (the routing is certified)."""
        out = torch.ones(self.n_boxes, dtype=torch.bool, device=self.lower.device)
        for c in self.routing.values():
            out &= c.count == c.k
        return out

    def paths(self) -> torch.Tensor:
        """(B, n_moe) long: the lowest-index candidate at each MoE node (the route where unique, k = 1)."""
        cols = [c.slots(1)[:, 0] for c in self.routing.values()]
        if not cols:
            return torch.zeros((self.n_boxes, 0), dtype=torch.long, device=self.lower.device)
        return torch.stack(cols, dim=1)


def _as_boxes(lo, hi, n_in: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    lo_t = torch.as_tensor(np.asarray(lo) if not torch.is_tensor(lo) else lo, dtype=torch.float64).to(device)
    hi_t = torch.as_tensor(np.asarray(hi) if not torch.is_tensor(hi) else hi, dtype=torch.float64).to(device)
    if lo_t.dim() == 1:
        lo_t, hi_t = lo_t[None, :], hi_t[None, :]
    if lo_t.shape != hi_t.shape or lo_t.dim() != 2 or lo_t.shape[1] != n_in:
        raise InvalidInput(f"boxes lo {tuple(lo_t.shape)} and hi {tuple(hi_t.shape)} must both be (B, {n_in})")
    if not (torch.isfinite(lo_t).all() and torch.isfinite(hi_t).all()):
        raise InvalidInput("box corners must be finite")
    if bool((lo_t > hi_t).any()):
        raise InvalidInput("every box needs lo <= hi")
    return lo_t.contiguous(), hi_t.contiguous()


def _ibp_affine(W: torch.Tensor, b: torch.Tensor, l: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Sound W [l, u] + b for shared W (out, in) or per-box W (B, out, in): centre-radius form with an
    a priori floating-point error bound (no directed-rounding passes).

    Computed (float64, any summation order, with or without FMA; u = 2^-53, gamma_k = k u / (1 - k u)):
    c = fl(fl(l + u) / 2), r = fl(fl(u - l) / 2), P = fl(W c + b) (one ``addmm``), the largest |x| over the
    box X = max_j max(u_j, -l_j) (exact: max(|l_j|, |u_j|) = max(u_j, -l_j) as l_j <= u_j), and
    S = fl(fl(k X) s_i + fl(k |b_i| + T)) (one ``addcmul``; s = fl(sum_j |W_ij|)
    the row sums of |W|, k = ``slack_factor(2 n + 4)`` = 4 (2 n + 6) u, T = (2 n + 8) 2^-1000),
    R = fl(S + |W| r) (one ``addmm``: an n + 1 term sum). Returned: lo = fl(P - R), hi = fl(P + R).

    Why every real W x + b, x in [l, u], lies in [lo, hi] [ours; Higham, Thm 3.1 and Lemma 3.1]:

    1. c and r are one rounding and an exact halving each (up to underflow, <= 2^-1075), so
       |c - c*| <= u |c| and |r - r*| <= u r for the exact c* = (l + u)/2, r* = (u - l)/2, whence
       |x - c| <= r* + |c* - c| <= r + u (r + |c|) elementwise; and r + |c| <= (1 + u)(r* + |c*|) =
       (1 + u) max(|l|, |u|) <= (1 + u) X.
    2. W x + b = (W c + b) + W (x - c), and |W (x - c)| <= |W| r + u |W| (r + |c|).
    3. |P - (W c + b)| <= gamma_{n+1} (|W| |c| + |b|), and |R - (S + |W| r)| <= gamma_{n+1} (S + |W| r).
       With m* := |W| (r + |c|) + |b| <= (1 + gamma_{n+2}) (X s + |b|) (s is an n-term sum, X s one
       product), every error term above is <= m*, so W x + b <= P + |W| r + E with
       E <= (gamma_{n+1} + u) m* <= (n + 3) u (1 + gamma_{n+3}) (X s + |b|).
    4. S >= 4 (2 n + 6) u (X s + |b|) (1 - u)^3 (three roundings of positive terms): about 8 times E, so
       S covers E, the error of R (gamma_{n+1} of a sum about 1 + (8 n + 24) u times |W| r + E) and the
       final rounding of P +- R (u of |P| + R <= 2 m*) with a wide margin for the second-order terms.
    5. Underflow: each product loses at most 2^-1074 absolutely (also with flush to zero, 2^-1022);
       T = (2 n + 8) 2^-1000 covers all of them. [review] Two losses are *multiplied by |W|*, so T cannot
       cover them: a halving of a subnormal l + u or u - l loses up to 2^-1075 of c and of r (x = 2^-1074
       on [0, 2^-1074] fell outside: c = r = 0), and fl(k X) underflows to 0 for a subnormal X (the relative
       charge vanished: W = 1e300 on the point box 3 2^-1074 returned a zero-width, wrong interval).
       Hence k X is computed as fl(fl(k X) + 2^-1000) >= k X (1 - u) - 2^-1075 + 2^-1000 (1 - u): it keeps
       the relative charge of step 4 and adds >= 2^-1001 s >= 2^-1074 sum_j |W_ij| for the halvings.
    The lower end is symmetric (-W x - b). Overflow gives inf or NaN, which the step graph reads as no bound.
    In real arithmetic [P - |W| r, P + |W| r] is exactly the endpoint form W+ [l, u] + W- [l, u] + b; the
    rounding allowance is ~1e-14 relative, for three matrix products and four elementwise passes.
    """
    n = W.shape[-1]
    k = slack_factor(2 * n + 4)
    c = torch.add(l, u).mul_(0.5)
    r = torch.sub(u, l).mul_(0.5)
    Wa = W.abs()
    X = torch.maximum(u.amax(dim=-1, keepdim=True), l.amin(dim=-1, keepdim=True).neg_())  # (B, 1)
    kb = (k * b.abs()).add_((2 * n + 8) * TINY)
    if W.dim() == 2:
        P = torch.addmm(b, c, W.T)
        S = torch.addcmul(kb, X.mul_(k).add_(TINY), Wa.sum(dim=1))
        R = torch.addmm(S, r, Wa.T)
    else:
        P = torch.baddbmm(b.unsqueeze(-1), W, c.unsqueeze(-1)).squeeze(-1)
        S = torch.addcmul(kb, X.mul_(k).add_(TINY), Wa.sum(dim=2))
        R = torch.baddbmm(S.unsqueeze(-1), Wa, r.unsqueeze(-1)).squeeze(-1)
    return P - R, P.add_(R)


def _ibp_prelu(a: float, l: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """sigma_a is monotone: [sigma(l), sigma(u)], the product a t rounded outward."""
    if a == 0.0:
        return l.clamp(min=0), u.clamp(min=0)
    return torch.where(l >= 0, l, round_down(a * l)), torch.where(u >= 0, u, round_up(a * u))


class _Lowering:
    """Lowers ``net`` onto a StepGraph for one call (all state is local to the call)."""

    def __init__(
        self,
        net: Net,
        lo: torch.Tensor,
        hi: torch.Tensor,
        method: str,
        routes,
        interior: bool,
        max_candidates: int | None,
        tensors: NetTensors,
        route_margins=None,
    ):
        self.net, self.method, self.interior, self.tensors = net, method, interior, tensors
        self.route_margins = dict(route_margins or {})
        self.max_candidates = max_candidates
        self.routes = routes or {}
        self.device = lo.device
        self.g = StepGraph(lo.shape[0])
        self.B = lo.shape[0]
        self.feasible = torch.ones(self.B, dtype=torch.bool, device=self.device)
        self.bounded = torch.ones(self.B, dtype=torch.bool, device=self.device)
        self.linear_on_box = torch.ones(self.B, dtype=torch.bool, device=self.device)
        self.candidates: dict[str, Candidates] = {}
        self.linear: dict[int, tuple] = {}
        consumers = {v: [net.graph.nodes[w]["op"] for w in net.graph.successors(v)] for v in net.order}
        self.pre_act = {v for v, ops in consumers.items() if "relu" in ops or "prelu" in ops}
        self.moe_in = {v for v, ops in consumers.items() if "moe" in ops}
        self.step_of: dict[str, int] = {}
        self.input_step = self.g.add(Step("input", (), net.n_in), lo, hi)

    def tensor(self, a) -> torch.Tensor:
        return torch.as_tensor(np.array(a), dtype=torch.float64, device=self.device)

    def refine(self, i: int, *, pre_activation: bool) -> None:
        """CROWN bounds of step i intersected with its IBP interval (kept with its linear bounds)."""
        if self.method == "ibp" or (pre_activation and self.method == "crown-ibp"):
            return
        st = self.g.steps[i]
        if pre_activation and st.kind == "affine" and st.operands[0] == self.input_step:
            return  # an affine function of the input: its IBP interval is already exact up to rounding
        lo, up, A_l, c_l, A_u, c_u = self.g.crown_interval(i)
        self.g.tighten(i, lo, up)
        self.linear[i] = (A_l, c_l, A_u, c_u)

    def affine(self, src: int, W: torch.Tensor, b: torch.Tensor, *, lo=None, hi=None) -> int:
        l = self.g.lower[src] if lo is None else lo
        u = self.g.upper[src] if hi is None else hi
        il, iu = _ibp_affine(W, b, l, u)
        return self.g.add(Step("affine", (src,), W.shape[-2], weight=W, bias=b), il, iu)

    def prelu(self, src: int, a: float) -> tuple[int, torch.Tensor]:
        """The step, and (B,) whether sigma_a is linear on the whole box (every unit stable, or a = 1)."""
        l, u = self.g.lower[src], self.g.upper[src]
        il, iu = _ibp_prelu(a, l, u)
        # every unit has l >= 0 or u <= 0  <=>  max_j min(u_j, -l_j) <= 0 (one reduction, no bool passes)
        if l.shape[1]:
            stable = (torch.minimum(u, l.neg()).amax(dim=1) <= 0) | (a == 1.0)
        else:
            stable = torch.ones(l.shape[0], dtype=torch.bool, device=l.device)
        return self.g.add(Step("prelu", (src,), self.g.steps[src].dim, slope=a), il, iu), stable

    def run(self) -> int:
        net = self.net
        for v in net.order:
            spec = net.spec(v)
            ops = [self.step_of[u] for u in net.operands(v)]
            if isinstance(spec, Input):
                i = self.input_step
            elif isinstance(spec, Affine):
                i = self.affine(ops[0], self.tensor(spec.weight), self.tensor(spec.bias))
            elif isinstance(spec, PReLU):
                i, stable = self.prelu(ops[0], spec.slope)
                self.linear_on_box &= stable
            elif isinstance(spec, Concat):
                lo = torch.cat([self.g.lower[o] for o in ops], dim=1)
                hi = torch.cat([self.g.upper[o] for o in ops], dim=1)
                i = self.g.add(Step("concat", tuple(ops), lo.shape[1]), lo, hi)
            elif isinstance(spec, Slice):
                s = slice(spec.start, spec.stop)
                i = self.g.add(
                    Step("slice", (ops[0],), spec.stop - spec.start, start=spec.start, stop=spec.stop),
                    self.g.lower[ops[0]][:, s],
                    self.g.upper[ops[0]][:, s],
                )
            else:
                i = self.moe(v, spec, ops[0])
            self.step_of[v] = i
            if v in self.pre_act and i != self.input_step:
                self.refine(i, pre_activation=True)
            if v in self.moe_in and i not in self.linear and i != self.input_step:
                self.refine(i, pre_activation=False)
        return self.step_of[net.output]

    def _operand_linear(self, z: int):
        """Linear bounds of step z in the input, or None (IBP): (A_l, c_l, A_u, c_u)."""
        if z == self.input_step:
            n = self.net.n_in
            eye = torch.eye(n, dtype=torch.float64, device=self.device).expand(self.B, n, n)
            zero = torch.zeros((self.B, n), dtype=torch.float64, device=self.device)
            return eye, zero, eye, zero
        return self.linear.get(z)

    def moe(self, v: str, spec: MoE, z: int) -> int:
        r, ex = spec.router, spec.experts
        lz, uz = self.g.lower[z], self.g.upper[z]
        on_input = z == self.input_step
        cells = None
        margin = float(self.route_margins.get(v, 0.0))  # float64 routes: scores / tests off by <= margin
        if isinstance(r, TreeRouter):
            cells = self.tensors.tree_cells(r)
            if margin > 0:
                cells = (round_down(cells[0] - margin), round_up(cells[1] + margin))
            cand = tree_candidates(
                r,
                lz,
                uz,
                strict=self.interior and on_input,
                cap=self.max_candidates,
                tensors=self.tensors,
                margin=margin,
            )
        else:
            cand = gate_candidates(
                r,
                lz,
                uz,
                self._operand_linear(z),
                self.g.lower[0],
                self.g.upper[0],
                interior=self.interior and on_input,
                on_input=on_input,
                tensors=self.tensors,
                margin=margin,
            )
        if v in self.routes:
            if r.k != 1:
                raise InvalidInput(f"MoE node {v!r}: a forced route needs a top-1 router, this one has k={r.k}")
            # a forced expert e >= 0 keeps only e; -1 leaves the node free
            cand = cand.restrict(torch.as_tensor(self.routes[v], dtype=torch.long, device=self.device).reshape(self.B))
        # boxes left unbounded upstream are not bounded here either: every expert stays a candidate
        if not bool(self.bounded.all()):
            cand = cand.widen(~self.bounded)
        self.candidates[v] = cand
        counts = cand.count
        self.feasible &= counts > 0
        if self.max_candidates is not None:
            self.bounded &= counts <= self.max_candidates
        n_slots = max(int(counts[self.bounded].max()) if bool(self.bounded.any()) else 1, 1)
        order = cand.slots(n_slots)
        Ws, bs = self.tensors.experts(spec)
        slot_out = []
        slot_valid = []
        slot0_linear = torch.ones(self.B, dtype=torch.bool, device=self.device)
        for c in range(n_slots):
            valid = counts > c
            idx = torch.where(valid, order[:, c], order[:, 0])
            lo_in = hi_in = None
            if cells is not None:
                # the expert only sees z in its cell: bound it on the box intersected with the cell
                lo_in = torch.minimum(torch.maximum(lz, cells[0][idx]), uz)
                hi_in = torch.maximum(torch.minimum(uz, cells[1][idx]), lo_in)
            h = z
            for layer, (W, b) in enumerate(zip(Ws, bs)):
                h = self.affine(h, W[idx], b[idx], lo=lo_in if layer == 0 else None, hi=hi_in if layer == 0 else None)
                if layer < ex.n_layers - 1:
                    self.refine(h, pre_activation=True)
                    h, stable = self.prelu(h, ex.slope)
                    if c == 0:
                        slot0_linear &= stable
            slot_out.append(h)
            slot_valid.append(valid)
        # the hull over the valid candidate slots
        big = torch.tensor(float("inf"), dtype=torch.float64, device=self.device)
        slots = list(zip(slot_out, slot_valid))
        lo = torch.stack([torch.where(ok[:, None], self.g.lower[s], big) for s, ok in slots]).amin(0)
        hi = torch.stack([torch.where(ok[:, None], self.g.upper[s], -big) for s, ok in slots]).amax(0)
        empty = counts == 0
        lo = torch.where(empty[:, None], torch.zeros_like(lo), lo)
        hi = torch.where(empty[:, None], torch.zeros_like(hi), hi)
        through = (counts == 1) & torch.tensor(r.k == 1, device=self.device)
        self.linear_on_box &= through & slot0_linear
        return self.g.add(Step("join", tuple(slot_out), ex.n_out, through=through), lo, hi)


def bound_net(
    net: Net,
    lo,
    hi,
    *,
    method: str = "crown",
    device: str = "cpu",
    routes: Mapping[str, object] | None = None,
    interior: bool = False,
    max_candidates: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    tensors: NetTensors | None = None,
    route_margins: Mapping[str, float] | None = None,
) -> NetBounds:
    """Sound bounds of ``net`` over the boxes [lo, hi] (each (B, n_in), arrays or tensors).

    Arguments:
        method: 'crown' (CROWN everywhere), 'crown-ibp' (IBP pre-activations, CROWN scores and
            output) or 'ibp'.
        device: torch device; everything runs in float64 there.
        routes: optional forced experts, {moe node: (B,) expert index, -1 = free} (top-1 routers
            only): the bounds then hold on the points of each box routed that way (see
            ``NetBounds.feasible``).
        interior: compute routing candidates for the open boxes (lo, hi) (exact tie handling for a
            tree router or linear gate reading the network input); bounds are unchanged.
        max_candidates: boxes where an MoE node has more candidates are not bounded (see
            ``NetBounds.bounded``); None bounds every box, however many candidates it has.
        memory_budget: bytes of working memory; the boxes are bounded in chunks sized by
            :func:`~checkers.certify._chunks.boxes_per_chunk` (every bound is per box: the chunks only
            change how matrix products are blocked, which the rounding model allows).
        tensors: a :class:`~checkers.certify._chunks.NetTensors` of ``net`` on ``device`` to reuse
            across calls (tree cells, centres, gate and expert weights); built for this call if None.
        route_margins: {moe node: margin}: every route the float64 forward can take is a candidate
            (scores off by up to the margin; ``checkers.certify._float64``); the bounds then hold for
            the real network on every such route.

    Returns:
        :class:`NetBounds` with lower/upper (B, n_out), linear bounds (CROWN) and candidates.

    >>> from constructions import random_relu_net
    >>> nb = bound_net(random_relu_net((2, 8, 1), seed=0), [[0.0, 0.0]], [[1.0, 1.0]])
    >>> bool((nb.lower <= nb.upper).all()), tuple(nb.A_u.shape)
    (True, (1, 1, 2))
    """
    if method not in METHODS:
        raise InvalidInput(f"method={method!r} must be one of {', '.join(METHODS)}")
    lo_t, hi_t = _as_boxes(lo, hi, net.n_in, device)
    for v in routes or {}:
        if v not in net.graph or net.graph.nodes[v]["op"] != "moe":
            raise InvalidInput(f"routes names {v!r}, which is not an MoE node of {net.name!r}")
    if max_candidates is not None and not (isinstance(max_candidates, int) and max_candidates >= 1):
        raise InvalidInput(f"max_candidates={max_candidates!r} must be a positive integer or None")
    if not (isinstance(memory_budget, int) and memory_budget >= 1):
        raise InvalidInput(f"memory_budget={memory_budget!r} must be a positive number of bytes")
    tensors = tensors if tensors is not None else NetTensors(lo_t.device)
    chunk = boxes_per_chunk(net, method, max_candidates, memory_budget)
    parts = []
    for s in range(0, max(lo_t.shape[0], 1), chunk):
        rs = {v: r[s : s + chunk] for v, r in routes.items()} if routes else None
        parts.append(
            _bound_chunk(
                net,
                lo_t[s : s + chunk],
                hi_t[s : s + chunk],
                method,
                rs,
                interior,
                max_candidates,
                tensors,
                route_margins,
            )
        )
    return parts[0] if len(parts) == 1 else _concat(parts)


def _concat(parts: list[NetBounds]) -> NetBounds:
    """The bounds of consecutive box chunks as one NetBounds (candidate boxes renumbered)."""

    def cat(name):
        xs = [getattr(p, name) for p in parts]
        return None if xs[0] is None else torch.cat(xs)

    offsets = [0]
    for p in parts[:-1]:
        offsets.append(offsets[-1] + p.n_boxes)
    routing = {}
    for v, c0 in parts[0].routing.items():
        cs = [p.routing[v] for p in parts]
        routing[v] = Candidates(
            c0.n_experts,
            c0.k,
            torch.cat([c.box + o for c, o in zip(cs, offsets)]),
            torch.cat([c.expert for c in cs]),
            torch.cat([c.everything for c in cs]),
            torch.cat([c.count for c in cs]),
        )
    return NetBounds(
        cat("lower"),
        cat("upper"),
        cat("A_l"),
        cat("c_l"),
        cat("A_u"),
        cat("c_u"),
        MappingProxyType(routing),
        cat("feasible"),
        cat("bounded"),
        parts[0].method,
        cat("affine_on_box"),
    )


def _bound_chunk(
    net: Net, lo_t, hi_t, method, routes, interior, max_candidates, tensors, route_margins=None
) -> NetBounds:
    low = _Lowering(net, lo_t, hi_t, method, routes, interior, max_candidates, tensors, route_margins)
    with torch.no_grad():
        out = low.run()
        g = low.g
        A_l = c_l = A_u = c_u = None
        if method != "ibp":
            if out == low.input_step:
                lo_o, up_o, A_l, c_l, A_u, c_u = lo_t, hi_t, *low._operand_linear(out)
            else:
                lo_o, up_o, A_l, c_l, A_u, c_u = g.crown_interval(out)
            g.tighten(out, lo_o, up_o)
        lower, upper = g.lower[out], g.upper[out]
        ok = low.bounded
        if not bool(ok.all()):
            inf = torch.tensor(float("inf"), dtype=torch.float64, device=lower.device)
            lower, upper = torch.where(ok[:, None], lower, -inf), torch.where(ok[:, None], upper, inf)
            if A_l is not None:
                A_l, A_u = A_l * ok[:, None, None], A_u * ok[:, None, None]
                c_l, c_u = torch.where(ok[:, None], c_l, -inf), torch.where(ok[:, None], c_u, inf)
    return NetBounds(
        lower,
        upper,
        A_l,
        c_l,
        A_u,
        c_u,
        MappingProxyType(low.candidates),
        low.feasible,
        low.bounded,
        method,
        low.linear_on_box & low.bounded,
    )
