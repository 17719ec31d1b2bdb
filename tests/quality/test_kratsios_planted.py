"""Planted false variants of the kratsios2024 claims must FAIL (and the true ones must not).

* eps/4 with the same network (the network built for eps is checked against eps/4);
* a Lipschitz constant halved (the constant itself; the network built from it; the CLI);
* the per-expert size formula with a smaller constant;
* K3 with a VC bound that is too small; K2 with exponents tighter than the construction's.
"""

import sympy
from sympy import Symbol

from checkers.checks import CheckContext, get_check
from checkers.cli import main
from proofs import Claim, lookup
from proofs.kratsios2024 import MOMLP

eps, n_in = Symbol("eps", positive=True), Symbol("n_in", integer=True, positive=True)
SIN3 = {"function": "sin(3*x0)*x1", "n_in": 2, "eps": 0.2, "experts": "constant", "lipschitz": 3.05}


def _run(claim, instance, tmp_path=None):
    ctx = CheckContext(profile="quick", out_dir=tmp_path) if tmp_path else CheckContext(profile="quick")
    return get_check(claim.check)(claim, instance, ctx)


def _sup_claim(bound, **extra):
    return Claim(
        name="planted_sup_error",
        check="certified_sup_error",
        statement="planted",
        args={"construction": MOMLP, "bound": bound, "tol": 0.02, **extra},
    )


def test_eps_over_four_with_the_same_network_fails_with_a_replayed_witness():
    for inst in (SIN3, {"function": "sin(8*x0)*x1", "n_in": 2, "eps": 0.02, "experts": "cpwl"}):
        true = _run(_sup_claim(eps), inst)
        assert true.verdict.value == "CERTIFIED", true.why
        planted = _run(_sup_claim(eps / 4), inst)
        assert planted.verdict.value == "FAIL", planted.why
        assert planted.evidence.point is not None and planted.measured > inst["eps"] / 4


def test_network_built_from_a_halved_lipschitz_constant_fails():
    # f = 2 x0 has Lipschitz constant 2; with L = 1 the depth is one level short: error 2^-5 > 0.03
    inst = {"function": "2*x0", "n_in": 1, "eps": 0.03, "experts": "constant"}
    assert _run(_sup_claim(eps), {**inst, "lipschitz": 2.0}).verdict.value == "CERTIFIED"
    planted = _run(_sup_claim(eps), {**inst, "lipschitz": 1.0})
    assert planted.verdict.value == "FAIL", planted.why


def test_halved_lipschitz_constant_is_refuted():
    claim = lookup("kratsios2024/k1-uniform-approx").claim("lipschitz_constant_valid")
    good = SIN3
    assert _run(claim, good).verdict.value == "CERTIFIED"
    bad = _run(claim, {**good, "lipschitz": 3.05 / 2})
    assert bad.verdict.value == "FAIL", bad.why


def test_cli_rejects_a_halved_lipschitz_constant(capsys):
    code = main(["approx", "--function", "sin(3*x0)*x1", "--dim", "2", "--eps", "0.1", "--lipschitz", "1.5"])
    out = capsys.readouterr().out
    assert code == 1 and "Lipschitz constant" in out and "FAIL" in out


def test_per_expert_size_formula_with_a_smaller_constant_fails():
    claim = lookup("kratsios2024/k1-uniform-approx").claim("params_per_expert_le_c_over_eps")
    assert _run(claim, SIN3).verdict.value == "CERTIFIED"
    planted = Claim(
        name="planted_size",
        check="size_formula",
        statement="planted",
        args={**claim.args, "formula": (n_in + 1) / 10 / eps},
    )
    out = _run(planted, SIN3)
    assert out.verdict.value == "FAIL" and out.measured == 3 and out.bound < 3


def test_too_small_vc_bound_and_too_tight_tradeoff_exponents_fail(tmp_path):
    k3 = lookup("kratsios2024/k3-vc-dim").claims[0]
    inst = {"n_in": 1, "L": 2, "J": 1, "W": 2}
    assert _run(k3, inst).verdict.value == "PASS-EMPIRICAL"
    planted = Claim(
        name="planted_vc", check=k3.check, statement="planted", args={**k3.args, "vc_bound": sympy.Integer(2)}
    )
    assert _run(planted, inst).verdict.value == "FAIL"
    k2 = lookup("kratsios2024/k2-tradeoff").claims[0]
    planted = Claim(name="planted_k2", check=k2.check, statement="planted", args={**k2.args, "tol": -0.75})
    out = _run(planted, {"n_in": 2, "eps_max": 0.2, "eps_min": 0.02, "n_eps": 4}, tmp_path)
    assert out.verdict.value == "FAIL", out.why


def test_routing_depth_is_counted_from_the_tree_and_a_wrong_depth_formula_fails():
    claim = lookup("kratsios2024/k1-uniform-approx").claim("routing_path_eq_n_depth")
    assert _run(claim, SIN3).verdict.value == "CERTIFIED"
    wrong = Claim(
        name="planted_path",
        check=claim.check,
        statement="planted",
        args={**claim.args, "formula": claim.args["formula"] + n_in},
    )
    out = _run(wrong, SIN3)
    assert out.verdict.value == "FAIL" and "mismatch" in out.why
