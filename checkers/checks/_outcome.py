"""What a check returns: a :class:`Verdict` inside a frozen :class:`Outcome` (rendering lives in ``checkers.report``).

Verdicts follow the verification community's convention (VNN-COMP: holds / violated with a re-checked
counterexample / unknown), extended with PASS-EMPIRICAL for evidence from samples:

* CERTIFIED: the bound is proved on the whole domain (or the relation proved symbolically);
* PASS-EMPIRICAL: it held on samples or trained models only (never a certificate);
* FAIL: refuted, with a counterexample re-evaluated in exact or interval arithmetic;
* UNKNOWN: neither proved nor refuted within the budget (sympy's ``None`` lands here);
* ERROR: the check itself broke (its message is kept);
* VACUOUS: the relation held, but at this instance it could not have failed (a generalization bound
  above the loss range, a count bound above the number of possible patterns, a rule compared with
  itself). Counted apart: neither passed nor failed, and named in the closing summary;
* NOT-REPRODUCED: a trained run missed a paper's reported figure (or its trend) under the claim's
  pre-registered criterion. Never a refutation: a trained model measures an optimiser and cannot
  refute an expressivity or generalization theorem. Counted apart and named in the closing summary.

Every outcome carries a *slack*: how far the claim's constant (or exponent) could be tightened and
still hold at this instance: ``bound / measured`` for ``<=``, ``measured / bound`` for ``>=`` (both
``kind='ratio'``; below 1 means refuted), an exponent margin for rates (``kind='exponent'``, set by the
rate checks), or ``kind='none'`` with the reason none applies (equalities, symbolic relations).

A :class:`Verdict` refuses ``bool()``, as sympy's relations do, so ``if verdict:`` can never turn an
unknown into a pass. An engine's :class:`proofs.Status` becomes a verdict in one place only:
:func:`verdict_of`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from proofs import Status

__all__ = [
    "Verdict",
    "verdict_of",
    "Evidence",
    "Outcome",
    "SENSES",
    "SLACK_KINDS",
    "plain_value",
    "default_slack",
    "vacuous_if",
    "as_vacuous",
]


class Verdict(str, enum.Enum):
    """The five verdicts. ``bool(verdict)`` raises: ask ``.is_pass`` or ``.is_certified``."""

    CERTIFIED = "CERTIFIED"
    PASS_EMPIRICAL = "PASS-EMPIRICAL"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    ERROR = "ERROR"
    VACUOUS = "VACUOUS"
    NOT_REPRODUCED = "NOT-REPRODUCED"

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

    @property
    def is_apart(self) -> bool:
        """VACUOUS (held, but could not have failed at its instance) or NOT-REPRODUCED (a trained run missed
        the paper's figure): counted apart, never as passed nor as failed."""
        return self in (Verdict.VACUOUS, Verdict.NOT_REPRODUCED)


def verdict_of(status: Status, *, confirmed: bool = True, empirical: bool = False) -> Verdict:
    """The verdict of an engine status: the one map from :class:`proofs.Status` to :class:`Verdict`.

    PROVED -> CERTIFIED (PASS-EMPIRICAL when ``empirical``: the proof is about samples or trained
    models, not the whole claim), REFUTED -> FAIL, UNKNOWN -> UNKNOWN. ``confirmed=False`` (the check's
    own re-check of the certificate against the exact claim, e.g. its bound rounded the other way,
    did not agree) makes any status UNKNOWN.

    >>> verdict_of(Status.PROVED), verdict_of(Status.REFUTED), verdict_of(Status.PROVED, confirmed=False)
    (<Verdict.CERTIFIED: 'CERTIFIED'>, <Verdict.FAIL: 'FAIL'>, <Verdict.UNKNOWN: 'UNKNOWN'>)
    """
    Status.checked(status)
    if status is Status.UNKNOWN or not confirmed:
        return Verdict.UNKNOWN
    if status is Status.REFUTED:
        return Verdict.FAIL
    return Verdict.PASS_EMPIRICAL if empirical else Verdict.CERTIFIED


def plain_value(v: Any) -> Any:
    """JSON-friendly plain value: numbers stay numbers (non-finite ones become strings)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, (list, tuple)):
        return [plain_value(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): plain_value(x) for k, x in v.items()}
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
            "lower_bound": plain_value(self.lower_bound),
            "upper_bound": plain_value(self.upper_bound),
            "box": [list(map(plain_value, b)) for b in self.box] if self.box else None,
            "seed": self.seed,
            "shrunk_from": self.shrunk_from,
            "extra": plain_value(dict(self.extra)),
        }


#: what a certificate covers unless it says otherwise (a float64 rounding allowance of 0 is *not* claimed)
REAL_SEMANTICS = "real arithmetic (exact); float64 execution not covered, no rounding allowance"

#: relation senses: measured <= bound, measured >= bound, measured == bound
SENSES = ("le", "ge", "eq")

#: slack kinds: a ratio of the two sides, a margin in exponent units, or none (with its reason)
SLACK_KINDS = ("ratio", "exponent", "none")


def default_slack(measured: float | None, bound: float | None, sense: str) -> tuple[float | None, str, str]:
    """``(slack, kind, note)`` from the two sides of a claim.

    ``bound / measured`` for ``le`` and ``measured / bound`` for ``ge`` when both sides are positive
    (a slack of 4 means the constant could be 4x tighter and still hold; below 1 the claim is
    refuted); otherwise no ratio applies and the note says why.

    >>> default_slack(0.25, 1.0, 'le')
    (4.0, 'ratio', 'bound / measured')
    >>> default_slack(3.0, 3.0, 'eq')[1:]
    ('none', 'an equality: exact, no constant to tighten')
    """
    if sense == "eq":
        return None, "none", "an equality: exact, no constant to tighten"
    if measured is None or bound is None:
        return None, "none", "no numeric sides (a symbolic relation, decided for all parameters)"
    if not (math.isfinite(measured) and math.isfinite(bound)):
        return None, "none", "a side is not finite"
    if measured > 0 and bound > 0:
        return (
            (bound / measured, "ratio", "bound / measured")
            if sense == "le"
            else (measured / bound, "ratio", "measured / bound")
        )
    if sense == "le" and measured == 0 and bound > 0:
        return math.inf, "ratio", "bound / measured with measured = 0"
    return None, "none", "sides not both positive: no ratio (the margin difference is shown)"


@dataclass(frozen=True)
class Outcome:
    """What a check function returns for one claim on one instance (the runner adds the rest).

    ``measured`` and ``bound`` are the two sides of the claim (``measured <= bound`` when
    ``sense == 'le'``); ``method`` says how the verdict was obtained (``'CROWN over 4096 boxes'``,
    ``'no counterexample in 10^5 points (not a certificate)'``); ``why`` is one sentence for the
    report; ``figures`` are named plot/table artifacts written by the check. ``slack``,
    ``slack_kind`` and ``slack_note`` default to :func:`default_slack` of the two sides; rate checks
    set ``slack_kind='exponent'`` (the exponent margin), and a row with none says why.
    """

    verdict: Verdict
    measured: float | None = None
    bound: float | None = None
    sense: str = "le"
    method: str = ""
    why: str = ""
    evidence: Evidence = field(default_factory=Evidence)
    figures: tuple[str, ...] = ()
    slack: float | None = None
    slack_kind: str = ""
    slack_note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        if self.verdict is Verdict.CERTIFIED and "semantics:" not in self.why:
            # every certificate names what it covers (issue 11): a check that covers the float64 forward
            # as executed says so itself, with its rounding allowance; the others are about real numbers
            object.__setattr__(self, "why", f"{self.why} (semantics: {REAL_SEMANTICS})".lstrip())
        if self.sense not in SENSES:
            raise ValueError(f"sense={self.sense!r} must be one of {SENSES}")
        for name in ("measured", "bound", "slack"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, float):
                object.__setattr__(self, name, float(v))
        if not self.slack_kind:  # the check gave none: derive it from the two sides
            s, kind, note = default_slack(self.measured, self.bound, self.sense)
            if self.slack is not None:
                s, kind = self.slack, "ratio"
            object.__setattr__(self, "slack", s)
            object.__setattr__(self, "slack_kind", kind)
            object.__setattr__(self, "slack_note", self.slack_note or note)
        if self.slack_kind not in SLACK_KINDS:
            raise ValueError(f"slack_kind={self.slack_kind!r} must be one of {SLACK_KINDS}")
        if self.slack_kind == "none" and not self.slack_note:
            raise ValueError("slack_kind='none' needs slack_note: why no slack applies")


def as_vacuous(outcome: Outcome, reason: str) -> Outcome:
    """``outcome`` reported VACUOUS with ``reason`` when it passed (a failure or unknown is kept as is)."""
    if not outcome.verdict.is_pass:
        return outcome
    return replace(outcome, verdict=Verdict.VACUOUS, why=f"vacuous: {reason}; " + outcome.why)


def vacuous_if(outcome: Outcome, ceiling: float, what: str) -> Outcome:
    """VACUOUS when a passing ``<=`` claim's bound is at least ``ceiling``, the largest value the
    measured quantity can take (``what`` names it): such a bound could not have failed.

    >>> vacuous_if(Outcome('PASS-EMPIRICAL', measured=0.4, bound=804.0), 1.0, 'the loss range').verdict
    <Verdict.VACUOUS: 'VACUOUS'>
    >>> vacuous_if(Outcome('PASS-EMPIRICAL', measured=0.4, bound=0.6), 1.0, 'the loss range').verdict
    <Verdict.PASS_EMPIRICAL: 'PASS-EMPIRICAL'>
    """
    b = outcome.bound
    if outcome.sense != "le" or b is None or not b >= ceiling:
        return outcome
    return as_vacuous(outcome, f"bound {b:.4g} >= {what} {ceiling:.4g}, so the relation could not fail here")
