"""Planted false claims about Wang & E 2025 constructions must FAIL (with a replayed witness where one exists)."""

from pathlib import Path

import sympy

from checkers.checks import CheckContext, Verdict, get_check
from proofs import Claim


def _run(check, args, instance, tmp_path: Path):
    claim = Claim(name="planted", check=check, statement="planted", args=args)
    return get_check(check)(claim, instance, CheckContext(out_dir=tmp_path))


def test_worse_tau_misroutes_and_fails(tmp_path):
    out = _run(
        "routing_in_chart_of_tau_close",
        {"construction": "constructions.wang_shallow:circle_moe"},
        {"D": 2, "m": 8, "tau_bias": {0: 0.6}},
        tmp_path,
    )
    assert out.verdict is Verdict.FAIL
    assert out.evidence.point and "outside U_0" in out.why and "failed" in out.why


def test_true_tau_routes_into_charts(tmp_path):
    out = _run(
        "routing_in_chart_of_tau_close",
        {"construction": "constructions.wang_shallow:circle_moe"},
        {"D": 2, "m": 8},
        tmp_path,
    )
    assert out.verdict is Verdict.CERTIFIED


def test_wrong_exponent_fails(tmp_path):
    # the warm-up interpolants converge like m^-2: a claimed exponent 3 is refuted by every consistent slope
    args = {
        "construction": "constructions.wang_deep:cube_moe",
        "param": "m",
        "alpha": sympy.Integer(3),
        "slope_tol": 0.1,
        "tol": 0.02,
    }
    out = _run("fitted_rate", args, {"n_experts": 2, "depth": 1, "sizes": (4, 8, 16, 32)}, tmp_path)
    assert out.verdict is Verdict.FAIL, out.why
    assert out.figures and (tmp_path / out.figures[0]).is_file()
    ok = _run(
        "fitted_rate",
        {**args, "alpha": sympy.Rational(1, 2)},
        {"n_experts": 2, "depth": 1, "sizes": (4, 8, 16, 32)},
        tmp_path,
    )
    assert ok.verdict is Verdict.CERTIFIED, ok.why


def test_wrong_piece_count_fails(tmp_path):
    args = {"construction": "constructions.wang_deep:cube_moe", "max_boxes": 256}
    inst = {"n_experts": 3, "depth": 2, "m": 4}
    assert _run("expert_path_count", {**args, "n_paths": sympy.Integer(9)}, inst, tmp_path).verdict is Verdict.CERTIFIED
    for wrong in (8, 10, 27):
        assert (
            _run("expert_path_count", {**args, "n_paths": sympy.Integer(wrong)}, inst, tmp_path).verdict is Verdict.FAIL
        )


def test_planted_gate_scale_routes_off_its_piece(tmp_path):
    # s_i = (i/2) z - i(i-1)/2 moves the boundaries to z = 2(i-1): boxes inside a piece are routed elsewhere
    out = _run(
        "expert_path_count",
        {"construction": "constructions.wang_deep:cube_moe", "n_paths": sympy.Integer(9), "max_boxes": 256},
        {"n_experts": 3, "depth": 2, "m": 4, "gate_scale": 0.5},
        tmp_path,
    )
    assert out.verdict is Verdict.FAIL and out.evidence.point


def test_wrong_expert_counts_fail(tmp_path):
    args = {"construction": "constructions.wang_deep:cube_moe", "total": sympy.Integer(6), "active": sympy.Integer(4)}
    assert (
        _run("expert_counts_from_graph", args, {"n_experts": 3, "depth": 2, "m": 4}, tmp_path).verdict is Verdict.FAIL
    )
