"""Regression tests of issue 11: each mechanism that gave a false CERTIFIED or a false FAIL.

Every test here fails on the code before the fix (the commit that added it says which mechanism).
Truths come from mpmath at 50 digits or exact rationals, never from the code under test.
"""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from proofs import Status
from proofs.formula import affine_residual_bounds, certified_lipschitz, compile_target, input_symbols

(X0,) = input_symbols(1)


# ------------------------------------------------------------------ 1. continuity-assuming forms
@pytest.mark.parametrize("lo, hi", [(1.4, 1.8), (1.5, 1.65), (-1.7, -1.5), (4.6, 4.8)])
def test_mean_value_form_not_used_across_a_pole(lo, hi):
    # atan(tan(u)) jumps by pi at every pole of tan; sympy's derivative of it is 1
    t = compile_target([sp.atan(sp.tan(X0))], [X0])
    lower, upper = affine_residual_bounds(t, [[lo]], [[hi]], [[0.0]], [0.0])
    mpmath.mp.dps = 50
    for x in np.linspace(lo, hi, 41):
        v = float(mpmath.atan(mpmath.tan(mpmath.mpf(x))))
        assert lower[0] <= v <= upper[0], (x, v, lower[0], upper[0])


def test_mean_value_form_still_used_where_smooth():
    t = compile_target([sp.atan(sp.tan(X0))], [X0])
    lower, upper = affine_residual_bounds(t, [[0.5]], [[0.5 + 2**-10]], [[1.0]], [0.0])
    assert upper[0] - lower[0] < 1e-12  # f - x = 0 on the box: the mean-value form is tight


def test_lipschitz_not_certified_across_a_jump():
    t = compile_target([sp.atan(sp.tan(X0))], [X0])
    res = certified_lipschitz(t, [1.4], [1.8], 1.01, max_boxes=20_000, time_budget=10.0)
    assert res.status is Status.REFUTED
    (x,), (y,) = res.witness
    mpmath.mp.dps = 50
    fx, fy = (mpmath.atan(mpmath.tan(mpmath.mpf(v.numerator) / v.denominator)) for v in (x, y))
    assert abs(fx - fy) > 1.01 * abs(float(x - y))


def test_lipschitz_sign_jump_not_certified():
    t = compile_target([sp.sign(X0 - sp.Rational(1, 3))], [X0])
    res = certified_lipschitz(t, [0], [1], 100.0, max_boxes=20_000, time_budget=10.0)
    assert res.status is not Status.PROVED


def test_lipschitz_abs_kink_still_certified():
    t = compile_target([sp.Abs(X0 - sp.Rational(1, 3))], [X0])
    assert certified_lipschitz(t, [0], [1], 1.001).status is Status.PROVED


def test_taylor_form_not_used_on_a_kink():
    # Max(x, -x) = |x|: C^2 fails at 0; the Taylor form with a DiracDelta-free Hessian must not be used
    f = sp.Max(X0, -X0) + sp.Min(X0**2, sp.Rational(1, 4))
    t = compile_target([f], [X0])
    for lo, hi in [(-0.01, 0.02), (0.49, 0.51), (-0.51, -0.499)]:
        lower, upper = affine_residual_bounds(t, [[lo]], [[hi]], [[0.0]], [0.0])
        for x in np.linspace(lo, hi, 33):
            v = abs(x) + min(x * x, 0.25)
            assert lower[0] - 1e-12 <= v <= upper[0] + 1e-12


# ------------------------------------------------------------------ 2. realness under symbolic exponents
def _zero_net(n_in):
    from constructions import sequential_net

    return sequential_net([(np.zeros((1, n_in)), np.zeros(1))])


def test_symbolic_exponent_of_a_base_negative_somewhere_is_rejected():
    from checkers.certify import certified_sup_error
    from constructions import Built
    from proofs import InvalidInput
    from proofs.formula import prove_real_on_domain

    x0, x1 = input_symbols(2)
    f = (x0 - sp.Rational(1, 2)) ** x1  # not real at x0 = 1/4, x1 = 1/2
    res = prove_real_on_domain([f], [x0, x1], [0, 0], [1, 1])
    assert res.status is Status.REFUTED
    # the refuting point really is a non-real point: a negative base to a non-integer power
    base, ex = (float(e.subs(dict(zip((x0, x1), res.point)))) for e in (x0 - sp.Rational(1, 2), x1))
    assert base < 0 and ex != int(ex)
    built = Built(net=_zero_net(2), target=(f,), variables=(x0, x1), domain_lo=(0, 0), domain_hi=(1, 1))
    with pytest.raises(InvalidInput):
        certified_sup_error(built, bound=2.0, time_budget=5.0)


