"""Adversarial soundness review (helper ``review``, issue 11): cases that broke landed mechanisms, each
with its truth computed independently (exact ``Fraction`` arithmetic) and the verdict moecheck must give.
A true claim must never FAIL; a false claim must never be CERTIFIED."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from checkers.checks import CheckContext, get_check
from proofs import Claim


def _run(check, args, instance=None):
    claim = Claim(name="adversarial", check=check, statement="adversarial", args=args)
    return get_check(check)(claim, instance or {}, CheckContext(timeout=60))


# ------------------------------------------------------------ integer induction from a non-integer bound
def _false_at_one(n: int) -> bool:  # 3/2 <= 4 (n - 1)^2 + 1, exactly: false at n = 1 only
    return not Fraction(3, 2) <= 4 * (n - 1) ** 2 + 1


@pytest.mark.parametrize("integers", [(), ("n",)])
def test_ratio_induction_never_starts_between_integers(integers):
    # the induction ran n = 1/2, 3/2, ... and so never reached the integers: a false claim was CERTIFIED
    assert [n for n in range(1, 11) if _false_at_one(n)] == [1]
    n = sp.Symbol("n")
    out = _run(
        "integer_relation_by_ratio",
        {
            "lhs": sp.Rational(3, 2),
            "rhs": 4 * (n - 1) ** 2 + 1,
            "var": "n",
            "ranges": {"n": (sp.Rational(1, 2), 10)},
            "integers": integers,
        },
    )
    assert out.verdict.name == "FAIL"
    assert "n=1" in out.why


def test_ratio_induction_with_a_non_integer_symbolic_start_is_not_certified():
    n, m = sp.Symbol("n"), sp.Symbol("m")
    out = _run(
        "integer_relation_by_ratio",
        {
            "lhs": sp.Rational(3, 2),
            "rhs": 4 * (n - 1) ** 2 + 1,
            "var": "n",
            "ranges": {"m": (1, 2), "n": (m - sp.Rational(1, 2), 10)},
            "integers": ("n", "m"),
        },
    )
    assert out.verdict.name != "CERTIFIED"


def test_ratio_induction_base_case_failure_is_a_fail_with_its_point():
    # n^2 <= 2^n is false at n = 3 (9 > 8): formerly an exception (the refuting point lacked n)
    assert not 3**2 <= 2**3
    n = sp.Symbol("n")
    out = _run(
        "integer_relation_by_ratio",
        {"lhs": n**2, "rhs": 2**n, "var": "n", "ranges": {"n": (3, "oo")}, "integers": ("n",)},
    )
    assert out.verdict.name == "FAIL"
    assert "n=3" in out.why


def test_ratio_induction_true_claim_still_certified():
    assert all(k**2 <= 2**k for k in range(4, 200))
    n = sp.Symbol("n")
    out = _run(
        "integer_relation_by_ratio",
        {"lhs": n**2, "rhs": 2**n, "var": "n", "ranges": {"n": (4, "oo")}, "integers": ("n",)},
    )
    assert out.verdict.name == "CERTIFIED"


# ------------------------------------------------------------ limits whose value depends on a parameter
A, X_ = sp.Symbol("a"), sp.Symbol("x")


@pytest.mark.parametrize(
    "expr, ranges",
    [
        (A * X_, {}),  # sympy: oo*sign(a), infinite for every a != 0
        (A * X_, {"a": (-1, 1)}),
        (A * sp.log(X_), {"a": (-1, 1)}),
        (X_ / (A * X_ + 1), {"a": (0, 1)}),  # sympy: 1/a, but the limit is oo at a = 0
    ],
)
def test_parametric_limit_infinite_somewhere_is_never_certified_finite(expr, ranges):
    out = _run("symbolic_limit", {"expr": expr, "var": "x", "expected": "finite", "ranges": ranges})
    assert out.verdict.name != "CERTIFIED"


def test_parametric_limit_value_undefined_at_a_range_point_is_not_certified():
    # lim x/(a x + 1) = 1/a only for a > 0; at a = 0 the limit is oo
    out = _run("symbolic_limit", {"expr": X_ / (A * X_ + 1), "var": "x", "expected": 1 / A, "ranges": {"a": (0, 1)}})
    assert out.verdict.name != "CERTIFIED"


@pytest.mark.parametrize("expected, verdict", [("finite", "CERTIFIED"), (1 / A, "CERTIFIED"), ("infinite", "FAIL")])
def test_parametric_limit_finite_on_the_whole_range_is_decided(expected, verdict):
    out = _run("symbolic_limit", {"expr": X_ / (A * X_ + 1), "var": "x", "expected": expected, "ranges": {"a": (1, 2)}})
    assert out.verdict.name == verdict


def test_non_real_limit_is_not_a_fail():
    # (x^3)^(1/3)/x -> -(-1)^(1/3) on sympy's principal branch as x -> -oo; the real cube root gives 1
    out = _run(
        "symbolic_limit", {"expr": (X_**3) ** sp.Rational(1, 3) / X_, "var": "x", "point": -sp.oo, "expected": 1}
    )
    assert out.verdict.name == "UNKNOWN"


# ------------------------------------------------------------ chain links: F continuous by a whitelist
U = sp.Symbol("u")


@pytest.mark.parametrize(
    "template, a, b, prev, cur",
    [
        (sp.Piecewise((1, U < 2), (0, True)), 1, 3, 1, 0),  # dF/du = 0 off u = 2, F drops by 1 there
        (sp.Mod(U, 1), sp.Rational(3, 2), 2, sp.Rational(1, 2), 0),
        (sp.floor(-U), 0, sp.Rational(1, 2), 0, -1),
    ],
)
def test_monotone_link_through_a_discontinuous_template_is_not_certified(template, a, b, prev, cur):
    assert prev > cur  # the claimed prev <= cur is false
    steps = (
        {"expr": sp.sympify(prev)},
        {"rel": "<=", "expr": sp.sympify(cur), "by": "monotone", "u": "u", "template": template, "a": a, "b": b},
    )
    assert _run("symbolic_chain", {"steps": steps}).verdict.name != "CERTIFIED"


def test_monotone_link_through_max_is_still_certified():
    steps = (
        {"expr": sp.Max(1, 0)},
        {"rel": "<=", "expr": sp.Max(3, 0), "by": "monotone", "u": "u", "template": sp.Max(U, 0), "a": 1, "b": 3},
    )
    assert _run("symbolic_chain", {"steps": steps}).verdict.name == "CERTIFIED"


# ------------------------------------------------------------ derivative tier with a lower bound of -oo
@pytest.mark.parametrize("hi", ["oo", 5])
def test_derivative_tier_never_shifts_by_minus_infinity(hi):
    # 1 + x + 1e-20 <= exp(x) is false at x = 0 (exactly: exp(0) = 1 < 1 + 1e-20); it was CERTIFIED through
    # "-exp(x) >= 0 on [-oo, oo]", read off -exp(-oo + t) = 0
    x = sp.Symbol("x")
    eps = sp.Rational(1, 10**20)
    assert not sp.exp(0) >= 1 + 0 + eps
    out = _run("symbolic_relation", {"lhs": 1 + x + eps, "rhs": sp.exp(x), "ranges": {"x": ("-oo", hi)}})
    assert out.verdict.name != "CERTIFIED"


def test_derivative_tier_still_proves_from_a_finite_lower_bound():
    x = sp.Symbol("x")
    out = _run("symbolic_relation", {"lhs": 1 + x, "rhs": sp.exp(x), "ranges": {"x": (0, "oo")}})
    assert out.verdict.name == "CERTIFIED"


# ------------------------------------------------------------ argmax sides cover var > 0 only for argmax > 0
def test_argmax_outside_the_positive_axis_is_not_refuted_by_points_outside_it():
    # -(v - a)^2 decreases on every v > 0 when a < 0: the "left side" v = a e^(-w) lies in [a, 0), outside v > 0,
    # and a FAIL read off there had no witness in the claim's domain
    v, a = sp.symbols("v a")
    out = _run("symbolic_argmax", {"expr": -((v - a) ** 2), "var": "v", "argmax": a, "ranges": {"a": (-2, -1)}})
    assert out.verdict.name == "UNKNOWN"


def test_argmax_of_a_minimum_is_still_refuted():
    v, a = sp.symbols("v a")
    out = _run("symbolic_argmax", {"expr": (v - a) ** 2, "var": "v", "argmax": a, "ranges": {"a": (1, 2)}})
    assert out.verdict.name == "FAIL"
