"""The one box search of moecheck: best-first branch and bound over axis-aligned boxes (numpy only).

Every engine that covers a domain by boxes uses :func:`box_search`: the symbolic prover (``g >= 0``),
realness of a target, Lipschitz constants, the certifier's sup error and network maxima, and routing
partitions. The search proves ``sup_{x in D} f(x) <= goal`` for an objective f that only the caller
knows, through a *bound callback* that returns, for a batch of boxes, a certified upper bound of f on
each box (``+inf`` when nothing is known, ``-inf`` when no point of the box is concerned), and
optionally a certified lower bound on the whole box, a decision (settled or not) and a priority.

The loop (a priority queue over boxes, batched):

1. the initial boxes are bounded; a box is *settled* when its decision says so, else when its upper
   bound is <= the goal (the goal may be a callable: it is read again after every batch, so a goal that
   follows a sampled maximum works);
2. a box whose certified *lower* bound exceeds the goal refutes the claim on the whole box: the search
   stops and reports it (the caller replays a point of it exactly before saying FAIL);
3. of the unsettled boxes, the ``batch_boxes // 2`` with the largest priority (default: the upper
   bound) are split by the split rule (default: bisect the widest side relative to the initial hull)
   and their children bounded; boxes narrower than ``min_width`` (relative) are never split and stay
   unsettled;
4. after every bounded batch the ``visit`` callback may sample points, shrink and replay them, and
   return a witness: the search stops with it;
5. the search stops when every box is settled, or the box budget (boxes bounded) or the time budget
   is spent; ``deadline`` is called once per batch (it raises to abort a check that ran out of time).

The time budget is counted on :func:`budget_clock`, this process's CPU time (all its threads), not the
wall clock: a search gets the same amount of work whether the machine is idle or shared, so a verdict
that needs the whole budget does not turn from CERTIFIED into UNKNOWN because other programs ran beside
it. The check's wall-clock time-out (``deadline``) still bounds how long a row may take.

Soundness rests on two facts the search keeps: the children of a box cover it (the split rule's
contract), and a box leaves the queue only settled (its upper bound meets the goal, or its decision
says so) or reported unsettled. The certified upper bound of f over the domain is the largest upper
bound over settled and unsettled boxes (:attr:`BoxSearch.upper`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["BoxBounds", "BoxSearch", "box_search", "bisect_widest", "budget_clock"]


def budget_clock() -> float:
    """Seconds on the clock that time budgets are counted on: this process's CPU time (all threads)."""
    return time.process_time()


Array = np.ndarray


@dataclass(frozen=True)
class BoxBounds:
    """What a bound callback returns for a batch of B boxes.

    Arguments:
        upper: (B,) certified upper bound of the objective on each box (+inf: unknown, -inf: empty).
        lower: (B,) certified lower bound on the *whole* box, or None (never refutes then).
        settled: (B,) bool decisions overriding ``upper <= goal``, or None.
        priority: (B,) the order of splitting (largest first), or None for ``upper``.
        data: per-box arrays (first axis B) carried with each box into the result.
    """

    upper: Array
    lower: Array | None = None
    settled: Array | None = None
    priority: Array | None = None
    data: Mapping[str, Array] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a NaN bound says nothing: +inf as an upper bound, -inf as a lower bound (never settles, never refutes)
        upper = np.asarray(self.upper, dtype=np.float64).reshape(-1)
        object.__setattr__(self, "upper", np.where(np.isnan(upper), np.inf, upper))
        n = self.upper.shape[0]
        for name in ("lower", "settled", "priority"):
            v = getattr(self, name)
            if v is not None:
                v = np.asarray(v, dtype=bool if name == "settled" else np.float64).reshape(-1)
                if name == "lower":
                    v = np.where(np.isnan(v), -np.inf, v)
                if v.shape[0] != n:
                    raise ValueError(f"BoxBounds.{name} has {v.shape[0]} entries for {n} boxes")
                object.__setattr__(self, name, v)
        for k, v in self.data.items():
            if len(v) != n:
                raise ValueError(f"BoxBounds.data[{k!r}] has {len(v)} entries for {n} boxes")