def test_symbolic_exponent_of_a_positive_base_is_real():
    from proofs.formula import prove_real_on_domain

    x0, x1 = input_symbols(2)
    assert prove_real_on_domain([(x0 + 1) ** x1], [x0, x1], [0, 0], [1, 1]).status is Status.PROVED


def test_negative_base_to_integer_exponents_only_is_not_refuted():
    from proofs.formula import prove_real_on_domain

    x0, x1 = input_symbols(2)
    # x1 ranges over the single integer 2: (x0 - 1/2)**2 is real; never refuted (unknown is fine)
    assert prove_real_on_domain([(x0 - sp.Rational(1, 2)) ** x1], [x0, x1], [0, 2], [1, 2]).status is not Status.REFUTED


# ------------------------------------------------------------------ 3-5. the symbolic prover
def _run(check, args, instance=None):
    from checkers.checks import CheckContext, get_check
    from proofs import Claim

    claim = Claim(name="adversarial", check=check, statement="adversarial", args=args)
    return get_check(check)(claim, instance or {}, CheckContext(timeout=60))


def _verdict(check, args):
    return _run(check, args).verdict.name


@pytest.mark.parametrize("lhs, rhs", [("log(x**2)", "2*log(x)"), ("sqrt(x**2)", "x"), ("(x**2)**(1/3)", "x**(2/3)")])
def test_identity_false_on_a_negative_range_is_not_certified(lhs, rhs):
    # true for x > 0 (what force=True assumed), false for every x in [-2, -1]
    assert (
        _verdict("symbolic_identity", {"lhs": sp.sympify(lhs), "rhs": sp.sympify(rhs), "ranges": {"x": (-2, -1)}})
        != "CERTIFIED"
    )


def test_identity_true_on_a_positive_range_is_still_certified():
    assert (
        _verdict(
            "symbolic_identity",
            {
                "lhs": sp.sympify("log(x**2*y)"),
                "rhs": sp.sympify("2*log(x) + log(y)"),
                "ranges": {"x": (1, 2), "y": ("1/2", 3)},
            },
        )
        == "CERTIFIED"
    )


def test_relation_needing_force_on_a_negative_range_is_not_certified():
    x = sp.Symbol("x")
    args = {"lhs": 2 * sp.log(x), "rhs": sp.log(x**2), "ranges": {"x": (-2, -1)}}
    assert _verdict("symbolic_relation", args) != "CERTIFIED"


def test_chain_link_false_on_a_negative_range_is_not_certified():
    x = sp.Symbol("x")
    steps = ({"expr": sp.sqrt(x**2)}, {"rel": "==", "expr": x, "by": "identity"}, {"rel": "<=", "expr": x + 1})
    assert _verdict("symbolic_chain", {"steps": steps, "ranges": {"x": (-3, -1)}}) != "CERTIFIED"


def test_integer_orthant_substitution_needs_a_positive_lower_bound():
    from proofs.prover import Domain, prove_nonneg

    n, u = sp.symbols("n u")
    # n <= u; n*(u - n) >= 0 fails for every n < 0 < u; u = n(1 + w) only covers u >= n when n >= 0
    dom = Domain.from_args({"n": (sp.Rational(-1, 10**6), "u"), "u": (sp.Rational(-1, 10**6), 10)})
    p = prove_nonneg(n * (u - n), dom)
    assert p.status is Status.REFUTED
    pt = {sp.Symbol(k): sp.Rational(v) for k, v in p.point.items()}
    assert (n * (u - n)).subs(pt) < 0 and pt[n] <= pt[u]


def test_integer_sampler_draws_nonpositive_values_on_wide_ranges():
    from proofs.prover import Domain, prove_nonneg

    n = sp.Symbol("n", integer=True)
    dom = Domain.from_args({"n": (-(10**9), 10**9)}, ["n"])
    # false only for n <= -10**8 - 1: the old log-uniform sampler drew positive integers only
    p = prove_nonneg(n + 10**8, dom, budget=0)
    assert p.status is Status.REFUTED and p.point["n"] + 10**8 < 0


