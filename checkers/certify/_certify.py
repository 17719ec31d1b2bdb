"""Certified sup-norm error by branch and bound over boxes of the domain.

sup_{theta in D} max_j |f_j(theta) - net_j(chart(theta))| is enclosed in [lower, upper]:

* upper (certified): per box, the network input box is the interval enclosure of the chart (the box
  itself for the identity); CROWN gives A_l x + c_l <= net(x) <= A_u x + c_u there, so with
  G = chart (x itself for the identity)
      f - net <= max_box (f - A_l G - c_l),    net - f <= max_box (A_u G + c_u - f),
  both bounded by ``affine_residual_bounds`` (Taylor forms, tight to O(w^2)); the IBP bound
  max(f_hi - net_lo, net_hi - f_lo) is also taken and the smaller kept. Where a top-1 MoE node has
  several candidates on a box, the box is split by route: for each candidate e the network is bounded
  with the route forced to e on the part of the box routed to e (contracted to e's cell, or by
  constraint propagation of s_e >= s_j, when the router reads the domain variables directly), and the
  box's bound is the largest over its routes.
* lower (sampled): the float error at grid, random and box-centre points plus a local pattern search;
  only a *witness* above a claimed bound counts as evidence, after :func:`~checkers.certify._replay.replay_error`.

The one box search (:func:`proofs.boxes.box_search`, with the bound above as its callback and the sampler
as its visit hook) bisects the worst boxes along their widest side (relative to the domain), many per batch, until
upper <= lower (1 + tol) (tight), or upper <= bound (certified against the bound), or a replayed
witness exceeds the bound (refuted), or the box or time budget is spent (unknown, with the gap).
"""

# moecheck: long-file the sup-error problem and its branch and bound share one soundness argument
# (routes, float64 allowance, replay); to be split with the next certifier change.

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import torch

from checkers.certify._bounds import METHODS, NetBounds, bound_net
from checkers.certify._chunks import DEFAULT_MEMORY_BUDGET, NetTensors
from checkers.certify._exact_tier import exact_sup_le, rational_polynomial_targets
from checkers.certify._float64 import float64_allowance
from checkers.certify._replay import replay_error, shrink_point
from checkers.certify._routing import route_region
from constructions import Built
from constructions.ir import compile_net
from proofs import InvalidInput, Status
from proofs.boxes import BoxBounds, BoxSearch, bisect_widest, box_search, budget_clock
from proofs.formula import affine_residual_bounds, compile_target, prove_real_on_domain

__all__ = ["SupErrorCertificate", "SupErrorProblem", "certified_sup_error"]


@dataclass(frozen=True)
class SupErrorCertificate:
    """What :func:`certified_sup_error` proves.

    status: PROVED (upper <= bound, or upper <= lower (1 + tol) when no bound is given),
    REFUTED (a witness whose exactly replayed error exceeds the bound) or UNKNOWN (budget spent).
    ``lower`` is sampled in float64 (not rigorous); ``upper`` is certified. ``witness`` is the shrunk
    point (Fractions) and ``witness_error`` its replayed error interval (Fractions).
    """

    status: Status
    lower: float
    upper: float
    bound: float | None
    tight: bool
    worst_box: tuple[tuple[float, float], ...]
    lower_point: tuple[float, ...]
    witness: tuple[Fraction, ...] | None
    witness_error: tuple[Fraction, Fraction] | None
    replay: str
    shrunk_from: str
    n_boxes: int
    n_final_boxes: int
    boxes_single_route: int
    boxes_several_routes: int
    method: str
    seconds: float
    message: str
    semantics: str = "real arithmetic"
    rounding_allowance: float = 0.0
    float64_upper: float = math.inf

    def __post_init__(self) -> None:
        Status.checked(self.status)

    @property
    def gap(self) -> float:
        return self.upper - self.lower


