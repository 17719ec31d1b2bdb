"""Adversarial review of the certifier's soundness (second reviewer).

Each test is an attack that tried to make the certifier claim too much: bounds that miss an exact
network value, routing candidates that miss the exact route, a CERTIFIED verdict on a claim that is
false, a FAIL without a replayed witness. The ones listed "broke" in the review report failed before
the fixes marked ``[review]`` in ``checkers/``.
"""

import dataclasses
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

from checkers.certify import (
    bound_net,
    certified_sup_error,
    exact_path,
    rational_polynomial_targets,
    replay_error,
    route_region,
)
from constructions import Built, LinearGate, NetBuilder, StackedExperts, TreeRouter, dyadic_tree_router, evaluate_exact
from proofs import InvalidInput, Status
from proofs.formula import compile_target, exact_value

X0, X1 = sp.Symbol("x0", real=True), sp.Symbol("x1", real=True)
T = sp.Symbol("t", real=True)
METHODS = ("ibp", "crown-ibp", "crown")


def _fr_box(lo, hi, k, rng):
    """Exact points of the box: its corners along the first axes, its centre and random floats."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    pts = [lo, hi, 0.5 * lo + 0.5 * hi]
    pts += [lo + (hi - lo) * rng.random(lo.size) for _ in range(k)]
    return [[Fraction(float(v)) for v in p] for p in pts]


def _contains(net, lo, hi, *, k=8, seed=0):
    """Every exact value at points of each box lies in every engine's bounds; its route is a candidate."""
    rng = np.random.default_rng(seed)
    lo, hi = np.atleast_2d(np.asarray(lo, float)), np.atleast_2d(np.asarray(hi, float))
    for method in METHODS:
        nb = bound_net(net, lo, hi, method=method)
        assert bool(nb.feasible.all())
        cands = nb.candidates
        for b in range(lo.shape[0]):
            for p in _fr_box(lo[b], hi[b], k, rng):
                y = evaluate_exact(net, p)
                for j, v in enumerate(y):
                    assert Fraction(float(nb.lower[b, j])) <= v <= Fraction(float(nb.upper[b, j])), (method, b, p, j)
                    if nb.A_l is not None:
                        al = sum(Fraction(float(a)) * x for a, x in zip(nb.A_l[b, j].tolist(), p))
                        au = sum(Fraction(float(a)) * x for a, x in zip(nb.A_u[b, j].tolist(), p))
                        assert al + Fraction(float(nb.c_l[b, j])) <= v <= au + Fraction(float(nb.c_u[b, j]))
                path = exact_path(net, p)
                for node, e in zip(net.moe_nodes(), path or ()):
                    es = e if isinstance(e, tuple) else (e,)
                    assert all(bool(cands[node][b, i]) for i in es), (method, node, p, e)
    return nb


def _experts(values, n_in=1):
    """Constant experts (one hidden unit of weight 0): expert e outputs values[e]."""
    E = len(values)
    return StackedExperts(
        (np.zeros((E, 1, n_in)), np.zeros((E, 1, 1))), (np.zeros((E, 1)), np.array(values, float)[:, None])
    )


# --------------------------------------------------------------------- 1. bounds containment


def test_overflow_nan_interval_keeps_every_tree_route():
    """BROKE: 1e308 x0 - 1e308 x1 overflows to inf - inf = NaN in IBP; the tree router then found no
    candidate, the box was 'infeasible' and the certifier said CERTIFIED (sup error in [5, 0])."""
    b = NetBuilder(2)
    z = b.affine(b.input, [[1e308, -1e308]], [0.0])
    net = b.build(b.moe(z, dyadic_tree_router(1, 1, lo=-1.0, hi=1.0), _experts([5.0, 5.0])))
    for method in METHODS:
        nb = bound_net(net, [[2.0, 2.0]], [[3.0, 3.0]], method=method)
        assert bool(nb.feasible.all()) and bool(nb.candidates[net.moe_nodes()[0]].all())
        assert not bool(torch_isnan(nb.lower)) and not bool(torch_isnan(nb.upper))
        assert float(nb.lower[0, 0]) <= 5.0 <= float(nb.upper[0, 0])
    built = Built(net, (sp.Integer(0),), (X0, X1), (2.0, 2.0), (3.0, 3.0))
    cert = certified_sup_error(built, bound=1.0, max_boxes=64, time_budget=5)
    assert cert.status is not Status.PROVED