def test_sampler_tries_the_exact_endpoints():
    from proofs.prover import Domain, prove_nonneg

    x = sp.Symbol("x")
    dom = Domain.from_args({"x": (0, 1)})
    # negative only on the sliver (1 - 1e-12, 1] at the upper end of the range
    p = prove_nonneg(1 - sp.Rational(1, 10**12) - x**3, dom)
    assert p.status is Status.REFUTED and p.point["x"] ** 3 > 1 - Fraction(1, 10**12)


def test_claim_substitution_that_does_not_cover_the_range_is_not_used():
    from proofs.prover import Domain, prove_nonneg

    x, w = sp.Symbol("x"), sp.Symbol("w", nonnegative=True)
    # x = 1 + w covers x >= 1 only; x*(x - 1/2) >= 0 fails on [1/4, 1/2)
    dom = Domain.from_args({"x": (sp.Rational(1, 4), 2)})
    p = prove_nonneg(x * (x - sp.Rational(1, 2)), dom, substitutions=({"x": 1 + w},), search=False, budget=50)
    assert p.status is not Status.PROVED
    args = {
        "lhs": 0,
        "rhs": x * (x - sp.Rational(1, 2)),
        "ranges": {"x": (sp.Rational(1, 4), 2)},
        "substitutions": ({"x": 1 + w},),
    }
    assert _verdict("symbolic_relation", args) == "FAIL"


def test_claim_substitution_that_covers_the_range_is_used():
    x, t = sp.Symbol("x"), sp.Symbol("t", nonnegative=True)
    args = {"lhs": 0, "rhs": x * (x - 1) + 1 - x + 1, "ranges": {"x": (1, "oo")}, "substitutions": ({"x": 1 + t},)}
    assert _verdict("symbolic_relation", args) == "CERTIFIED"


@pytest.mark.parametrize(
    "expr, point, expected, truth",
    [
        ("exp(x)", "-oo", 0, True),  # old: x positive, limit oo at -oo? a false FAIL
        ("exp(x)", "-oo", "infinite", False),
        ("sqrt(x**2)/x", "-oo", -1, True),  # |x|/x -> -1 at -oo; old (x > 0): 1
        ("sqrt(x**2)/x", "-oo", 1, False),
        ("x/Abs(x)", "0", 1, None),  # two-sided limit does not exist: never CERTIFIED
    ],
)
def test_limit_at_minus_infinity_uses_a_negative_variable(expr, point, expected, truth):
    out = _run("symbolic_limit", {"expr": sp.sympify(expr), "var": "x", "point": point, "expected": expected})
    if truth is True:
        assert out.verdict.name == "CERTIFIED"
    elif truth is False:
        assert out.verdict.name in ("FAIL", "UNKNOWN")
    else:
        assert out.verdict.name != "CERTIFIED"


def test_limit_other_symbols_are_not_made_positive():
    # exp(a*x) -> 0 as x -> oo only for a < 0; with a ranged negative it is 0, with a unranged it is undecided
    a = sp.Symbol("a")
    x = sp.Symbol("x")
    assert (
        _verdict("symbolic_limit", {"expr": sp.exp(a * x), "var": "x", "expected": 0, "ranges": {"a": (-2, -1)}})
        == "CERTIFIED"
    )
    assert _verdict("symbolic_limit", {"expr": sp.exp(a * x), "var": "x", "expected": "infinite"}) != "CERTIFIED"


# ------------------------------------------------------------------ 6. one semantics for Floats
def float_target_built(offset_ulps: int = 0):
    """target Float(0.1) (its binary value) against a network that outputs float 0.1 (+ offset ulps)."""
    import math

    from constructions import Built

    bias = 0.1
    for _ in range(offset_ulps):
        bias = math.nextafter(bias, 1.0)
    net = _zero_net(1)
    from constructions import sequential_net

    net = sequential_net([(np.zeros((1, 1)), np.array([bias]))])
    return Built(net=net, target=(sp.Float(0.1),), variables=(X0,), domain_lo=(0,), domain_hi=(1,))


def test_exact_point_error_reads_a_float_as_its_binary_value():
    args = {
        "construction": "tests.unit.test_soundness_fixes:float_target_built",
        "point": (sp.Rational(1, 2),),
        "expected": 0,
    }
    assert _run("exact_point_error", args, {"offset_ulps": 0}).verdict.name == "CERTIFIED"  # old: a false FAIL
    out = _run("exact_point_error", args, {"offset_ulps": 1})
    assert out.verdict.name == "FAIL"
    assert Fraction(out.evidence.replayed_value[0]) == Fraction(0.1) - Fraction(np.nextafter(0.1, 1.0))


