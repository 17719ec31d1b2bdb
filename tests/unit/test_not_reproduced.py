"""NOT-REPRODUCED rows: counted apart (never passed, never failed), named before the closing line, which stays exact."""

from __future__ import annotations

import json

import jsonschema

from checkers.checks import Outcome, Verdict
from checkers.report import SCHEMA_PATH, apart_line, closing_line, write_json, write_junit, write_markdown
from checkers.run import CheckResult, summary_counts


def _row(v: Verdict, i: int) -> CheckResult:
    return CheckResult(
        theorem_id="t/x",
        theorem_label="X",
        paper="p",
        claim=f"c{i}",
        statement="s",
        instance={},
        outcome=Outcome(v, why="w"),
        seconds=0.0,
        device="cpu",
        provenance="statement: paper",
        claim_provenance="secondary",
    )


def test_not_reproduced_is_named_apart_and_the_closing_line_keeps_its_format(tmp_path):
    rows = [
        _row(Verdict.PASS_EMPIRICAL, 0),
        _row(Verdict.NOT_REPRODUCED, 1),
        _row(Verdict.UNKNOWN, 2),
        _row(Verdict.NOT_REPRODUCED, 3),
        _row(Verdict.VACUOUS, 4),
    ]
    assert summary_counts(rows) == {"passed": 1, "failed": 0, "skipped": 1, "apart": 3}
    assert closing_line(rows) == "verify: 1 passed, 0 failed, 1 skipped"
    line = apart_line(rows)
    assert "1 vacuous" in line and "2 not reproduced" in line and "t/x::c1[-]; t/x::c3[-]" in line
    assert apart_line(rows[:1]) == ""
    write_markdown(rows, tmp_path / "r.md", {"date": "d"})
    lines = (tmp_path / "r.md").read_text().strip().splitlines()
    assert lines[-1] == "verify: 1 passed, 0 failed, 1 skipped" and "2 not reproduced" in lines[-2]
    write_junit(rows, tmp_path / "r.xml", {"date": "d"})
    assert 'skipped="4"' in (tmp_path / "r.xml").read_text()
    write_json(rows, tmp_path / "r.json", {"date": "d"})
    doc = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    assert doc["summary"]["apart"] == 3


def test_markdown_report_inlines_the_tables_and_links_the_figures_rows_wrote(tmp_path):
    (tmp_path / "t.md").write_text("| series | paper | ours |\n|---|---|---|\n| I | 3.4e-4 | 0.1 |\n")
    (tmp_path / "t.png").write_bytes(b"\x89PNG")
    row = CheckResult(
        theorem_id="t/x",
        theorem_label="X",
        paper="p",
        claim="table",
        statement="s",
        instance={},
        outcome=Outcome(Verdict.NOT_REPRODUCED, why="w", figures=("t.md", "t.png", "gone.md")),
        seconds=0.0,
        device="cpu",
        provenance="statement: paper",
        claim_provenance="secondary",
    )
    write_markdown([row], tmp_path / "r.md", {"date": "d"})
    text = (tmp_path / "r.md").read_text()
    assert "## Tables and figures" in text and "| I | 3.4e-4 | 0.1 |" in text and "![t.png](t.png)" in text
    assert text.strip().splitlines()[-1] == "verify: 0 passed, 0 failed, 0 skipped"
