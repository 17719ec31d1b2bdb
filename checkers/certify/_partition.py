"""Certified routing: partitions of a domain into boxes with one certified expert path each.

:func:`certified_partition` splits the domain until every box has a unique route at every MoE node
(the path: the selected expert, or the sorted k selected experts, per MoE node in topological order),
within a box budget; boxes left ambiguous are reported, never guessed. Splits follow the router where
it reads the input directly (a tree cell boundary, or the root of an axis-aligned score difference,
inside the box), else bisect the widest side.

Semantics: with ``interior=True`` (default) the routes are certified on the *open* boxes. Routing is
discontinuous, and a point on a routing boundary belongs to one side only (ties go to the lowest
index, tree cells are half-open), so closed boxes that meet a boundary stay ambiguous forever;
interiors partition the domain up to the box faces, a set of measure zero.
``interior=False`` certifies closed boxes.

:func:`certified_routing` compares the certified paths with an expected map and returns a
counterexample only after the route at the point has been replayed in exact rationals.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from checkers.certify._bounds import METHODS, NetBounds, bound_net
from checkers.certify._replay import exact_path, shrink_point
from checkers.certify._routing import Candidates
from constructions import Built
from constructions.ir import LinearGate, Net, TreeRouter
from proofs import InvalidInput, Status
from proofs.boxes import BoxBounds, box_search

__all__ = ["Partition", "RoutingCertificate", "certified_partition", "certified_routing", "route_count_bounds"]


@dataclass(frozen=True)
class Partition:
    """Boxes (K, n) with their certified paths, and the boxes left ambiguous."""

    lo: np.ndarray
    hi: np.ndarray
    paths: tuple[tuple, ...]
    ambiguous_lo: np.ndarray
    ambiguous_hi: np.ndarray
    interior: bool
    n_boxes: int
    method: str
    seconds: float

    def items(self) -> list[tuple[tuple[tuple[float, float], ...], tuple]]:
        """The certified boxes as ``(((lo_0, hi_0), ...), path)`` pairs."""
        boxes = [tuple((float(a), float(b)) for a, b in zip(lo, hi)) for lo, hi in zip(self.lo, self.hi)]
        return list(zip(boxes, self.paths))

    @property
    def complete(self) -> bool:
        return self.ambiguous_lo.shape[0] == 0

    @property
    def distinct_paths(self) -> frozenset:
        return frozenset(self.paths)

    def ambiguous_fraction(self, dom_lo: np.ndarray, dom_hi: np.ndarray) -> float:
        """Volume of the ambiguous boxes relative to the domain (degenerate sides ignored)."""
        side = np.asarray(dom_hi) - np.asarray(dom_lo)
        live = side > 0
        if self.ambiguous_lo.shape[0] == 0:
            return 0.0
        rel = (self.ambiguous_hi - self.ambiguous_lo)[:, live] / side[live]
        return float(np.prod(rel, axis=1).sum())


def _path_rows(nb: NetBounds, net: Net) -> list[tuple]:
    cols = []
    for v in net.moe_nodes():
        c = nb.routing[v]
        cols.append(c.slots(max(c.k, 1)).cpu().numpy())
    out = []
    for b in range(nb.n_boxes):
        out.append(
            tuple(
                int(col[b, 0]) if net.spec(v).k == 1 else tuple(int(t) for t in col[b])
                for v, col in zip(net.moe_nodes(), cols)
            )
        )
    return out


def _router_splits(net: Net, nb: NetBounds, lo: np.ndarray, hi: np.ndarray, scale: np.ndarray):
    """Per box (dim, value) of a routing boundary strictly inside it, dim = -1 where none is known."""
    B, n = lo.shape
    dim = np.full(B, -1)
    val = np.zeros(B)
    best = np.full(B, np.inf)
    mid = 0.5 * lo + 0.5 * hi
    for v in net.moe_nodes():
        if net.operands(v)[0] != net.input:
            continue
        r, c = net.spec(v).router, nb.routing[v]
        box, e = c.box.cpu().numpy(), c.expert.cpu().numpy()
        if isinstance(r, TreeRouter):
            cl, ch = r.leaf_cells(np.full(n, -np.inf), np.full(n, np.inf))
            cuts = [(box, i, cl[e, i]) for i in range(n)] + [(box, i, ch[e, i]) for i in range(n)]
        elif isinstance(r, LinearGate) and r.k == 1:
            # pairs of candidates of one box whose score difference is axis-aligned: split at its root
            S = max(1, int(c.count.max()))
            slots = c.slots(S).cpu().numpy()
            bias = np.zeros(r.n_experts) if r.bias is None else r.bias
            cuts = []
            for a in range(S):
                for b_ in range(a + 1, S):
                    i_, j_ = slots[:, a], slots[:, b_]
                    D = r.weight[i_] - r.weight[j_]
                    nz = (D != 0).sum(axis=1) == 1
                    k = np.argmax(D != 0, axis=1)
                    rows = np.nonzero(nz & (i_ != j_))[0]
                    root = -(bias[i_[rows]] - bias[j_[rows]]) / D[rows, k[rows]]
                    for i in range(n):
                        sel = k[rows] == i
                        cuts.append((rows[sel], i, root[sel]))
        else:
            continue
        for rows, i, values in cuts:
            inside = (values > lo[rows, i]) & (values < hi[rows, i])
            rows, values = rows[inside], values[inside]
            # prefer wide sides and cuts near the middle
            score = np.abs(values - mid[rows, i]) / scale[i] - (hi[rows, i] - lo[rows, i]) / scale[i]
            better = score < best[rows]
            for rr, vv, ss in zip(rows[better], values[better], score[better]):
                if ss < best[rr]:
                    best[rr], dim[rr], val[rr] = ss, i, vv
    return dim, val


def _split(lo, hi, dim, val, scale):
    rows = np.arange(lo.shape[0])
    rel = (hi - lo) / np.where(scale > 0, scale, np.inf)
    side = np.where(dim >= 0, dim, np.argmax(rel, axis=1))
    cut = np.where(dim >= 0, val, 0.5 * lo[rows, side] + 0.5 * hi[rows, side])
    left_hi, right_lo = hi.copy(), lo.copy()
    left_hi[rows, side] = cut
    right_lo[rows, side] = cut
    return np.concatenate([lo, right_lo]), np.concatenate([left_hi, hi])


def certified_partition(
    net: Net,
    lo,
    hi,
    *,
    max_boxes: int = 1 << 14,
    time_budget: float = 30.0,
    method: str = "crown",
    device: str = "cpu",
    interior: bool = True,
    batch_boxes: int = 4096,
    min_width: float = 2.0**-24,
    chart=None,
) -> Partition:
    """Split the box [lo, hi] (n,) until every box has one certified path (see the module docstring).

    Boxes whose sides are all below ``min_width`` (relative to the domain) are not split further.
    ``max_boxes`` counts the boxes examined for splitting; the box search also bounds the children of the
    last ones, so up to ``2 max_boxes + 1`` boxes are bounded (``Partition.n_boxes``).
    ``chart``: an optional compiled target (``proofs.formula._enclosure.Target``) mapping the box variables
    to the network input; its interval enclosure is bounded (then ``interior`` is not used).
    """
    if method not in METHODS:
        raise InvalidInput(f"method={method!r} must be one of {', '.join(METHODS)}")
    t0 = time.monotonic()
    lo = np.asarray(lo, dtype=np.float64).reshape(1, -1)
    hi = np.asarray(hi, dtype=np.float64).reshape(1, -1)
    scale = (hi - lo)[0]
    rel_scale = np.where(scale > 0, scale, np.inf)

    def routes(b_lo, b_hi) -> BoxBounds:
        # settled: a unique route at every MoE node; the others carry the cut to split them at
        x_lo, x_hi = (b_lo, b_hi) if chart is None else chart.interval(b_lo, b_hi)
        nb = bound_net(
            net, x_lo, x_hi, method=method, device=device, interior=interior and chart is None, max_candidates=64
        )
        unique = nb.routing_unique.cpu().numpy()
        paths = np.empty(b_lo.shape[0], dtype=object)
        paths[:] = [p if u else None for p, u in zip(_path_rows(nb, net), unique)]
        dim, val = np.full(b_lo.shape[0], -1), np.zeros(b_lo.shape[0])
        amb = ~unique
        if amb.any() and chart is None:
            sub = NetBounds(
                nb.lower[amb],
                nb.upper[amb],
                None,
                None,
                None,
                None,
                {v: _take(c, np.nonzero(amb)[0]) for v, c in nb.routing.items()},
                nb.feasible[amb],
                nb.bounded[amb],
                nb.method,
                nb.affine_on_box[amb],
            )
            dim[amb], val[amb] = _router_splits(net, sub, b_lo[amb], b_hi[amb], scale)
        width = ((b_hi - b_lo) / rel_scale).max(axis=1)  # wide boxes first, as a queue would take them
        return BoxBounds(
            amb.astype(np.float64), settled=unique, priority=width, data={"path": paths, "dim": dim, "val": val}
        )

    s = box_search(
        lo,
        hi,
        routes,
        goal=0.0,
        max_boxes=2 * max_boxes + 1,
        time_budget=time_budget,
        batch_boxes=batch_boxes,
        split=lambda b_lo, b_hi, d: _split(b_lo, b_hi, d["dim"], d["val"], scale),
        min_width=min_width,
    )
    return Partition(
        s.settled_lo,
        s.settled_hi,
        tuple(s.settled_data["path"]),
        s.open_lo,
        s.open_hi,
        interior and chart is None,
        s.n_boxes,
        method,
        time.monotonic() - t0,
    )


def _take(c, rows: np.ndarray):
    """The candidates of the boxes ``rows`` (sorted, distinct), renumbered 0..len(rows)-1."""

    pos = torch.full((c.everything.shape[0],), -1, dtype=torch.long, device=c.box.device)
    r = torch.as_tensor(rows, device=c.box.device)
    pos[r] = torch.arange(r.shape[0], device=c.box.device)
    keep = pos[c.box] >= 0
    return Candidates.from_pairs(c.n_experts, c.k, pos[c.box[keep]], c.expert[keep], c.everything[r])


@dataclass(frozen=True)
class RoutingCertificate:
    """status PROVED | REFUTED | UNKNOWN; the partition; a replayed witness when refuted."""

    status: Status
    partition: Partition
    n_paths: int
    witness: tuple[Fraction, ...] | None
    witness_path: tuple | None
    expected_path: tuple | None
    method: str
    message: str
    seconds: float

    def __post_init__(self) -> None:
        Status.checked(self.status)


def _samples(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per box its centre and the centres of its 2^n corner quarter-boxes (all interior): (K, 1 + 2^n, n)."""
    n = lo.shape[1]
    corners = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1) * 0.5 + 0.25
    frac = np.concatenate([np.full((1, n), 0.5), corners])
    return lo[:, None, :] + (hi - lo)[:, None, :] * frac[None, :, :]