def test_float_in_claim_args_is_its_binary_value():
    from proofs.prover import sympify_arg

    assert sympify_arg(0.1) == sp.Rational(3602879701896397, 36028797018963968)
    x = sp.Symbol("x")
    # 0.1 (binary) > 1/10: the relation x*0.1 <= x/10 fails for x > 0 (old: 0.1 read as 1/10, CERTIFIED)
    args = {"lhs": x * sp.Float(0.1), "rhs": x / 10, "ranges": {"x": (1, 2)}}
    assert _verdict("symbolic_relation", args) == "FAIL"


# ------------------------------------------------------------------ 7. routing decided per box; path counts
def _warmup(E=3):
    from constructions import LinearGate, NetBuilder, StackedExperts

    i = np.arange(1, E + 1, dtype=float)
    b = NetBuilder(1)
    ex = StackedExperts((np.ones((E, 1, 1)),), (np.zeros((E, 1)),))
    return b.build(b.moe(b.input, LinearGate(i.reshape(E, 1), -(i * (i - 1) / 2)), ex))


class _AlmostRight:
    """ceil(x) - 1, except expert 2 on the thin interval (1.3, 1.3001): wrong there (the net routes 1)."""

    def __call__(self, p):
        return (2,) if 1.3 < p[0] < 1.3001 else (int(math.ceil(p[0])) - 1,)

    def on_box(self, lo, hi):
        if hi[0] <= 1.3 or lo[0] >= 1.3001:
            j = math.floor(lo[0])
            return (j,) if hi[0] <= j + 1 else None
        return (2,) if lo[0] >= 1.3 and hi[0] <= 1.3001 else None


import math  # noqa: E402


def test_routing_map_wrong_on_a_thin_interval_is_refuted_not_certified():
    from checkers.certify import certified_routing, exact_path

    net = _warmup(3)
    point_only = certified_routing(net, [0.0], [3.0], lambda p: _AlmostRight()(p))
    assert point_only.status is not Status.PROVED  # old: CERTIFIED (compared at sample points only)
    boxed = certified_routing(net, [0.0], [3.0], _AlmostRight())
    assert boxed.status is Status.REFUTED
    (w,) = boxed.witness
    assert Fraction(13, 10) < w < Fraction(13001, 10000) and exact_path(net, [w]) == (1,)


def tie_route_built():
    """Two gates on x in [-1, 1]: (0, 1) for x > 0, (1, 0) for x < 0 and (0, 0) at the tie x = 0 only."""
    from constructions import Built, LinearGate, NetBuilder, StackedExperts

    b = NetBuilder(1)
    ex = StackedExperts((np.ones((2, 1, 1)),), (np.array([[0.0], [1.0]]),))
    m1 = b.moe(b.input, LinearGate([[1.0], [-1.0]]), ex)
    m2 = b.moe(b.input, LinearGate([[-1.0], [1.0]]), ex)
    net = b.build(b.concat([m1, m2]))
    return Built(net=net, target=(X0, X0), variables=(X0,), domain_lo=(-1,), domain_hi=(1,))


@pytest.mark.parametrize(
    "want, rel, verdict", [(3, "ge", "CERTIFIED"), (3, "eq", "CERTIFIED"), (2, "eq", "FAIL"), (4, "ge", "FAIL")]
)
def test_path_count_includes_routes_taken_only_at_ties(want, rel, verdict):
    from checkers.certify import exact_path

    assert exact_path(tie_route_built().net, [Fraction(0)]) == (0, 0)  # the forward's tie-breaking
    args = {"construction": "tests.unit.test_soundness_fixes:tie_route_built", "n_paths": want, "paths_relation": rel}
    assert _run("certified_routing", args).verdict.name == verdict


# ------------------------------------------------------------------ 8. real arithmetic versus float64 as executed
def huge_gate_built():
    """Two gate scores 1e16 x + 0.5 and 1e16 x + 1: expert 1 (output x) always wins in real arithmetic, but
    the float64 scores often tie, and the tie goes to expert 0 (output 100)."""
    from constructions import Built, LinearGate, NetBuilder, StackedExperts

    b = NetBuilder(1)
    ex = StackedExperts((np.array([[[0.0]], [[1.0]]]),), (np.array([[100.0], [0.0]]),))
    net = b.build(b.moe(b.input, LinearGate(np.array([[1e16], [1e16]]), np.array([0.5, 1.0])), ex))
    return Built(net=net, target=(X0,), variables=(X0,), domain_lo=(0.5,), domain_hi=(1.0,))


