"""The one status of every engine result: proved, refuted (with an exactly replayed witness) or unknown.

Every engine of moecheck (the symbolic prover, realness, Lipschitz constants, the certifier's sup
error, network maxima and routing partitions) returns a frozen result whose ``status`` is a
:class:`Status`. Engines never return sampled evidence as a status: a sample is a lower bound or a
witness candidate, and only an exact replay turns it into REFUTED. The checks map a status to a
verdict in one place (``checkers.checks.verdict_of``).

Like a verdict, a status refuses ``bool()`` (sympy's relations do the same), and it refuses to be
compared with a string, so a stale ``status == "certified"`` fails loudly instead of reading False.
"""

from __future__ import annotations

import enum

__all__ = ["Status"]


class Status(enum.Enum):
    """PROVED on the whole domain, REFUTED by an exactly replayed witness, or UNKNOWN.

    >>> Status.PROVED.negated() is Status.REFUTED
    True
    >>> bool(Status.UNKNOWN)
    Traceback (most recent call last):
    ...
    TypeError: a Status has no truth value: compare it with a Status member (status is Status.PROVED)
    """

    PROVED = "proved"
    REFUTED = "refuted"
    UNKNOWN = "unknown"

    def __bool__(self) -> bool:
        raise TypeError("a Status has no truth value: compare it with a Status member (status is Status.PROVED)")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            raise TypeError(f"compare a Status with Status members, not with the string {other!r}")
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return self.value

    def negated(self) -> Status:
        """The status of the negated statement: a proof refutes its negation and a refutation proves it."""
        return {Status.PROVED: Status.REFUTED, Status.REFUTED: Status.PROVED}.get(self, Status.UNKNOWN)

    @staticmethod
    def checked(value: object) -> Status:
        """``value`` itself when it is a Status; a TypeError otherwise (engine results call it on creation)."""
        if not isinstance(value, Status):
            raise TypeError(f"status={value!r} must be a proofs.Status (PROVED, REFUTED or UNKNOWN)")
        return value
