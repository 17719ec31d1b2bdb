"""Fuzzing the command line (in process, few examples, cheap selections): whatever the argument vector or the
module file, the exit code is 0, 1, 2 or 130, stderr holds no traceback, exit 2 writes no file, and memory
stays bounded (constructions are refused before allocating)."""

import contextlib
import io
import resource
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkers.cli import main
from proofs import unregister

PATHS = ("r.json", ".", "afile/r.json", "new/r.json", "afile", "")
FUNCTIONS = ("x0", "x0*x1", "10**10**10", "sin(", "x9", "\x1b[2J", "x0+" * 300 + "1", "exp(x0)", "os.system", "1e400")
VALUES = (
    "constructions.yarotsky:sawtooth_square",
    "os:system",
    "x:y",
    42,
    3.5,
    "10**10**10",
    None,
    (1, 2),
    {"a": 1},
    "width",
    "le",
    "m + 1",
    True,
)
KEYS = ("construction", "quantity", "formula", "relation", "formual", "bound", "tol")


def _path(tmp: Path):
    return st.sampled_from(PATHS).map(lambda p: str(tmp / p) if p else "")


def _opt(flag: str, values) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), st.sampled_from(values).map(lambda v: [flag, str(v)]))


def _argv(tmp: Path) -> st.SearchStrategy[list[str]]:
    verify = st.tuples(
        st.sampled_from(
            [
                ["--theorem", "classical/pl-interpolation", "-k", "width"],
                ["--theorem", "no/such"],
                ["--paper", "classical", "-k", "hidden_width"],
                ["--module", str(tmp / "mod.py"), "--theorem", "user/fz"],
            ]
        ),
        _opt("--seed", (0, -1, 2**70, "x", 7)),
        _opt("--timeout", (5, 0, "nan", 1)),
        _opt("--profile", ("quick", "bad")),
        _opt("--max-memory", ("1G", "0", "lots", "64K")),
        _path(tmp).map(lambda p: ["--json", p]) | st.just([]),
        _path(tmp).map(lambda p: ["--out-dir", p]) | st.just([]),
        _path(tmp).map(lambda p: ["--junit", p]) | st.just([]),
    ).map(lambda parts: ["verify", *[a for p in parts for a in p]])
    approx = st.tuples(
        st.sampled_from(FUNCTIONS),
        st.sampled_from(("1", "2", "0", "9", "x")),
        st.sampled_from(("0.3", "0", "nan", "1e-9", "-1", "0.5")),
        _opt("--lipschitz", (1, -1, "inf", 3)),
        _opt("--max-memory", ("512M", "1G", "1")),
        _path(tmp).map(lambda p: ["--json", p]) | st.just([]),
    ).map(
        lambda t: [
            "approx",
            "--function",
            t[0],
            "--dim",
            t[1],
            "--eps",
            t[2],
            "--time-budget",
            "3",
            "--device",
            "cpu",
            *t[3],
            *t[4],
            *t[5],
        ]
    )
    bound = st.tuples(
        st.sampled_from(("1000", "0", "x", "2.5", str(2**70))),
        st.sampled_from(("16", "2", "-1")),
        st.sampled_from(("2", "17", "1")),
        st.sampled_from(("0.05", "1", "nan")),
        _opt("--expert-rademacher", ("0.01", "-1", "inf")),
        _path(tmp).map(lambda p: ["--json", p]) | st.just([]),
    ).map(
        lambda t: [
            "bound",
            "smoe",
            "--m",
            t[0],
            "--T",
            t[1],
            "--k",
            t[2],
            "--delta",
            t[3],
            "--natarajan",
            "64",
            *t[4],
            *t[5],
        ]
    )
    other = st.sampled_from(
        [
            ["list"],
            ["show", "no/such"],
            ["show", "classical/pl-interpolation"],
            ["--version"],
            ["bogus"],
            [],
            ["verify", "--nope"],
            ["bound"],
        ]
    )
    return st.one_of(verify, approx, bound, other)


def _module(args: dict, check: str) -> str:
    return (
        "import sympy\nfrom proofs import Claim, Provenance, Theorem\n"
        f"t = Theorem(id='user/fz', name='fz_thing', label='F', title='t', paper='user', statement='s',\n"
        f"    statement_provenance=Provenance.OURS, claims=(Claim(name='c', check={check!r}, statement='s',\n"
        f"    args={args!r}, quick=({{'m': 2}},)),))\n"
    )


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    data=st.data(),
    args=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=5),
    check=st.sampled_from(("size_formula", "certified_sup_error", "nope", "")),
)
def test_cli_never_crashes(data, args, check):
    peak0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "afile").write_text("x")
        (tmp / "mod.py").write_text(_module(args, check))
        argv = data.draw(_argv(tmp))
        before = _files(tmp)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        finally:
            unregister("user/fz")
        assert code in (0, 1, 2, 130), (argv, code)
        assert "Traceback" not in err.getvalue(), (argv, err.getvalue())
        if code == 2:
            assert _files(tmp) == before, argv
            assert len([ln for ln in err.getvalue().splitlines() if ln.strip()]) <= 1 or "usage" in err.getvalue()
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak0
    assert grown_kib < 2 * 1024 * 1024, (argv, grown_kib)
