"""Bound propagation in memory-budgeted chunks with a per-network tensor cache (checkers.certify._chunks)."""

import numpy as np
import pytest
import torch

from checkers.certify import NetTensors, SupErrorProblem, bound_net, box_bytes, boxes_per_chunk, certified_sup_error
from constructions import LinearGate, NetBuilder, StackedExperts, TreeRouter, dyadic_tree_router, random_relu_net
from constructions.momlp import momlp
from proofs import InvalidInput, Status
from proofs.formula import parse_expression


def _experts(rng, E, sizes):
    ws = tuple(rng.normal(0, 1, (E, o, i)) for i, o in zip(sizes[:-1], sizes[1:]))
    return StackedExperts(ws, tuple(rng.normal(0, 0.3, (E, o)) for o in sizes[1:]))


def _nets():
    rng = np.random.default_rng(3)
    b = NetBuilder(2)
    h = b.relu(b.affine(b.input, rng.normal(0, 1, (3, 2)), rng.normal(0, 0.3, 3)))
    gated = b.build(b.moe(h, LinearGate(rng.normal(0, 1, (5, 3)), rng.normal(0, 0.3, 5)), _experts(rng, 5, (3, 6, 2))))
    b = NetBuilder(2)
    tree = b.build(b.moe(b.input, dyadic_tree_router(2, 2), _experts(rng, 16, (2, 4, 1))))
    return {"relu": random_relu_net((2, 16, 16, 1), seed=1), "gate": gated, "tree": tree}


def _same(a, b):
    for name in ("lower", "upper", "A_l", "c_l", "A_u", "c_u", "feasible", "bounded", "affine_on_box"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert torch.equal(x, y) or torch.allclose(x, y, rtol=1e-12, atol=1e-290), name  # TINY underflow terms
    for v in a.routing:
        assert torch.equal(a.candidates[v], b.candidates[v]), v
        assert torch.equal(a.routing[v].count, b.routing[v].count), v


@pytest.mark.parametrize("method", ["ibp", "crown-ibp", "crown"])
@pytest.mark.parametrize("name", ["relu", "gate", "tree"])
def test_chunked_bounds_equal_one_call(name, method):
    net = _nets()[name]
    rng = np.random.default_rng(0)
    lo = rng.uniform(-1, 1, (37, 2))
    hi = lo + 0.4 * rng.random((37, 2))
    whole = bound_net(net, lo, hi, method=method)
    budget = 5 * box_bytes(net, method, None)  # five boxes per chunk: eight chunks, the last one short
    assert boxes_per_chunk(net, method, None, budget) == 5
    _same(whole, bound_net(net, lo, hi, method=method, memory_budget=budget))


def test_chunked_forced_routes_are_sliced_with_their_boxes():
    net = _nets()["tree"]
    rng = np.random.default_rng(1)
    lo = rng.uniform(0, 0.8, (23, 2))
    hi = lo + 0.2
    routes = {"moe1": torch.as_tensor(rng.integers(-1, 16, 23))}
    whole = bound_net(net, lo, hi, routes=routes)
    _same(whole, bound_net(net, lo, hi, routes=routes, memory_budget=3 * box_bytes(net, "crown", None)))
    assert not bool(whole.feasible.all())  # some forced routes miss their box: the test exercises them


def test_memory_budget_validated():
    with pytest.raises(InvalidInput, match="memory_budget"):
        bound_net(_nets()["relu"], [[0.0, 0.0]], [[1.0, 1.0]], memory_budget=0)


def test_tree_cells_built_once_per_problem(monkeypatch):
    built = momlp(parse_expression("sin(3*x0)*x1", 2), 2, 0.05)
    calls = []
    orig = TreeRouter.leaf_cells
    monkeypatch.setattr(TreeRouter, "leaf_cells", lambda self, lo, hi: calls.append(1) or orig(self, lo, hi))
    prob = SupErrorProblem(built, "crown", "cpu", 16)
    lo = np.random.default_rng(0).random((64, 2)) * 0.9
    for _ in range(3):
        prob.bound_boxes(lo, lo + 0.05)
    assert len(calls) == 1
    t = NetTensors("cpu")
    r = built.net.spec(built.net.moe_nodes()[0]).router
    assert t.tree_cells(r) is t.tree_cells(r)


def test_derived_box_limit_gives_the_same_certificate_as_an_explicit_one():
    built = momlp(parse_expression("sin(3*x0)*x1", 2), 2, 0.03)
    a = certified_sup_error(built, bound=0.03, tol=0.02)
    b = certified_sup_error(built, bound=0.03, tol=0.02, max_boxes=1 << 16)
    assert a.status is b.status is Status.PROVED and a.upper == b.upper and a.n_boxes == b.n_boxes
    with pytest.raises(InvalidInput, match="memory_budget"):
        certified_sup_error(built, bound=0.03, memory_budget=-1)


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_float64_allowance_of_all_experts_is_the_max_over_single_experts(slope):
    # the allowance is computed for every expert at once; it must equal the hull over experts taken one by one
    from checkers.certify import float64_allowance

    rng = np.random.default_rng(4)
    E, n = 5, 2
    ws = (rng.normal(size=(E, 6, n)) * 10.0 ** rng.integers(-3, 4, (E, 1, 1)), rng.normal(size=(E, 1, 6)))
    bs = (rng.normal(size=(E, 6)), rng.normal(size=(E, 1)))
    gate = LinearGate(rng.normal(size=(E, n)), rng.normal(size=E))

    def net(idx):
        b = NetBuilder(n)
        ex = StackedExperts(tuple(w[idx] for w in ws), tuple(v[idx] for v in bs), slope)
        return b.build(b.moe(b.input, gate, ex))

    whole = float64_allowance(net(np.arange(E)), [-1.0, 0.0], [1.0, 2.0])
    alone = [float64_allowance(net(np.full(E, e)), [-1.0, 0.0], [1.0, 2.0]) for e in range(E)]
    assert np.allclose(whole.output_error, np.max([a.output_error for a in alone], axis=0), rtol=1e-12, atol=0)
    assert whole.route_margins == alone[0].route_margins
