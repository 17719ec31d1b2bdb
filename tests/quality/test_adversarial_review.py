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
    out = _run("integer_relation_by_ratio", {"lhs": sp.Rational(3, 2), "rhs": 4 * (n - 1) ** 2 + 1, "var": "n",
                                             "ranges": {"n": (sp.Rational(1, 2), 10)}, "integers": integers})
    assert out.verdict.name == "FAIL"
    assert "n=1" in out.why


def test_ratio_induction_with_a_non_integer_symbolic_start_is_not_certified():
    n, m = sp.Symbol("n"), sp.Symbol("m")
    out = _run("integer_relation_by_ratio", {"lhs": sp.Rational(3, 2), "rhs": 4 * (n - 1) ** 2 + 1, "var": "n",
                                             "ranges": {"m": (1, 2), "n": (m - sp.Rational(1, 2), 10)},
                                             "integers": ("n", "m")})
    assert out.verdict.name != "CERTIFIED"


def test_ratio_induction_base_case_failure_is_a_fail_with_its_point():
    # n^2 <= 2^n is false at n = 3 (9 > 8): formerly an exception (the refuting point lacked n)
    assert not 3**2 <= 2**3
    n = sp.Symbol("n")
    out = _run("integer_relation_by_ratio", {"lhs": n**2, "rhs": 2**n, "var": "n", "ranges": {"n": (3, "oo")},
                                             "integers": ("n",)})
    assert out.verdict.name == "FAIL"
    assert "n=3" in out.why


def test_ratio_induction_true_claim_still_certified():
    assert all(k**2 <= 2**k for k in range(4, 200))
    n = sp.Symbol("n")
    out = _run("integer_relation_by_ratio", {"lhs": n**2, "rhs": 2**n, "var": "n", "ranges": {"n": (4, "oo")},
                                             "integers": ("n",)})
    assert out.verdict.name == "CERTIFIED"
