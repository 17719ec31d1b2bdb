"""The MoMLP construction (constructions.momlp): exact experts, routing, sound constants, inputs, memory."""

import importlib
import itertools
import math
import re

import numpy as np
import pytest

from constructions import ActiveMemoryMoE, count_sizes, evaluate_numpy, kuhn_interpolate, moebius
from constructions.momlp import _grid_values, _target, momlp, momlp_net, single_network, target_bounds
from proofs import InvalidInput, Theorem
from proofs.formula import compile_target

FUNCS = {
    1: "sin(5*x0) + x0**2",
    2: "sin(3*x0)*x1 + x1**2",
    3: "exp(x0*x1) - x2**2*x0",
    4: "x0*x1 + sin(x2*x3) + x0*x3**2",
}


def _f(function, n, x):
    expr, vs = _target(function, n)
    return compile_target([expr], list(vs)).eval(x)[:, 0]


@pytest.mark.parametrize(
    "n,family,depth,k,slope",
    [
        (1, "cpwl", 2, 0, 0.0),
        (1, "deep", 1, 3, 0.4),
        (2, "cpwl", 2, 0, 0.0),
        (2, "cpwl", 1, 0, 0.7),
        (2, "deep", 1, 2, 0.0),
        (2, "deep", 0, 2, 0.3),
        (3, "cpwl", 1, 0, 0.2),
        (3, "deep", 1, 1, 0.0),
        (4, "cpwl", 1, 0, 0.0),
        (4, "deep", 0, 1, 0.5),
    ],
)
def test_interpolant_experts_are_exact_networks(n, family, depth, k, slope):
    """The network equals the Kuhn-triangulation interpolant (independent barycentric code) everywhere."""
    net = momlp_net(FUNCS[n], n, depth=depth, experts=family, sub_level=k, slope=slope)
    expr, vs = _target(FUNCS[n], n)
    T = depth + k
    grid = _grid_values(expr, vs, T)
    x = np.random.default_rng(n + depth + k).random((2000, n))
    x[:50] = np.round(x[:50] * 2**T) / 2**T  # grid nodes and cell faces too
    ref = kuhn_interpolate(grid, 2**T, x)
    assert np.max(np.abs(evaluate_numpy(net, x)[:, 0] - ref)) < 1e-11
    # the interpolant matches f at the grid nodes
    nodes = np.array(list(itertools.product(range(2**T + 1), repeat=n))) / 2**T
    assert np.max(np.abs(evaluate_numpy(net, nodes)[:, 0] - _f(FUNCS[n], n, nodes))) < 1e-11


def test_kuhn_interpolant_reproduces_affine_functions_and_moebius_inverts():
    g = np.array([[0.5, 1.5, -2.0, 3.0, 0.0, 1.0, 2.0, -1.0]])
    mu = moebius(g)
    # sum over subsets T of S of mu(T) gives g(S) back
    back = np.array([[sum(mu[0, t] for t in range(8) if t & s == t) for s in range(8)]])
    assert np.allclose(back, g)
    a = np.array([0.3, -1.2, 2.0])
    vals = np.array([[[(np.array([i, j, l]) / 2) @ a + 1 for l in range(3)] for j in range(3)] for i in range(3)])
    u = np.random.default_rng(0).random((100, 3))
    assert np.allclose(kuhn_interpolate(vals, 2, u), u @ a + 1)


def test_tree_routing_sends_points_to_their_dyadic_cell_and_constant_experts_hold_f_at_centres():
    b = momlp("sin(3*x0)*x1", 2, 0.1, experts="constant")
    D = b.meta["depth"]
    x = np.random.default_rng(3).random((500, 2))
    cells = np.floor(x * 2**D)
    centres = (cells + 0.5) / 2**D
    assert np.allclose(evaluate_numpy(b.net, x)[:, 0], _f("sin(3*x0)*x1", 2, centres))
    s = count_sizes(b.net)
    assert (s.n_experts, s.params_per_expert, s.routing_path_params) == (4**D, 3, 2 * D)


@pytest.mark.parametrize("L,n,eps", [(2.0, 1, 0.03), (3.05, 2, 0.05), (2.25, 2, 0.01), (1.75, 3, 0.1)])
def test_depth_rule_with_a_given_lipschitz_constant(L, n, eps):
    f = {1: "2*x0", 2: "sin(3*x0)*x1", 3: "x0*x1*x2"}[n]
    b = momlp(f, n, eps, lipschitz=L)
    assert b.meta["depth"] == max(1, math.ceil(math.log2(L * math.sqrt(n) / (2 * eps))))


