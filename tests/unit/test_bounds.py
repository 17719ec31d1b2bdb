"""Unit tests of bound propagation (checkers.certify._bounds, _crown, _routing)."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from checkers.certify import bound_net, route_region
from constructions import (
    LinearGate,
    NetBuilder,
    StackedExperts,
    dyadic_tree_router,
    evaluate_exact,
    evaluate_numpy,
    random_relu_net,
    sequential_net,
)
from proofs import InvalidInput

METHODS = ("ibp", "crown-ibp", "crown")


def _experts(rng, E, sizes, slope=0.0):
    ws = tuple(rng.normal(0, 1, (E, o, i)) for i, o in zip(sizes[:-1], sizes[1:]))
    bs = tuple(rng.normal(0, 0.3, (E, o)) for o in sizes[1:])
    return StackedExperts(ws, bs, slope)


def _gate_moe(seed=0, E=4, k=1, n=2):
    rng = np.random.default_rng(seed)
    b = NetBuilder(n)
    h = b.moe(b.input, LinearGate(rng.normal(0, 1, (E, n)), rng.normal(0, 0.3, E), k=k), _experts(rng, E, (n, 6, 2)))
    return b.build(h)


def _warmup(E=3):
    """Scores s_i(z) = i z - i(i-1)/2 (i = 1..E): expert i-1 (0-based) wins exactly on (i-1, i)."""
    i = np.arange(1, E + 1, dtype=float)
    b = NetBuilder(1)
    ex = StackedExperts((np.ones((E, 1, 1)),), (np.arange(E, dtype=float).reshape(E, 1),))
    return b.build(b.moe(b.input, LinearGate(i.reshape(E, 1), -(i * (i - 1) / 2)), ex))


def _boxes(rng, B, n, width=0.3):
    lo = rng.uniform(-1, 1, (B, n))
    return lo, lo + width * rng.random((B, n))


def _inside(values, lower, upper):
    return bool((values >= lower).all() and (values <= upper).all())


@pytest.mark.parametrize("method", METHODS)
def test_mlp_values_inside_bounds_and_linear_bounds(method):
    rng = np.random.default_rng(1)
    net = random_relu_net((2, 16, 16, 2), seed=3)
    lo, hi = _boxes(rng, 64, 2)
    nb = bound_net(net, lo, hi, method=method)
    pts = lo[:, None, :] + (hi - lo)[:, None, :] * rng.random((64, 20, 2))
    v = evaluate_numpy(net, pts.reshape(-1, 2)).reshape(64, 20, 2)
    assert _inside(v, nb.lower.numpy()[:, None], nb.upper.numpy()[:, None])
    if method == "ibp":
        assert nb.A_l is None
    else:
        up = np.einsum("bon,bpn->bpo", nb.A_u.numpy(), pts) + nb.c_u.numpy()[:, None]
        low = np.einsum("bon,bpn->bpo", nb.A_l.numpy(), pts) + nb.c_l.numpy()[:, None]
        assert (v <= up).all() and (v >= low).all()


def test_crown_is_tighter_than_ibp():
    net = random_relu_net((2, 32, 32, 1), seed=0)
    lo, hi = np.zeros((1, 2)), np.ones((1, 2))
    w_ibp = bound_net(net, lo, hi, method="ibp")
    w_crown = bound_net(net, lo, hi, method="crown")
    assert float(w_crown.upper[0, 0] - w_crown.lower[0, 0]) < float(w_ibp.upper[0, 0] - w_ibp.lower[0, 0]) / 2


def test_degenerate_boxes_contain_the_exact_value():
    # rounding stress: large weights, long sums; the exact rational value must lie inside
    rng = np.random.default_rng(7)
    layers = [
        (rng.normal(0, 30, (40, 3)), rng.normal(0, 10, 40)),
        (rng.normal(0, 30, (40, 40)), rng.normal(0, 10, 40)),
        (rng.normal(0, 30, (1, 40)), rng.normal(0, 10, 1)),
    ]
    net = sequential_net(layers, slope=0.125)
    x = rng.normal(0, 1, (8, 3)) / 3
    for method in METHODS:
        nb = bound_net(net, x, x, method=method)
        for b in range(8):
            exact = evaluate_exact(net, [Fraction(float(t)) for t in x[b]])[0]
            assert Fraction(float(nb.lower[b, 0])) <= exact <= Fraction(float(nb.upper[b, 0]))


@pytest.mark.parametrize("k", [1, 2])
def test_moe_candidates_contain_the_route(k):
    from constructions import route_numpy

    rng = np.random.default_rng(2)
    net = _gate_moe(seed=4, E=5, k=k)
    lo, hi = _boxes(rng, 200, 2)
    for method in METHODS:
        nb = bound_net(net, lo, hi, method=method)
        pts = lo[:, None, :] + (hi - lo)[:, None, :] * rng.random((200, 10, 2))
        assert _inside(
            evaluate_numpy(net, pts.reshape(-1, 2)).reshape(200, 10, -1),
            nb.lower.numpy()[:, None],
            nb.upper.numpy()[:, None],
        )
        ((v, cand),) = nb.candidates.items()
        idx, _ = route_numpy(net.spec(v), pts.reshape(-1, 2))
        rows = np.repeat(np.arange(200), 10)
        assert cand.numpy()[rows[:, None], idx].all()
        assert (cand.sum(1) >= k).all()


def test_single_candidate_means_crown_runs_through_the_expert():
    net = _gate_moe(seed=0, E=3)
    x = np.array([[0.3, -0.2]])
    nb = bound_net(net, x, x + 1e-6)
    assert bool(nb.routing_unique[0])
    assert float((nb.upper - nb.lower).max()) < 1e-4  # the expert's own linear bound, not a hull


def test_tree_router_candidates_and_interior_semantics():
    b = NetBuilder(1)
    net = b.build(b.moe(b.input, dyadic_tree_router(1, 2), StackedExperts((np.ones((4, 1, 1)),), (np.zeros((4, 1)),))))
    lo, hi = np.array([[0.0], [0.25], [0.3]]), np.array([[0.25], [0.5], [0.3]])
    closed = bound_net(net, lo, hi).candidates["moe1"].numpy()
    assert closed.tolist() == [[True, True, False, False], [False, True, True, False], [False, True, False, False]]
    opened = bound_net(net, lo, hi, interior=True).candidates["moe1"].numpy()
    assert opened.tolist()[:2] == [[True, False, False, False], [False, True, False, False]]


def test_warmup_gate_exact_ties():
    net = _warmup(3)
    # on [0.5, 1] expert 1 ties expert 0 at z = 1 only, and the tie goes to expert 0
    nb = bound_net(net, [[0.5], [1.0]], [[1.0], [1.5]])
    assert nb.candidates["moe1"].numpy().tolist() == [[True, False, False], [True, True, False]]
    nb = bound_net(net, [[1.0]], [[2.0]], interior=True)
    assert nb.candidates["moe1"].numpy().tolist() == [[False, True, False]]


def test_forced_routes_and_feasibility():
    net = _warmup(3)
    lo, hi = np.array([[0.5], [0.5]]), np.array([[0.9], [0.9]])
    nb = bound_net(net, lo, hi, routes={"moe1": torch.tensor([0, 2])})
    assert nb.feasible.tolist() == [True, False]
    free = bound_net(net, lo, hi, routes={"moe1": torch.tensor([-1, -1])})
    assert free.feasible.all()
    with pytest.raises(InvalidInput):
        bound_net(net, lo, hi, routes={"nope": torch.tensor([0, 0])})


def test_route_region_contracts_to_the_expert_cell():
    net = _warmup(3)
    router = net.spec("moe1").router
    lo, hi = torch.tensor([[0.5], [0.5]]), torch.tensor([[1.5], [1.5]])
    c_lo, c_hi, ok = route_region(router, torch.tensor([0, 1]), lo, hi)
    assert ok.all()
    assert float(c_hi[0, 0]) >= 1.0 and float(c_hi[0, 0]) < 1.0 + 1e-12
    assert float(c_lo[1, 0]) <= 1.0 and float(c_lo[1, 0]) > 1.0 - 1e-12
    tree = dyadic_tree_router(1, 2)
    c_lo, c_hi, ok = route_region(tree, torch.tensor([3]), torch.tensor([[0.0]]), torch.tensor([[0.5]]))
    assert not bool(ok[0])


def test_max_candidates_leaves_boxes_unbounded():
    b = NetBuilder(1)
    ex = StackedExperts((np.ones((16, 1, 1)),), (np.zeros((16, 1)),))
    net = b.build(b.moe(b.input, dyadic_tree_router(1, 4), ex))
    nb = bound_net(net, [[0.0], [0.0]], [[1.0], [0.1]], max_candidates=4)
    assert nb.bounded.tolist() == [False, True]
    assert float(nb.upper[0, 0]) == np.inf and float(nb.lower[0, 0]) == -np.inf
    assert bool(torch.isfinite(nb.upper[1, 0]))


def test_concat_slice_and_stacked_moe_paths():
    rng = np.random.default_rng(5)
    b = NetBuilder(2)
    h = b.relu(b.affine(b.input, rng.normal(0, 1, (3, 2)), rng.normal(0, 0.3, 3)))
    m1 = b.moe(h, LinearGate(rng.normal(0, 1, (3, 3))), _experts(rng, 3, (3, 4, 2)))
    m2 = b.moe(m1, LinearGate(rng.normal(0, 1, (2, 2))), _experts(rng, 2, (2, 4, 1), slope=0.2))
    net = b.build(b.concat([m2, b.slice(h, 1, 3)]))
    lo, hi = _boxes(rng, 50, 2, width=0.05)
    nb = bound_net(net, lo, hi)
    pts = lo + (hi - lo) * rng.random((50, 2))
    assert _inside(evaluate_numpy(net, pts), nb.lower.numpy(), nb.upper.numpy())
    assert nb.paths().shape == (50, 2)


def test_input_validation():
    net = random_relu_net((2, 4, 1))
    with pytest.raises(InvalidInput):
        bound_net(net, np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(InvalidInput):
        bound_net(net, np.ones((1, 2)), np.zeros((1, 2)))
    with pytest.raises(InvalidInput):
        bound_net(net, np.zeros((1, 2)), np.ones((1, 2)), method="alpha")
    with pytest.raises(InvalidInput):
        bound_net(net, np.zeros((1, 2)), np.full((1, 2), np.nan))
