"""One Status for every engine result; one map from it to a verdict (``checkers.checks.verdict_of``)."""

from __future__ import annotations

import dataclasses

import pytest

from checkers.certify import NetMaximum, RoutingCertificate, SupErrorCertificate
from checkers.checks import Verdict, verdict_of
from proofs import Status
from proofs.formula import LipschitzResult, RealnessResult
from proofs.prover import Proof


@pytest.mark.parametrize("status", list(Status))
def test_status_refuses_bool(status):
    with pytest.raises(TypeError, match="no truth value"):
        bool(status)
    with pytest.raises(TypeError):
        if status:  # noqa: SIM108 - the point is that this raises
            pass


@pytest.mark.parametrize("text", ["certified", "proved", "refuted", "unknown"])
def test_status_refuses_string_comparison(text):
    # a stale `status == "certified"` must fail loudly, never read False (or True)
    with pytest.raises(TypeError, match="not with the string"):
        _ = Status.PROVED == text
    with pytest.raises(TypeError):
        _ = Status.UNKNOWN != text


def test_status_members_compare_and_hash_by_identity():
    assert Status.PROVED is Status("proved") and Status.PROVED in (Status.UNKNOWN, Status.PROVED)
    assert {Status.PROVED: 1}[Status.PROVED] == 1 and str(Status.REFUTED) == "refuted"
    assert [s.negated() for s in Status] == [Status.REFUTED, Status.PROVED, Status.UNKNOWN]


def test_verdict_of_is_the_one_map():
    assert verdict_of(Status.PROVED) is Verdict.CERTIFIED
    assert verdict_of(Status.PROVED, empirical=True) is Verdict.PASS_EMPIRICAL
    assert verdict_of(Status.REFUTED) is Verdict.FAIL
    assert verdict_of(Status.UNKNOWN) is Verdict.UNKNOWN
    # a certificate the check's own re-check does not confirm is never a pass nor a failure
    for s in Status:
        assert verdict_of(s, confirmed=False) is Verdict.UNKNOWN
        assert verdict_of(s, confirmed=False, empirical=True) is Verdict.UNKNOWN
    with pytest.raises(TypeError):
        verdict_of("certified")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cls", [SupErrorCertificate, NetMaximum, RoutingCertificate, LipschitzResult, RealnessResult, Proof]
)
def test_every_engine_result_carries_a_status(cls):
    fields = {f.name: f.type for f in dataclasses.fields(cls)}
    assert fields["status"] in (Status, "Status")
    required = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    kwargs = {name: None for name in required}
    kwargs["status"] = "certified"
    with pytest.raises(TypeError, match="proofs.Status"):
        cls(**kwargs)
