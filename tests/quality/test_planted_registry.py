"""The planted false claims (``proofs.planted``) are product data: every theorem has at least one, and
every quick one is refuted by the ordinary runner (``moecheck selftest`` runs the same set)."""

import pytest

from checkers.cli import main, power_table, run_planted
from checkers.run import RunConfig
from proofs import load_builtin, registered
from proofs.planted import KINDS, PLANTED, planted, planted_claim

load_builtin()
QUICK = planted(quick_only=True)


def test_every_builtin_theorem_has_a_planted_twin_and_every_twin_names_a_real_claim():
    ids = {t.id for t in registered() if t.paper in ("classical", "kratsios2024", "zhao2024", "wang-e2025")}
    assert ids <= {p.theorem for p in QUICK}
    for p in PLANTED:
        c = planted_claim(p)
        assert c.name.startswith("planted_") and p.kind in KINDS and not c.vacuous


@pytest.mark.parametrize("twin", QUICK, ids=[p.label for p in QUICK])
def test_quick_twin_is_refuted(twin, tmp_path):
    [(p, r)] = run_planted([twin], RunConfig(device="cpu", timeout=120, out_dir=tmp_path))
    assert r.verdict.value == p.expect, f"{p.label} not refuted: {r.verdict.value}: {r.outcome.why}"


def test_power_table_counts_refuted_over_planted(tmp_path):
    rows = run_planted(planted(theorem="classical/yarotsky-square"), RunConfig(device="cpu", out_dir=tmp_path))
    table = power_table(rows)
    assert table[-1] == ("all planted claims", len(rows), len(rows))
    assert ("kind: wrong count", 1, 1) in table


def test_selftest_cli_prints_power_and_exits_0_or_2(capsys):
    assert main(["selftest", "--theorem", "classical/pl-interpolation", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "refuted / planted" in out and "selftest: 1 of 1 planted claims refuted" in out
    assert main(["selftest", "--theorem", "nope/none"]) == 2
