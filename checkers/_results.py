"""The result model: what a check returns (frozen data; rendering lives in ``checkers.report``).

Verdicts follow the verification community's convention (VNN-COMP: holds / violated with a re-checked
counterexample / unknown), extended with PASS-EMPIRICAL for evidence from samples:

* CERTIFIED: the bound is proved on the whole domain (or the relation proved symbolically);
* PASS-EMPIRICAL: it held on samples or trained models only (never a certificate);
* FAIL: refuted, with a counterexample re-evaluated in exact or interval arithmetic;
* UNKNOWN: neither proved nor refuted within the budget (sympy's ``None`` lands here);
* ERROR: the check itself broke (its message is kept).

A :class:`Verdict` refuses ``bool()``, as sympy's relations do, so ``if verdict:`` can never turn an
unknown into a pass.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["Verdict", "Evidence", "Outcome", "CheckResult", "margins", "summary_counts"]


class Verdict(str, enum.Enum):
    """The five verdicts. ``bool(verdict)`` raises: ask ``.is_pass`` or ``.is_certified``."""

    CERTIFIED = "CERTIFIED"
    PASS_EMPIRICAL = "PASS-EMPIRICAL"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    ERROR = "ERROR"

    def __bool__(self) -> bool:
        raise TypeError("a Verdict has no truth value: use .is_certified, .is_pass or .is_failure")

    def __str__(self) -> str:
        return self.value

    @property
    def is_certified(self) -> bool:
        return self is Verdict.CERTIFIED

    @property
    def is_pass(self) -> bool:
        """CERTIFIED or PASS-EMPIRICAL (counted as passed in the closing line)."""
        return self in (Verdict.CERTIFIED, Verdict.PASS_EMPIRICAL)

    @property
    def is_failure(self) -> bool:
        """FAIL or ERROR (counted as failed; exit code 1)."""
        return self in (Verdict.FAIL, Verdict.ERROR)


def _plain(v: Any) -> Any:
    """JSON-friendly plain value: numbers stay numbers (non-finite ones become strings)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    try:
        f = float(v)
        if f.is_integer() and abs(f) < 2**53 and str(v).lstrip("-").isdigit():
            return int(f)
        return f if math.isfinite(f) else repr(f)
    except (TypeError, ValueError):
        return str(v)


@dataclass(frozen=True)
class Evidence:
    """What backs a verdict.

    Arguments:
        point: the counterexample or worst point, as exact strings (``'0.53125'``, ``'17/32'``).
        replay: how the point was re-evaluated (``'exact rational'``, ``'mpmath interval, 60 digits'``).
        replayed_value: the re-evaluated quantity at ``point`` (an interval ``[lo, hi]`` as strings).
        lower_bound: the sampled (or exactly attained) lower bound of the quantity.
        upper_bound: the certified upper bound of the quantity.
        box: the worst box, as ``((lo, hi), ...)``.
        seed: the random seed used.
        shrunk_from: what the witness was shrunk from (``'4096 points'``).
        extra: anything else (tables are kept small: the report shows it as key=value).
    """

    point: tuple[str, ...] | None = None
    replay: str | None = None
    replayed_value: tuple[str, str] | None = None
    lower_bound: float | None = None
    upper_bound: float | None = None
    box: tuple[tuple[float, float], ...] | None = None
    seed: int | None = None
    shrunk_from: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        if self.point is not None:
            object.__setattr__(self, "point", tuple(str(p) for p in self.point))

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": list(self.point) if self.point is not None else None,
            "replay": self.replay,
            "replayed_value": list(self.replayed_value) if self.replayed_value else None,
            "lower_bound": _plain(self.lower_bound),
            "upper_bound": _plain(self.upper_bound),
            "box": [list(map(_plain, b)) for b in self.box] if self.box else None,
            "seed": self.seed,
            "shrunk_from": self.shrunk_from,
            "extra": _plain(dict(self.extra)),
        }


#: relation senses: measured <= bound, measured >= bound, measured == bound
SENSES = ("le", "ge", "eq")


@dataclass(frozen=True)
class Outcome:
    """What a check function returns for one claim on one instance (the runner adds the rest).

    ``measured`` and ``bound`` are the two sides of the claim (``measured <= bound`` when
    ``sense == 'le'``); ``method`` says how the verdict was obtained (``'CROWN over 4096 boxes'``,
    ``'no counterexample in 10^5 points (not a certificate)'``); ``why`` is one sentence for the
    report; ``figures`` are named plot/table artifacts written by the check.
    """

    verdict: Verdict
    measured: float | None = None
    bound: float | None = None
    sense: str = "le"
    method: str = ""
    why: str = ""
    evidence: Evidence = field(default_factory=Evidence)
    figures: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        if self.sense not in SENSES:
            raise ValueError(f"sense={self.sense!r} must be one of {SENSES}")
        for name in ("measured", "bound"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, float):
                object.__setattr__(self, name, float(v))


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
            "instance": {str(k): _plain(v) for k, v in self.instance.items()},
            "verdict": o.verdict.value,
            "finding": self.finding,
            "measured": _plain(o.measured),
            "bound": _plain(o.bound),
            "sense": o.sense,
            "margin": {"difference": _plain(diff), "ratio": _plain(ratio)},
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


def summary_counts(results) -> dict[str, int]:
    """passed = CERTIFIED + PASS-EMPIRICAL, failed = FAIL + ERROR, skipped = UNKNOWN."""
    passed = sum(1 for r in results if r.verdict.is_pass)
    failed = sum(1 for r in results if r.verdict.is_failure)
    skipped = sum(1 for r in results if r.verdict is Verdict.UNKNOWN)
    return {"passed": passed, "failed": failed, "skipped": skipped}
