"""Unit tests of the certifier: branch and bound, route splitting, replays, routing partitions, checks."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy

from checkers.certify import (
    certified_net_max,
    certified_partition,
    certified_routing,
    certified_sup_error,
    exact_path,
    replay_error,
    shrink_point,
)
from checkers.checks import CheckContext, get_check
from constructions import Built, LinearGate, NetBuilder, StackedExperts, dyadic_tree_router, random_relu_net
from constructions.interpolation import pl_interpolant
from proofs import Claim, InvalidInput, Status

X0 = sympy.Symbol("x0", real=True)
TH = sympy.Symbol("theta", real=True)


def _pl_moe(depth: int, *, gate: bool = False) -> Built:
    """Cell k of [0, 1] (side h = 2^-depth) holds the chord of x^2: sup error h^2 / 4."""
    E = 2**depth
    h = 1.0 / E
    a = np.arange(E) * h
    slope = 2 * a + h
    ex = StackedExperts((slope.reshape(E, 1, 1),), ((-a * (a + h)).reshape(E, 1),))
    i = np.arange(1, E + 1, dtype=float)
    router = LinearGate((i / h).reshape(E, 1), -(i * (i - 1) / 2)) if gate else dyadic_tree_router(1, depth)
    b = NetBuilder(1)
    return Built(
        net=b.build(b.moe(b.input, router, ex)), target=(X0**2,), variables=(X0,), domain_lo=(0.0,), domain_hi=(1.0,)
    )


def test_interpolant_certified_tight():
    cert = certified_sup_error(pl_interpolant(X0**2, 8), tol=0.01, max_boxes=4096, time_budget=20)
    exact = 1 / 256  # h^2 / 4 with h = 1/8, at the cell midpoints
    assert cert.status is Status.PROVED and cert.tight
    assert cert.lower <= exact <= cert.upper <= exact * 1.01
    assert cert.method.startswith("CROWN over")


@pytest.mark.parametrize("gate", [False, True])
def test_moe_route_splitting_certifies_tight(gate):
    cert = certified_sup_error(_pl_moe(4, gate=gate), tol=0.01, max_boxes=4096, time_budget=20)
    exact = 2.0**-8 / 4
    assert cert.status is Status.PROVED and exact <= cert.upper <= exact * 1.01
    assert "routing unique on" in cert.method
    assert cert.boxes_single_route + cert.boxes_several_routes == cert.n_final_boxes


def test_bound_certified_and_refuted_with_replayed_shrunk_witness():
    built = _pl_moe(3)
    exact = 2.0**-6 / 4
    ok = certified_sup_error(built, bound=exact * 1.05, max_boxes=4096, time_budget=20)
    assert ok.status is Status.PROVED and ok.upper <= exact * 1.05
    bad = certified_sup_error(built, bound=exact / 2, max_boxes=4096, time_budget=20)
    assert bad.status is Status.REFUTED
    assert bad.witness_error[0] > Fraction(exact / 2)
    assert all(p.denominator <= 64 for p in bad.witness)  # shrunk to a short dyadic point
    assert "exact rationals" in bad.replay


def test_budget_spent_is_unknown_with_gap():
    cert = certified_sup_error(
        random_moe_built(), tol=1e-9, max_boxes=32, time_budget=5, initial_boxes=8, n_samples=256
    )
    assert cert.status is Status.UNKNOWN and cert.upper >= cert.lower and cert.gap >= 0


def random_moe_built(k: int = 1) -> Built:
    rng = np.random.default_rng(0)
    b = NetBuilder(2)
    ex = StackedExperts(
        (rng.normal(0, 1, (4, 5, 2)), rng.normal(0, 1, (4, 1, 5))),
        (rng.normal(0, 0.3, (4, 5)), rng.normal(0, 0.3, (4, 1))),
    )
    net = b.build(b.moe(b.input, LinearGate(rng.normal(0, 1, (4, 2)), k=k), ex))
    x0, x1 = sympy.symbols("x0 x1", real=True)
    return Built(
        net=net,
        target=(sympy.Integer(0) * x0 + x1 * 0,),
        variables=(x0, x1),
        domain_lo=(0.0, 0.0),
        domain_hi=(1.0, 1.0),
    )


def test_top2_refutation_replays_softmax_by_intervals():
    built = random_moe_built(k=2)
    free = certified_sup_error(built, tol=0.05, max_boxes=512, time_budget=20)
    assert free.lower > 0
    bad = certified_sup_error(built, bound=free.lower / 2, max_boxes=4096, time_budget=20)
    assert bad.status is Status.REFUTED and "interval" in bad.replay
    assert bad.witness_error[0] > Fraction(free.lower / 2)


def test_chart_circle():
    # net(x) = x0 on the circle (cos t, sin t); target cos t + sin(3t)/100: sup error 1/100
    b = NetBuilder(2)
    net = b.build(b.affine(b.input, [[1.0, 0.0]], [0.0]))
    built = Built(
        net=net,
        target=(sympy.cos(TH) + sympy.sin(3 * TH) / 100,),
        variables=(TH,),
        domain_lo=(0.0,),
        domain_hi=(2 * math.pi,),
        chart=(sympy.cos(TH), sympy.sin(TH)),
    )
    cert = certified_sup_error(built, tol=0.01, max_boxes=4096, time_budget=20)
    assert cert.status is Status.PROVED and 0.0099 < cert.lower <= 0.01 <= cert.upper <= 0.0101
    bad = certified_sup_error(built, bound=0.005, max_boxes=4096, time_budget=20)
    assert bad.status is Status.REFUTED and "chart" in bad.replay


def test_replay_error_exact_and_shrink():
    built = pl_interpolant(X0**2, 4)
    lo, hi, how = replay_error(built, (Fraction(1, 8),))
    assert lo == hi == Fraction(1, 64) and "exact" in how
    q = shrink_point(np.array([0.3712]), lambda p: np.abs(p[:, 0] - 0.375) < 0.01, np.zeros(1), np.ones(1))
    assert q.tolist() == [0.375]


def test_certified_net_max_matches_grid():
    net = random_relu_net((2, 16, 1), seed=1)
    r = certified_net_max(net, [0, 0], [1, 1], tol_abs=1e-4)
    assert r.status is Status.PROVED and r.upper - r.lower <= 1e-4


def _warmup(E=3, shift=0.0):
    i = np.arange(1, E + 1, dtype=float)
    bias = -(i * (i - 1) / 2)
    bias[1] += shift
    b = NetBuilder(1)
    ex = StackedExperts((np.ones((E, 1, 1)),), (np.zeros((E, 1)),))
    return b.build(b.moe(b.input, LinearGate(i.reshape(E, 1), bias), ex))


class _ExpectedWarmup:
    """Route j - 1 on (j - 1, j]: a point map, decidable on every box (the open box inside one cell)."""

    def __call__(self, p):
        return (int(math.ceil(p[0])) - 1,)

    def on_box(self, lo, hi):
        j = math.floor(lo[0])
        return (j,) if hi[0] <= j + 1 else None


_expected_warmup = _ExpectedWarmup()


def test_warmup_routing_certified_on_open_cells():
    cert = certified_routing(_warmup(5), [0.0], [5.0], _expected_warmup)
    assert cert.status is Status.PROVED and cert.n_paths == 5
    closed = certified_routing(_warmup(3), [0.0], [3.0], _expected_warmup, interior=False, max_boxes=512)
    assert closed.status is Status.UNKNOWN  # closed boxes at a boundary hold both routes: never guessed


def test_misrouting_tau_is_refuted_with_exact_replay():
    cert = certified_routing(_warmup(3, shift=0.1), [0.0], [3.0], _expected_warmup)
    assert cert.status is Status.REFUTED
    w = cert.witness
    assert Fraction(2) < w[0] < Fraction(21, 10) and w[0].denominator <= 64
    assert exact_path(_warmup(3, shift=0.1), list(w)) == (1,) != cert.expected_path


def test_tree_partition_counts_paths():
    b = NetBuilder(2)
    ex = StackedExperts((np.ones((16, 1, 2)),), (np.zeros((16, 1)),))
    net = b.build(b.moe(b.input, dyadic_tree_router(2, 2), ex))
    part = certified_partition(net, [0.0, 0.0], [1.0, 1.0])
    assert part.complete and len(part.distinct_paths) == 16


def test_checks_registered_and_verdicts():
    ctx = CheckContext(timeout=60)
    n = sympy.Symbol("n", positive=True, integer=True)
    for factor, verdict in ((sympy.Rational(1, 4) * 101 / 100, "CERTIFIED"), (sympy.Rational(1, 8), "FAIL")):
        claim = Claim(
            name="sup_error_le",
            check="certified_sup_error",
            statement="s",
            args={
                "construction": "constructions.interpolation:pl_interpolant",
                "bound": factor / n**2,
                "time_budget": 20,
            },
        )
        out = get_check("certified_sup_error")(claim, {"f": X0**2, "n": 8}, ctx)
        assert out.verdict.value == verdict
        if verdict == "FAIL":
            assert out.evidence.replayed_value and out.evidence.point
    claim = Claim(
        name="lip",
        check="certified_lipschitz_constant",
        statement="s",
        args={"function": "sin(3*x0)", "n_in": 1, "domain": ((0, 1),), "L": sympy.Symbol("L")},
    )
    assert get_check("certified_lipschitz_constant")(claim, {"L": 3.01}, ctx).verdict.value == "CERTIFIED"
    assert get_check("certified_lipschitz_constant")(claim, {"L": 2}, ctx).verdict.value == "FAIL"


def test_input_validation():
    built = pl_interpolant(X0**2, 2)
    with pytest.raises(InvalidInput):
        certified_sup_error(built, bound=math.nan)
    with pytest.raises(InvalidInput):
        certified_sup_error(built, method="beta")
    with pytest.raises(InvalidInput):
        certified_sup_error(built.net)
    with pytest.raises(InvalidInput):
        certified_routing(random_relu_net((1, 2, 1)), [0.0], [1.0])


def test_attained_bound_certified_by_the_exact_tier():
    from checkers.certify import exact_sup_le, rational_polynomial_targets

    built = pl_interpolant(X0**2, 4)  # sup |x^2 - I x^2| = h^2/4 = 1/64, attained at the cell midpoints
    cert = certified_sup_error(built, bound=1 / 64, max_boxes=4096, time_budget=20)
    assert cert.status is Status.PROVED and cert.upper == 1 / 64 and "exact rational re-check" in cert.method
    below = certified_sup_error(built, bound=1 / 64 - 2.0**-40, max_boxes=4096, time_budget=20)
    assert below.status is Status.REFUTED
    polys = rational_polynomial_targets(built)
    assert exact_sup_le(built, polys, 0.0, 0.25, Fraction(1, 64))
    assert not exact_sup_le(built, polys, 0.0, 0.25, Fraction(1, 64) - Fraction(1, 2**60))
