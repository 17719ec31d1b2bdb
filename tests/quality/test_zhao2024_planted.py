"""Planted false variants of zhao2024's claims must FAIL, with witnesses replayed exactly.

* step (4) without its 1: ln C(T,k) <= k ln(T/k) (false already at T=3, k=2: ln 3 > 2 ln 1.5);
* the growth bound with d_N replaced by d_N/4, on 70 points in R^3 where a 2-expert linear router
  realises 4832 patterns (Cover's count) > 70^1.5 * 2^3;
* Z3 with the delta-term dropped, on a case where the gap exceeds it: one expert that is never
  trained (a single fixed function: its Rademacher complexity is 0, its router has d_N = 0), so the
  dropped bound is 0 while the sampled gap is positive for some seeds. On the trained grids it cannot
  fail: the expert term alone is >= 1 there (test below shows why).
"""

import dataclasses
import math

import sympy

from checkers.checks import CheckContext, Verdict, get_check
from checkers.checks.generalization import _grid, bound_terms_for
from proofs import lookup

z3 = lookup("zhao2024/z3-textbook-bound")
k, T = sympy.Symbol("k", positive=True, integer=True), sympy.Symbol("T", positive=True, integer=True)
d_N, n = sympy.Symbol("d_N", nonnegative=True), sympy.Symbol("n", positive=True, integer=True)


def _run(claim, instance, tmp_path, seed=0):
    return get_check(claim.check)(
        claim, instance, CheckContext(profile="quick", timeout=120, out_dir=tmp_path, seed=seed)
    )


def test_log_binomial_without_the_one_fails_at_the_smallest_case(tmp_path):
    c = z3.claim("log_binomial_le_k_one_plus_log")
    planted = dataclasses.replace(c, args={**c.args, "rhs": k * sympy.log(T / k)})
    out = _run(planted, {"exhaustive": {"T": 20, "k": 20}}, tmp_path)
    assert out.verdict is Verdict.FAIL
    assert out.evidence.point == ("T=3", "k=2")  # smallest violation, found first
    assert math.log(math.comb(3, 2)) > 2 * math.log(3 / 2)
    assert float(out.evidence.replayed_value[1]) < 0


def test_growth_bound_with_quarter_natarajan_fails_where_patterns_exceed_it(tmp_path):
    c = z3.claim("routing_patterns_le_natarajan_growth")
    inst = {"T": 2, "k": 1, "n": 3, "m": 70}
    assert _run(c, inst, tmp_path).verdict is Verdict.PASS_EMPIRICAL  # the true d_N = T n
    planted = dataclasses.replace(c, args={**c.args, "natarajan": T * n / 4})
    out = _run(planted, inst, tmp_path)
    assert out.verdict is Verdict.FAIL
    assert out.measured == 4832 == 2 * sum(math.comb(69, i) for i in range(3))
    assert 4832**2 > 64 * 70**3  # exact: 4832 > 8 * 70^1.5


_FIXED_EXPERT = {"k": (1,), "T": (1,), "m": (16,), "seeds": 6, "steps": 0, "n_test": 20000}


def _single_function_args(claim, drop_delta):
    terms = {kk: v for kk, v in claim.args["bound_terms"].items() if not (drop_delta and kk == "confidence")}
    return {**claim.args, "bound_terms": terms, "expert_rademacher": sympy.Integer(0), "natarajan": sympy.Integer(0)}


def test_bound_without_delta_term_fails_on_a_single_fixed_function(tmp_path):
    c = lookup("zhao2024/thm-1").claims[0]
    honest = dataclasses.replace(c, args=_single_function_args(c, drop_delta=False))
    assert _run(honest, _FIXED_EXPERT, tmp_path).verdict in (Verdict.PASS_EMPIRICAL, Verdict.VACUOUS)
    planted = dataclasses.replace(c, args=_single_function_args(c, drop_delta=True))
    out = _run(planted, _FIXED_EXPERT, tmp_path)
    assert out.verdict is Verdict.FAIL, out.why
    assert out.bound == 0.0 and out.measured > 0  # gap of an untrained network > dropped bound 0
    assert out.evidence.replayed_value[0] == out.evidence.replayed_value[1]  # retraining replays it


def test_on_trained_grids_the_expert_term_alone_is_vacuous(tmp_path):
    """Why the delta-free variant cannot fail on the trained grids: 2R >= 1 >= any gap."""
    c = lookup("zhao2024/thm-1").claims[0]
    grid = {"k": (1, 2), "T": (4,), "m": (32,), "seeds": 1, "steps": 20, "n_test": 500}
    for r in _grid(c.args, grid, CheckContext(profile="quick", out_dir=tmp_path)):
        terms = bound_terms_for(r, c.args)
        assert terms["expert"] >= 1 >= r.gap
