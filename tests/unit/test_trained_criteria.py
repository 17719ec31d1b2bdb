"""Pre-registered criteria: intervals over seeds, the three-way decision, and trained checks that can land on
each side (PASS-EMPIRICAL, NOT-REPRODUCED, UNKNOWN) on planted grids, never FAIL or CERTIFIED."""

from __future__ import annotations

import math

import numpy as np
import pytest

from checkers.checks import CheckContext, Verdict, bootstrap_interval, get_check, ols_slope, t_interval
from constructions.trained.wang_train import PAPER_I
from proofs import InvalidInput, PreRegistered, lookup


def test_decide_three_ways_for_each_rule():
    below = PreRegistered("slope", 5, "t95", "below")
    assert [below.decide(*iv) for iv in ((-2, -1), (1, 2), (-1, 1), (0, 1))] == [
        "holds",
        "opposite",
        "undecided",
        "opposite",
    ]
    above = PreRegistered("slope", 5, "t95", "above")
    assert [above.decide(*iv) for iv in ((1, 2), (-2, -1), (-1, 1), (-1, 0))] == [
        "holds",
        "opposite",
        "undecided",
        "opposite",
    ]
    band = PreRegistered("ratio", 5, "t95", "inside", band=(1 / 3, 3), log10=True)
    l3 = math.log10(3)
    assert band.decide(-0.1, 0.2) == "holds" and band.decide(l3 + 0.01, 2) == "opposite"
    assert band.decide(-l3 - 1, -l3 - 0.01) == "opposite" and band.decide(0, l3 + 0.1) == "undecided"
    assert band.decide(math.nan, 1) == "undecided" and band.decide(-math.inf, math.inf) == "undecided"
    assert "5 seeds" in band.describe() and "NOT-REPRODUCED" in band.describe()


@pytest.mark.parametrize(
    "bad",
    [
        dict(interval="z"),
        dict(rule="near"),
        dict(seeds=1),
        dict(rule="inside"),
        dict(rule="inside", band=(2, 1)),
        dict(rule="below", log10=True, threshold=0.0),
    ],
)
def test_criterion_rejects_bad_values(bad):
    with pytest.raises(InvalidInput):
        PreRegistered(**{"statistic": "s", "seeds": 5, "interval": "t95", "rule": "below", **bad})


def test_intervals():
    mean, lo, hi = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == 3.0 and hi - mean == pytest.approx(2.776 * math.sqrt(2.5) / math.sqrt(5), abs=1e-9)
    assert t_interval([1.0]) == (1.0, -math.inf, math.inf)
    a = bootstrap_interval(np.arange(10.0)[:, None], lambda m: float(m[0]))
    assert a == bootstrap_interval(np.arange(10.0)[:, None], lambda m: float(m[0]))  # fixed resampling
    assert a[1] < 4.5 < a[2]
    assert ols_slope([0, 1, 2], [1, 3, 5]) == pytest.approx(2.0)


def _planted(monkeypatch, err: dict, grid=(16, 128), param="D"):
    import checkers.checks.wang_trained as wt

    g = {
        "grid": grid,
        "param": param,
        "err": {k: np.asarray(v, dtype=float) for k, v in err.items()},
        "setup": PAPER_I,
        "env": {"torch": "x", "device": "cpu"},
        "seeds": tuple(range(len(next(iter(err.values()))))),
        "workers": 1,
    }
    monkeypatch.setattr(wt, "experiment_grid", lambda exp, inst, ctx: g)


def _claim(name):
    for tid in ("wang-e2025/cor-4.9", "wang-e2025/thm-5.3"):
        for c in lookup(tid).claims:
            if c.name == name:
                return c
    raise KeyError(name)


def test_table_check_lands_on_each_side(monkeypatch, tmp_path):
    claim = _claim("experiment_i_table_within_3x")
    check = get_check(claim.check)
    ctx = CheckContext(out_dir=tmp_path)
    rng = np.random.default_rng(1)
    near = 3.4e-4 * np.exp(rng.normal(0, 0.1, (5, 2)))
    _planted(monkeypatch, {"I": near})
    out = check(claim, {"setup": "paper"}, ctx)
    assert out.verdict is Verdict.PASS_EMPIRICAL and len(out.figures) == 2
    assert (tmp_path / out.figures[0]).read_text().count("| I |") == 2
    assert (tmp_path / out.figures[1]).read_bytes()[:4] == b"\x89PNG"
    _planted(monkeypatch, {"I": near * 300})
    assert check(claim, {"setup": "paper"}, ctx).verdict is Verdict.NOT_REPRODUCED
    _planted(monkeypatch, {"I": 3.4e-4 * np.array([[0.5, 1], [8, 9], [1, 1.5], [6, 2], [0.7, 1]])})
    assert check(claim, {"setup": "paper"}, ctx).verdict is Verdict.UNKNOWN