@pytest.mark.parametrize("function,n", [("Abs(x0 - 0.3) + x1**2", 2), ("sin(8*x0)*x1", 2), ("exp(-x0*x1)*cos(x2)", 3)])
def test_derivative_constants_bound_sampled_derivatives_and_the_error(function, n):
    tb = target_bounds(function, n, 3)
    expr, vs = _target(function, n)
    t = compile_target([expr], list(vs))
    x = np.random.default_rng(1).random((3000, n))
    g_lo, g_hi = t.grad_interval(x, x)
    assert np.max(np.abs(g_hi[:, 0, :]).sum(axis=1)) <= tb.A
    if "Abs" in function:
        assert tb.S == math.inf  # not C^2: only the Lipschitz form of the bound is used
    for fam in ("constant", "cpwl"):
        b = momlp(function, n, 0.1, experts=fam)
        err = np.abs(evaluate_numpy(b.net, x)[:, 0] - t.eval(x)[:, 0]).max()
        assert err <= b.meta["error_bound"] <= 0.1


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"eps": 0.0}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"eps": -1}, "eps"),
        ({"experts": "big"}, "experts"),
        ({"experts": "cpwl", "slope": 1.0}, "a < 1"),
        ({"slope": 1.5}, "slope"),
        ({"experts": "deep", "r": 3.0}, "r="),
        ({"n_in": 0}, "n_in"),
        ({"function": "foo(x0)"}, "foo"),
        ({"function": "x5"}, "x5"),
        ({"lipschitz": -2.0}, "lipschitz"),
    ],
)
def test_bad_inputs_raise_invalid_input(kwargs, match):
    args = {"function": "x0*x1", "n_in": 2, "eps": 0.1, **kwargs}
    with pytest.raises(InvalidInput, match=match):
        momlp(args.pop("function"), args.pop("n_in"), args.pop("eps"), **args)


def test_prelu_slope_is_stored_and_constant_family_accepts_a_one():
    c = momlp("x0**2", 1, 0.1, experts="constant", slope=1.0)
    assert c.net.spec(c.net.moe_nodes()[0]).experts.slope == 1.0
    b = momlp("x0*x1", 2, 0.1, experts="cpwl", slope=0.25)
    (moe,) = b.net.moe_nodes()
    assert b.net.spec(moe).experts.slope == 0.25


def test_deep_experts_grow_with_r_and_single_network_has_no_router():
    sizes = [count_sizes(momlp("sin(3*x0)*x1", 2, 0.01, experts="deep", r=r).net) for r in (0.25, 1.0)]
    assert sizes[0].params_per_expert < sizes[1].params_per_expert
    assert sizes[0].n_experts > sizes[1].n_experts
    single = single_network("sin(3*x0)*x1", 2, 0.05)
    assert count_sizes(single.net).n_experts == 0 and not single.net.moe_nodes()


def test_active_memory_keeps_one_expert_and_matches_the_network(tmp_path):
    x = np.random.default_rng(0).random((1500, 2))
    stats = []
    for depth in (2, 4):  # 16x the experts
        net = momlp_net("sin(3*x0)*x1", 2, depth=depth, experts="cpwl")
        am = ActiveMemoryMoE(net, tmp_path / str(depth))
        y, st = am(x, batch=256)
        assert np.max(np.abs(y - evaluate_numpy(net, x))) < 1e-12
        stats.append(st)
    assert stats[1].n_experts == 16 * stats[0].n_experts
    assert stats[0].peak_expert_bytes == stats[1].peak_expert_bytes == count_sizes(net).params_per_expert * 8
    with pytest.raises(InvalidInput, match="tree"):
        ActiveMemoryMoE(momlp_net("x0**2", 1, depth=0, experts="deep", sub_level=1), tmp_path / "x")


def test_main_statements_name_the_registered_theorems():
    mod = importlib.import_module("proofs.kratsios2024")
    block = re.search(r"Main statements\n-+\n(.*?)\n\n", mod.__doc__, re.S).group(1)
    listed = set(re.findall(r"^\* ``([a-z_0-9]+)``", block, re.M))
    declared = {v.name for v in vars(mod).values() if isinstance(v, Theorem)}
    assert listed == declared and len(declared) == 5
    ours = [t for t in declared if getattr(mod, t).construction_provenance.value == "ours"]
    assert len(ours) == 5
    assert "ours" in mod.momlp_experts_size_tradeoff.statement_provenance.value


def test_approx_cli_certifies_exports_torchscript_and_writes_json(tmp_path, capsys):
    import json

    import jsonschema
    import torch

    from checkers.cli import main
    from checkers.report import SCHEMA_PATH

    pt, js = tmp_path / "m.pt", tmp_path / "r.json"
    code = main(
        [
            "approx",
            "--function",
            "x0**2 + x1",
            "--dim",
            "2",
            "--eps",
            "0.1",
            "--experts",
            "cpwl",
            "--export",
            str(pt),
            "--json",
            str(js),
            "--device",
            "cpu",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "CERTIFIED" in out
    module = torch.jit.load(str(pt))
    x = torch.rand(33, 2, dtype=torch.float64)
    y = module(x)
    assert y.shape == (33, 1) and y.dtype == torch.float64
    ref = evaluate_numpy(momlp("x0**2 + x1", 2, 0.1, experts="cpwl").net, x.numpy())
    assert np.allclose(y.numpy(), ref, atol=1e-12)
    doc = json.loads(js.read_text())
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    (sup,) = [r for r in doc["results"] if r["claim"] == "sup_error_le_eps"]
    assert sup["verdict"] == "CERTIFIED" and sup["bound"] == 0.1 and sup["measured"] <= 0.1
    assert 0 < sup["evidence"]["lower_bound"] <= sup["measured"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--eps", "0"],
        ["--eps", "-0.1"],
        ["--eps", "nan"],
        ["--function", "sin(x0"],
        ["--function", "x9"],
        ["--dim", "0"],
        ["--lipschitz", "-1"],
        ["--slope", "2"],
    ],
)
def test_approx_cli_bad_input_is_one_line_and_exit_2(argv, capsys):
    from checkers.cli import main

    base = {"--function": "x0*x1", "--dim": "2", "--eps": "0.1"}
    base.update(dict(zip(argv[::2], argv[1::2])))
    code = main(["approx", *[t for kv in base.items() for t in kv]])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("moecheck: error:")
