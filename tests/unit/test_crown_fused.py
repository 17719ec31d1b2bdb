"""The fused CROWN step (shared rows through a (P)ReLU and a narrow shared affine step in one product,
``StepGraph.fuse``) gives the bounds of the unfused backward pass to rounding, and they stay sound:
exact rational values at points of each box and a dense float sample lie inside them."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.certify import StepGraph, bound_net
from constructions import NetBuilder, evaluate_exact, evaluate_numpy


def _mlp(seed: int, sizes: tuple[int, ...], slope: float, scale: float):
    rng = np.random.default_rng(seed)
    b = NetBuilder(sizes[0])
    h = b.input
    for i, (m, o) in enumerate(zip(sizes[:-1], sizes[1:])):
        h = b.affine(h, rng.normal(size=(o, m)) * scale / np.sqrt(m), rng.normal(size=o) * 0.3 * scale)
        if i < len(sizes) - 2:
            h = b.prelu(h, slope) if slope else b.relu(h)
    return b.build(h)


def _bounds(net, lo, hi, *, fuse: bool, monkeypatch):
    monkeypatch.setattr(StepGraph, "fuse", fuse)
    return bound_net(net, lo, hi, method="crown")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=3),
    n_in=st.integers(1, 4),
    n_out=st.integers(1, 2),
    slope=st.sampled_from([0.0, 0.0, 0.1, 1.0]),
    scale=st.sampled_from([1e-100, 1.0, 1e6]),
    width=st.sampled_from([0.0, 1e-6, 0.05, 0.5]),
)
def test_fused_crown_equals_unfused_and_contains_the_net(seed, sizes, n_in, n_out, slope, scale, width):
    mp = pytest.MonkeyPatch()
    try:
        net = _mlp(seed, (n_in, *sizes, n_out), slope, scale)
        rng = np.random.default_rng(seed + 1)
        lo = rng.uniform(-1, 1, (6, n_in))
        hi = lo + width
        new = _bounds(net, lo, hi, fuse=True, monkeypatch=mp)
        old = _bounds(net, lo, hi, fuse=False, monkeypatch=mp)
    finally:
        mp.undo()
    lo_n, up_n, lo_o, up_o = (t.numpy() for t in (new.lower, new.upper, old.lower, old.upper))
    # equal to rounding: the two passes differ only in how the same real-arithmetic bound is rounded
    mag = np.abs(lo_o) + np.abs(up_o) + scale * 1e-300
    assert np.all(np.abs(lo_n - lo_o) <= 1e-9 * mag) and np.all(np.abs(up_n - up_o) <= 1e-9 * mag)
    assert np.all(up_n - lo_n <= (up_o - lo_o) * (1 + 1e-9) + 1e-9 * mag)
    # dense float sample (the float forward is within ~1e-13 relative of the real value)
    t = rng.random((400, n_in))
    for i in range(lo.shape[0]):
        ys = evaluate_numpy(net, lo[i] + t * (hi[i] - lo[i]))
        tol = 1e-12 * (np.abs(ys).max() + mag[i].max())
        assert np.all(ys >= lo_n[i] - tol) and np.all(ys <= up_n[i] + tol)
        # exact rational values at two corners lie inside the float bounds
        for x in (lo[i], hi[i]):
            y = evaluate_exact(net, [Fraction(float(v)) for v in x])
            for k in range(n_out):
                assert Fraction(float(lo_n[i, k])) <= y[k] <= Fraction(float(up_n[i, k]))


def test_fused_path_is_taken_on_the_bench_net(monkeypatch):
    """The 2-64-64-1 net's intermediate bounds go through the fused product (no (B, 128, 64) tensor)."""
    calls = []
    original = StepGraph._fused_prelu_affine

    def spy(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(StepGraph, "_fused_prelu_affine", spy)
    net = _mlp(0, (2, 64, 64, 1), 0.0, 1.0)
    bound_net(net, [[0.0, 0.0]], [[0.1, 0.1]], method="crown")
    assert calls
