"""The one box search (``proofs.boxes.box_search``): certified bounds enclose the true maximum.

Objectives with known maxima on 1-D and 2-D boxes, bounded by natural interval extensions of
sums of a*sin(b x + c) and quadratics: the certified upper bound is >= the true max, the sampled
lower bound <= it, and a claim below the max is never settled.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.boxes import BoxBounds, BoxSearch, bisect_widest, box_search


def _sin_range(lo, hi):
    """Enclosure of sin over [lo, hi] (elementwise), widened by 1e-12 for libm rounding."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    s_lo, s_hi = np.minimum(np.sin(lo), np.sin(hi)), np.maximum(np.sin(lo), np.sin(hi))
    # a maximum (pi/2 + 2 pi k) or minimum (-pi/2 + 2 pi k) inside the interval
    has_max = np.floor((hi - math.pi / 2) / (2 * math.pi)) >= np.ceil((lo - math.pi / 2) / (2 * math.pi))
    has_min = np.floor((hi + math.pi / 2) / (2 * math.pi)) >= np.ceil((lo + math.pi / 2) / (2 * math.pi))
    return np.where(has_min, -1.0, s_lo) - 1e-12, np.where(has_max, 1.0, s_hi) + 1e-12


class Objective:
    """f(x) = sum_i a_i sin(b_i x_{d_i} + c_i) - q |x - m|^2 with interval bounds and a dense-grid maximum."""

    def __init__(self, terms, q, m):
        self.terms, self.q, self.m = terms, q, np.asarray(m, float)

    def __call__(self, x):
        v = -self.q * ((x - self.m) ** 2).sum(axis=-1)
        for a, b, c, d in self.terms:
            v = v + a * np.sin(b * x[..., d] + c)
        return v

    def bounds(self, lo, hi) -> BoxBounds:
        # -q (x - m)^2 per side: largest 0 where m is inside, else at the nearer end; smallest at the far end
        near = np.clip(self.m, lo, hi) - self.m
        far = np.maximum(np.abs(lo - self.m), np.abs(hi - self.m))
        up, low = -self.q * (near**2).sum(axis=1), -self.q * (far**2).sum(axis=1)
        for a, b, c, d in self.terms:
            t_lo, t_hi = b * lo[:, d] + c, b * hi[:, d] + c
            s_lo, s_hi = _sin_range(np.minimum(t_lo, t_hi), np.maximum(t_lo, t_hi))
            up = up + np.maximum(a * s_lo, a * s_hi)
            low = low + np.minimum(a * s_lo, a * s_hi)
        return BoxBounds(up + 1e-9, lower=low - 1e-9)

    def true_max(self, lo, hi, n=2001):
        axes = [np.linspace(a, b, n if len(lo) == 1 else 401) for a, b in zip(lo, hi)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(lo))
        return float(self(grid).max())