def torch_isnan(t):
    return t.isnan().any()


def test_route_region_overflow_never_drops_a_route():
    """BROKE (route splitting): NaN from inf - inf in the contraction made the region 'infeasible'."""
    import torch

    gate = LinearGate(np.array([[1e300, -1e300], [0.0, 0.0]]))
    lo = torch.tensor([[1e10, 1e10]], dtype=torch.float64)
    hi = torch.tensor([[2e10, 2e10]], dtype=torch.float64)
    for e in (0, 1):
        l2, h2, ok = route_region(gate, torch.tensor([e]), lo, hi)
        assert bool(ok.all()), e  # both routes are taken on this box (x0 > x1 and x0 < x1)
        assert not bool(l2.isnan().any() or h2.isnan().any())


def test_repeated_concat_operand_is_rejected_not_silently_dropped():
    """BROKE (IR): a DiGraph holds one edge per pair, so concat([h, h]) silently became concat([h])."""
    from proofs import InvalidInput

    b = NetBuilder(1)
    h = b.relu(b.affine(b.input, [[1.0]], [0.0]))
    with pytest.raises(InvalidInput):
        b.concat([h, h])


@pytest.mark.parametrize("scale", [1e8, 1e-8])
def test_huge_and_tiny_weights_and_kinks(scale):
    b = NetBuilder(2)
    h = b.relu(b.affine(b.input, [[scale, -scale], [1.0, 1.0], [scale, 0.0]], [0.0, -0.5, -0.25 * scale]))
    p = b.prelu(b.affine(h, [[1.0, -1.0, 1 / scale], [0.5, 2.0, -1.0]], [0.0, 1e-8]), 0.25)
    net = b.build(b.affine(p, [[scale, 1.0]], [0.0]))
    # boxes straddling the kinks exactly (x0 = x1, x0 + x1 = 0.5, x0 = 0.25), degenerate boxes on them
    lo = [[0.0, 0.0], [0.25, 0.25], [0.25, 0.0], [0.25, 0.25], [0.1, 0.3]]
    hi = [[0.5, 0.5], [0.25, 0.25], [0.25, 1.0], [0.5, 0.5], [0.1 + 1e-12, 0.3 + 1e-12]]
    _contains(net, lo, hi)


@pytest.mark.parametrize("slope", [0.0, 1.0, 1e-300, 0.5])
def test_prelu_extreme_slopes_on_kink_boxes(slope):
    b = NetBuilder(1)
    h = b.prelu(b.affine(b.input, [[1.0], [-1.0], [3.0]], [0.0, 0.0, -1.0]), slope)
    net = b.build(b.affine(h, [[1.0, 1.0, -1.0]], [0.0]))
    _contains(net, [[0.0], [-1.0], [-1.0], [1 / 3]], [[0.0], [0.0], [1.0], [1 / 3]])


def test_one_node_feeding_several_consumers_through_concat_and_slice():
    b = NetBuilder(2)
    h = b.relu(b.affine(b.input, [[1.0, -2.0], [-1.0, 1.0], [0.5, 0.5]], [0.1, 0.0, -0.5]))
    cat = b.concat([h, b.slice(h, 1, 3), b.slice(h, 0, 3), b.input])  # h read four times
    g = b.prelu(b.affine(cat, np.linspace(-1, 1, 3 * 10).reshape(3, 10), [0.0, 0.2, -0.1]), 0.1)
    net = b.build(
        b.affine(b.concat([g, b.slice(cat, 2, 5), h]), np.ones((1, 9)) * [[1, -1, 2, 1, -3, 1, 1, -1, 2]], [0.0])
    )
    _contains(net, [[-1.0, -1.0], [0.0, 0.0], [0.5, 0.5]], [[1.0, 1.0], [0.0, 0.0], [0.5, 0.75]])


