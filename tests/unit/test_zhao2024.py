"""zhao2024: statements, the generic symbolic checks, routing growth, trained sparse MoEs, `bound smoe`."""

import dataclasses
import json
import math
import random
import re
from fractions import Fraction

import jsonschema
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import proofs.zhao2024 as Z
from checkers.checks import CheckContext, Verdict, get_check, registered_checks
from checkers.checks.growth import count_linear_patterns, cover_count, general_position_points, gordan_alternative
from checkers.checks.rademacher import exact_rademacher
from checkers.cli import build_parser
from checkers.report import SCHEMA_PATH
from proofs import Claim, InvalidInput, Status, Theorem, lookup
from proofs.prover import Domain, prove_nonneg, replay

k, T, x = (
    sympy.Symbol("k", positive=True, integer=True),
    sympy.Symbol("T", positive=True, integer=True),
    sympy.Symbol("x"),
)


def _run(claim, instance=None, tmp_path=None, **kw):
    ctx = CheckContext(profile="quick", timeout=120, **({"out_dir": tmp_path} if tmp_path else {}), **kw)
    return get_check(claim.check)(claim, instance or {}, ctx)


# ----------------------------------------------------------------------------------- statements
def test_main_statements_block_lists_exactly_the_registered_theorems():
    block = Z.__doc__.split("Main statements\n---------------")[1].split("Implementation notes\n")[0]
    listed = set(re.findall(r"^\* ``([a-z0-9_]+)``", block, re.M))
    declared = {v.name for v in vars(Z).values() if isinstance(v, Theorem)}
    assert listed == declared and len(declared) == 6


def test_every_claim_names_a_registered_check():
    checks = set(registered_checks())
    for t in (v for v in vars(Z).values() if isinstance(v, Theorem)):
        assert lookup(t.id) is t
        for c in t.claims:
            assert c.check in checks, (t.id, c.name, c.check)


def test_ours_is_said_where_tagged_ours():
    z3 = lookup("zhao2024/z3-textbook-bound")
    assert "construction: ours" in z3.provenance_line and z3.statement_provenance.value == "ours"
    assert "construction: ours" in lookup("zhao2024/thm-1").provenance_line
    z2 = lookup("zhao2024/z2-sparsity-term")
    assert "Reading (a)" in z2.statement and "Reading (b)" in z2.statement  # `show` prints both readings
    assert {c.name for c in z2.claims if c.finding} >= {"reading_b_not_monotone_in_k", "reading_b_peaks_at_t_over_e"}


# ------------------------------------------------------------------------------- symbolic checks
def test_reading_a_certified_nondecreasing():
    out = _run(lookup("zhao2024/z2-sparsity-term").claim("reading_a_nondecreasing_in_k"))
    assert out.verdict is Verdict.CERTIFIED and "sympy" in out.method


def test_reading_b_finding_has_the_minimal_exact_pair():
    out = _run(lookup("zhao2024/z2-sparsity-term").claim("reading_b_not_monotone_in_k"))
    assert out.verdict is Verdict.CERTIFIED
    assert out.evidence.point == ("T=2", "k=1", "k'=2")  # 1 + ln 2 > sqrt(2)
    assert float(out.evidence.replayed_value[1]) < 0
    assert 1 + math.log(2) > math.sqrt(2)


def test_reading_b_peak_and_limits():
    z2 = lookup("zhao2024/z2-sparsity-term")
    for name in (
        "reading_b_peaks_at_t_over_e",
        "reading_a_grows_like_sqrt_log_t",
        "reading_b_grows_like_log_t",
        "reading_a_order_sqrt_k_log_t_over_k",
        "reading_b_order_exceeds_sqrt_k_log_t_over_k",
    ):
        assert _run(z2.claim(name)).verdict is Verdict.CERTIFIED, name


def test_wrong_argmax_and_wrong_limit_are_refuted():
    c = lookup("zhao2024/z2-sparsity-term").claim("reading_b_peaks_at_t_over_e")
    assert _run(dataclasses.replace(c, args={**c.args, "argmax": T / 2})).verdict is Verdict.FAIL
    c = lookup("zhao2024/z2-sparsity-term").claim("reading_a_order_sqrt_k_log_t_over_k")
    assert _run(dataclasses.replace(c, args={**c.args, "expected": 2})).verdict is Verdict.FAIL


def test_log_binomial_step_proved_by_induction():
    c = lookup("zhao2024/z3-textbook-bound").claim("log_binomial_le_k_one_plus_log")
    out = _run(c, {"exhaustive": {"T": 12, "k": 12}})
    assert out.verdict is Verdict.CERTIFIED and "induction on k" in out.method


def test_steps_combine_to_the_displayed_bound():
    out = _run(lookup("zhao2024/z3-textbook-bound").claim("steps_combine_to_bound"))
    assert out.verdict is Verdict.CERTIFIED, out.method