@st.composite
def objectives(draw):
    n = draw(st.integers(1, 2))
    coef = st.floats(-2, 2, allow_nan=False)
    terms = [
        (draw(coef), draw(st.floats(0.5, 6)), draw(coef), draw(st.integers(0, n - 1)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    return Objective(terms, draw(st.floats(0, 2)), [draw(st.floats(-1, 1)) for _ in range(n)]), n


def _max_by_search(f, n, goal, max_boxes=4000):
    best = [-np.inf]

    def sample(lo, hi, _b):
        best[0] = max(best[0], float(f(0.5 * lo + 0.5 * hi).max()))

    s = box_search(
        -np.ones(n),
        np.ones(n),
        f.bounds,
        goal=goal if goal is not None else (lambda: best[0] + 1e-3),
        max_boxes=max_boxes,
        batch_boxes=64,
        visit=sample,
    )
    return s, best[0]


@settings(max_examples=40, deadline=None)
@given(objectives())
def test_certified_upper_encloses_the_true_max(case):
    f, n = case
    s, sampled = _max_by_search(f, n, None)
    true = f.true_max(-np.ones(n), np.ones(n))
    # the grid maximum is itself a lower bound of the true max; the sampled one too
    assert s.upper >= true - 1e-12
    assert sampled <= s.upper
    if s.complete:
        assert s.upper - sampled <= 1e-3 + 1e-6  # settled against best + tol: a tight enclosure


@settings(max_examples=40, deadline=None)
@given(objectives(), st.floats(0.01, 1.0))
def test_a_goal_below_the_max_is_never_settled(case, margin):
    f, n = case
    true = f.true_max(-np.ones(n), np.ones(n))
    s, _ = _max_by_search(f, n, true - margin)
    assert not s.complete and s.upper >= true - 1e-12
    if s.refuting is not None:  # a box where f > goal throughout: every point of it exceeds the goal
        lo, hi = s.open_lo[s.refuting], s.open_hi[s.refuting]
        pts = lo + (hi - lo) * np.random.default_rng(0).random((64, n))
        assert (f(pts) > true - margin).all()


@settings(max_examples=30, deadline=None)
@given(objectives())
def test_a_goal_above_the_max_is_proved(case):
    f, n = case
    true = f.true_max(-np.ones(n), np.ones(n))
    s, _ = _max_by_search(f, n, true + 0.05, max_boxes=1 << 16)
    assert s.complete and s.stopped == "settled" and s.upper >= true - 1e-12


def test_budgets_decisions_data_and_witness():
    calls = []

    def bound(lo, hi):
        calls.append(lo.shape[0])
        width = hi[:, 0] - lo[:, 0]
        return BoxBounds(width, settled=width < 0.25, data={"w": width})

    s = box_search([0.0], [1.0], bound, goal=0.0, max_boxes=100)
    assert s.complete and s.n_boxes == sum(calls) <= 100 and s.settled_data["w"].shape == (s.settled_lo.shape[0],)
    assert np.isclose((s.settled_hi - s.settled_lo).sum(), 1.0)  # the settled boxes tile the domain
    s = box_search([0.0], [1.0], bound, goal=0.0, max_boxes=3)
    assert not s.complete and s.stopped == "box budget" and s.n_boxes == 3
    s = box_search([0.0], [1.0], bound, goal=0.0, max_boxes=0)
    assert s.n_boxes == 0 and s.open_upper[0] == np.inf and s.upper == np.inf
    s = box_search(
        [0.0], [1.0], bound, goal=0.0, max_boxes=100, visit=lambda lo, hi, b: "found" if len(lo) > 1 else None
    )
    assert s.witness == "found" and s.stopped == "witness" and not s.complete
    s = box_search([0.0], [1.0], bound, goal=0.0, max_boxes=100, min_width=0.6)
    assert s.stopped == "too narrow" and s.n_too_narrow == 2 and not s.complete

    def late(lo, hi):
        raise TimeoutError

    with pytest.raises(TimeoutError):
        box_search([0.0], [1.0], bound, goal=0.0, max_boxes=100, deadline=lambda: late(None, None))


def test_bisect_widest_covers_the_box():
    lo, hi = np.array([[0.0, 0.0]]), np.array([[1.0, 4.0]])
    c_lo, c_hi = bisect_widest(lo, hi)
    assert c_lo.tolist() == [[0.0, 0.0], [0.0, 2.0]] and c_hi.tolist() == [[1.0, 2.0], [1.0, 4.0]]
    c_lo, c_hi = bisect_widest(lo, hi, np.array([0.5, 8.0]))  # relative widths: side 0 is wider
    assert c_lo.tolist() == [[0.0, 0.0], [0.5, 0.0]]
    assert isinstance(
        box_search([0.0], [1.0], lambda a, b: BoxBounds(np.zeros(len(a))), goal=0.0, max_boxes=1), BoxSearch
    )


def test_nan_bounds_never_settle_nor_refute():
    b = BoxBounds(np.array([np.nan, 0.5]), lower=np.array([np.nan, 0.0]))
    assert b.upper.tolist() == [np.inf, 0.5] and b.lower.tolist() == [-np.inf, 0.0]
    s = box_search([0.0], [1.0], lambda lo, hi: BoxBounds(np.full(len(lo), np.nan)), goal=1.0, max_boxes=7)
    assert not s.complete and s.refuting is None and s.upper == np.inf


def test_time_budget_counts_cpu_time_not_waiting():
    """A bound callback that waits (as under a busy machine) does not spend the budget: the search
    stops on its box budget, not its time budget; a callback that computes does spend it."""
    import time

    def waiting(lo, hi):
        time.sleep(0.02)
        return BoxBounds(upper=np.ones(lo.shape[0]))

    s = box_search([0.0], [1.0], waiting, goal=0.0, max_boxes=12, time_budget=0.01)
    assert s.stopped == "box budget" and s.n_boxes >= 11

    def computing(lo, hi):
        t = time.process_time()
        while time.process_time() - t < 0.02:
            pass
        return BoxBounds(upper=np.ones(lo.shape[0]))

    s = box_search([0.0], [1.0], computing, goal=0.0, max_boxes=10_000, time_budget=0.05)
    assert s.stopped == "time budget" and s.n_boxes < 100