# --------------------------------------------------------------------- MoE routing at ties


def _three_way_tie_net(values=(100.0, 0.0, 0.0)):
    """Scores 0, x - 1/2, 1/2 - x: all tie at x = 1/2 only, where expert 0 (lowest index) is selected."""
    gate = LinearGate(np.array([[0.0], [1.0], [-1.0]]), np.array([0.0, -0.5, 0.5]))
    b = NetBuilder(1)
    return b.build(b.moe(b.input, gate, _experts(list(values))))


def test_gate_tie_goes_to_lowest_index_on_degenerate_and_face_boxes():
    net = _three_way_tie_net()
    assert exact_path(net, [Fraction(1, 2)]) == (0,)
    nb = _contains(net, [[0.5], [0.25], [0.5], [0.0]], [[0.5], [0.5], [0.75], [1.0]])
    cand = nb.candidates[net.moe_nodes()[0]]
    assert bool(cand[0, 0]) and bool(cand[1, 0]) and bool(cand[2, 0])
    # the same tie reached through an intermediate node (relu(x) = x on [0, 1]): not decided exactly
    b = NetBuilder(1)
    z = b.relu(b.affine(b.input, [[1.0]], [0.0]))
    gate = LinearGate(np.array([[0.0], [1.0], [-1.0]]), np.array([0.0, -0.5, 0.5]))
    net2 = b.build(b.moe(z, gate, _experts([100.0, 0.0, 0.0])))
    _contains(net2, [[0.5], [0.25], [0.5]], [[0.5], [0.5], [0.75]])


def test_gate_tie_spike_is_never_certified():
    """Expert 0 (error 100) is selected only at the single point x = 1/2: sampling misses it, route
    splitting must contract to [1/2, 1/2] and keep it."""
    net = _three_way_tie_net()
    built = Built(net, (sp.Integer(0),), (X0,), (0.0,), (1.0,))
    cert = certified_sup_error(built, bound=1.0, max_boxes=256, time_budget=10, n_samples=256)
    assert cert.status is not Status.PROVED
    assert cert.upper >= 100.0
    if cert.status is Status.REFUTED:
        assert replay_error(built, cert.witness)[0] > 1


def test_top2_equal_scores_select_the_two_lowest_indices():
    gate = LinearGate(np.array([[1.0], [1.0], [1.0]]), None, k=2)
    b = NetBuilder(1)
    net = b.build(b.moe(b.input, gate, _experts([1.0, 2.0, 1000.0])))
    for method in METHODS:
        nb = bound_net(net, [[-1.0]], [[1.0]], method=method)
        # the selected pair {0, 1} must be candidates (expert 2 may stay one: an exact tie within the
        # underflow allowance is not resolved, which is only conservative)
        assert nb.candidates[net.moe_nodes()[0]][0].tolist()[:2] == [True, True]
        # the softmax mixture is 1.5 (equal scores): inside the hull [1, 2]
        assert float(nb.lower[0, 0]) <= 1.5 <= float(nb.upper[0, 0])


def test_tree_face_goes_to_the_upper_child_even_through_an_intermediate_node():
    # z = relu(x) - 1/2 on x in [0, 1]; the tree splits z at 0: x = 1/2 (z = 0) goes to the upper leaf
    b = NetBuilder(1)
    z = b.affine(b.relu(b.affine(b.input, [[1.0]], [0.0])), [[1.0]], [-0.5])
    r = TreeRouter(1, 1, (np.array([[0.0]]),))
    ex = StackedExperts(
        (np.array([[[1.0]], [[-1e6]]]), np.array([[[1.0]], [[1.0]]])),
        (np.array([[0.0], [0.0]]), np.array([[0.0], [7.0]])),
    )
    net = b.build(b.moe(z, r, ex))
    assert exact_path(net, [Fraction(1, 2)]) == (1,)
    nb = _contains(net, [[0.5], [0.25], [0.5]], [[0.5], [0.5], [0.75]])
    assert bool(nb.candidates[net.moe_nodes()[0]][0, 1])


