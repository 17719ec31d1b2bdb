"""Planted false claims on the classical golden theorems are refuted, never certified.

The constant halved: sup|f_m - x^2| <= 2^(-2m-3) (the truth is 2^(-2m-2)) and, for interpolation,
sup|f - I_n f| <= h^2 max|f''| / 16. Each must FAIL with a counterexample re-evaluated exactly; the true
claims on the same instances must be CERTIFIED.
"""

import dataclasses
from fractions import Fraction

import pytest
import sympy

from checkers.checks import CheckContext, Verdict, get_check
from constructions import evaluate_exact
from constructions.yarotsky import sawtooth_square
from proofs import lookup

yarotsky = lookup("classical/yarotsky-square")
interp = lookup("classical/pl-interpolation")
m, n, M = (
    sympy.Symbol("m", integer=True, positive=True),
    sympy.Symbol("n", integer=True, positive=True),
    sympy.Symbol("M", positive=True),
)


def _run(claim, instance):
    return get_check(claim.check)(claim, instance, CheckContext(profile="quick", timeout=60))


def _with_bound(claim, bound):
    return dataclasses.replace(claim, args={**claim.args, "bound": bound})


@pytest.mark.parametrize("mm", [1, 3, 5])
def test_yarotsky_true_bound_certified(mm):
    out = _run(yarotsky.claim("sup_error_within_one_percent"), {"m": mm})
    assert out.verdict is Verdict.CERTIFIED, out.why
    exact = 2.0 ** (-2 * mm - 2)
    assert exact <= out.measured <= 1.01 * exact  # certified upper bound within 1% of the exact sup


@pytest.mark.parametrize("mm", [1, 3, 5])
def test_yarotsky_halved_constant_fails_with_exact_witness(mm):
    planted = _with_bound(yarotsky.claim("sup_error_within_one_percent"), 2 ** (-2 * m - 3))
    out = _run(planted, {"m": mm})
    assert out.verdict is Verdict.FAIL, out.why
    ev = out.evidence
    assert ev.point and ev.replay
    # replay the witness ourselves, exactly: |x^2 - f_m(x)| > 2^(-2m-3)
    x = Fraction(ev.point[0])
    err = abs(x * x - evaluate_exact(sawtooth_square(mm).net, [x])[0])
    assert err > Fraction(1, 2 ** (2 * mm + 3))


def test_interpolation_halved_constant_fails():
    claim = interp.claim("sup_error_le_h2_max_fpp_over_8")
    inst = {"f": sympy.Symbol("x0", real=True) ** 2, "n": 4, "M": 2}
    assert _run(claim, inst).verdict is Verdict.CERTIFIED
    out = _run(_with_bound(claim, M / (16 * n**2)), inst)
    assert out.verdict is Verdict.FAIL and out.evidence.point


def test_exact_midpoint_claim_refutes_wrong_value():
    claim = yarotsky.claim("error_attained_at_first_midpoint")
    planted = dataclasses.replace(claim, args={**claim.args, "expected": -(2 ** (-2 * m - 3))})
    assert _run(claim, {"m": 4}).verdict is Verdict.CERTIFIED
    out = _run(planted, {"m": 4})
    assert out.verdict is Verdict.FAIL and out.evidence.replay == "exact rational"


def test_size_claim_with_smaller_constant_fails():
    claim = yarotsky.claim("n_params_le_linear_in_m")
    planted = dataclasses.replace(claim, args={**claim.args, "formula": 11 * m})
    assert _run(claim, {"m": 8}).verdict is Verdict.CERTIFIED
    out = _run(planted, {"m": 8})  # 12*8 - 2 = 94 > 88
    assert out.verdict is Verdict.FAIL and out.measured == 94
