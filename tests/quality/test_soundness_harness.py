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


def test_oracle_residual_is_exact_as_written():
    """The oracle's f - a.x - c keeps f's and c's float constants apart (no rounded folding to 2.6)."""
    from fractions import Fraction

    import sympy as sp
    from flint import arb, fmpq

    from tests.quality.soundness_harness import X, _safe_eval, residual_as_written

    f = sp.Max(2.5, X[1] - 2.5) - 2.5
    point = (Fraction(0), Fraction(5e-7))
    exact = -3 * point[1] - Fraction(0.1)
    e = arb(fmpq(exact.numerator, exact.denominator))
    assert _safe_eval(residual_as_written(f, [0.0, 3.0], 0.1), point).overlaps(e)
    assert not _safe_eval(f - 3.0 * X[1] - 0.1, point).overlaps(e)  # the folded form the harness used
