"""The quick slice of the differential soundness harness (issue 11): part of ``make test`` (well under 60 s).

The full run (``make soundness``, >= 10,000 cases, results/soundness.json) uses the same generators and
oracle (``tests/quality/soundness_harness.py``, ``tests/oracles/arb_oracle.py``).
"""

import pytest

from tests.quality.soundness_harness import QUICK, run_kind, summary


@pytest.mark.parametrize("kind", sorted(QUICK))
def test_no_false_certified_and_no_false_fail(kind):
    cases = run_kind(kind, QUICK[kind], seed=1)
    s = summary(cases)
    assert s["cases"] >= QUICK[kind] * 0.8, s
    bad = [c for c in cases if c.false_certified or c.false_fail]
    assert not bad, bad[:5]
