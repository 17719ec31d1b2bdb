"""Wang & E 2025: statements, the paper's MoE layer, exactness of the constructions, graph counts, rate fits."""

import importlib
import math
import re

import numpy as np
import pytest
import sympy
import torch

from constructions import NetBuilder, StackedExperts, compile_net, count_sizes, evaluate_numpy
from constructions.wang_deep import OFFSET, cube_moe, cube_piece, torus_moe
from constructions.wang_moe import (
    active_experts,
    cpwl_form,
    graph_sizes,
    moe_class,
    moe_graph,
    moe_layer,
    prefix_net,
    stacked_moe_net,
)
from constructions.wang_shallow import circle_moe, circle_moe_nonlinear_chart, sphere_moe, tau_constants
from proofs import InvalidInput, Theorem

RNG = np.random.default_rng(0)


def _lam(built, exprs):
    f = sympy.lambdify(built.variables, list(exprs), "numpy")
    return lambda P: np.stack([np.broadcast_to(np.asarray(v, float), (P.shape[0],)) for v in f(*P.T)], axis=1)


def _sample(built, n=4000):
    lo, hi = np.array(built.domain_lo), np.array(built.domain_hi)
    P = lo + RNG.random((n, lo.size)) * (hi - lo)
    X = P if built.chart is None else _lam(built, built.chart)(P)
    return P, X


def _routes(net, X):
    _, routes = compile_net(net)(torch.as_tensor(X), return_routes=True)
    return {v: r[:, 0].numpy() for v, r in routes.items()}


# ------------------------------------------------------------------------------ statements
def test_main_statements_equal_registered_theorems():
    mod = importlib.import_module("proofs.wang_e2025")
    block = re.search(r"Main statements\n-+\n(.*?)\n\n", mod.__doc__, re.S).group(1)
    listed = set(re.findall(r"^\* ``([a-z_0-9]+)``", block, re.M))
    declared = {v.name for v in vars(mod).values() if isinstance(v, Theorem)}
    assert listed == declared and len(declared) == 5
    assert {getattr(mod, n).id for n in declared} >= {"wang-e2025/thm-5.3", "wang-e2025/cor-4.9"}


def test_bounds_dominate_sampled_errors():
    from proofs.wang_e2025 import BOUND_COR49, BOUND_THM48, BOUND_THM52, BOUND_THM53, m

    cases = [
        (circle_moe(D=3, m=16), BOUND_COR49.subs(m, 16)),
        (circle_moe_nonlinear_chart(D=2, m=16), BOUND_THM48.subs(m, 16)),
        (cube_moe(3, 2, 8), BOUND_THM53.subs({"n_experts": 3, "depth": 2, m: 8})),
        (torus_moe(2, 8), BOUND_THM52.subs({"depth": 2, m: 8})),
    ]
    for built, bound in cases:
        bound = float(bound.subs({s: {"n_experts": 3, "depth": 2}.get(s.name, s) for s in bound.free_symbols}))
        P, X = _sample(built)
        err = np.abs(evaluate_numpy(built.net, X) - _lam(built, built.target)(P)).max()
        assert 0 < err <= bound, (built.net.name, err, bound)