def test_stacked_moe_inner_router_reads_an_intermediate_node():
    rng = np.random.default_rng(3)
    b = NetBuilder(2)
    h = b.relu(b.affine(b.input, rng.normal(0, 1, (3, 2)), [0.0, 0.1, -0.1]))
    e1 = StackedExperts(
        (rng.normal(0, 1, (3, 4, 3)), rng.normal(0, 1, (3, 2, 4))),
        (rng.normal(0, 0.3, (3, 4)), rng.normal(0, 0.3, (3, 2))),
    )
    m1 = b.moe(h, LinearGate(rng.normal(0, 1, (3, 3))), e1)
    e2 = StackedExperts(
        (rng.normal(0, 1, (4, 3, 2)), rng.normal(0, 1, (4, 1, 3))),
        (rng.normal(0, 0.3, (4, 3)), rng.normal(0, 0.3, (4, 1))),
        slope=0.1,
    )
    m2 = b.moe(m1, dyadic_tree_router(2, 1, lo=-2.0, hi=2.0), e2)
    net = b.build(b.concat([m2, b.slice(h, 0, 1)]))
    lo = np.array([[-1.0, -1.0], [0.0, 0.0], [0.3, -0.2], [-0.5, 0.5]])
    hi = lo + np.array([[2.0, 2.0], [0.0, 0.0], [0.01, 0.01], [1e-9, 0.0]])
    _contains(net, lo, hi, k=24, seed=1)


# --------------------------------------------------------------------- 2. certifier end to end


def _hat(b, src, centre, width, height):
    """height * hat of half-width ``width`` at ``centre`` (ReLU), as an affine node of b."""
    h = b.relu(b.affine(src, [[1.0], [1.0], [1.0]], [-(centre - width), -centre, -(centre + width)]))
    return b.affine(h, [[height / width, -2 * height / width, height / width]], [0.0])


def test_narrow_spike_missed_by_sampling_is_never_certified():
    b = NetBuilder(1)
    net = b.build(_hat(b, b.input, 0.7071067811865476, 1e-6, 0.5))
    built = Built(net, (sp.Integer(0),), (X0,), (0.0,), (1.0,))
    small = certified_sup_error(built, bound=0.4, max_boxes=32, time_budget=5, n_samples=64)
    assert small.status is Status.UNKNOWN and small.upper > 0.4
    full = certified_sup_error(built, bound=0.4, max_boxes=1 << 12, time_budget=20, n_samples=64)
    assert full.status is not Status.PROVED


def test_chart_circle_with_a_planted_spike_is_never_certified():
    # the net is x -> 3 relu(1 - 1e4 |x - p|_1)-ish spike near p = (cos 1, sin 1); target 0 on the circle
    px, py = float(np.cos(1.0)), float(np.sin(1.0))
    b = NetBuilder(2)
    u = b.relu(b.affine(b.input, [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], [-px, px, -py, py]))
    l1 = b.affine(u, [[1e4, 1e4, 1e4, 1e4]], [-1.0])  # 1e4 |x - p|_1 - 1
    net = b.build(b.affine(b.relu(b.affine(l1, [[-1.0]], [0.0])), [[3.0]], [0.0]))
    built = Built(net, (sp.Integer(0),), (T,), (0.0,), (float(np.pi / 2),), chart=(sp.cos(T), sp.sin(T)))
    cert = certified_sup_error(built, bound=1.0, max_boxes=1 << 11, time_budget=15, n_samples=64)
    assert cert.status is not Status.PROVED
    assert cert.upper >= 2.9  # the spike reaches 3 - 3e4 * 2^-53-ish at theta = 1


# --------------------------------------------------------------------- 3. target-side enclosures


