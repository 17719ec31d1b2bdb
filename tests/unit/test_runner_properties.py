"""Property tests of the runner: whatever the checks do, counts, isolation and exit codes stay consistent."""

from hypothesis import given
from hypothesis import strategies as st

from checkers.checks import Outcome, Verdict, register_check
from checkers.report import closing_line
from checkers.run import RunConfig, RunItem, run_checks, summary_counts
from proofs import Claim, Provenance, Theorem

BEHAVIOURS = ["CERTIFIED", "PASS-EMPIRICAL", "FAIL", "UNKNOWN", "NOT-REPRODUCED", "raise", "return-none"]


@register_check("_prop_behaviour")
def _behaviour(claim, instance, ctx):
    b = instance["b"]
    if b == "raise":
        raise ValueError(f"planted failure {instance['i']}")
    if b == "return-none":
        return None
    return Outcome(Verdict(b), measured=1.0, bound=2.0, method="planted")


def _items(behaviours):
    claim = Claim(
        name="c",
        check="_prop_behaviour",
        statement="s",
        quick=tuple({"b": b, "i": i} for i, b in enumerate(behaviours)),
    )
    t = Theorem(
        id="prop/t",
        name="planted_statement",
        label="P",
        title="t",
        paper="classical",
        statement="s",
        statement_provenance=Provenance.OURS,
        claims=(claim,),
    )
    return [RunItem(t, claim, inst) for inst in claim.quick]


@given(st.lists(st.sampled_from(BEHAVIOURS), min_size=1, max_size=12))
def test_every_item_gets_exactly_one_row_in_order(behaviours):
    seen = []
    rs = run_checks(RunConfig(device="cpu"), items=_items(behaviours), on_result=lambda i, n, r: seen.append(i))
    assert seen == list(range(len(behaviours)))
    assert [r.instance["i"] for r in rs] == list(range(len(behaviours)))
    for b, r in zip(behaviours, rs):
        expected = Verdict.ERROR if b in ("raise", "return-none") else Verdict(b)
        assert r.verdict is expected
        if b == "raise":
            assert f"planted failure {r.instance['i']}" in r.outcome.why  # the message is kept
    c = summary_counts(rs)
    assert c["passed"] == sum(b in ("CERTIFIED", "PASS-EMPIRICAL") for b in behaviours)
    assert c["failed"] == sum(b in ("FAIL", "raise", "return-none") for b in behaviours)
    assert c["skipped"] == behaviours.count("UNKNOWN")
    assert c["apart"] == behaviours.count("NOT-REPRODUCED")  # counted apart, never as passed
    assert closing_line(rs) == f"verify: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"


@given(st.lists(st.sampled_from(BEHAVIOURS), min_size=1, max_size=8), st.integers(0, 2**20))
def test_seeds_are_a_function_of_base_seed_and_row(behaviours, seed):
    a = run_checks(RunConfig(device="cpu", seed=seed), items=_items(behaviours))
    b = run_checks(RunConfig(device="cpu", seed=seed), items=_items(behaviours))
    assert [r.outcome.evidence.seed for r in a if r.verdict is Verdict.ERROR] == [
        r.outcome.evidence.seed for r in b if r.verdict is Verdict.ERROR
    ]
    assert all(r.repro.startswith("moecheck verify -k") and f"--seed {seed}" in r.repro for r in a)