def certified_routing(
    built_or_net,
    lo=None,
    hi=None,
    expected: str | Callable = "unique",
    *,
    max_boxes: int = 1 << 14,
    time_budget: float = 30.0,
    method: str = "crown",
    device: str = "cpu",
    interior: bool = True,
) -> RoutingCertificate:
    """Certify that the routing is unique on a partition of [lo, hi] and agrees with ``expected``.

    ``expected``: 'unique' (only uniqueness), or a function point (n,) -> path (tuple, one entry per
    MoE node). A map is CERTIFIED only when decided per box: it must also have a method
    ``on_box(lo, hi)`` giving the expected path on the whole box (None when not constant there: the
    box is bisected). A plain point function is probed at each box's centre and quarter-box centres:
    it can refute, never certify (status at most 'unknown'). A disagreement is a counterexample only if
    the exact rational route at the (shrunk) point differs from ``expected`` there; ambiguous boxes are
    also probed at their sample points.
    """

    t0 = time.monotonic()
    if isinstance(built_or_net, Built):
        net = built_or_net.net
        lo = built_or_net.domain_lo if lo is None else lo
        hi = built_or_net.domain_hi if hi is None else hi
        if built_or_net.chart is not None:
            raise InvalidInput("certified_routing needs a box domain in the network input (no chart)")
    else:
        net = built_or_net
    if lo is None or hi is None:
        raise InvalidInput("certified_routing needs the domain box lo, hi")
    if not net.moe_nodes():
        raise InvalidInput(f"network {net.name!r} has no MoE node to certify the routing of")
    if not (expected == "unique" or callable(expected)):
        raise InvalidInput(f"expected={expected!r} must be 'unique' or a function point -> path")
    part = certified_partition(
        net, lo, hi, max_boxes=max_boxes, time_budget=time_budget, method=method, device=device, interior=interior
    )
    engine = method.upper()
    desc = f"{engine} routing over {part.lo.shape[0]:,} boxes ({part.ambiguous_lo.shape[0]:,} left ambiguous)"
    status = Status.PROVED if part.complete else Status.UNKNOWN
    what = "unique"
    if callable(expected):
        found = _mismatch(net, part, expected)
        if found is None and hasattr(expected, "on_box"):
            found, decided = _decide_boxes(net, part, expected, max_boxes)
            what = "unique and as expected on every box (decided per box)"
            if not decided:
                status, what = Status.UNKNOWN, "unique; the expected map was not decided on every box within the budget"
        elif found is None:
            status = Status.UNKNOWN
            what = (
                "unique and as expected at the sample points only (an expected map given point by point is "
                "not a certificate: give it an on_box(lo, hi) method)"
            )
        if found is not None:
            point, got, want = found
            return RoutingCertificate(
                Status.REFUTED,
                part,
                len(part.distinct_paths),
                point,
                got,
                want,
                desc,
                f"route {got} != expected {want} at {tuple(str(p) for p in point)} (replayed in exact rationals)",
                time.monotonic() - t0,
            )
    msg = (
        f"routing {what} on {part.lo.shape[0]:,} {'open ' if part.interior else ''}boxes, "
        f"{len(part.distinct_paths)} distinct paths"
    )
    if not part.complete:
        frac = part.ambiguous_fraction(np.asarray(lo, float), np.asarray(hi, float))
        msg += f"; {part.ambiguous_lo.shape[0]:,} boxes (volume fraction {frac:.3g}) left ambiguous"
    return RoutingCertificate(
        status, part, len(part.distinct_paths), None, None, None, desc, msg, time.monotonic() - t0
    )