@pytest.mark.parametrize(
    "expr, lo, hi",
    [
        (1 / (X0 - sp.Rational(10000001, 10000000)), 0.0, 1.0),
        (sp.sqrt(X0), 0.0, 1e-300),
        (sp.log(X0), 5e-324, 1e-300),
        (sp.tan(X0), 1.5707963, 1.5707963267948966),
        (sp.sin(X0), 1e15, 1e15 + 8.0),
        (sp.cos(1e22 * X0), 0.999, 1.0),
        (sp.Abs(X0 - sp.Rational(1, 3)) - sp.Rational(1, 3), 0.0, 1.0),
    ],
)
def test_target_enclosures_contain_exact_values_near_singularities(expr, lo, hi):
    t = compile_target([expr], [X0])
    edges = np.linspace(lo, hi, 9)
    blo, bhi = edges[:-1, None], edges[1:, None]
    f_lo, f_hi = t.interval(blo, bhi)
    checked = 0
    for i in range(8):
        for x in (blo[i, 0], bhi[i, 0], 0.5 * blo[i, 0] + 0.5 * bhi[i, 0]):
            try:
                vlo, vhi = exact_value(expr, [X0], [Fraction(float(x))])
            except (InvalidInput, ArithmeticError, ValueError):
                continue  # not real at this point (log 0 ...)
            checked += 1
            assert f_lo[i, 0] == -np.inf or Fraction(float(f_lo[i, 0])) <= _mp_fr(vlo)
            assert f_hi[i, 0] == np.inf or _mp_fr(vhi) <= Fraction(float(f_hi[i, 0]))
    assert checked >= 12  # most points are real: the test is never vacuous


def _mp_fr(v):
    from proofs.formula import mpf_to_fraction

    return mpf_to_fraction(v)


@pytest.mark.parametrize(
    "expr, lo, hi, bound",
    [
        (1 / (X0 - sp.Rational(10000001, 10000000)), 0.0, 1.0, 9e6),  # sup = 1e7 at x = 1
        (sp.log(X0), 1e-300, 1.0, 600.0),  # sup = 690.8 at the left end
        (sp.tan(X0), 0.0, 1.5707963, 1e7),  # sup ~ 3.7e7 at the right end
    ],
)
def test_singular_targets_against_the_zero_net_are_never_certified(expr, lo, hi, bound):
    b = NetBuilder(1)
    net = b.build(b.affine(b.input, [[0.0]], [0.0]))
    built = Built(net, (expr,), (X0,), (lo,), (hi,))
    cert = certified_sup_error(built, bound=bound, max_boxes=256, time_budget=5, n_samples=64)
    assert cert.status is not Status.PROVED


# --------------------------------------------------------------------- 4. exact tier and replay


def test_float_coefficients_are_read_exactly_by_the_exact_tier():
    """BROKE (semantics): Poly(domain=QQ) read Float(0.1) as 1/10, the enclosures as the binary 0.1."""
    b = NetBuilder(1)
    net = b.build(b.affine(b.input, [[0.0]], [0.0]))
    built = Built(net, (sp.Float(0.1) * X0**2,), (X0,), (0.0,), (1.0,))
    (p,) = rational_polynomial_targets(built)
    assert p.all_coeffs()[0] == sp.Rational(0.1) != sp.Rational(1, 10)


def test_negative_target_values_replay_with_their_sign():
    """BROKE: mpf_to_fraction read mpmath's unsigned mantissa, so f = -x/3 replayed as +x/3; with the
    net -fl(1/3) x - fl(1/3) (true sup error fl(1/3) <= 1/3 at x = 0) the certifier 'refuted' the true
    bound 1/3 with a witness error 0.677 (a false FAIL through the check)."""
    import mpmath

    from proofs.formula import mpf_to_fraction

    assert mpf_to_fraction(mpmath.mpf("-0.125")) == Fraction(-1, 8)
    b = NetBuilder(1)
    net = b.build(b.affine(b.input, [[-1 / 3]], [-1 / 3]))
    built = Built(net, (-X0 / 3,), (X0,), (0.0,), (1.0,))
    lo, hi, _ = replay_error(built, [Fraction(1)])
    exact = abs(Fraction(-1, 3) - evaluate_exact(net, [Fraction(1)])[0])
    assert lo <= exact <= hi and hi - lo < Fraction(1, 10**50)
    cert = certified_sup_error(built, bound=1 / 3, max_boxes=256, time_budget=5)
    assert cert.status is not Status.REFUTED and cert.lower <= float(Fraction(1 / 3))


