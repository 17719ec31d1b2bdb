"""Bad and large input: size guards before allocation, bounded parsing, input errors as exit 2 with one
line and no file (one output-path rule for every command), every row shown, a report that fits 80 columns,
control characters escaped everywhere, consistent file modes, --version."""

import json
import os
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checkers.cli import main
from constructions import memory_budget, set_memory_budget
from proofs import unregister

ROOT = Path(__file__).resolve().parents[2]
BOUND = ["bound", "smoe", "--m", "1000", "--T", "16", "--k", "2", "--delta", "0.05", "--natarajan", "64"]
APPROX = ["approx", "--function", "x0", "--dim", "1", "--eps", "0.1", "--device", "cpu"]
VERIFY = ["verify", "--theorem", "classical/pl-interpolation", "-k", "width"]


def _one_line_exit_2(argv, capsys, tmp_path, *words):
    before = sorted(tmp_path.rglob("*"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]
    assert sorted(tmp_path.rglob("*")) == before  # no file written
    return lines[0]


@pytest.mark.parametrize(
    "function, dim, eps",
    [("sin(3*x0)*x1*x2", 3, "0.001"), ("sin(3*x0)*x1*x2", 6, "0.05"), ("x0", 1, "1e-9"), ("log(x0+1e-9)", 1, "0.5")],
)
def test_a_network_over_the_memory_budget_is_refused_before_allocating(function, dim, eps, capsys, tmp_path):
    t0 = time.monotonic()
    line = _one_line_exit_2(
        [
            "approx",
            "--function",
            function,
            "--dim",
            str(dim),
            "--eps",
            eps,
            "--max-memory",
            "2G",
            "--json",
            str(tmp_path / "r.json"),
        ],
        capsys,
        tmp_path,
        "--max-memory",
        "experts",
        "GiB",
    )
    assert "over the memory budget of 2 GiB" in line and time.monotonic() - t0 < 20


def test_the_budget_defaults_to_a_share_of_available_memory_and_resets():
    set_memory_budget(123456)
    assert memory_budget() == 123456
    set_memory_budget(None)
    assert 0 < memory_budget() < 1 << 50


def test_inside_verify_an_oversized_construction_is_unknown_with_the_reason(tmp_path, capsys):
    mod = tmp_path / "big.py"
    mod.write_text(
        "from proofs import Claim, Provenance, Theorem\n"
        "t = Theorem(id='user/big', name='big_net', label='B', title='t', paper='user', statement='s',\n"
        "    statement_provenance=Provenance.OURS,\n"
        "    claims=(Claim(name='sup_error_le_eps', check='certified_sup_error', statement='s',\n"
        "        args={'construction': 'constructions.momlp:momlp', 'bound': 0.001},\n"
        "        quick=({'function': 'x0', 'n_in': 1, 'eps': 1e-9},)),))\n"
    )
    out = tmp_path / "r.json"
    try:
        code = main(["verify", "--module", str(mod), "--theorem", "user/big", "--max-memory", "1G", "--json", str(out)])
    finally:
        unregister("user/big")
        set_memory_budget(None)
    assert code == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["verdict"] == "UNKNOWN" and "memory budget" in row["why"] and "--max-memory" in row["why"]
    assert "memory budget" in capsys.readouterr().out  # the reason is on the console too


@pytest.mark.parametrize("text", ["10**10**10", "9**9**9**9", "2**(10**9)", "binomial(10**9, 10**8)"])
def test_exponent_towers_are_refused_fast(text, capsys, tmp_path):
    t0 = time.monotonic()
    argv = ["approx", "--function", text, "--dim", "1", "--eps", "0.1"]
    if "binomial" in text:
        from proofs import InvalidInput
        from proofs.formula import parse_formula

        with pytest.raises(InvalidInput, match="binomial"):
            parse_formula(text)
    else:
        _one_line_exit_2(argv, capsys, tmp_path, "--function", "not evaluated")
    assert time.monotonic() - t0 < 1.0


def test_a_huge_constant_names_the_flag(capsys, tmp_path):
    _one_line_exit_2(
        ["approx", "--function", "10**1000*x0", "--dim", "1", "--eps", "0.1"], capsys, tmp_path, "--function", "float64"
    )


def test_error_lines_quote_at_most_about_200_characters(capsys, tmp_path):
    line = _one_line_exit_2(
        ["approx", "--function", "x0+" * 40_000 + "foo", "--dim", "1", "--eps", "0.1"], capsys, tmp_path, "--function"
    )
    assert len(line) < 700


@pytest.mark.parametrize("argv", [VERIFY, APPROX, BOUND])
@pytest.mark.parametrize("case", ["directory", "file_as_parent"])
def test_one_output_path_rule_for_every_command(argv, case, capsys, tmp_path):
    (tmp_path / "afile").write_text("x")
    path = tmp_path if case == "directory" else tmp_path / "afile" / "r.json"
    _one_line_exit_2([*argv, "--json", str(path)], capsys, tmp_path, "--json")


@pytest.mark.parametrize("argv", [VERIFY, APPROX, BOUND])
def test_a_missing_parent_directory_is_created_by_every_command(argv, tmp_path):
    out = tmp_path / "new" / "dir" / "r.json"
    assert main([*argv, "--json", str(out)]) in (0, 1)
    assert json.loads(out.read_text())["schema"] == "moecheck-results"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644 & ~_umask()


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def test_out_dir_that_is_a_file_is_exit_2(capsys, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    _one_line_exit_2([*VERIFY, "--out-dir", str(f)], capsys, tmp_path, "--out-dir")


@pytest.mark.parametrize("value", [str(2**70), "-1", str(2**31)])
def test_seed_out_of_range_is_exit_2(value, capsys, tmp_path):
    _one_line_exit_2([*VERIFY, "--seed", value], capsys, tmp_path, "--seed")


def test_version(capsys):
    assert main(["--version"]) == 0 and capsys.readouterr().out.startswith("moecheck ")


def test_bad_max_memory_is_exit_2(capsys, tmp_path):
    _one_line_exit_2([*APPROX, "--max-memory", "lots"], capsys, tmp_path, "--max-memory")


def test_control_characters_are_escaped_in_every_output(tmp_path):
    mod = tmp_path / "evil.py"
    mod.write_text(
        "import sympy\nfrom proofs import Claim, Provenance, Theorem\n"
        "t = Theorem(id='user/evil', name='evil_label', label='E\\x1b[31m\\x07|x', title='t', paper='user',\n"
        "    statement='s', statement_provenance=Provenance.OURS,\n"
        "    claims=(Claim(name='width_le_four', check='size_formula', statement='w\\x1b[2J',\n"
        "        args={'construction': 'constructions.yarotsky:sawtooth_square', 'quantity': 'width',\n"
        "              'formula': sympy.Integer(4), 'relation': 'le'}, quick=({'m': 2},)),))\n"
    )
    js, md, xml = tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.xml"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkers.cli",
            "verify",
            "--module",
            str(mod),
            "--theorem",
            "user/evil",
            "--json",
            str(js),
            "--markdown",
            str(md),
            "--junit",
            str(xml),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    for text in (p.stdout, p.stderr, md.read_text(), xml.read_text()):
        assert "\x1b" not in text and "\x07" not in text
    ET.parse(xml)  # valid XML
    row = json.loads(js.read_text())["results"][0]
    assert row["label"] == "E\x1b[31m\x07|x"  # JSON stays exact


def test_compact_report_at_80_columns_keeps_rows_on_two_lines():
    env = {**os.environ, "COLUMNS": "80"}
    p = subprocess.run(
        [sys.executable, "-m", "checkers.cli", *VERIFY], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert all(len(ln) <= 80 for ln in lines[:-1])
    rows = [i for i, ln in enumerate(lines) if ln.startswith("CERTIFIED")]
    assert rows and all("hidden_width_eq_n" in lines[i] and lines[i + 1].startswith("    ") for i in rows)
    assert lines[-1].startswith("verify: ")


def test_bound_and_approx_end_with_the_closing_line(capsys):
    assert main(BOUND) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "verify: 0 passed, 0 failed, 0 skipped"
    assert main([*APPROX, "--eps", "10"]) == 1  # (n + 1)/eps < n + 1: the size row FAILs and is shown
    out = capsys.readouterr().out
    assert "params_per_expert_le_c_over_eps" in out and "FAIL" in out
    assert out.rstrip().splitlines()[-1] == "verify: 1 passed, 1 failed, 0 skipped"