def _decide_boxes(net: Net, part: Partition, expected, max_boxes: int):
    """Compare the expected map with the certified path on every certified box: ``expected.on_box(lo, hi)``
    is the expected path on the whole box, or None when it is not constant there (the box is then
    bisected; its halves keep the certified path). Returns (witness or None, decided on every box)."""
    queue = list(zip(part.lo, part.hi, part.paths))
    used = 0
    while queue:
        lo, hi, path = queue.pop()
        used += 1
        want = expected.on_box(lo.copy(), hi.copy())
        if want is None:
            if used + len(queue) + 2 > max_boxes:
                return None, False
            (l1, l2), (h1, h2) = _halves(lo, hi)
            queue += [(l1, h1, path), (l2, h2, path)]
            continue
        want = tuple(want)
        if want == path:
            continue
        centre = tuple(Fraction(float(t)) for t in 0.5 * lo + 0.5 * hi)
        got = exact_path(net, list(centre))
        if got is not None and got != want:
            return (centre, got, want), True
        return None, False  # the certified path and the exact replay disagree: decide nothing
    return None, True


def _halves(lo: np.ndarray, hi: np.ndarray):
    side = int(np.argmax(hi - lo))
    cut = 0.5 * lo[side] + 0.5 * hi[side]
    h1, l2 = hi.copy(), lo.copy()
    h1[side] = l2[side] = cut
    return (lo, l2), (h1, hi)