# ------------------------------------------------------------------------------ the MoE layer
def test_moe_layer_is_the_papers():
    ex = StackedExperts((RNG.normal(size=(3, 4, 2)), RNG.normal(size=(3, 1, 4))), (np.zeros((3, 4)), np.zeros((3, 1))))
    b = NetBuilder(2)
    out = moe_layer(b, b.input, RNG.normal(size=(3, 2)), ex, k=2)
    net = b.build(out)
    assert net.spec(out).router.bias is None and net.spec(out).k == 2
    x = RNG.normal(size=(50, 2))
    W = net.spec(out).router.weight
    s = x @ W.T
    top = np.argsort(-s, axis=1, kind="stable")[:, :2]
    sel = np.take_along_axis(s, top, 1)
    w = np.exp(sel - sel.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    per = np.stack([np.maximum(x @ ex.weights[0][e].T, 0) @ ex.weights[1][e].T for e in range(3)], 1)[..., 0]
    want = (np.take_along_axis(per, top, 1) * w).sum(1)
    assert np.allclose(evaluate_numpy(net, x)[:, 0], want)
    assert np.allclose(compile_net(net)(torch.as_tensor(x)).numpy()[:, 0], want)


def test_moe_layer_rejects_non_paper_layers():
    ex = StackedExperts((np.ones((2, 3, 2)), np.ones((2, 1, 3))), (np.zeros((2, 3)), np.zeros((2, 1))), slope=0.1)
    with pytest.raises(InvalidInput):
        moe_layer(NetBuilder(2), "x", np.ones((2, 2)), ex)
    b = NetBuilder(2)
    h = b.relu(b.affine(b.input, np.eye(2), np.zeros(2)))
    with pytest.raises(InvalidInput):
        moe_class(b.build(h))
    with pytest.raises(InvalidInput):
        cpwl_form([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(InvalidInput):
        tau_constants(4, 1)  # delta = 1/4 >= 1/(2E): routing not guaranteed


@pytest.mark.parametrize(
    "make",
    [
        lambda: circle_moe(D=5, m=8),
        lambda: circle_moe_nonlinear_chart(D=3, m=8),
        lambda: sphere_moe(D=4, m=12),
        lambda: cube_moe(3, 3, 4),
        lambda: torus_moe(2, 4),
    ],
)
def test_graph_view_counts_equal_ir_counts(make):
    built = make()
    g = moe_graph(built.net)
    assert graph_sizes(g) == count_sizes(built.net)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert {"input", "moe_layer", "gate", "expert", "expert_layer", "combine"} <= kinds
    cls = moe_class(built.net)
    assert all(not d["bias"] for _, d in g.nodes(data=True) if d["kind"] == "gate")
    assert active_experts(built.net) == (cls["L"] * cls["E"], cls["L"])


# ------------------------------------------------------------------------------ exactness
@pytest.mark.parametrize("D,pass_through", [(2, "x"), (6, "x"), (6, "span")])
def test_circle_tau_routing_and_experts_exact(D, pass_through):
    built = circle_moe(D=D, m=8, pass_through=pass_through)
    P, X = _sample(built)
    th = P[:, 0]
    s = np.stack([np.cos(th), np.sin(th), -np.cos(th), -np.sin(th)], 1)  # <e_i, x>
    lo, hi = built.meta["routing"][0]["tau_slice"]
    tau = evaluate_numpy(prefix_net(built.net, "moe1", lo, hi), X)
    knots = np.linspace(0, 1, 5)
    assert np.allclose(tau, np.interp(np.maximum(s, 0), knots, knots**2), atol=1e-12)
    assert np.abs(tau - np.maximum(s, 0) ** 2).max() <= 1 / 64 + 1e-12  # delta = 1/(4 E^2)
    route = _routes(built.net, X)["moe2"]
    assert np.array_equal(route, np.argmax(s, axis=1))  # argmax tau = argmax <e_i, x> (q increasing)
    T = built.meta["T"]
    t = np.sin(th - route * np.pi / 2)
    kt = np.linspace(-T, T, 9)
    g = np.sin(5 * np.cos(route[:, None] * np.pi / 2 + np.arcsin(kt))) + np.cos(
        3 * np.sin(route[:, None] * np.pi / 2 + np.arcsin(kt))
    )
    want = np.array([np.interp(ti, kt, gi) for ti, gi in zip(t, g)])
    assert np.allclose(evaluate_numpy(built.net, X)[:, 0], want, atol=1e-12)


def test_cube_pieces_routes_and_values_exact():
    E, L, m = 3, 2, 4
    built = cube_moe(E, L, m)
    P, X = _sample(built)
    routes = _routes(built.net, X)
    for l in range(1, L + 1):
        z = X[:, l - 1]
        assert np.array_equal(routes[f"moe{2 * l}"], np.ceil(z).astype(int) - 1)  # piece j <=> expert j - 1
        assert np.all(routes[f"moe{2 * l - 1}"] == 0)  # dense layers
        want = np.zeros_like(z)
        for i in range(1, E + 1):
            k = np.linspace(i - 1, i, m + 1)
            inside = (z > i - 1) & (z <= i)
            want[inside] = np.interp(z[inside], k, cube_piece(k, l, i, E))
        assert np.allclose(evaluate_numpy(built.net, X)[:, l - 1], want, atol=1e-12)


def test_torus_sectors_and_target_wrap():
    built = torus_moe(2, 8)
    assert built.domain_lo[0] == pytest.approx(-math.pi / 4 + OFFSET)
    P, X = _sample(built)
    routes = _routes(built.net, X)
    for l in (1, 2):
        sector = np.mod(np.floor((P[:, l - 1] + math.pi / 4) / (math.pi / 2)), 4).astype(int)
        assert np.array_equal(routes[f"moe{2 * l}"], sector)
    err = np.abs(evaluate_numpy(built.net, X) - _lam(built, built.target)(P)).max()
    assert err < 0.4


def test_sphere_routes_to_dominant_chart():
    built = sphere_moe(D=3, m=12)
    P, X = _sample(built)
    s = np.concatenate([X[:, :3], -X[:, :3]], axis=1)
    assert np.array_equal(_routes(built.net, X)["moe2"], np.argmax(s, axis=1))
    err = np.abs(evaluate_numpy(built.net, X) - _lam(built, built.target)(P)).max()
    assert err < 0.1


def test_stacked_net_and_bad_inputs():
    with pytest.raises(InvalidInput):
        stacked_moe_net(2, [])
    for bad in (
        lambda: circle_moe(D=1),
        lambda: circle_moe(D=2, m=0),
        lambda: cube_moe(1, 2, 4),
        lambda: torus_moe(0, 4),
        lambda: sphere_moe(D=3, m=8, pass_through="y"),
    ):
        with pytest.raises(InvalidInput):
            bad()


# ------------------------------------------------------------------------------ rates
def test_fit_rate_slopes_and_intervals():
    from checkers.checks.rates import fit_rate

    n = np.array([8, 16, 32, 64, 128])
    e = 3.0 * n**-2.0
    f = fit_rate(n, e, e)
    assert f.slope == pytest.approx(-2.0) and f.slope_lo == pytest.approx(-2.0) and f.r2 == pytest.approx(1.0)
    g = fit_rate(n, e / 1.1, e * 1.1, tail=4)
    assert g.slope_lo < -2.0 < g.slope_hi and g.loo_hi >= g.slope_hi - 1e-9
    h = fit_rate(n, e * np.log(n), e * np.log(n), log_power=1)
    assert h.slope == pytest.approx(-2.0)
    with pytest.raises(InvalidInput):
        fit_rate([8, 16], [1, 1], [1, 1])
    with pytest.raises(InvalidInput):
        fit_rate([8, 16, 32], [1, 2, 1], [0.5, 2, 1])


def test_training_smoke():
    from constructions.trained.wang_train import exp2_target, train_experiment_i, train_experiment_ii

    r = train_experiment_i(4, steps=3)
    assert math.isfinite(r["test_mse"]) and 1 <= r["experts_used"] <= 4
    assert math.isfinite(train_experiment_ii("2-3", 4, steps=3)["test_mse"])
    assert exp2_target(np.array([0.5, 1.5, 3.0])) == pytest.approx([1 / 16, 2 / 16, 0.0])
    with pytest.raises(InvalidInput):
        train_experiment_ii("3-3", 4, steps=3)


def test_rotated_circle_computes_the_same_function_and_grows_only_in_its_input_layer():
    import math

    import numpy as np

    from checkers.checks.embedding import layer_params
    from constructions import evaluate_numpy
    from constructions.wang_shallow import circle_moe, random_rotation

    th = np.linspace(0.05, 2 * math.pi - 0.05, 97)
    plain = circle_moe(D=8, m=8, pass_through="span")
    rot = circle_moe(D=8, m=8, pass_through="span", rotation_seed=3)
    Q = random_rotation(8, 3)
    x0 = np.zeros((len(th), 8))
    x0[:, 0], x0[:, 1] = np.cos(th), np.sin(th)
    assert np.allclose(evaluate_numpy(rot.net, x0 @ Q.T), evaluate_numpy(plain.net, x0), atol=1e-12)
    assert not np.allclose(evaluate_numpy(rot.net, x0), evaluate_numpy(plain.net, x0), atol=1e-3)
    small, big = layer_params(circle_moe(D=4, m=8, pass_through="span", rotation_seed=0).net), layer_params(rot.net)
    assert small[1:] == big[1:] and big[0] > small[0]
