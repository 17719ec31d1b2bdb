"""Long runs, not in ``make test`` (``pytest -m slow tests/slow``): the full profile of the classical
theorems, a large MoMLP certified within its time budget, and the GPU path against the CPU path."""

import json
import time

import pytest

from checkers.cli import main

pytestmark = pytest.mark.slow


def _rows(path):
    return {r["claim"] + str(r["instance"]): r["verdict"] for r in json.loads(path.read_text())["results"]}


def test_full_profile_of_the_classical_theorems_has_no_failure(tmp_path):
    out = tmp_path / "full.json"
    assert main(["verify", "--paper", "classical", "--profile", "full", "--json", str(out)]) == 0
    assert set(_rows(out).values()) <= {"CERTIFIED", "PASS-EMPIRICAL", "VACUOUS"}


def test_a_large_momlp_keeps_its_time_budget(tmp_path):
    out = tmp_path / "a.json"
    t0 = time.monotonic()
    code = main(
        [
            "approx",
            "--function",
            "sin(3*x0)*x1*x2",
            "--dim",
            "3",
            "--eps",
            "0.01",
            "--time-budget",
            "60",
            "--device",
            "cpu",
            "--json",
            str(out),
        ]
    )
    assert code in (0, 1) and time.monotonic() - t0 <= 66  # within 10% of the budget
    (sup,) = [r for r in json.loads(out.read_text())["results"] if r["claim"] == "sup_error_le_eps"]
    assert sup["verdict"] in ("CERTIFIED", "UNKNOWN")


def test_cuda_gives_the_cpu_verdicts(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    a, b = tmp_path / "cpu.json", tmp_path / "cuda.json"
    for dev, out in (("cpu", a), ("cuda", b)):
        assert main(["verify", "--paper", "classical", "--device", dev, "--json", str(out)]) == 0
    assert _rows(a) == _rows(b)