def test_huge_gate_weights_are_not_certified_for_the_float64_export():
    import torch

    from checkers.certify import certified_sup_error
    from constructions import compile_net, evaluate_exact

    built = huge_gate_built()
    pts = np.linspace(0.5, 1.0, 401)
    y = compile_net(built.net)(torch.tensor(pts[:, None])).numpy()[:, 0]
    assert np.abs(y - pts).max() > 50  # the float64 export is off by ~100 ...
    assert all(evaluate_exact(built.net, [Fraction(p)])[0] == Fraction(p) for p in pts[::40])  # ... the real net is not
    cert = certified_sup_error(built, bound=1e-9, time_budget=5.0, max_boxes=4096)
    assert cert.status is not Status.PROVED or "real arithmetic only" in cert.semantics
    assert cert.float64_upper >= np.abs(y - pts).max()


def test_certified_sup_error_names_its_semantics_and_allowance():
    out = _run(
        "certified_sup_error",
        {"construction": "constructions.yarotsky:sawtooth_square", "bound": sp.Rational(1, 2**7)},
        {"m": 3},
    )
    assert out.verdict.name == "CERTIFIED"
    assert "semantics: real arithmetic <=" in out.why and "float64 as executed <=" in out.why
    assert "rounding allowance" in out.why and out.evidence.extra["float64_covered"] is True


def test_every_certified_outcome_names_its_semantics():
    from checkers.checks import Outcome, Verdict

    assert "semantics: real arithmetic" in Outcome(Verdict.CERTIFIED, why="proved").why
    assert "semantics" not in Outcome(Verdict.UNKNOWN, why="undecided").why


@pytest.mark.parametrize("seed", range(6))
def test_float64_allowance_bounds_the_float_forward(seed):
    import torch

    from checkers.certify import float64_allowance
    from constructions import compile_net, evaluate_exact, random_relu_net

    rng = np.random.default_rng(seed)
    net = random_relu_net((2, 16, 16, 1), seed=seed, scale=float(rng.choice([1.0, 30.0, 1e4])))
    allowance = float64_allowance(net, [-1.0, -1.0], [1.0, 1.0])
    pts = rng.uniform(-1, 1, (64, 2))
    y = compile_net(net)(torch.tensor(pts)).numpy()[:, 0]
    worst = max(
        abs(Fraction(float(v)) - evaluate_exact(net, [Fraction(a), Fraction(b)])[0]) for v, (a, b) in zip(y, pts)
    )
    assert worst <= Fraction(allowance.total)


def test_gate_margin_makes_the_float_route_a_candidate():
    import torch

    from checkers.certify import bound_net

    net = huge_gate_built().net
    plain = bound_net(net, [[0.75]], [[0.75 + 2**-40]])
    wide = bound_net(net, [[0.75]], [[0.75 + 2**-40]], route_margins={net.moe_nodes()[0]: 1.5})
    node = net.moe_nodes()[0]
    assert plain.candidates[node].numpy().tolist() == [[False, True]]
    assert wide.candidates[node].numpy().tolist() == [[True, True]]
    assert float(wide.upper[0, 0]) >= 100 > float(plain.upper[0, 0])
    del torch


# ------------------------------------------------------------------ chain links through a monotone template
@pytest.mark.parametrize(
    "template, a, b",
    [
        ("u**2", -2, 1),  # F nondecreasing on u >= 0 only; F(-2) = 4 > F(1) = 1
        ("-Heaviside(u)", 0, 1),  # dF/du = -DiracDelta(u) is 0 for u > 0, but F jumps at 0: F(0) = -1/2 > -1
    ],
)
def test_monotone_link_needs_a_nonnegative_and_continuity(template, a, b):
    u = sp.Symbol("u")
    F = sp.sympify(template, locals={"u": u})
    steps = (
        {"expr": F.subs(u, a)},
        {
            "rel": "<=",
            "expr": F.subs(u, b),
            "by": "monotone",
            "u": "u",
            "template": F,
            "a": sp.Integer(a),
            "b": sp.Integer(b),
        },
    )
    assert _verdict("symbolic_chain", {"steps": steps}) != "CERTIFIED"
