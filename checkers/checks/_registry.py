"""The check registry and the context a check runs in.

A theorem's claim names a check by key (``Claim.check``); checks register here with
:func:`register_check`. A check never imports a theorem: it receives the claim (static data), the
instance (a parameter point) and a :class:`CheckContext`, and returns an :class:`~checkers.checks._outcome.Outcome`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from checkers.checks._outcome import Outcome
from proofs import Claim, InvalidInput

__all__ = ["CheckContext", "CheckFn", "register_check", "get_check", "registered_checks", "CheckTimeout"]


class CheckTimeout(Exception):
    """Raised inside a check when its time budget is spent (the row becomes UNKNOWN)."""


@dataclass(frozen=True)
class CheckContext:
    """Where and how a check runs.

    Arguments:
        profile: 'quick' or 'full'.
        device: a torch device string ('cpu' or 'cuda').
        seed: the base random seed (checks derive their own from it, deterministically).
        timeout: seconds allowed for one check (the deadline counts from ``started``).
        out_dir: where a check may write figures and tables (next to the report).
        started: ``time.monotonic()`` when the check started.
    """

    profile: str = "quick"
    device: str = "cpu"
    seed: int = 0
    timeout: float = 300.0
    out_dir: Path = field(default_factory=lambda: Path("reports"))
    started: float = field(default_factory=time.monotonic)

    def time_left(self) -> float:
        """Seconds left before this check's deadline (negative when past it)."""
        return self.timeout - (time.monotonic() - self.started)

    def check_deadline(self) -> None:
        """Raise :class:`CheckTimeout` when the deadline has passed (call it in long loops)."""
        if self.time_left() <= 0:
            raise CheckTimeout(f"time budget of {self.timeout:g} s spent")


CheckFn = Callable[[Claim, Mapping[str, Any], CheckContext], Outcome]

_CHECKS: dict[str, CheckFn] = {}


def register_check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Decorator: register ``fn`` as the check called ``name``."""

    def deco(fn: CheckFn) -> CheckFn:
        old = _CHECKS.get(name)
        same = old is not None and (old.__module__, old.__qualname__) == (fn.__module__, fn.__qualname__)
        if old is not None and old is not fn and not same:
            raise ValueError(f"check {name!r} registered twice ({old.__module__} and {fn.__module__})")
        _CHECKS[name] = fn
        return fn

    return deco


def _load_checks() -> None:
    import checkers.checks  # noqa: F401  (each check module registers on import)


def get_check(name: str) -> CheckFn:
    """The check registered as ``name``."""
    _load_checks()
    try:
        return _CHECKS[name]
    except KeyError:
        from checkers.checks import IMPORT_ERRORS

        broken = "; ".join(f"checkers.checks.{m} failed to import ({e})" for m, e in IMPORT_ERRORS.items())
        raise InvalidInput(f"unknown check {name!r}; registered checks: {', '.join(sorted(_CHECKS))}"
                           + (f"; note: {broken}" if broken else "")) from None


def registered_checks() -> tuple[str, ...]:
    _load_checks()
    return tuple(sorted(_CHECKS))