def test_irrational_maximiser_polynomial_exact_tier():
    # |x^3 - x| on [0, 1] peaks at x = 1/sqrt(3) with value 2 / (3 sqrt 3), irrational
    b = NetBuilder(1)
    net = b.build(b.affine(b.input, [[0.0]], [0.0]))
    built = Built(net, (X0**3 - X0,), (X0,), (0.0,), (1.0,))
    exact = 2 / (3 * sp.sqrt(3))
    down = float(exact)
    down = down if sp.Rational(down) < exact else float(np.nextafter(down, -np.inf))
    up = float(np.nextafter(down, np.inf))
    assert sp.Rational(up) > exact
    below = certified_sup_error(built, bound=down, max_boxes=512, time_budget=10, n_samples=256)
    assert below.status is not Status.PROVED
    above = certified_sup_error(built, bound=up, max_boxes=1 << 12, time_budget=20, n_samples=256)
    assert above.status in (Status.PROVED, Status.UNKNOWN) and above.upper >= float(exact) * (1 - 1e-15)


class _Ctx(SimpleNamespace):
    def time_left(self):
        return 60.0


def _run_check(monkeypatch, cert, bound):
    from checkers.checks import sup_norm
    from proofs import Claim

    monkeypatch.setattr(sup_norm, "_certify_sup", lambda *a, **k: cert)
    monkeypatch.setattr(sup_norm, "_built", lambda a, i: None)
    claim = Claim(name="c", check="certified_sup_error", statement="s", args={"construction": "x:y", "bound": bound})
    return sup_norm.certified_sup_error(claim, {}, _Ctx(profile="quick", device="cpu", seed=0)).verdict.value


def _cert(status, upper, lower=0.0, witness_error=None):
    return SimpleNamespace(
        status=status,
        upper=upper,
        lower=lower,
        worst_box=((0.0, 1.0),),
        lower_point=(0.5,),
        witness=(Fraction(1, 2),) if witness_error else None,
        witness_error=witness_error,
        replay="r",
        shrunk_from="s",
        method="m",
        message="msg",
        n_boxes=1,
        boxes_single_route=1,
        boxes_several_routes=0,
        seconds=0.0,
        semantics="real arithmetic",
        rounding_allowance=0.0,
        float64_upper=upper,
    )


def test_verdict_plumbing(monkeypatch):
    third = sp.Rational(1, 3)  # not a float: bound_down < 1/3 < bound_up
    # unknown status never certifies, even with a small upper bound
    assert _run_check(monkeypatch, _cert(Status.UNKNOWN, 0.1), third) == "UNKNOWN"
    # a PROVED status whose upper exceeds the rounded-down bound does not certify
    assert _run_check(monkeypatch, _cert(Status.PROVED, 1 / 3 + 1e-16), third) == "UNKNOWN"
    assert _run_check(monkeypatch, _cert(Status.PROVED, 0.3), third) == "CERTIFIED"
    # a witness at exactly 1/3 exceeds bound_down but not bound_up: UNKNOWN, never FAIL
    assert _run_check(monkeypatch, _cert(Status.REFUTED, 1.0, witness_error=(third, third)), third) == "UNKNOWN"
    assert (
        _run_check(monkeypatch, _cert(Status.REFUTED, 1.0, witness_error=(Fraction(1, 2), Fraction(1, 2))), third)
        == "FAIL"
    )


def test_attained_non_float_bound_is_unknown_through_the_check(monkeypatch):
    # |x/3 - 0| on [0, 1] is 1/3 exactly at x = 1: neither CERTIFIED (upper >= 1/3 > bound_down) nor FAIL
    b = NetBuilder(1)
    net = b.build(b.affine(b.input, [[0.0]], [0.0]))
    built = Built(net, (X0 / 3,), (X0,), (0.0,), (1.0,))
    assert sp.Rational(1 / 3) < sp.Rational(1, 3)  # float(1/3) is the bound rounded down
    cert = certified_sup_error(built, bound=1 / 3, max_boxes=256, time_budget=5)
    assert cert.status is not Status.PROVED
    from checkers.checks import sup_norm
    from proofs import Claim

    monkeypatch.setattr(sup_norm, "_built", lambda a, i: built)
    claim = Claim(
        name="c",
        check="certified_sup_error",
        statement="s",
        args={"construction": "x:y", "bound": sp.Rational(1, 3), "time_budget": 5, "max_boxes": 256},
    )
    out = sup_norm.certified_sup_error(claim, {}, _Ctx(profile="quick", device="cpu", seed=0))
    assert out.verdict.value == "UNKNOWN"


