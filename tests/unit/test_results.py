"""The result model: three-valued verdicts, margins, JSON records that validate against the schema."""

import json
import math

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkers.checks import Evidence, Outcome, Verdict
from checkers.report import SCHEMA_PATH
from checkers.run import CheckResult, margins, summary_counts

SCHEMA = json.loads(SCHEMA_PATH.read_text())


def test_verdict_refuses_bool():
    for v in Verdict:
        with pytest.raises(TypeError, match="is_certified"):
            bool(v)
        with pytest.raises(TypeError):
            if v:  # noqa: SIM108 - the point of the test
                pass


def test_verdict_classes():
    assert Verdict.CERTIFIED.is_pass and Verdict.PASS_EMPIRICAL.is_pass
    assert not Verdict.UNKNOWN.is_pass and not Verdict.UNKNOWN.is_failure
    assert Verdict.FAIL.is_failure and Verdict.ERROR.is_failure
    assert Verdict.CERTIFIED.is_certified and not Verdict.PASS_EMPIRICAL.is_certified


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
any_float = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))


@given(measured=finite, bound=finite)
def test_margin_sign_means_slack(measured, bound):
    diff, _ = margins(measured, bound, "le")
    assert (diff >= 0) == (measured <= bound)
    diff, _ = margins(measured, bound, "ge")
    assert (diff >= 0) == (measured >= bound)


def _result(verdict, measured, bound, sense, point):
    return CheckResult(
        theorem_id="t/x",
        theorem_label="T",
        paper="p",
        claim="c",
        statement="s",
        instance={"m": 3, "f": "x0**2"},
        outcome=Outcome(
            verdict,
            measured=measured,
            bound=bound,
            sense=sense,
            method="m",
            why="w",
            evidence=Evidence(point=point, lower_bound=measured, seed=1, box=((0.0, 1.0),), extra={"k": math.inf}),
        ),
        seconds=0.1,
        device="cpu",
        provenance="statement: paper; construction: ours",
        claim_provenance="ours",
    )


@given(
    verdict=st.sampled_from(list(Verdict)),
    measured=any_float,
    bound=any_float,
    sense=st.sampled_from(["le", "ge", "eq"]),
    point=st.one_of(st.none(), st.lists(st.fractions(), min_size=1, max_size=3).map(tuple)),
)
def test_every_record_validates_and_is_strict_json(verdict, measured, bound, sense, point):
    rec = _result(verdict, measured, bound, sense, point).to_dict()
    doc = {
        "schema": "moecheck-results",
        "schema_version": 1,
        "meta": {"date": "x"},
        "summary": {"passed": 0, "failed": 0, "skipped": 0},
        "results": [rec],
    }
    jsonschema.validate(json.loads(json.dumps(doc, allow_nan=False)), SCHEMA)


@given(st.lists(st.sampled_from(list(Verdict)), max_size=30))
def test_summary_counts_partition(verdicts):
    rs = [_result(v, 1.0, 2.0, "le", None) for v in verdicts]
    c = summary_counts(rs)
    assert c["passed"] + c["failed"] + c["skipped"] + c["apart"] == len(rs)
    assert c["skipped"] == verdicts.count(Verdict.UNKNOWN)
    assert c["apart"] == verdicts.count(Verdict.VACUOUS) + verdicts.count(Verdict.NOT_REPRODUCED)


def test_vacuous_is_neither_passed_nor_failed():
    v = Verdict.VACUOUS
    assert v.is_apart and not v.is_pass and not v.is_failure and not v.is_certified
    # a trained run that missed a paper's figure is neither a pass nor a refutation
    n = Verdict.NOT_REPRODUCED
    assert n.is_apart and not n.is_pass and not n.is_failure and not n.is_certified


def test_every_outcome_has_a_slack_or_a_reason():
    from checkers.checks import default_slack

    assert Outcome("CERTIFIED", measured=0.25, bound=1.0).slack == 4.0
    assert Outcome("CERTIFIED", measured=8.0, bound=2.0, sense="ge").slack == 4.0
    assert Outcome("FAIL", measured=2.0, bound=1.0).slack == 0.5  # below 1: refuted
    for o in (
        Outcome("CERTIFIED"),
        Outcome("CERTIFIED", measured=3.0, bound=3.0, sense="eq"),
        Outcome("PASS-EMPIRICAL", measured=-1.0, bound=0.0, sense="ge"),
    ):
        assert o.slack is None and o.slack_kind == "none" and o.slack_note
    assert Outcome("CERTIFIED", measured=-2.3, bound=-2.0, slack=0.3, slack_kind="exponent").slack_kind == "exponent"
    with pytest.raises(ValueError, match="slack_note"):
        Outcome("CERTIFIED", slack_kind="none")
    assert default_slack(0.0, 1.0, "le")[0] == math.inf
