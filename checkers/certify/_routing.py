"""Which experts an MoE node can select on a box, and where in the box each of them is selected.

Linear gates (scores s = W_R z + b, top-k, ties to the lowest index): expert j *certainly beats*
expert i on a box when s_j >= s_i there and the tie goes to j, i.e. when

    ub(s_i - s_j) < 0,   or   j < i and ub(s_i - s_j) <= 0,

with ub computed from the linear bounds of the gate input z in the network input (CROWN), or from
z's interval (IBP), whichever is smaller. Expert i is excluded when at least k experts certainly
beat it; the others are the candidates.

Tree routers: a leaf's cell is {x : cl <= x < ch} (the sign tests x_i >= c_i of its ancestors); the
candidates are the leaves whose cell meets the interval of z.

Interior semantics (``strict``/``interior``): when the router reads the network input itself, the
candidates of the *open* box can be decided exactly: a half-open cell meets the open box iff
u > cl and l < ch; and an affine score difference that is <= 0 on the closed box and < 0 at an
interior point is < 0 on the whole open box (an affine function with an interior maximum is constant).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from checkers.certify._chunks import NetTensors
from checkers.certify._crown import (
    TINY,
    concretize_upper,
    round_down,
    round_up,
    slack_factor,
)
from constructions.ir import LinearGate, TreeRouter

__all__ = ["Candidates", "tree_cells", "tree_candidates", "gate_candidates", "route_region"]


@dataclass(frozen=True, eq=False)
class Candidates:
    """The experts an MoE node can select on each of B boxes, stored sparsely.

    ``box``, ``expert``: (P,) the candidate pairs, sorted by box then expert; ``everything``: (B,) boxes
    on which every expert is a candidate (not resolved); ``count``: (B,) candidates per box.
    """

    n_experts: int
    k: int
    box: torch.Tensor
    expert: torch.Tensor
    everything: torch.Tensor
    count: torch.Tensor

    @classmethod
    def from_pairs(cls, n_experts: int, k: int, box, expert, everything) -> Candidates:
        keep = ~everything[box]
        box, expert = box[keep], expert[keep]
        count = torch.bincount(box, minlength=everything.shape[0])
        count = torch.where(everything, torch.full_like(count, n_experts), count)
        return cls(n_experts, k, box, expert, everything, count)

    @classmethod
    def from_mask(cls, k: int, mask: torch.Tensor) -> Candidates:
        box, expert = torch.nonzero(mask, as_tuple=True)
        nothing = torch.zeros(mask.shape[0], dtype=torch.bool, device=mask.device)
        return cls.from_pairs(mask.shape[1], k, box, expert, nothing)

    def dense(self) -> torch.Tensor:
        """(B, E) bool mask."""
        out = torch.zeros((self.everything.shape[0], self.n_experts), dtype=torch.bool, device=self.box.device)
        out[self.box, self.expert] = True
        out[self.everything] = True
        return out

    def slots(self, n_slots: int) -> torch.Tensor:
        """(B, n_slots) the first n_slots candidates of each box in increasing order (padded with the first)."""
        B = self.everything.shape[0]
        start = torch.cumsum(self.count * ~self.everything, 0) - self.count * ~self.everything
        rank = torch.arange(self.box.shape[0], device=self.box.device) - start[self.box]
        out = torch.zeros((B, n_slots), dtype=torch.long, device=self.box.device)
        keep = rank < n_slots
        out[self.box[keep], rank[keep]] = self.expert[keep]
        first = out[:, :1].expand(B, n_slots)
        slot = torch.arange(n_slots, device=self.box.device)[None, :]
        valid = slot < torch.where(self.everything, torch.zeros_like(self.count), self.count)[:, None]
        return torch.where(valid, out, first)

    def restrict(self, forced: torch.Tensor) -> Candidates:
        """Keep only the forced expert where forced >= 0 (a forced route); -1 leaves a box free."""
        f = forced[self.box]
        keep = (f < 0) | (self.expert == f)
        box, expert = self.box[keep], self.expert[keep]
        # a box with every expert as candidate keeps just the forced one
        fb = torch.nonzero(self.everything & (forced >= 0), as_tuple=True)[0]
        if fb.numel():
            box, expert = torch.cat([box, fb]), torch.cat([expert, forced[fb]])
            order = torch.argsort(box * self.n_experts + expert)
            box, expert = box[order], expert[order]
        return Candidates.from_pairs(self.n_experts, self.k, box, expert, self.everything & (forced < 0))

    def widen(self, unresolved: torch.Tensor) -> Candidates:
        """Every expert becomes a candidate on the ``unresolved`` boxes."""
        return Candidates.from_pairs(self.n_experts, self.k, self.box, self.expert, self.everything | unresolved)


_U2 = 2.0**-52
_CHUNK = 1 << 24  # entries per comparison tensor


def tree_cells(r: TreeRouter, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Lower and upper corners (E, n) of every leaf cell of the whole space (+-inf on the outside).

    Built afresh; callers bounding many batches keep a :class:`~checkers.certify._chunks.NetTensors`.
    """
    return NetTensors(device).tree_cells(r)