def _mismatch(net: Net, part: Partition, expected: Callable):
    """(witness point, exact path, expected path) where the certified or probed route disagrees."""
    groups = [(part.lo, part.hi, list(part.paths)), (part.ambiguous_lo, part.ambiguous_hi, None)]
    for lo, hi, paths in groups:
        if lo.shape[0] == 0:
            continue
        pts = _samples(lo, hi)
        for b in range(lo.shape[0]):
            for p in pts[b]:
                want = tuple(expected(p))
                if paths is not None and want == paths[b]:
                    continue
                got = exact_path(net, [Fraction(float(t)) for t in p])
                if got is None or got == want:
                    continue

                def differs(q: np.ndarray) -> np.ndarray:
                    paths = [exact_path(net, [Fraction(float(t)) for t in row]) for row in q]
                    return np.array([p is not None and p != tuple(expected(row)) for p, row in zip(paths, q)])

                shrunk = shrink_point(p, differs, lo[b], hi[b])
                point = tuple(Fraction(float(t)) for t in shrunk)
                got, want = exact_path(net, list(point)), tuple(expected(shrunk))
                if got is not None and got != want:
                    return point, got, want
                return (
                    tuple(Fraction(float(t)) for t in p),
                    exact_path(net, [Fraction(float(t)) for t in p]),
                    tuple(expected(p)),
                )
    return None