def test_symbolic_relation_interval_certificate_and_exact_refutation():
    ok = Claim(
        name="q",
        check="symbolic_relation",
        statement="s",
        args={"lhs": x * sympy.log(1 + x), "rhs": x**2 + sympy.Rational(1, 10), "ranges": {"x": (0, 3)}},
    )
    out = _run(ok)
    assert out.verdict is Verdict.CERTIFIED, out.method
    bad = Claim(
        name="q", check="symbolic_relation", statement="s", args={"lhs": x**2, "rhs": x / 2, "ranges": {"x": (0, 3)}}
    )
    out = _run(bad)
    assert out.verdict is Verdict.FAIL
    xv = Fraction(out.evidence.point[0].split("=")[1])
    assert xv * xv > xv / 2  # replayed exactly


def test_sympy_none_is_never_a_pass():
    # sin(x)**2 + cos(x)**2 - 1 >= 0 on an unbounded domain: sympy/intervals cannot certify it here
    c = Claim(
        name="q",
        check="symbolic_relation",
        statement="s",
        args={"lhs": sympy.Integer(0), "rhs": sympy.sin(x) ** 3 + sympy.Rational(1, 2), "ranges": {"x": (0, "oo")}},
    )
    assert _run(c).verdict in (Verdict.UNKNOWN, Verdict.FAIL)


@settings(max_examples=25)
@given(a=st.integers(-5, 5), b=st.integers(-5, 5), c=st.integers(0, 4))
def test_prove_nonneg_is_sound_on_random_quadratics(a, b, c):
    """Never 'proved' when a point of the box is negative; a 'refuted' point replays negative."""
    e = c * x**2 + a * x + b
    p = prove_nonneg(e, Domain.from_args({"x": (-3, 3)}), budget=300)
    grid_min = min(c * v * v + a * v + b for v in (Fraction(i, 64) for i in range(-192, 193)))
    if p.status is Status.PROVED:
        assert grid_min >= 0
    if p.status is Status.REFUTED:
        assert replay(e, p.point)[1] < 0
    if grid_min < 0:
        assert p.status is Status.REFUTED


@settings(max_examples=15)
@given(a=st.integers(-4, 4), b=st.integers(-4, 4))
def test_symbolic_monotone_matches_the_sign_of_the_slope(a, b):
    c = Claim(
        name="q",
        check="symbolic_monotone",
        statement="s",
        args={"expr": a * x + b * sympy.log(1 + x), "var": "x", "direction": "nondecreasing", "ranges": {"x": (0, 4)}},
    )
    v = _run(c).verdict
    slope_min = min(a + Fraction(b, 5), a + b)  # derivative a + b/(1+x) on [0, 4]
    if slope_min >= 0:
        assert v is Verdict.CERTIFIED
    else:
        assert v is Verdict.FAIL


# -------------------------------------------------------------------------------------- growth
def test_exact_enumeration_equals_cover_count():
    rng = random.Random(3)
    for m in (3, 5, 7):
        X = general_position_points(m, 3, rng)
        assert count_linear_patterns(X, 2, 1, 3, max_lp=10_000)[0] == cover_count(m, 3)


def test_top_k_and_bottom_complement_patterns_agree():
    X = general_position_points(5, 2, random.Random(0))
    assert count_linear_patterns(X, 3, 1, 2, max_lp=10_000)[0] == count_linear_patterns(X, 3, 2, 2, max_lp=10_000)[0]


def test_gordan_answers_are_exact_certificates():
    kind, y = gordan_alternative([[1, 0], [-1, 0]])  # x > 0 and -x > 0: impossible
    assert kind == "certificate" and sum(y) == 1 and all(v >= 0 for v in y)
    kind, w = gordan_alternative([[1, 2], [0, 1]])
    assert kind == "witness" and w[0] + 2 * w[1] > 0 and w[1] > 0


def test_routing_growth_linear_passes_and_writes_a_table(tmp_path):
    c = lookup("zhao2024/z3-textbook-bound").claim("routing_patterns_le_natarajan_growth")
    out = _run(c, {"T": 3, "k": 1, "n": 2, "m": 4}, tmp_path)
    # 3^4 routings of 4 points < the growth bound: the relation could not fail, reported apart
    assert out.verdict is Verdict.VACUOUS and "exact enumeration" in out.method and "vacuous" in out.why
    assert (tmp_path / out.figures[0]).read_text().count("|") > 20
    out = _run(c, {"T": 2, "k": 1, "n": 2, "m": 30}, tmp_path)  # 2^30 > 30^4 2^8: the bound bites
    assert out.verdict is Verdict.PASS_EMPIRICAL and out.measured == 60 and out.bound < 2**30  # Cover: 2 (1 + 29)


# ------------------------------------------------------------------------------------ Rademacher
def test_exact_rademacher_known_values():
    import itertools

    import numpy as np

    signs = np.array(list(itertools.product((-1, 1), repeat=4)), dtype=np.int64)
    assert exact_rademacher(np.array([[8, 0, 8, 8]]), signs) == 0  # a singleton
    cube = np.array(list(itertools.product((0, 8), repeat=4)), dtype=np.int64)
    assert exact_rademacher(cube, signs) == Fraction(1, 2)  # E sum max(sigma_i, 0) / m


