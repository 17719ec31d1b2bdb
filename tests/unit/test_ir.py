"""The network IR: compiled torch, numpy reference and exact rational evaluation agree; sizes are counts."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from constructions import (
    LinearGate,
    NetBuilder,
    StackedExperts,
    compile_net,
    count_sizes,
    dyadic_tree_router,
    evaluate_exact,
    evaluate_numpy,
    random_relu_net,
)
from proofs import InvalidInput


def _moe_net(seed: int, E: int, k: int, slope: float, tree: bool):
    rng = np.random.default_rng(seed)
    n = 2
    b = NetBuilder(n)
    h = b.prelu(b.affine(b.input, rng.normal(size=(n, n)), rng.normal(size=n) * 0.1), slope)
    if tree:
        router = dyadic_tree_router(n, 1 if E <= 4 else 2)
        E = router.n_experts
    else:
        router = LinearGate(rng.normal(size=(E, n)), rng.normal(size=E) if seed % 2 else None, k=min(k, E))
    ex = StackedExperts(
        (rng.normal(size=(E, 5, n)), rng.normal(size=(E, 1, 5))),
        (rng.normal(size=(E, 5)), rng.normal(size=(E, 1))),
        slope=slope,
    )
    y = b.moe(h, router, ex)
    y = b.concat([y, b.slice(h, 0, 1)])
    return b.build(b.affine(y, [[1.0, -0.5]], [0.25]), name="moe-test")


@given(
    seed=st.integers(0, 10_000),
    E=st.integers(1, 8),
    k=st.integers(1, 3),
    slope=st.sampled_from([0.0, 0.1, 1.0]),
    tree=st.booleans(),
)
def test_compiled_numpy_and_exact_agree(seed, E, k, slope, tree):
    net = _moe_net(seed, E, k, slope, tree)
    x = np.random.default_rng(seed + 1).uniform(0, 1, size=(16, 2))
    ref = evaluate_numpy(net, x)
    for mode in ("gather", "loop"):
        got = compile_net(net, mode=mode)(torch.as_tensor(x)).numpy()
        assert np.allclose(got, ref, atol=1e-12, rtol=1e-12)
    if tree or min(k, E) == 1:
        exact = evaluate_exact(net, [Fraction(v) for v in x[0]])
        assert abs(float(exact[0]) - ref[0, 0]) < 1e-9


def test_sizes_counted_from_graph():
    s = count_sizes(_moe_net(0, 4, 1, 0.0, False))
    # gate 4x2 + bias (seed 0: no bias) ; experts 4 * (5*2+5 + 5+1) ; outer affines 2*2+2 and 2+1
    assert s.n_experts == 4 and s.params_per_expert == 21
    assert s.n_params == 6 + 8 + 4 * 21 + 3
    assert s.active_params == 6 + 8 + 21 + 3
    assert s.depth == 1 + 2 + 1 and s.width == 5


def test_tree_router_cells_contain_routed_points():
    r = dyadic_tree_router(3, 2)
    x = np.random.default_rng(0).random((500, 3))
    idx = r.route_numpy(x)
    lo, hi = r.leaf_cells(np.zeros(3), np.ones(3))
    assert np.all((lo[idx] <= x) & (x <= hi[idx]))
    assert r.n_experts == 64 and r.path_params == 6


def test_bad_specs_are_invalid_input():
    with pytest.raises(InvalidInput, match="slope"):
        NetBuilder(1).prelu("x", 2.0)
    with pytest.raises(InvalidInput, match="affine takes"):
        b = NetBuilder(2)
        b.build(b.affine(b.input, np.ones((1, 3)), [0.0]))
    with pytest.raises(InvalidInput, match="non-finite"):
        b = NetBuilder(1)
        b.affine(b.input, [[float("nan")]], [0.0])
    with pytest.raises(InvalidInput, match="top-k"):
        LinearGate(np.ones((2, 2)), k=3)


def test_random_net_is_seeded():
    a, b = random_relu_net((2, 8, 1), seed=3), random_relu_net((2, 8, 1), seed=3)
    x = np.random.default_rng(0).random((4, 2))
    assert np.array_equal(evaluate_numpy(a, x), evaluate_numpy(b, x))
