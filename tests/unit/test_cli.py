"""The command line: bad input is one line and exit 2 with no file; reports validate; exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from checkers.cli import main
from checkers.report import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "checkers.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["verify", "--theorem", "no-such-id"], "no-such-id"),
        (["verify", "--paper", "nopaper"], "nopaper"),
        (["verify", "--profile", "bad"], "bad"),
        (["verify", "--device", "tpu"], "tpu"),
        (["verify", "--timeout", "nan"], "nan"),
        (["verify", "--seed", "-3"], "-3"),
        (["verify", "--jobs", "0"], "0"),
        (["verify", "--module", "nope.py"], "nope.py"),
        (["verify", "--module", str(DATA / "broken_module.py")], "broken_module.py"),
        (["show", "no/such"], "no/such"),
        (["approx", "--function", "x0", "--dim", "1", "--eps", "0.1", "--max-boxes", "0"], "--max-boxes"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, args, fragment):
    out = tmp_path / "r.json"
    p = _run(*args, *(["--json", str(out)] if args[0] == "verify" else []))
    assert p.returncode == 2, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in p.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


def test_cuda_asked_for_but_absent_is_exit_2(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same on a machine with a GPU
    assert main(["verify", "--device", "cuda", "--paper", "classical", "-k", "width"]) == 2
    assert "cuda" in capsys.readouterr().err


def test_json_markdown_junit_written_and_json_validates(tmp_path):
    args = [
        "verify",
        "--paper",
        "classical",
        "-k",
        "width_eq",
        "--json",
        str(tmp_path / "r.json"),
        "--markdown",
        str(tmp_path / "r.md"),
        "--junit",
        str(tmp_path / "r.xml"),
    ]
    assert main(args) == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    assert doc["summary"]["failed"] == 0 and len(doc["results"]) == 8
    assert "verify: 8 passed, 0 failed, 0 skipped" in (tmp_path / "r.md").read_text()
    assert "<testsuites" in (tmp_path / "r.xml").read_text()


def test_closing_line_is_last_and_exact(tmp_path):
    p = _run("verify", "--paper", "classical", "-k", "width_eq_three[m=1]")
    assert p.returncode == 0
    assert p.stdout.strip().splitlines()[-1] == "verify: 1 passed, 0 failed, 0 skipped"


def test_list_json_and_show():
    p = _run("list", "--json")
    rows = json.loads(p.stdout)
    assert {"id", "title", "paper", "statement_provenance", "construction_provenance", "claims"} <= set(rows[0])
    p = _run("show", "classical/yarotsky-square")
    assert p.returncode == 0 and "construction: ours" in p.stdout and "sup_error_within_one_percent" in p.stdout


def test_vacuous_rows_are_named_apart_before_the_closing_line():
    p = _run("verify", "--paper", "zhao2024", "-k", "natarajan_lower_le_upper")
    lines = p.stdout.strip().splitlines()
    assert p.returncode == 0
    assert lines[-1] == "verify: 0 passed, 0 failed, 0 skipped"
    assert lines[-2].startswith("apart: 1 vacuous") and "natarajan_lower_le_upper" in lines[-2]


def test_cli_start_up_does_not_import_torch():
    """``--version``, ``list`` and ``show`` never load torch (it is loaded by the commands that build or certify)."""
    code = (
        "import sys\n"
        "import checkers.cli\n"
        "from checkers.cli import main\n"
        "assert main(['list', '--json']) == 0\n"
        "assert main(['show', 'classical/yarotsky-square']) == 0\n"
        "bad = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
        "assert not bad, bad[:5]\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