def route_count_bounds(
    net: Net,
    part: Partition,
    *,
    keep=None,
    chart=None,
    device: str = "cpu",
    max_probes: int = 4096,
    max_combos: int = 4096,
) -> tuple[frozenset, frozenset | None]:
    """Sets ``lower`` <= routes <= ``upper`` of the paths the forward pass takes on the *closed* domain.

    Closed-domain semantics, matching the forward's tie-breaking (ties to the lowest index, half-open
    tree cells): a route taken only on a box face or at a tie counts. ``lower``: the certified paths
    plus the exact rational route at every vertex of every box (routing splits put the ties of axis
    aligned score differences on box faces); ``upper``: the product of each closed box's candidate
    experts per MoE node (``bound_net`` with ``interior=False``), over every box, certified or not
    (None when a box has more than ``max_combos`` candidate paths). ``keep``: the MoE node positions
    counted (default all). A chart maps the box variables to the network input (no vertex probes).
    """
    order = net.moe_nodes()
    keep = list(range(len(order))) if keep is None else list(keep)
    lower = {tuple(p[i] for i in keep) for p in part.paths}
    lo = np.concatenate([part.lo, part.ambiguous_lo])
    hi = np.concatenate([part.hi, part.ambiguous_hi])
    if chart is None and lo.shape[0]:
        n = lo.shape[1]
        corners = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
        seen = set()
        for b in range(lo.shape[0]):
            for c in corners:
                v = tuple(Fraction(float(t)) for t in np.where(c, hi[b], lo[b]))
                if v in seen:
                    continue
                seen.add(v)
                path = exact_path(net, list(v))
                if path is not None:
                    lower.add(tuple(path[i] for i in keep))
                if len(seen) >= max_probes:
                    break
            if len(seen) >= max_probes:
                break
    if lo.shape[0] == 0:
        return frozenset(lower), frozenset(lower)
    x_lo, x_hi = (lo, hi) if chart is None else chart.interval(lo, hi)
    nb = bound_net(net, x_lo, x_hi, device=device, interior=False)
    dense = [nb.candidates[order[i]].cpu().numpy() for i in keep]  # (B, E) candidate masks
    upper = set()
    for b in range(lo.shape[0]):
        choices = []
        for i, d in zip(keep, dense):
            experts = np.nonzero(d[b])[0].tolist()
            k = net.spec(order[i]).k
            choices.append(experts if k == 1 else [tuple(t) for t in itertools.combinations(experts, k)])
        if math.prod(len(ch) for ch in choices) > max_combos:
            return frozenset(lower), None
        upper.update(itertools.product(*choices))
    return frozenset(lower), frozenset(upper | lower)