def tree_candidates(
    r: TreeRouter,
    lz: torch.Tensor,
    uz: torch.Tensor,
    *,
    strict: bool = False,
    cap: int | None = None,
    tensors: NetTensors | None = None,
    margin: float = 0.0,
) -> Candidates:
    """The leaves whose cell meets the box [lz, uz] (the open box when ``strict``).

    Descends the tree with interval sign tests: a box holds a point with x_i >= c_i iff u_i >= c_i and
    one with x_i < c_i iff l_i < c_i, so the children it can reach are a product over the axes (exact
    when every centre lies inside its node's cell, as for dyadic trees; a superset otherwise).
    Boxes reaching more than ``cap`` nodes at some level get every leaf as a candidate (not descended).
    ``tensors``: a cache of the centres on this device (built here when not given). ``margin`` > 0: the
    tested values may be off by ``margin`` (the float64 forward): the box is widened by it.
    """
    if margin > 0:
        lz, uz, strict = round_down(lz - margin), round_up(uz + margin), False
    B, n, dev = lz.shape[0], r.n_in, lz.device
    centres = (tensors if tensors is not None else NetTensors(dev)).tree_centres(r)
    bits = ((torch.arange(2**n, device=dev)[:, None] >> torch.arange(n, device=dev)[None, :]) & 1).bool()
    box = torch.arange(B, device=dev)
    node = torch.zeros(B, dtype=torch.long, device=dev)
    over = torch.zeros(B, dtype=torch.bool, device=dev)
    for c in centres:
        cc = c[node]
        l, u = lz[box], uz[box]
        up = u >= cc  # some point of the box has x_i >= c_i
        if strict:
            up = torch.where(l < u, u > cc, up)
        down = l < cc
        allowed = torch.where(bits[None], up[:, None, :], down[:, None, :]).all(dim=2)  # (pairs, 2^n)
        pair, digit = torch.nonzero(allowed, as_tuple=True)
        box, node = box[pair], node[pair] * (2**n) + digit
        if cap is not None:
            over |= torch.bincount(box, minlength=B) > cap
            keep = ~over[box]
            box, node = box[keep], node[keep]
    return Candidates.from_pairs(r.n_experts, 1, box, node, over)


def _sum_up(*terms: torch.Tensor) -> torch.Tensor:
    """A float >= the exact sum of the given floats."""
    s = terms[0]
    mag = terms[0].abs()
    for t in terms[1:]:
        s = s + t
        mag = mag + t.abs()
    return round_up(s + 2 * len(terms) * _U2 * mag)


