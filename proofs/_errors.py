"""The one input-error type of moecheck.

Every bad value a user can give (an unknown theorem id, a malformed expression, eps <= 0, a broken
``--module`` file, a NaN) raises :class:`InvalidInput` with a message that names the value and what was
expected. The command line maps it to one line on stderr and exit code 2.
"""

from __future__ import annotations


class InvalidInput(ValueError):
    """A user-supplied value is not acceptable; the message names the value and what was expected."""


def require(condition: bool, message: str) -> None:
    """Raise :class:`InvalidInput` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise InvalidInput(message)


class ResourceLimit(InvalidInput):
    """A size estimated before allocation exceeds its budget; the message names the size, the budget and
    the knob. At the command line it is an input error (exit 2); inside ``verify`` the row is UNKNOWN."""