def test_inconsistent_lower_above_upper_never_certifies(monkeypatch):
    """Defence in depth: a (buggy) upper bound below the exact replayed lower bound is not certified."""
    from checkers.certify import SupErrorProblem

    b = NetBuilder(1)
    net = b.build(b.affine(b.input, [[0.0]], [5.0]))
    built = Built(net, (sp.Integer(0),), (X0,), (0.0,), (1.0,))
    monkeypatch.setattr(SupErrorProblem, "_error_upper", lambda self, nb, lo, hi: np.zeros(lo.shape[0]))
    cert = certified_sup_error(built, bound=10.0, max_boxes=16, time_budget=5, n_samples=16)
    assert cert.lower == 5.0 and cert.status is not Status.PROVED


def test_route_split_item_without_listed_candidates_keeps_its_bound():
    """BROKE (latent): an ambiguous item whose candidates are 'everything' (no listed pairs, e.g. widened
    after an upstream node went unbounded) got no children and vanished, leaving its box at -inf."""
    from checkers.certify import SupErrorProblem as _Problem

    net = _three_way_tie_net()
    built = Built(net, (sp.Integer(0),), (X0,), (0.0,), (1.0,))
    prob = _Problem(built, "crown", "cpu", 16)
    node = net.moe_nodes()[0]
    empty = np.zeros(0, dtype=np.int64)
    pairs = {node: (empty, empty, np.array([3]))}  # 3 candidates, none listed
    out = prob._split_by_route(np.array([[0.25]]), np.array([[0.75]]), np.array([True]), pairs)
    assert out[0] >= 100.0


def test_prelu_coefficient_rounding_is_within_its_charge():
    """The PReLU backward coefficient lam sl + lam^+ (su - sl) takes up to four roundings. Without FMA
    (numpy: one rounding per operation) an input found by search errs by 2.49 u |lam| su, above the
    former charge 2u (_U2); torch on this CPU reached 1.94 u. The charge is now 4u."""
    import torch

    a, s, lam = 0.0025899661914464975, 0.2767804448463047, 1.8794890044471138
    u, exact = Fraction(1, 2**53), Fraction(lam) * Fraction(s)
    no_fma = np.float64(lam) * np.float64(a) + np.float64(lam) * (np.float64(s) - np.float64(a))
    assert 2 * u * exact < abs(Fraction(float(no_fma)) - exact) <= 4 * u * exact
    lam_t = torch.tensor([[[lam]]], dtype=torch.float64)
    sl, su = torch.tensor([[a]], dtype=torch.float64), torch.tensor([[s]], dtype=torch.float64)
    new = lam_t * sl.unsqueeze(1)
    new.addcmul_(lam_t.clamp(min=0), (su - sl).unsqueeze(1))  # as in StepGraph.linear_upper
    assert abs(Fraction(float(new)) - exact) <= 4 * u * exact


def test_target_not_real_on_a_sliver_is_an_input_error_not_a_certificate():
    """Regression (review caveat): sqrt(x - 1e-9) on [0, 1] is not real near 0; never CERTIFIED."""
    import sympy as sp

    from checkers.certify import certified_sup_error
    from constructions.interpolation import pl_interpolant

    x = sp.Symbol("x0", real=True)
    built = pl_interpolant(sp.sqrt(x + 1), 4)
    bad = dataclasses.replace(built, target=(sp.sqrt(x - sp.Rational(1, 10**9)),))
    with pytest.raises(InvalidInput, match="not real"):
        certified_sup_error(bad, bound=1.0)
    assert certified_sup_error(built, bound=1.0).status is Status.PROVED
