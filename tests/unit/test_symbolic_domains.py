"""Empty and one-point domains of symbolic claims (``issues stops``, round 2: an empty integer range raised
ValueError and the row showed ERROR).

A stated range with no point is invalid input when the claim is built (one line naming the key and the
value; ``--module`` exits 2); an instance that leaves no point (a fixed value under a dependent bound, an
overriding range) makes the row VACUOUS: a claim over no point could not fail, so it never passes.
"""

from __future__ import annotations

import pytest

from checkers.checks import ArgError, CheckContext, get_check
from proofs import Claim


def _run(check, args, instance=None):
    claim = Claim(name="domains", check=check, statement="domains", args=args)
    return get_check(check)(claim, instance or {}, CheckContext(timeout=60))


EMPTY_AT_CONSTRUCTION = [
    ("symbolic_relation", {"lhs": "n", "rhs": "0", "ranges": {"n": (5, 3)}, "integers": ("n",)}, "lo=5 > hi=3"),
    ("symbolic_relation", {"lhs": "x", "rhs": "0", "ranges": {"x": (5, 3)}}, "lo=5 > hi=3"),
    ("symbolic_relation", {"lhs": "n", "rhs": "0", "ranges": {"n": ("1/3", "2/3")}, "integers": ("n",)}, "no integer"),
    ("symbolic_identity", {"lhs": "n", "rhs": "n", "ranges": {"n": (5, 3)}}, "lo=5 > hi=3"),
    ("symbolic_monotone", {"expr": "-n", "var": "n", "direction": "nondecreasing", "ranges": {"n": (5, 3)}}, "lo=5"),
    (
        "integer_relation_by_ratio",
        {"lhs": "n", "rhs": "0", "var": "n", "ranges": {"n": (5, 3)}, "integers": ("n",)},
        "lo=5",
    ),
    ("symbolic_chain", {"steps": ({"expr": "n"}, {"rel": "<=", "expr": "0"}), "ranges": {"n": ("oo", 3)}}, "lo=oo"),
]


@pytest.mark.parametrize("check, args, said", EMPTY_AT_CONSTRUCTION)
def test_an_empty_stated_range_is_invalid_input_naming_the_value(check, args, said):
    with pytest.raises(ArgError) as err:
        _run(check, args)
    assert said in str(err.value) and "ranges" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "args, instance",
    [
        ({"lhs": "k", "rhs": "0", "ranges": {"T": (1, 5), "k": (1, "T")}, "integers": ("k", "T")}, {"T": 0}),
        ({"lhs": "k", "rhs": "0", "ranges": {"k": (1, 5)}, "integers": ("k",)}, {"k": (5, 3)}),
        ({"lhs": "x", "rhs": "-1", "ranges": {"x": (0, 1)}}, {"x": (2, 1)}),
    ],
)
def test_an_instance_leaving_no_point_is_vacuous_never_certified_nor_failed(args, instance):
    out = _run("symbolic_relation", args, instance)
    assert out.verdict.name == "VACUOUS", out.why
    assert "empty" in out.why


def test_a_one_point_range_is_checked_at_its_point():
    assert _run("symbolic_relation", {"lhs": "x", "rhs": "1", "ranges": {"x": (1, 1)}}).verdict.name == "CERTIFIED"
    out = _run("symbolic_relation", {"lhs": "x", "rhs": "0", "ranges": {"x": (1, 1)}})
    assert out.verdict.name == "FAIL" and out.evidence.point == ("x=1",)


def test_ratio_induction_base_case_outside_the_domain_is_not_a_fail():
    # k <= T holds on 1 <= k <= T; at T = 0 the range of k is empty, so k = 1 there is no counterexample
    args = {"lhs": "k", "rhs": "T", "var": "k", "ranges": {"T": (0, 5), "k": (1, "T")}, "integers": ("k", "T")}
    assert _run("integer_relation_by_ratio", args).verdict.name != "FAIL"


def test_a_module_with_an_empty_range_exits_2_with_one_line(tmp_path):
    import subprocess
    import sys

    mod = tmp_path / "empty_range.py"
    mod.write_text(
        "from proofs import Claim, Provenance, Theorem\n"
        "t = Theorem(id='user/empty', name='empty_range', label='E', paper='user', title='t', statement='s',\n"
        "    statement_provenance=Provenance.OURS, claims=(Claim(name='c', check='symbolic_relation', statement='s',\n"
        "    args={'lhs': 'n', 'rhs': '0', 'ranges': {'n': (5, 3)}, 'integers': ('n',)}),))\n"
    )
    r = subprocess.run(
        [sys.executable, "-m", "checkers.cli", "verify", "--module", str(mod), "--theorem", "user/empty"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[2])},
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and "lo=5 > hi=3" in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_path.glob("reports*"))


def test_declared_positive_from_zero_is_never_refuted_at_zero():
    # x > 0 declared, range [0, 1]: the domain is (0, 1], where ceiling(x) >= 1/2 holds (x = 0 is no witness)
    import sympy as sp

    x = sp.Symbol("x", positive=True)
    out = _run("symbolic_relation", {"lhs": sp.Rational(1, 2), "rhs": sp.ceiling(x), "ranges": {"x": (0, 1)}})
    assert out.verdict.name != "FAIL", out.why
    out = _run("symbolic_relation", {"lhs": 0, "rhs": x - sp.Rational(1, 10**9), "ranges": {"x": (0, 1)}})
    assert out.verdict.name == "FAIL" and out.evidence.point != ("x=0",)


def test_declared_integer_not_listed_is_an_integer_variable():
    import sympy as sp

    y = sp.Symbol("y", integer=True)
    # y is declared integer (sympy builds y - floor(y) as 0): the search never draws a non-integer y
    out = _run("symbolic_relation", {"lhs": sp.Rational(1, 4), "rhs": y - sp.floor(y), "ranges": {"y": (0, 5)}})
    assert out.verdict.name != "CERTIFIED"
    out = _run("symbolic_relation", {"lhs": y - sp.floor(y), "rhs": 0, "ranges": {"y": (0, 5)}})
    assert out.verdict.name != "FAIL", out.why