class _Pool:
    """Boxes with their bounds, as parallel arrays (appending and selecting rows)."""

    def __init__(self, lo: Array, hi: Array, b: BoxBounds):
        n = lo.shape[0]
        self.lo, self.hi, self.upper = lo, hi, b.upper
        self.lower = b.lower if b.lower is not None else np.full(n, -np.inf)
        self.settled = b.settled
        self.priority = b.priority if b.priority is not None else b.upper
        self.data = dict(b.data)

    def __len__(self) -> int:
        return int(self.lo.shape[0])

    def take(self, rows: Array) -> _Pool:
        out = _Pool.__new__(_Pool)
        out.lo, out.hi, out.upper, out.lower = self.lo[rows], self.hi[rows], self.upper[rows], self.lower[rows]
        out.settled = None if self.settled is None else self.settled[rows]
        out.priority = self.priority[rows]
        out.data = {k: v[rows] for k, v in self.data.items()}
        return out

    @staticmethod
    def join(parts: list[_Pool], n_in: int) -> _Pool:
        parts = [p for p in parts if len(p)] or parts[:1]
        out = _Pool.__new__(_Pool)
        if not parts:
            empty = BoxBounds(np.zeros(0))
            return _Pool(np.zeros((0, n_in)), np.zeros((0, n_in)), empty)
        for name in ("lo", "hi", "upper", "lower", "priority"):
            setattr(out, name, np.concatenate([getattr(p, name) for p in parts]))
        decided = [p.settled is not None for p in parts]
        out.settled = (
            None
            if not any(decided)
            else np.concatenate([p.settled if p.settled is not None else np.zeros(len(p), dtype=bool) for p in parts])
        )
        keys = set().union(*(p.data for p in parts))
        for k in keys:
            if not all(k in p.data for p in parts):
                raise ValueError(f"data key {k!r} is missing from some batches of boxes")
        out.data = {k: np.concatenate([p.data[k] for p in parts]) for k in keys}
        return out


@dataclass(frozen=True)
class BoxSearch:
    """The outcome of :func:`box_search` (frozen data).

    ``settled_*``: boxes done (upper <= goal, or decided); ``open_*``: boxes left unsettled (budget
    spent, or narrower than ``min_width``). ``witness``: what ``visit`` returned to stop the search;
    ``refuting``: the index into ``open_*`` of a box whose certified lower bound exceeds the goal.
    ``stopped``: 'settled', 'too narrow' (the rest settled), 'witness', 'refuting box', 'box budget' or
    'time budget'.
    """

    settled_lo: Array
    settled_hi: Array
    settled_upper: Array
    settled_data: Mapping[str, Array]
    open_lo: Array
    open_hi: Array
    open_upper: Array
    open_data: Mapping[str, Array]
    n_boxes: int
    n_too_narrow: int
    goal: float
    witness: Any
    refuting: int | None
    stopped: str
    seconds: float

    @property
    def complete(self) -> bool:
        """Every box settled: ``sup f <= goal`` (as the bound callback certifies) on the whole domain."""
        return self.stopped == "settled" and self.open_lo.shape[0] == 0

    @property
    def upper(self) -> float:
        """Certified upper bound of f over the domain: the largest over all boxes (-inf when all are empty)."""
        return float(max(np.max(self.settled_upper, initial=-np.inf), np.max(self.open_upper, initial=-np.inf)))

    @property
    def settled_upper_max(self) -> float:
        return float(np.max(self.settled_upper, initial=-np.inf))

    def all_boxes(self) -> tuple[Array, Array, Array, dict[str, Array]]:
        """(lo, hi, upper, data) of every box, settled ones first."""
        data = {k: np.concatenate([self.settled_data[k], self.open_data[k]]) for k in self.settled_data}
        return (
            np.concatenate([self.settled_lo, self.open_lo]),
            np.concatenate([self.settled_hi, self.open_hi]),
            np.concatenate([self.settled_upper, self.open_upper]),
            data,
        )