class SupErrorProblem:
    """The compiled pieces of one Built: targets, chart enclosure, sampler, box bounder."""

    def __init__(
        self, built, method: str, device: str, max_candidates: int, memory_budget: int = DEFAULT_MEMORY_BUDGET
    ):

        self.built, self.net, self.method, self.device = built, built.net, method, device
        self.max_candidates, self.memory_budget = max_candidates, memory_budget
        self.tensors = NetTensors(device)  # tree cells, centres, weights: built once per problem
        self.polys = rational_polynomial_targets(built)
        vs = built.variables
        chart = list(built.chart) if built.chart is not None else []
        self.residual = [compile_target([t, *chart], vs) for t in built.target]
        self.targets = compile_target(list(built.target), vs)
        self.chart = compile_target(chart, vs) if chart else None
        self.torch_net = compile_net(self.net, device=device)
        self.dom_lo = np.array(built.domain_lo, dtype=np.float64)
        self.dom_hi = np.array(built.domain_hi, dtype=np.float64)
        self.top1 = {v: self.net.spec(v).k == 1 for v in self.net.moe_nodes()}
        # route splitting may contract boxes only where the router reads the domain variables themselves
        self.contractible = {
            v for v in self.net.moe_nodes() if built.chart is None and self.net.operands(v)[0] == self.net.input
        }
        # the float64 forward as executed: its rounding allowance and the routes it may take (margins)
        x_lo, x_hi = (
            (self.dom_lo[None], self.dom_hi[None])
            if self.chart is None
            else self.chart.interval(self.dom_lo[None], self.dom_hi[None])
        )
        self.f64 = float64_allowance(self.net, x_lo[0], x_hi[0], input_ulps=16.0 if self.chart is not None else 0.0)
        self.route_margins = dict(self.f64.route_margins) if self.f64.finite else {}

    # --- sampling (float64, not rigorous) -------------------------------------------------------------
    def errors(self, pts: np.ndarray) -> np.ndarray:
        x = pts if self.chart is None else self.chart.eval(pts)
        with torch.no_grad():
            y = self.torch_net(torch.as_tensor(x, dtype=torch.float64, device=self.device)).cpu().numpy()
        err = np.abs(self.targets.eval(pts) - y).max(axis=1)
        return np.where(np.isfinite(err), err, -np.inf)

    # --- certified upper bounds -----------------------------------------------------------------------
    def _net_boxes(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (lo, hi) if self.chart is None else self.chart.interval(lo, hi)

    def _error_upper(self, nb: NetBounds, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Certified upper bound (B,) of the error on each box; +inf where the net was not bounded,
        -inf where a forced route is impossible (no point of the box is concerned)."""

        out = np.where(nb.feasible.cpu().numpy(), np.inf, -np.inf)
        rows = np.nonzero((nb.feasible & nb.bounded).cpu().numpy())[0]
        if rows.size == 0:
            return out
        lo, hi = lo[rows], hi[rows]
        n_lo, n_hi = nb.lower.cpu().numpy()[rows], nb.upper.cpu().numpy()[rows]
        f_lo, f_hi = self.targets.interval(lo, hi)
        with np.errstate(all="ignore"):
            # IBP: |f - net| <= max(f_hi - net_lo, net_hi - f_lo), rounded up
            ub = np.nextafter(np.maximum(f_hi - n_lo, n_hi - f_lo), np.inf)
            if nb.A_l is not None:
                A_l, c_l = nb.A_l.cpu().numpy()[rows], nb.c_l.cpu().numpy()[rows]
                A_u, c_u = nb.A_u.cpu().numpy()[rows], nb.c_u.cpu().numpy()[rows]
                for j, t in enumerate(self.residual):
                    # f - net <= f - (A_l G + c_l);  net - f <= -(f - A_u G - c_u)
                    # [review] linear bounds with a non-finite entry (an overflow) give no residual bound:
                    # those rows keep the IBP bound (the residual forms reject them)
                    fin = (
                        np.isfinite(A_l[:, j, :]).all(axis=1)
                        & np.isfinite(c_l[:, j])
                        & np.isfinite(A_u[:, j, :]).all(axis=1)
                        & np.isfinite(c_u[:, j])
                    )
                    if not fin.any():
                        continue
                    # one call for both linear bounds (the enclosure is computed box by box: stacking the
                    # two sets of rows gives the same values and pays the per-call cost once)
                    k = int(fin.sum())
                    lower, upper = affine_residual_bounds(
                        t,
                        np.concatenate([lo[fin], lo[fin]]),
                        np.concatenate([hi[fin], hi[fin]]),
                        np.concatenate([A_l[fin, j, :], A_u[fin, j, :]]),
                        np.concatenate([c_l[fin, j], c_u[fin, j]]),
                    )
                    above, below = upper[:k], lower[k:]
                    ub[fin, j] = np.minimum(ub[fin, j], np.maximum(above, -below))
        out[rows] = np.where(np.isnan(ub), np.inf, ub).max(axis=1)
        return out

    def bound_net(self, xlo: np.ndarray, xhi: np.ndarray, routes=None) -> list[NetBounds]:
        """``bound_net`` with this problem's tensor cache (it chunks the boxes by its memory budget)."""
        return [
            bound_net(
                self.net,
                xlo,
                xhi,
                method=self.method,
                device=self.device,
                routes=routes,
                max_candidates=self.max_candidates,
                memory_budget=self.memory_budget,
                tensors=self.tensors,
                route_margins=self.route_margins,
            )
        ]

    def _bound(self, lo, hi, routes=None):
        """(error upper bounds (B,), routing unique (B,), bounded (B,), {node: (box, expert, count)} numpy)."""
        xlo, xhi = self._net_boxes(lo, hi)
        ubs, uniq, bounded, affine, off = [], [], [], [], 0
        pairs = {v: ([], [], []) for v in self.net.moe_nodes()}
        for part in self.bound_net(xlo, xhi, routes):
            B = part.n_boxes
            ubs.append(self._error_upper(part, lo[off : off + B], hi[off : off + B]))
            uniq.append(part.routing_unique.cpu().numpy())
            bounded.append(part.bounded.cpu().numpy())
            affine.append(part.affine_on_box.cpu().numpy())
            for v, c in part.routing.items():
                pairs[v][0].append(c.box.cpu().numpy() + off)
                pairs[v][1].append(c.expert.cpu().numpy())
                pairs[v][2].append(c.count.cpu().numpy())
            off += B
        pairs = {v: tuple(np.concatenate(x) for x in p) for v, p in pairs.items()}
        self.last_affine = np.concatenate(affine)
        return np.concatenate(ubs), np.concatenate(uniq), np.concatenate(bounded), pairs

    def bound_boxes(self, lo: np.ndarray, hi: np.ndarray, bound: float | None = None):
        """(upper bound of the error on each box (B,), routing unique (B,) bool, boxes settled exactly).

        With a ``bound``, boxes whose float bound exceeds it by at most 1e-6 (relative) and on
        which the network is affine are re-checked in exact rationals (``checkers.certify._exact_tier``); a box
        that passes gets the bound itself as its upper bound.
        """
        ub, unique, bounded, pairs = self._bound(lo, hi)
        affine = self.last_affine
        todo = ~unique & bounded
        if todo.any():
            ub = np.minimum(ub, self._split_by_route(lo, hi, todo, pairs))
        n_exact = 0
        if bound is not None and self.polys is not None:
            near = np.nonzero(affine & (ub > bound) & (ub <= bound + 1e-6 * abs(bound) + 1e-300))[0][:256]
            for b in near:
                if exact_sup_le(self.built, self.polys, float(lo[b, 0]), float(hi[b, 0]), Fraction(bound)):
                    ub[b] = bound
                    n_exact += 1
        return ub, unique, n_exact

    def _split_by_route(self, lo, hi, todo: np.ndarray, pairs, max_items: int = 1 << 14) -> np.ndarray:
        """Upper bounds on the ambiguous boxes ``todo`` by splitting each into its routes (inf elsewhere).

        Every point of an item takes exactly one of the candidate routes at the node expanded, so the
        largest bound over an item's children bounds the item; children are bounded with their route
        forced, on the part of the box that can take it.
        """
        result = np.full(lo.shape[0], -np.inf)
        result[~todo] = np.inf
        owner = np.nonzero(todo)[0]
        ilo, ihi, ub = lo[owner], hi[owner], None
        routes = {v: np.full(owner.size, -1, dtype=np.int64) for v in self.net.moe_nodes()}
        # candidate pairs of the items (items = the ambiguous boxes, renumbered)
        pos = np.full(lo.shape[0], -1)
        pos[owner] = np.arange(owner.size)
        cands = {v: (pos[b[pos[b] >= 0]], e[pos[b] >= 0], c[owner]) for v, (b, e, c) in pairs.items()}
        while owner.size:
            # expand each item at its first top-1 MoE node that still has several candidates
            node_of = np.full(owner.size, -1)
            nodes = self.net.moe_nodes()
            for t, v in reversed(list(enumerate(nodes))):
                amb = (cands[v][2] > 1) & (cands[v][2] <= self.max_candidates) & self.top1[v] & (routes[v] < 0)
                node_of[amb] = t
            expand = node_of >= 0
            chosen = [(v, (node_of == t)[cands[v][0]]) for t, v in enumerate(nodes)]
            # [review] an item whose node has no listed candidate pairs (an 'everything' box, e.g. widened
            # after an upstream node went unbounded) would get no children and silently vanish, leaving
            # its owner at -inf: such items are not expanded and keep their own bound
            kids = np.zeros(owner.size, dtype=np.int64)
            for v, m in chosen:
                np.add.at(kids, cands[v][0][m], 1)
            expand &= kids > 0
            n_children = sum(int(m.sum()) for _, m in chosen)
            if n_children > max_items:
                expand[:] = False
            if ub is None:
                result[owner[~expand]] = np.inf  # cannot split by route: the caller keeps the hull bound
            else:
                np.maximum.at(result, owner[~expand], ub[~expand])
            if not expand.any():
                break
            rows = np.concatenate([cands[v][0][m] for v, m in chosen])
            owner, ilo, ihi = owner[rows], ilo[rows].copy(), ihi[rows].copy()
            routes = {v: r[rows].copy() for v, r in routes.items()}
            live = np.ones(rows.size, dtype=bool)
            start = 0
            for v, m in chosen:
                e_idx = cands[v][1][m]
                sl = slice(start, start + e_idx.size)
                routes[v][sl] = e_idx
                if v in self.contractible and e_idx.size:
                    c_lo, c_hi, ok = route_region(
                        self.net.spec(v).router,
                        torch.as_tensor(e_idx),
                        torch.as_tensor(ilo[sl]),
                        torch.as_tensor(ihi[sl]),
                        tensors=self.tensors,
                        margin=self.route_margins.get(v, 0.0),
                    )
                    ok = ok.numpy()
                    ilo[sl] = np.where(ok[:, None], c_lo.numpy(), ilo[sl])
                    ihi[sl] = np.where(ok[:, None], c_hi.numpy(), ihi[sl])
                    live[sl] = ok  # an empty region: no point of the box takes this route
                start += e_idx.size
            owner, ilo, ihi = owner[live], ilo[live], ihi[live]
            routes = {v: r[live] for v, r in routes.items()}
            if not owner.size:
                break
            forced = {v: torch.as_tensor(r) for v, r in routes.items() if (r >= 0).any()}
            ub, _, _, cands = self._bound(ilo, ihi, forced)
        return result


def _initial_boxes(lo: np.ndarray, hi: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A uniform first split of the domain into at most n boxes (halving the widest relative side)."""
    blo, bhi = lo[None, :].copy(), hi[None, :].copy()
    while blo.shape[0] * 2 <= n:
        blo, bhi = bisect_widest(blo, bhi, hi - lo)
    return blo, bhi


_ENGINE = {"crown": "CROWN", "ibp": "IBP", "crown-ibp": "CROWN-IBP"}


def _grid(lo: np.ndarray, hi: np.ndarray, n_points: int) -> np.ndarray:
    per_axis = max(2, int(round(n_points ** (1.0 / lo.size))))
    axes = [np.linspace(a, b, per_axis) for a, b in zip(lo, hi)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, lo.size)


class _Best:
    """The largest sampled error and where (float64; a lower bound only after replay)."""

    def __init__(self, n: int):
        self.value, self.point, self.n_points = -np.inf, np.zeros(n), 0

    def offer(self, prob: SupErrorProblem, pts: np.ndarray) -> None:
        if pts.shape[0] == 0:
            return
        err = prob.errors(pts)
        self.n_points += pts.shape[0]
        k = int(np.argmax(err))
        if err[k] > self.value:
            self.value, self.point = float(err[k]), pts[k].copy()


def _local_points(point: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng) -> np.ndarray:
    """Pattern search around ``point``: +-2^-k (domain width) along each axis, plus random steps."""
    n = point.size
    steps = (hi - lo)[None, :] * 2.0 ** -np.arange(2, 30)[:, None]
    axis = np.concatenate([np.eye(n), -np.eye(n)])
    pts = point[None, None, :] + steps[:, None, :] * axis[None, :, :]
    rand = point + (hi - lo) * 2.0 ** -rng.integers(3, 25, (64, 1)) * rng.standard_normal((64, n))
    return np.clip(np.concatenate([pts.reshape(-1, n), rand]), lo, hi)


def _refute(prob: SupErrorProblem, point: np.ndarray, bound: float):
    """Shrink a violating float point and replay it exactly: (witness, error interval, how, from) or None."""

    def violates(pts: np.ndarray) -> np.ndarray:
        return prob.errors(pts) > bound

    shrunk = shrink_point(point, violates, prob.dom_lo, prob.dom_hi)
    for cand in (shrunk, point):
        fr = tuple(Fraction(float(c)) for c in cand)
        try:
            lo, hi, how = replay_error(prob.built, fr)
        except InvalidInput:
            continue
        if lo > Fraction(bound):
            origin = f"shrunk from the sampled point {tuple(float(c) for c in point)}"
            return fr, (lo, hi), how, origin
    return None


def _branch_and_bound(
    built,
    *,
    bound: float | None = None,
    tol: float = 0.01,
    max_boxes: int | None = None,
    time_budget: float = 60.0,
    device: str = "cpu",
    seed: int = 0,
    method: str = "crown",
    batch_boxes: int = 2048,
    initial_boxes: int = 256,
    n_samples: int = 4096,
    max_candidates: int = 16,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> SupErrorCertificate:
    """Enclose sup_theta max_j |target_j(theta) - net(chart(theta))_j| over ``built``'s domain.

    Arguments:
        built: a :class:`constructions.Built` (network, target, variables, domain box, chart).
        bound: the claimed bound (a float rounded *down* from the exact claim), or None.
        tol: relative tightness goal upper <= lower (1 + tol) when no bound is given.
        max_boxes, time_budget: the budget (boxes bounded, seconds); ``max_boxes=None`` derives the box
            limit from ``memory_budget`` (the boxes kept: two corners and a bound each), so the time
            budget is what ends a long search.
        memory_budget: bytes for the boxes kept and for each bound propagation call (its chunks).
        device, seed, method: torch device, sampling seed, 'crown' | 'crown-ibp' | 'ibp'.
        batch_boxes: boxes bounded per batch; initial_boxes: the first uniform split;
        n_samples: grid and random points sampled at the start.
        max_candidates: boxes where an MoE node has more candidate experts are split before bounding.
    Returns:
        a :class:`SupErrorCertificate`.
    """

    t0, c0 = time.monotonic(), budget_clock()
    if not isinstance(built, Built):
        raise InvalidInput(f"built={built!r} must be a constructions.Built")
    if bound is not None and not (isinstance(bound, (int, float)) and math.isfinite(bound)):
        raise InvalidInput(f"bound={bound!r} must be a finite number or None")
    if not (isinstance(memory_budget, int) and memory_budget >= 1):
        raise InvalidInput(f"memory_budget={memory_budget!r} must be a positive number of bytes")
    if max_boxes is None:
        max_boxes = max(1, memory_budget // (8 * (2 * len(built.domain_lo) + 1) + 1))
    if not (tol >= 0 and isinstance(max_boxes, int) and max_boxes >= 1 and time_budget > 0):
        raise InvalidInput(f"need tol={tol!r} >= 0, max_boxes={max_boxes!r} >= 1 and time_budget={time_budget!r} > 0")
    if method not in METHODS:
        raise InvalidInput(f"method={method!r} must be one of {', '.join(METHODS)}")
    prob = SupErrorProblem(built, method, device, max_candidates, memory_budget)
    rng = np.random.default_rng(seed)
    lo_d, hi_d = prob.dom_lo, prob.dom_hi
    best = _Best(lo_d.size)
    best.offer(prob, _grid(lo_d, hi_d, n_samples))
    best.offer(prob, lo_d + (hi_d - lo_d) * rng.random((n_samples, lo_d.size)))
    n_exact = [0]

    def error_bound(b_lo, b_hi) -> BoxBounds:
        ub, uniq, n_new = prob.bound_boxes(b_lo, b_hi, bound)
        n_exact[0] += n_new
        return BoxBounds(ub, data={"uniq": uniq})

    sampler = _Sampler(prob, best, bound, rng)
    pool_lo, pool_hi = _initial_boxes(lo_d, hi_d, max(1, min(initial_boxes, max_boxes)))
    s = box_search(
        pool_lo,
        pool_hi,
        error_bound,
        goal=lambda: _threshold(prob, best, bound, tol),
        max_boxes=max_boxes,
        time_budget=time_budget - (budget_clock() - c0),
        batch_boxes=batch_boxes,
        visit=sampler.visit,
    )
    if s.witness is not None:
        witness, err, how, origin = s.witness
        return _certificate(
            Status.REFUTED,
            prob,
            best,
            bound,
            tol,
            s,
            n_exact[0],
            t0,
            witness=witness,
            witness_error=err,
            replay=how,
            shrunk_from=origin,
        )
    return _certificate(None, prob, best, bound, tol, s, n_exact[0], t0)


@functools.wraps(_branch_and_bound, assigned=(), updated=())
def certified_sup_error(built, **options: Any) -> SupErrorCertificate:
    """Enclose sup_theta max_j |target_j(theta) - net(chart(theta))_j| over ``built``'s domain.

    First the realness obligation (:mod:`proofs.formula._realness`): a target that is not real somewhere on the
    domain is an input error; one whose realness is not proved is never certified. Then the branch and
    bound of :func:`_branch_and_bound`, whose keyword ``options`` it takes (its docstring lists them; the
    signature shown by ``help`` and ``inspect`` is its).
    """

    if not isinstance(built, Built):
        raise InvalidInput(f"built={built!r} must be a constructions.Built")
    realness = prove_real_on_domain(
        [*built.target, *(built.chart or ())], built.variables, built.domain_lo, built.domain_hi
    )
    if realness.status is Status.REFUTED:
        raise InvalidInput(f"the target is not real on the whole domain: {realness.message}")
    cert = _branch_and_bound(built, **options)
    if realness.status is not Status.PROVED and cert.status is Status.PROVED:
        cert = dataclasses.replace(cert, status=Status.UNKNOWN, message=f"{cert.message}; but {realness.message}")
    return cert


def _threshold(prob: SupErrorProblem, best: _Best, bound: float | None, tol: float) -> float:
    """The goal boxes are settled against: the bound; or tightness when no bound is given, or when the samples
    already exceed the bound but the replay could not confirm it and no exact re-check applies (then no
    bound-certificate is possible: a bound that is attained can only be certified by the exact tier)."""
    stuck = bound is not None and best.value > bound and prob.polys is None
    return best.value * (1 + tol) if bound is None or stuck else float(bound)


class _Sampler:
    """The float64 search for large errors around the box search: box centres and random points of the
    worst new boxes, a pattern search around the best point, and (with a bound) find -> shrink -> replay."""

    def __init__(self, prob: SupErrorProblem, best: _Best, bound: float | None, rng):
        self.prob, self.best, self.bound, self.rng = prob, best, bound, rng
        self.first, self.tries, self.last_tried = True, 0, -np.inf

    def visit(self, c_lo: np.ndarray, c_hi: np.ndarray, bounds: BoxBounds):
        prob, best, n = self.prob, self.best, self.prob.dom_lo.size
        pts = 0.5 * c_lo + 0.5 * c_hi
        if not self.first:  # new children: also random points inside the 64 worst
            top = np.argsort(-bounds.upper)[:64]
            inside = c_lo[top, None, :] + (c_hi - c_lo)[top, None, :] * self.rng.random((top.size, 4, n))
            pts = np.concatenate([pts, inside.reshape(-1, n)])
        self.first = False
        best.offer(prob, pts)
        best.offer(prob, _local_points(best.point, prob.dom_lo, prob.dom_hi, self.rng))
        # a new attempt only when the sampled maximum has grown
        if self.bound is not None and best.value > max(self.bound, self.last_tried) and self.tries < 8:
            self.tries, self.last_tried = self.tries + 1, best.value
            return _refute(prob, best.point, float(self.bound))
        return None


def _replayed_lower(built, point: np.ndarray) -> float:
    """A rigorous lower bound of the sup error: the best sampled point replayed exactly, rounded down."""
    try:
        lo, _, _ = replay_error(built, [Fraction(float(v)) for v in point])
    except (ArithmeticError, ValueError, InvalidInput):
        return 0.0  # no exact replay at this point: 0 is the only lower bound we can vouch for
    x = float(lo)
    return max(0.0, x if Fraction(x) <= lo else math.nextafter(x, -math.inf))


def _certificate(
    status,
    prob,
    best,
    bound,
    tol,
    search: BoxSearch,
    n_exact,
    t0,
    *,
    witness=None,
    witness_error=None,
    replay="",
    shrunk_from="",
):
    lo, hi, ub, data = search.all_boxes()
    uniq = data["uniq"].astype(bool)
    n_boxes = search.n_boxes
    w = int(np.argmax(ub))
    upper = max(float(ub[w]), 0.0)  # a certified upper bound of the sup (inf where a box is unbounded)
    lower = _replayed_lower(prob.built, best.point)  # rigorous: the float sample may sit above the truth by rounding
    tight = upper <= lower * (1 + tol)
    if status is None:
        # [review] ``lower`` is an exact replay: an upper bound below it proves a bug upstream, never certify then
        ok = (upper <= bound if bound is not None else tight) and lower <= upper
        status = Status.PROVED if ok else Status.UNKNOWN
    has_moe = bool(prob.net.moe_nodes())
    engine = _ENGINE[prob.method]
    n_uniq = int(uniq.sum())
    # a box with several candidate experts is bounded route by route (each expert on its part of the box)
    routing = (
        f" (routing unique on {n_uniq:,}; {lo.shape[0] - n_uniq:,} bounded expert by expert over their "
        f"candidate routes)"
        if n_uniq < lo.shape[0]
        else f" (routing unique on all {n_uniq:,})"
    )
    method = f"{engine} over {lo.shape[0]:,} boxes" + (routing if has_moe else "")
    if n_exact:
        method += f", exact rational re-check on {n_exact:,}"
    semantics, allowance, f64_upper = _semantics(prob, upper, bound if status is Status.PROVED else None)
    if status is Status.REFUTED:
        semantics = "real arithmetic (the witness is replayed exactly)"
        message = f"error {float(witness_error[0]):.6g} > bound {bound:.6g} at the witness (replayed: {replay})"
    elif status is Status.PROVED:
        message = f"sup error in [{lower:.6g}, {upper:.6g}]" + (f" <= bound {bound:.6g}" if bound is not None else "")
    else:
        message = (
            f"budget spent after {n_boxes:,} boxes: sup error in [{lower:.6g}, {upper:.6g}], gap {upper - lower:.3g}"
        )
    return SupErrorCertificate(
        status=status,
        lower=lower,
        upper=upper,
        bound=None if bound is None else float(bound),
        tight=tight,
        worst_box=tuple((float(a), float(b)) for a, b in zip(lo[w], hi[w])),
        lower_point=tuple(float(v) for v in best.point),
        witness=witness,
        witness_error=witness_error,
        replay=replay,
        shrunk_from=shrunk_from,
        n_boxes=n_boxes,
        n_final_boxes=int(lo.shape[0]),
        boxes_single_route=int(uniq.sum()),
        boxes_several_routes=int((~uniq).sum()),
        method=method,
        seconds=time.monotonic() - t0,
        message=message,
        semantics=semantics,
        rounding_allowance=allowance,
        float64_upper=f64_upper,
    )


def _semantics(prob: SupErrorProblem, upper: float, bound) -> tuple[str, float, float]:
    """(what the upper bound covers, the float64 rounding allowance, the float64-as-executed upper bound).

    The boxes are bounded on every route the float64 forward can take (``route_margins``), so
    ``upper`` bounds the real network and, plus the allowance, the float64 forward as executed.
    """
    allowance = prob.f64.total
    if not (prob.f64.finite and math.isfinite(upper)):
        return (
            "real arithmetic only (FLAG: the float64 rounding allowance is unbounded: the float64 export is "
            "not covered)",
            math.inf,
            math.inf,
        )
    f64_upper = math.nextafter(upper + allowance, math.inf)
    if bound is None or f64_upper <= bound:
        return (
            f"real arithmetic <= {upper:.6g}, float64 as executed <= {f64_upper:.6g} (rounding allowance "
            f"{allowance:.3g}, every route the float64 forward can take included)",
            allowance,
            f64_upper,
        )
    return (
        f"real arithmetic only (FLAG: float64 as executed is covered only up to {f64_upper:.6g} > bound "
        f"{bound:.6g}; rounding allowance {allowance:.3g} exceeds the slack {bound - upper:.3g})",
        allowance,
        f64_upper,
    )