def test_flat_trend_and_paired_checks_land_on_each_side(monkeypatch, tmp_path):
    ctx = CheckContext(out_dir=tmp_path)
    flat = _claim("experiment_i_error_flat_in_dim")
    base = np.exp(np.random.default_rng(2).normal(0, 0.05, (5, 2))) * 1e-3
    _planted(monkeypatch, {"I": base})
    assert get_check(flat.check)(flat, {}, ctx).verdict is Verdict.PASS_EMPIRICAL
    _planted(monkeypatch, {"I": base * np.array([1, 20])})
    assert get_check(flat.check)(flat, {}, ctx).verdict is Verdict.NOT_REPRODUCED
    falls = _claim("experiment_ii_deep_error_falls_with_m")
    _planted(monkeypatch, {"2-3": base * np.array([10, 1]), "1-6": base}, param="m")
    assert get_check(falls.check)(falls, {}, ctx).verdict is Verdict.PASS_EMPIRICAL
    _planted(monkeypatch, {"2-3": base * np.array([1, 10]), "1-6": base}, param="m")
    assert get_check(falls.check)(falls, {}, ctx).verdict is Verdict.NOT_REPRODUCED
    below = _claim("experiment_ii_deep_below_shallow_at_largest_m")
    _planted(monkeypatch, {"2-3": base / 10, "1-6": base}, param="m")
    assert get_check(below.check)(below, {}, ctx).verdict is Verdict.PASS_EMPIRICAL
    _planted(monkeypatch, {"2-3": base * 10, "1-6": base}, param="m")
    assert get_check(below.check)(below, {}, ctx).verdict is Verdict.NOT_REPRODUCED


def test_claims_carry_their_rule_and_the_paper_tables():
    for name in (
        "experiment_i_error_flat_in_dim",
        "experiment_i_table_within_3x",
        "experiment_ii_deep_error_falls_with_m",
        "experiment_ii_shallow_error_plateaus",
        "experiment_ii_deep_below_shallow_at_largest_m",
        "experiment_ii_table_within_3x",
    ):
        c = _claim(name)
        assert isinstance(c.args["criterion"], PreRegistered) and c.args["criterion"].seeds >= 5
        assert all(inst["seeds"] >= 5 for inst in c.instances("full"))
    assert _claim("experiment_i_table_within_3x").args["paper"]["I"] == {
        16: 3.40e-4,
        32: 3.38e-4,
        64: 3.17e-4,
        128: 3.42e-4,
    }
    t4 = _claim("experiment_ii_table_within_3x").args["paper"]
    assert t4["2-3"][128] == 2.59e-6 and t4["1-6"][64] == 2.65e-5
    for tid, name in (
        ("zhao2024/z2-sparsity-term", "measured_gap_rises_with_k"),
        ("zhao2024/z6-optimal-k", "best_test_loss_at_interior_k"),
    ):
        c = lookup(tid).claim(name)
        assert isinstance(c.args["criterion"], PreRegistered)
        assert all(inst["seeds"] >= 5 for p in ("quick", "full") for inst in c.instances(p))


class _R:
    def __init__(self, T, k, m, s, gap, test):
        self.n_experts, self.k, self.m, self.seed, self.gap, self.test_loss = T, k, m, s, gap, test
        self.env = {"torch": "x", "device": "cpu"}


def _planted_smoe(monkeypatch, gap, test, seeds=5):
    import checkers.checks.generalization as gen

    rs = [_R(8, k, 32, s, gap(k, s), test(k, s)) for k in (1, 2, 4, 8) for s in range(seeds)]
    monkeypatch.setattr(gen, "_grid", lambda args, inst, ctx: rs)


_INST = {"k": (1, 2, 4, 8), "T": (8,), "m": (32,), "seeds": 5}


def test_z2_and_z6_land_on_each_side_and_never_fail(monkeypatch, tmp_path):
    ctx = CheckContext(out_dir=tmp_path)
    z2 = lookup("zhao2024/z2-sparsity-term").claim("measured_gap_rises_with_k")
    z6 = lookup("zhao2024/z6-optimal-k").claim("best_test_loss_at_interior_k")
    noise = lambda k, s: 0.001 * ((k * 7 + s * 3) % 5 - 2)  # noqa: E731
    _planted_smoe(monkeypatch, lambda k, s: 0.01 * math.log2(k) + noise(k, s), lambda k, s: 0.2 + noise(k, s))
    assert get_check(z2.check)(z2, _INST, ctx).verdict is Verdict.PASS_EMPIRICAL
    _planted_smoe(
        monkeypatch,
        lambda k, s: -0.01 * math.log2(k) + noise(k, s),
        lambda k, s: 0.2 - 0.02 * (k in (2, 4)) + noise(k, s),
    )
    assert get_check(z2.check)(z2, _INST, ctx).verdict is Verdict.NOT_REPRODUCED
    assert get_check(z6.check)(z6, _INST, ctx).verdict is Verdict.PASS_EMPIRICAL
    _planted_smoe(monkeypatch, lambda k, s: noise(k, s), lambda k, s: 0.2 + 0.02 * (k in (2, 4)) + noise(k, s))
    assert get_check(z6.check)(z6, _INST, ctx).verdict is Verdict.NOT_REPRODUCED
