"""The runner: selection, isolation of failing checks, time-outs, user modules, bad input."""

import time
from pathlib import Path

import pytest
import sympy

from checkers.checks import Outcome, Verdict, register_check
from checkers.run import RunConfig, RunItem, run_checks, run_one, select
from proofs import Claim, InvalidInput, Provenance, Theorem, load_user_module, register, unregister
from proofs.formula import Unsupported

DATA = Path(__file__).parent.parent / "data"


@register_check("_test_raises")
def _raises(claim, instance, ctx):
    raise RuntimeError("boom in the check")


@register_check("_test_sleeps")
def _sleeps(claim, instance, ctx):
    time.sleep(30)
    return Outcome(Verdict.CERTIFIED)


@register_check("_test_unsupported")
def _unsupported(claim, instance, ctx):
    raise Unsupported("(-1)**n over an integer range")


@register_check("_test_ok")
def _ok(claim, instance, ctx):
    return Outcome(Verdict.CERTIFIED, measured=1.0, bound=2.0, method="test")


def _theorem(check, tid="test/t"):
    return Theorem(
        id=tid,
        name="test_statement",
        label="T",
        title="t",
        paper="classical",
        statement="s",
        statement_provenance=Provenance.OURS,
        claims=(Claim(name="c", check=check, statement="s", quick=({"a": 1}, {"a": 2})),),
    )


def test_exception_becomes_error_row_and_others_still_run():
    bad, good = _theorem("_test_raises", "test/bad"), _theorem("_test_ok", "test/good")
    items = [RunItem(bad, bad.claims[0], {"a": 1}), RunItem(good, good.claims[0], {"a": 1})]
    rs = run_checks(RunConfig(device="cpu"), items=items)
    assert rs[0].verdict is Verdict.ERROR and "boom in the check" in rs[0].outcome.why
    assert rs[1].verdict is Verdict.CERTIFIED


def test_timeout_becomes_unknown():
    t = _theorem("_test_sleeps")
    r = run_one(RunItem(t, t.claims[0], {"a": 1}), RunConfig(timeout=0.05, device="cpu"), "cpu")
    assert r.verdict is Verdict.UNKNOWN and "timed out" in r.outcome.why


def test_unsupported_node_is_unknown_never_a_pass_or_an_error():
    """A node the evaluator cannot enclose soundly leaves the claim undecided (review: these were ERROR rows)."""
    t = _theorem("_test_unsupported")
    r = run_one(RunItem(t, t.claims[0], {"a": 1}), RunConfig(device="cpu"), "cpu")
    assert r.verdict is Verdict.UNKNOWN and "cannot enclose" in r.outcome.why


def test_unknown_check_is_error_row():
    t = _theorem("no_such_check")
    r = run_one(RunItem(t, t.claims[0], {"a": 1}), RunConfig(device="cpu"), "cpu")
    assert r.verdict is Verdict.ERROR and "unknown check" in r.outcome.why


def test_selection_by_paper_theorem_and_keyword():
    items = select(RunConfig(papers=("classical",), keyword="width_eq_three[m=2]"))
    assert [it.node_id for it in items] == ["classical/yarotsky-square::width_eq_three[m=2]"]
    assert all(it.theorem.paper == "classical" for it in select(RunConfig(papers=("classical",))))


@pytest.mark.parametrize(
    "config, fragment",
    [
        (RunConfig(theorem_ids=("no-such-id",)), "unknown theorem id 'no-such-id'"),
        (RunConfig(papers=("nopaper",)), "--paper 'nopaper'"),
        (RunConfig(profile="medium"), "--profile 'medium'"),
        (RunConfig(device="tpu"), "--device 'tpu'"),
        (RunConfig(timeout=float("nan")), "--timeout nan"),
        (RunConfig(timeout=-1), "--timeout -1"),
        (RunConfig(keyword="zzz-no-match"), "matches no check"),
        (RunConfig(modules=("missing_file.py",)), "missing_file.py"),
    ],
)
def test_bad_selection_is_invalid_input(config, fragment):
    with pytest.raises(InvalidInput, match=None) as exc:
        select(config)
    assert fragment in str(exc.value)


def test_user_module_theorems_are_checked_like_builtin_ones():
    try:
        (t,) = load_user_module(DATA / "user_theorems.py")
        rs = run_checks(RunConfig(theorem_ids=(t.id,), device="cpu"))
        assert [r.verdict for r in rs] == [Verdict.CERTIFIED]
    finally:
        unregister("user/sawtooth-width")


def test_broken_user_module_is_one_line_invalid_input():
    with pytest.raises(InvalidInput) as exc:
        load_user_module(DATA / "broken_module.py")
    msg = str(exc.value)
    assert "failed to import" in msg and "SyntaxError" in msg and "\n" not in msg


def test_theorem_model_rejects_bad_names():
    with pytest.raises(InvalidInput, match="snake_case"):
        Claim(name="Bad Name", check="x", statement="s")
    with pytest.raises(InvalidInput, match="paper/label"):
        _theorem("_test_ok", tid="NoSlash")
    with pytest.raises(InvalidInput, match="twice"):  # a different theorem under a used id
        t = _theorem("_test_ok", tid="test/dup")
        register(t)
        try:
            register(_theorem("_test_raises", tid="test/dup"))
        finally:
            unregister("test/dup")


def test_seeds_are_deterministic_per_row():
    items = select(RunConfig(papers=("classical",), keyword="width_eq_three"))
    a = run_checks(RunConfig(device="cpu", seed=3), items=items)
    b = run_checks(RunConfig(device="cpu", seed=3), items=items)
    assert [r.outcome.evidence.seed for r in a] == [r.outcome.evidence.seed for r in b]
    assert sympy.Integer(3) == 3  # instances keep exact numbers