def _gate(r: LinearGate, device, tensors: NetTensors | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    return (tensors if tensors is not None else NetTensors(device)).gate(r)


def _diff_upper(D, bd, lz, uz, lin, xlo, xhi) -> torch.Tensor:
    """Sound upper bounds (B, E) of D_j . z + bd_j over each box, D (E, d) and bd (E,) in float."""
    d = D.shape[1]
    zmax = torch.maximum(lz.abs(), uz.abs())
    Dp, Dn = D.clamp(min=0), D.clamp(max=0)
    # IBP: max of D z over the interval of z
    ibp = uz @ Dp.T + lz @ Dn.T
    ibp = round_up(ibp + slack_factor(2 * d) * (zmax @ D.abs().T) + (2 * d + 2) * TINY)
    ub = ibp
    if lin is not None:
        A_l, c_l, A_u, c_u = lin
        # D z <= D^+ (A_u x + c_u) + D^- (A_l x + c_l), then maximised over the input box
        M = torch.einsum("jd,bdn->bjn", Dp, A_u) + torch.einsum("jd,bdn->bjn", Dn, A_l)
        c = c_u @ Dp.T + c_l @ Dn.T
        xmax = torch.maximum(xlo.abs(), xhi.abs())
        mag = torch.maximum(
            torch.bmm(A_u.abs(), xmax.unsqueeze(-1)).squeeze(-1) + c_u.abs(),
            torch.bmm(A_l.abs(), xmax.unsqueeze(-1)).squeeze(-1) + c_l.abs(),
        )
        c = round_up(c + slack_factor(2 * d) * (mag @ D.abs().T) + (2 * d + 2) * TINY)
        ub = torch.minimum(ub, concretize_upper(M, c, xlo, xhi))
    # D and bd are rounded differences: the exact ones differ by at most 2^-52 of their size
    return _sum_up(ub, bd.expand_as(ub), _U2 * (zmax @ D.abs().T) + _U2 * bd.abs())


def _exact_corner_max(W: np.ndarray, b: np.ndarray, i: int, j: int, lo: np.ndarray, hi: np.ndarray) -> Fraction:
    """max over the box of s_i - s_j = (W_i - W_j) x + b_i - b_j, in exact rationals (attained at a corner)."""
    total = Fraction(float(b[i])) - Fraction(float(b[j]))
    for k in range(W.shape[1]):
        d = Fraction(float(W[i, k])) - Fraction(float(W[j, k]))
        total += d * Fraction(float(hi[k] if d > 0 else lo[k]))
    return total


def gate_candidates(
    r: LinearGate,
    lz,
    uz,
    lin,
    xlo,
    xhi,
    *,
    interior: bool = False,
    on_input: bool = False,
    tensors: NetTensors | None = None,
    margin: float = 0.0,
) -> Candidates:
    """The candidates of a top-k linear gate on each box (see the module docstring).

    ``on_input``: the gate reads the network input itself (z = x); then score differences whose float
    bound lies within rounding of 0 are decided in exact rationals (a routing boundary on a box face).
    ``tensors``: a cache of the gate's tensors on this device. ``margin`` > 0: every score may be off
    by ``margin`` (the float64 forward, ``checkers.certify._float64``): the candidates are the experts
    that can win with scores perturbed that much (exact tie and interior refinements are then off).
    """
    if margin > 0:
        interior = on_input = False
    W, b = _gate(r, lz.device, tensors)
    E = r.n_experts
    B = lz.shape[0]
    idx = torch.arange(E, device=lz.device)
    cand = torch.empty((B, E), dtype=torch.bool, device=lz.device)
    if interior:
        centre = (xlo + xhi) / 2
        inner = ((xlo < centre) & (centre < xhi)).all(dim=1, keepdim=True)
    width = max(W.shape[1], xlo.shape[1], 1)
    chunk = max(1, _CHUNK // max(1, B * E * width))
    zmax = torch.maximum(lz.abs(), uz.abs())
    for i0 in range(0, E, chunk):
        rows = idx[i0 : i0 + chunk]
        # rows (i, j): s_i - s_j = D_ij . z + bd_ij
        D = (W[rows][:, None, :] - W[None, :, :]).reshape(-1, W.shape[1])
        bd = (b[rows][:, None] - b[None, :]).reshape(-1)
        ub = _diff_upper(D, bd, lz, uz, lin, xlo, xhi)
        if margin > 0:  # s~_i - s~_j <= s_i - s_j + 2 margin
            ub = round_up(ub + 2 * margin)
        lt0, le0 = ub < 0, ub <= 0
        if on_input:
            mag = zmax @ D.abs().T + bd.abs()
            near = (ub >= 0) & (ub <= 2.0**-40 * mag)
            if bool(near.any()):
                Wn, bn = r.weight, (np.zeros(E) if r.bias is None else r.bias)
                lo_n, hi_n = xlo.cpu().numpy(), xhi.cpu().numpy()
                for bx, q in torch.nonzero(near).tolist():
                    m = _exact_corner_max(Wn, bn, int(rows[q // E]), q % E, lo_n[bx], hi_n[bx])
                    lt0[bx, q], le0[bx, q] = m < 0, m <= 0
        lt0, le0 = lt0.reshape(B, len(rows), E), le0.reshape(B, len(rows), E)
        # j certainly beats i: s_i < s_j on the whole box, or s_i <= s_j and the tie goes to j < i
        beats = lt0 | ((idx[None, :] < rows[:, None])[None] & le0)
        if interior:
            # on the open box: <= 0 on the closure and < 0 at the centre (z = x here)
            at_centre = _diff_upper(D, bd, centre, centre, None, centre, centre).reshape(B, len(rows), E)
            beats |= inner[:, :, None] & le0 & (at_centre < 0)
        beats &= (idx[None, :] != rows[:, None])[None]
        cand[:, rows] = beats.sum(dim=2) < r.k
    return Candidates.from_mask(r.k, cand)


def route_region(
    router,
    e: torch.Tensor,
    lo: torch.Tensor,
    hi: torch.Tensor,
    *,
    sweeps: int = 2,
    tensors: NetTensors | None = None,
    margin: float = 0.0,
):
    """Contract the boxes [lo, hi] (B, n) of the router's *input* to the closure of expert e's region.

    Returns (lo', hi', feasible): every point of the box routed to e lies in [lo', hi'].
    Tree: the box intersected with the closed cell. Linear gate (top-1): interval constraint
    propagation of s_e - s_j >= 0 (D . x + bd >= 0 gives, for D_i > 0,
    x_i >= (-bd - max sum_{k != i} D_k x_k) / D_i), rounded outward. ``tensors``: a cache of the
    router's tensors on this device. ``margin`` > 0: the region of e's *margin routes* (scores off by
    up to ``margin``, tree tests by up to ``margin``: the float64 forward).
    """
    tensors = tensors if tensors is not None else NetTensors(lo.device)
    if isinstance(router, TreeRouter):
        cl, ch = tensors.tree_cells(router)
        if margin > 0:
            cl, ch = round_down(cl - margin), round_up(ch + margin)
        lo2, hi2 = torch.maximum(lo, cl[e]), torch.minimum(hi, ch[e])
        return lo2, hi2, (lo2 <= hi2).all(dim=1)
    W, b = _gate(router, lo.device, tensors)
    D = W[e][:, None, :] - W[None, :, :]  # (B, E, n)
    bd = b[e][:, None] - b[None, :]  # (B, E)
    lo2, hi2 = lo.clone(), hi.clone()
    n = lo.shape[1]
    for _ in range(sweeps):
        for i in range(n):
            Dp, Dn = D.clamp(min=0), D.clamp(max=0)
            terms = Dp * hi2[:, None, :] + Dn * lo2[:, None, :]  # max of D_k x_k
            rest = terms.sum(dim=2) - terms[:, :, i]
            mag = (D.abs() * torch.maximum(lo2.abs(), hi2.abs())[:, None, :]).sum(dim=2) + bd.abs()
            t = -bd - rest
            t_lo = t - (slack_factor(n + 2) * mag + TINY) - 2 * margin
            Di = D[:, :, i]
            pos, neg = Di > 0, Di < 0
            safe = torch.where(pos | neg, Di, torch.ones_like(Di))
            # D_i > 0: x_i >= t / D_i with t >= t_lo; D_i < 0: x_i <= t / D_i with t >= t_lo
            q = t_lo / safe
            # [review] an overflow (inf - inf in ``rest`` or ``mag``) gives NaN: no constraint, never a
            # NaN end (NaN made the region 'infeasible' and dropped a route that points do take)
            q = torch.where(torch.isnan(q), torch.where(pos, -float("inf"), float("inf")), q)
            fin = torch.isfinite(q)
            q_down, q_up = round_down(q - 4 * _U2 * q.abs()), round_up(q + 4 * _U2 * q.abs())
            q = torch.where(fin & pos, q_down, torch.where(fin, q_up, q))
            new_lo = torch.where(pos, q, torch.full_like(q, -float("inf"))).amax(dim=1)
            new_hi = torch.where(neg, q, torch.full_like(q, float("inf"))).amin(dim=1)
            lo2[:, i] = torch.maximum(lo2[:, i], new_lo)
            hi2[:, i] = torch.minimum(hi2[:, i], new_hi)
    feasible = (lo2 <= hi2).all(dim=1)
    return lo2, hi2, feasible