def test_union_step_and_z4_pass_empirically():
    z3 = lookup("zhao2024/z3-textbook-bound")
    assert (
        _run(z3.claim("rademacher_union_le_max_plus_massart"), {"m": 6, "N": 4, "size": 2, "trials": 4}).verdict
        is Verdict.PASS_EMPIRICAL
    )
    c = lookup("zhao2024/lemma-3").claims[0]
    out = _run(c, {"m": 32, "n_in": 3, "width": 4, "members": 16, "sigma_draws": 16})
    assert out.verdict is Verdict.VACUOUS and out.bound >= 1  # above any Rademacher value of a [0, 1] class


# ---------------------------------------------------------------------------- trained networks
_TINY = {"k": (1, 2), "T": (2,), "m": (24,), "seeds": 2, "steps": 20, "n_test": 500}


def test_gap_check_reports_vacuity_and_writes_table_and_plot(tmp_path):
    out = _run(lookup("zhao2024/thm-1").claims[0], _TINY, tmp_path)
    assert out.verdict is Verdict.VACUOUS and out.bound >= 1  # counted apart, never as passed
    assert "vacuous" in out.why
    md, png = out.figures
    assert "| k | T | m |" in (tmp_path / md).read_text() and "vacuous" in (tmp_path / md).read_text()
    assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"


def test_trend_check_is_never_certified(tmp_path):
    out = _run(lookup("zhao2024/z2-sparsity-term").claim("measured_gap_rises_with_k"), _TINY, tmp_path)
    # a trained model never refutes Z2: the opposite trend is NOT-REPRODUCED, never FAIL
    assert out.verdict in (Verdict.PASS_EMPIRICAL, Verdict.NOT_REPRODUCED, Verdict.UNKNOWN)


def test_sparse_moe_shapes_and_validation():
    import torch

    from constructions.trained.sparse_moe import SparseMoE

    net = SparseMoE(3, 4, 2, 5, generator=torch.Generator().manual_seed(0))
    assert net(torch.randn(7, 3)).shape == (7,)
    with pytest.raises(ValueError, match="k=5"):
        SparseMoE(3, 4, 5, 5, generator=torch.Generator().manual_seed(0))


# ------------------------------------------------------------------------------------ bound CLI
def _parser():
    return build_parser()


_OK = ["--m", "1000", "--T", "16", "--k", "2", "--delta", "0.05", "--natarajan", "64"]


def test_bound_cli_prints_each_term_and_writes_json(tmp_path, capsys):
    out = tmp_path / "b.json"
    args = _parser().parse_args(["bound", "smoe", *_OK, "--expert-rademacher", "0.01", "--json", str(out)])
    assert args.handler(args) == 0
    text = capsys.readouterr().out
    assert "router term" in text and "confidence term" in text and "total" in text and "construction: ours" in text
    doc = json.loads(out.read_text())  # the one results format, written by the one writer
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    (data,) = doc["results"]
    vals = {Z.m: 1000, Z.T: 16, Z.k: 2, Z.delta: sympy.Rational(1, 20), Z.d_N: 64, Z.R: sympy.Rational(1, 100)}
    assert data["evidence"]["extra"]["terms"]["router"] == pytest.approx(float(Z.SMOE_BOUND_TERMS["router"].subs(vals)))
    assert data["measured"] == pytest.approx(float(Z.SMOE_BOUND.subs(vals)))
    assert data["verdict"] == "VACUOUS" and data["bound"] == 1.0
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    "change, word",
    [
        (("--k", "17"), "--k 17"),
        (("--m", "0"), "--m 0"),
        (("--delta", "1"), "--delta"),
        (("--delta", "nan"), "--delta"),
        (("--natarajan", "-3"), "--natarajan"),
        (("--T", "2.5"), "--T"),
    ],
)
def test_bound_cli_rejects_bad_values_in_one_line(change, word):
    argv = list(_OK)
    argv[argv.index(change[0]) + 1] = change[1]
    args = _parser().parse_args(["bound", "smoe", *argv])
    with pytest.raises(InvalidInput, match=re.escape(word)) as exc:
        args.handler(args)
    assert "\n" not in str(exc.value)


def test_grid_trains_per_T_m_group_and_a_replay_retrains_the_group_to_the_same_numbers():
    # a FAIL needs the retrained gap within 1e-9 of the grid's: the replay trains the run's whole (T, m)
    # group (a run's numbers depend on its group at rounding level), so it reproduces the grid exactly
    import checkers.checks.generalization as G

    claim = lookup("zhao2024/thm-1").claims[0]
    args = G.SmoeArgs.parse(claim.args)
    inst = {"k": (1, 2), "T": (2, 3), "m": (24,), "seeds": 2, "steps": 5, "n_test": 100, "train_seed": 7}
    ctx = CheckContext(profile="quick", timeout=120)
    grid = G._grid(args, inst, ctx)
    assert [(r.n_experts, r.k, r.m, r.seed) for r in grid] == G._grid_runs(inst)
    assert [len(g) for g in G._groups(G._grid_runs(inst))] == [4, 4]
    assert G._retrain(args, inst, ctx, grid[-1]) == grid[-1]
