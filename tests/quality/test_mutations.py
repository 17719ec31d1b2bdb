"""Planted false claims: each is refuted (FAIL with an exactly replayed counterexample) or left
uncertified, never CERTIFIED."""

import math

import numpy as np
import sympy

from checkers.certify import bound_net, certified_routing, certified_sup_error
from checkers.checks import CheckContext, get_check
from constructions import Affine, Built, LinearGate, Net, NetBuilder, StackedExperts
from constructions.yarotsky import sawtooth_square
from proofs import Claim, Status

X0 = sympy.Symbol("x0", real=True)
M = sympy.Symbol("m", positive=True, integer=True)
CTX = CheckContext(timeout=60)


def _perturbed(net: Net, node: str, index: tuple[int, int], delta: float) -> Net:
    """A copy of ``net`` with one affine weight changed by ``delta``."""
    g = net.graph.copy()
    spec = net.spec(node)
    w = np.array(spec.weight)
    w[index] += delta
    g.nodes[node]["spec"] = Affine(w, spec.bias)
    return Net(g, net.input, net.output, name=net.name + "-perturbed")


def test_one_weight_perturbed_is_refuted_with_replayed_witness():
    built = sawtooth_square(4)
    out = built.net.output
    bad = Built(
        net=_perturbed(built.net, out, (0, 2), 2.0**-6),
        target=built.target,
        variables=built.variables,
        domain_lo=built.domain_lo,
        domain_hi=built.domain_hi,
    )
    cert = certified_sup_error(bad, bound=2.0**-10 * 1.01, max_boxes=4096, time_budget=20)
    assert cert.status is Status.REFUTED
    assert cert.witness_error[0] > 2.0**-10 * 1.01
    # the witness is a short dyadic point and its error was replayed in exact rationals
    assert cert.witness[0].denominator <= 2**10 and "exact rationals" in cert.replay


def test_perturbed_expert_bias_in_an_moe_is_refuted():
    E = 8
    a = np.arange(E) / E
    bias = (-a * (a + 1 / E)).reshape(E, 1)
    bias[5, 0] += 0.01
    b = NetBuilder(1)
    i = np.arange(1, E + 1, dtype=float)
    net = b.build(
        b.moe(
            b.input,
            LinearGate((i * E).reshape(E, 1), -(i * (i - 1) / 2)),
            StackedExperts(((2 * a + 1 / E).reshape(E, 1, 1),), (bias,)),
        )
    )
    built = Built(net=net, target=(X0**2,), variables=(X0,), domain_lo=(0.0,), domain_hi=(1.0,))
    cert = certified_sup_error(built, bound=(1 / E) ** 2 / 4 * 1.01, max_boxes=4096, time_budget=20)
    assert cert.status is Status.REFUTED and 5 / 8 <= float(cert.witness[0]) <= 6 / 8


def test_claim_with_bound_halved_fails():
    claim = Claim(
        name="sup_error_le",
        check="certified_sup_error",
        statement="s",
        args={
            "construction": "constructions.yarotsky:sawtooth_square",
            "bound": 2 ** (-2 * M - 2) / 2,
            "time_budget": 20,
        },
    )
    out = get_check("certified_sup_error")(claim, {"m": 3}, CTX)
    assert out.verdict.value == "FAIL"
    assert out.measured > out.bound and out.evidence.replay and out.evidence.point


def test_wrong_lipschitz_constant_fails():
    L = sympy.Symbol("L")
    claim = Claim(
        name="lipschitz",
        check="certified_lipschitz_constant",
        statement="s",
        args={"construction": "constructions.yarotsky:sawtooth_square", "L": L},
    )
    assert get_check("certified_lipschitz_constant")(claim, {"m": 2, "L": 2.001}, CTX).verdict.value == "CERTIFIED"
    out = get_check("certified_lipschitz_constant")(claim, {"m": 2, "L": 1.0}, CTX)  # halved: |d/dx x^2| = 2
    assert out.verdict.value == "FAIL" and out.evidence.point


def test_gate_whose_winner_changes_inside_a_box():
    # s_0 = z, s_1 = 2 z - 1: the winner changes at z = 1, inside [0.5, 1.5]
    b = NetBuilder(1)
    net = b.build(
        b.moe(
            b.input,
            LinearGate([[1.0], [2.0]], [0.0, -1.0]),
            StackedExperts((np.ones((2, 1, 1)),), (np.array([[0.0], [1.0]]),)),
        )
    )
    nb = bound_net(net, [[0.5]], [[1.5]])
    assert not bool(nb.routing_unique[0]) and nb.candidates["moe1"].numpy().tolist() == [[True, True]]
    cert = certified_routing(net, [0.5], [1.5], lambda p: (0,))
    assert cert.status is Status.REFUTED and cert.witness[0] > 1 and cert.expected_path == (0,)
    assert not math.isnan(float(cert.witness[0]))
