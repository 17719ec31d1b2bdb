"""The sorted-segments MoE forward of the compiler equals the former per-expert loop, the gathered
forward, the numpy reference and (top-1) the exact rational evaluation, on random MoEs with ties."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from constructions import (
    LinearGate,
    NetBuilder,
    StackedExperts,
    compile_net,
    dyadic_tree_router,
    evaluate_exact,
    evaluate_numpy,
)


def _net(seed: int, E: int, k: int, slope: float, depth: int, tree: bool, ties: bool):
    rng = np.random.default_rng(seed)
    n = 2
    b = NetBuilder(n)
    h = b.prelu(b.affine(b.input, rng.normal(size=(n, n)), rng.normal(size=n) * 0.1), slope)
    if tree:
        router = dyadic_tree_router(n, 1 if E <= 4 else 2)
        E = router.n_experts
    else:
        W = rng.normal(size=(E, n))
        if ties:  # duplicated gate rows: exact score ties, decided by the lowest index
            W[E // 2 :] = W[: E - E // 2][: E // 2] if E > 1 else W[E // 2 :]
        router = LinearGate(W, None if ties else rng.normal(size=E), k=min(k, E))
    sizes = (n, *([5] * depth), 1)
    ex = StackedExperts(
        tuple(rng.normal(size=(E, o, i)) for i, o in zip(sizes[:-1], sizes[1:])),
        tuple(rng.normal(size=(E, o)) for o in sizes[1:]),
        slope=slope,
    )
    y = b.moe(h, router, ex)
    return b.build(b.affine(b.concat([y, b.slice(h, 0, 1)]), [[1.0, -0.5]], [0.25]), name="moe-forward-test")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    E=st.integers(1, 8),
    k=st.integers(1, 3),
    slope=st.sampled_from([0.0, 0.1, 1.0]),
    depth=st.integers(0, 2),
    tree=st.booleans(),
    ties=st.booleans(),
)
def test_segments_equal_loop_gather_numpy_and_exact(seed, E, k, slope, depth, tree, ties):
    net = _net(seed, E, k, slope, depth, tree, ties)
    rng = np.random.default_rng(seed + 1)
    x = rng.uniform(0, 1, size=(200, 2))
    x[:20] = np.round(x[:20] * 4) / 4  # grid points: on tree-cell faces and score ties
    xt = torch.as_tensor(x)
    with torch.no_grad():
        seg, routes = compile_net(net, mode="segments")(xt, return_routes=True)
        loop, routes_loop = compile_net(net, mode="loop")(xt, return_routes=True)
        gather = compile_net(net, mode="gather")(xt)
        auto = compile_net(net)(xt)
    for v in routes:
        assert torch.equal(routes[v], routes_loop[v])
    for other in (loop, gather, auto):
        assert torch.allclose(seg, other, rtol=1e-12, atol=1e-12)
    assert np.allclose(seg.numpy(), evaluate_numpy(net, x), rtol=1e-12, atol=1e-12)
    if tree or min(k, E) == 1:
        for i in (0, 1, 50):
            exact = evaluate_exact(net, [Fraction(v) for v in x[i]])
            assert abs(float(exact[0]) - float(seg[i, 0])) < 1e-9


def test_chunked_forward_over_many_points_equals_the_unchunked_pieces():
    net = _net(3, 6, 1, 0.0, 1, False, False)
    x = torch.rand((1 << 16) + 1000, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    m = compile_net(net, mode="segments")
    with torch.no_grad():
        whole, routes = m(x, return_routes=True)
        head, tail = m(x[: 1 << 16]), m(x[1 << 16 :])
    assert whole.shape == (x.shape[0], 1) and torch.equal(whole, torch.cat([head, tail]))
    assert next(iter(routes.values())).shape == (x.shape[0], 1)


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match="mode"):
        compile_net(_net(0, 2, 1, 0.0, 0, False, False), mode="fast")
