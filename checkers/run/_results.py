"""One row of the report: a :class:`CheckResult` wraps a check's :class:`Outcome` with the theorem, claim,
instance, timing and provenance the runner knows. Counting and margins of rows live here too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from checkers.checks import Outcome, Verdict, plain_value

__all__ = ["CheckResult", "margins", "summary_counts", "apart_rows", "slack_text"]


def margins(measured: float | None, bound: float | None, sense: str) -> tuple[float | None, float | None]:
    """(difference, ratio) with the sign convention 'positive difference = slack'.

    For ``le`` the difference is ``bound - measured`` and the ratio ``measured / bound`` (below 1 =
    holds); for ``ge`` the difference is ``measured - bound`` and the ratio ``measured / bound``.

    >>> margins(0.5, 1.0, 'le')
    (0.5, 0.5)
    """
    if measured is None or bound is None or not (math.isfinite(measured) and math.isfinite(bound)):
        return None, None
    diff = bound - measured if sense == "le" else measured - bound if sense == "ge" else -abs(measured - bound)
    ratio = measured / bound if bound != 0 else None
    return diff, ratio


@dataclass(frozen=True)
class CheckResult:
    """One row of the report: one claim of one theorem on one instance."""

    theorem_id: str
    theorem_label: str
    paper: str
    claim: str
    statement: str
    instance: Mapping[str, Any]
    outcome: Outcome
    seconds: float
    device: str
    provenance: str  # 'statement: paper; construction: ours'
    claim_provenance: str
    finding: bool = False
    repro: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "instance", MappingProxyType(dict(self.instance)))

    @property
    def verdict(self) -> Verdict:
        return self.outcome.verdict

    @property
    def instance_label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.instance.items()) or "-"

    def to_dict(self) -> dict[str, Any]:
        """The JSON record (schema: ``schema/results.schema.json``)."""
        o = self.outcome
        diff, ratio = margins(o.measured, o.bound, o.sense)
        return {
            "theorem": self.theorem_id,
            "label": self.theorem_label,
            "paper": self.paper,
            "claim": self.claim,
            "statement": self.statement,
            "instance": {str(k): plain_value(v) for k, v in self.instance.items()},
            "verdict": o.verdict.value,
            "finding": self.finding,
            "measured": plain_value(o.measured),
            "bound": plain_value(o.bound),
            "sense": o.sense,
            "margin": {"difference": plain_value(diff), "ratio": plain_value(ratio)},
            "slack": {"value": plain_value(o.slack), "kind": o.slack_kind, "note": o.slack_note},
            "method": o.method,
            "why": o.why,
            "evidence": o.evidence.to_dict(),
            "figures": list(o.figures),
            "seconds": round(self.seconds, 6),
            "device": self.device,
            "provenance": self.provenance,
            "claim_provenance": self.claim_provenance,
            "repro": self.repro,
        }


def summary_counts(results: Sequence[CheckResult]) -> dict[str, int]:
    """passed = CERTIFIED + PASS-EMPIRICAL, failed = FAIL + ERROR, skipped = UNKNOWN,
    apart = VACUOUS + NOT-REPRODUCED."""
    passed = sum(1 for r in results if r.verdict.is_pass)
    failed = sum(1 for r in results if r.verdict.is_failure)
    skipped = sum(1 for r in results if r.verdict is Verdict.UNKNOWN)
    apart = sum(1 for r in results if r.verdict.is_apart)
    return {"passed": passed, "failed": failed, "skipped": skipped, "apart": apart}


def apart_rows(results: Iterable[CheckResult]) -> list[str]:
    """``theorem::claim[instance]`` of every row counted apart (VACUOUS, NOT-REPRODUCED), in report order."""
    return [f"{r.theorem_id}::{r.claim}[{r.instance_label}]" for r in results if r.verdict.is_apart]


def slack_text(o: Outcome) -> str:
    """The slack as a table cell: ``x4.0`` (ratio), ``+0.26 exp`` (exponent margin), ``-`` (none).

    >>> slack_text(Outcome('CERTIFIED', measured=1.0, bound=4.0))
    'x4'
    """
    if o.slack is None or o.slack_kind == "none":
        return "-"
    if o.slack_kind == "exponent":
        return f"{o.slack:+.2f} exp"
    if not math.isfinite(o.slack):
        return "inf"
    return f"x{o.slack:.3g}" if o.slack < 1e4 else f"x{o.slack:.1e}"