def bisect_widest(lo: Array, hi: Array, scale: Array | None = None) -> tuple[Array, Array]:
    """Both halves of every box, cut at the float midpoint of its widest side relative to ``scale``.

    (K, n) -> (2K, n): the K left halves, then the K right halves. The two halves share the cut, so
    they cover the box whatever the rounding of the midpoint.
    """
    scale = np.ones(lo.shape[1]) if scale is None else np.asarray(scale, dtype=np.float64)
    rel = (hi - lo) / np.where(scale > 0, scale, np.inf)
    rows = np.arange(lo.shape[0])
    side = np.argmax(rel, axis=1)
    cut = np.clip(0.5 * lo[rows, side] + 0.5 * hi[rows, side], lo[rows, side], hi[rows, side])
    left_hi, right_lo = hi.copy(), lo.copy()
    left_hi[rows, side] = cut
    right_lo[rows, side] = cut
    return np.concatenate([lo, right_lo]), np.concatenate([left_hi, hi])


BoundFn = Callable[[Array, Array], BoxBounds]
SplitFn = Callable[[Array, Array, Mapping[str, Array]], tuple[Array, Array]]
VisitFn = Callable[[Array, Array, BoxBounds], Any]


def box_search(
    lo: ArrayLike,
    hi: ArrayLike,
    bound: BoundFn,
    *,
    goal: float | Callable[[], float],
    max_boxes: int,
    split: SplitFn | None = None,
    time_budget: float = math.inf,
    batch_boxes: int = 2,
    visit: VisitFn | None = None,
    deadline: Callable[[], None] | None = None,
    min_width: float = 0.0,
) -> BoxSearch:
    """Best-first branch and bound over boxes (the module docstring states the loop and its contract).

    Arguments:
        lo, hi: the initial boxes, (B, n) or (n,) each; they must cover the domain.
        bound: boxes (K, n), (K, n) -> :class:`BoxBounds` for those K boxes.
        goal: boxes with upper <= goal are settled (a callable is read after every batch).
        max_boxes: the most boxes bounded (the initial ones count); time_budget: CPU seconds
            (:func:`budget_clock`).
        split: (lo, hi, data) of K boxes -> children (lo, hi) covering them (default: bisect the widest
            side relative to the initial hull); batch_boxes: K = batch_boxes // 2 boxes split per batch.
        visit: called with every bounded batch; a non-None return stops the search as its witness.
        deadline: called once per batch (may raise); min_width: boxes whose widest side relative to
            the hull is below it (or zero) are not split.
    Returns a :class:`BoxSearch`.

    >>> square = lambda lo, hi: BoxBounds(upper=np.maximum(lo[:, 0] ** 2, hi[:, 0] ** 2))  # x^2 on boxes
    >>> box_search([-1.0], [1.0], square, goal=1.0, max_boxes=100).complete
    True
    """
    t0, c0 = time.monotonic(), budget_clock()
    lo, hi = (np.atleast_2d(np.asarray(v, dtype=np.float64)) for v in (lo, hi))
    if lo.shape != hi.shape or not np.all(lo <= hi):
        raise ValueError(f"box_search needs lo <= hi of one shape, got {lo.shape} and {hi.shape}")
    scale = hi.max(axis=0) - lo.min(axis=0)
    split = split or (lambda a, b, _data: bisect_widest(a, b, scale))
    goal_now: Callable[[], float] = goal if callable(goal) else (lambda: float(goal))
    n_in = lo.shape[1]
    if max_boxes < lo.shape[0]:
        pool = _Pool(lo, hi, BoxBounds(np.full(lo.shape[0], np.inf)))
        return _result(_Pool.join([], n_in), pool, 0, 0, goal_now(), None, None, "box budget", t0)
    pool, n_boxes = _bounded(bound, lo, hi), lo.shape[0]
    done: list[_Pool] = []
    narrow: list[_Pool] = []
    witness = visit(lo, hi, _as_bounds(pool)) if visit else None
    while True:
        if witness is not None:
            return _finish(done, narrow, pool, n_boxes, goal_now(), witness, None, "witness", t0)
        if deadline is not None:
            deadline()
        g = goal_now()
        bad = np.nonzero(pool.lower > g)[0]
        if bad.size:
            return _finish(
                done, narrow, pool, n_boxes, g, None, int(bad[np.argmax(pool.lower[bad])]), "refuting box", t0
            )
        pool = _sort_out(pool, g, scale, min_width, done, narrow)
        k = min(len(pool), max(1, batch_boxes // 2), (max_boxes - n_boxes) // 2)
        why = (
            ("settled" if all(len(p) == 0 for p in narrow) else "too narrow")
            if len(pool) == 0
            else "box budget"
            if k < 1
            else "time budget"
            if budget_clock() - c0 > time_budget
            else None
        )
        if why is not None:
            return _finish(done, narrow, pool, n_boxes, g, None, None, why, t0)
        # the k boxes of largest priority are split, their children bounded
        sel = np.argpartition(-pool.priority, k - 1)[:k]
        rest = np.ones(len(pool), dtype=bool)
        rest[sel] = False
        parents = pool.take(sel)
        c_lo, c_hi = split(parents.lo, parents.hi, parents.data)
        children, n_boxes = _bounded(bound, c_lo, c_hi), n_boxes + c_lo.shape[0]
        pool = _Pool.join([pool.take(np.nonzero(rest)[0]), children], n_in)
        witness = visit(c_lo, c_hi, _as_bounds(children)) if visit else None


def _sort_out(
    pool: _Pool, goal: float, scale: Array, min_width: float, done: list[_Pool], narrow: list[_Pool]
) -> _Pool:
    """Move the settled boxes to ``done`` and the too narrow ones to ``narrow``; return the rest."""
    ok = pool.upper <= goal if pool.settled is None else pool.settled
    done.append(pool.take(np.nonzero(ok)[0]))
    pool = pool.take(np.nonzero(~ok)[0])
    rel = ((pool.hi - pool.lo) / np.where(scale > 0, scale, np.inf)).max(axis=1, initial=0.0)
    thin = (rel <= 0) | (rel < min_width)
    narrow.append(pool.take(np.nonzero(thin)[0]))
    return pool.take(np.nonzero(~thin)[0])


def _bounded(bound: BoundFn, lo: Array, hi: Array) -> _Pool:
    b = bound(lo, hi)
    if b.upper.shape[0] != lo.shape[0]:
        raise ValueError(f"the bound callback returned {b.upper.shape[0]} bounds for {lo.shape[0]} boxes")
    return _Pool(lo, hi, b)


def _as_bounds(p: _Pool) -> BoxBounds:
    return BoxBounds(p.upper, p.lower, p.settled, p.priority, p.data)


def _finish(
    done: list[_Pool],
    narrow: list[_Pool],
    pool: _Pool,
    n_boxes: int,
    goal: float,
    witness: Any,
    refuting: int | None,
    why: str,
    t0: float,
) -> BoxSearch:
    n_in = pool.lo.shape[1]
    n_narrow = sum(len(p) for p in narrow)
    # the refuting box (an index into the pool) keeps its index: the pool comes first among the open boxes
    return _result(
        _Pool.join(done, n_in), _Pool.join([pool, *narrow], n_in), n_boxes, n_narrow, goal, witness, refuting, why, t0
    )


def _result(
    done: _Pool,
    open_: _Pool,
    n_boxes: int,
    n_narrow: int,
    goal: float,
    witness: Any,
    refuting: int | None,
    why: str,
    t0: float,
) -> BoxSearch:
    keys = set(done.data) | set(open_.data)
    sd = {k: done.data.get(k, np.zeros(0)) for k in keys}
    od = {k: open_.data.get(k, np.zeros(0)) for k in keys}
    return BoxSearch(
        done.lo,
        done.hi,
        done.upper,
        sd,
        open_.lo,
        open_.hi,
        open_.upper,
        od,
        int(n_boxes),
        int(n_narrow),
        float(goal),
        witness,
        refuting,
        why,
        time.monotonic() - t0,
    )
