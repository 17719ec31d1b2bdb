"""The memory budget that every construction checks its estimated size against before allocating.

The default is a safe share (half) of the memory available when the budget is first asked for; the
command line sets it from ``--max-memory``, also in the environment (``MOECHECK_MAX_MEMORY``, bytes) so that
worker processes (``verify --jobs``) keep the same budget. A size over the budget raises :class:`proofs.ResourceLimit`
naming the size, the budget and the knob (exit 2 at the command line, an UNKNOWN row inside ``verify``).
"""

from __future__ import annotations

import os

from proofs import InvalidInput, ResourceLimit

__all__ = ["memory_budget", "set_memory_budget", "require_memory", "parse_bytes", "human_bytes", "available_memory"]

_SHARE = 0.5
ENV = "MOECHECK_MAX_MEMORY"
_state: dict[str, int | None] = {"budget": None}


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable``; 4 GiB when the system does not say)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def memory_budget() -> int:
    """The budget in bytes (``--max-memory``; default half the memory available at first use)."""
    budget = _state["budget"]
    if budget is None:
        raw = os.environ.get(ENV, "")
        budget = _state["budget"] = int(raw) if raw.isdigit() and int(raw) > 0 else int(_SHARE * available_memory())
    return budget


def set_memory_budget(nbytes: int | None) -> None:
    """Set the budget, for this process and the worker processes it starts (``None``: back to the default
    share of available memory)."""
    if nbytes is not None and (not isinstance(nbytes, int) or nbytes <= 0):
        raise InvalidInput(f"--max-memory {nbytes!r}: expected a positive number of bytes")
    _state["budget"] = nbytes
    if nbytes is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = str(nbytes)


_UNITS = {
    "": 1,
    "B": 1,
    "K": 1 << 10,
    "KB": 1 << 10,
    "KIB": 1 << 10,
    "M": 1 << 20,
    "MB": 1 << 20,
    "MIB": 1 << 20,
    "G": 1 << 30,
    "GB": 1 << 30,
    "GIB": 1 << 30,
    "T": 1 << 40,
    "TB": 1 << 40,
    "TIB": 1 << 40,
}


def parse_bytes(text: str) -> int:
    """``'2G'``, ``'512MiB'``, ``'1e9'`` -> bytes (binary units); a bad or non-positive size is an input error.

    >>> parse_bytes("2G"), parse_bytes("512 MiB"), parse_bytes("1000")
    (2147483648, 536870912, 1000)
    """
    s = str(text).strip().upper().replace(" ", "")
    num = s.rstrip("KMGTIB")
    unit = s[len(num) :]
    try:
        value = float(num) * _UNITS[unit]
    except (ValueError, KeyError):
        raise InvalidInput(
            f"--max-memory {str(text)[:40]!r}: expected a size such as 2G, 512M or 1e9 (bytes)"
        ) from None
    if not (value >= 1 and value < 1 << 62):
        raise InvalidInput(f"--max-memory {str(text)[:40]!r}: expected a positive size below 4 EiB")
    return int(value)


def human_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def require_memory(nbytes: float, what: str) -> None:
    """Raise :class:`ResourceLimit` when ``what`` (about ``nbytes``) does not fit the budget."""
    budget = memory_budget()
    if nbytes > budget:
        raise ResourceLimit(
            f"{what} needs about {human_bytes(nbytes)}, over the memory budget of "
            f"{human_bytes(budget)} (raise it with --max-memory, or ask for less)"
        )
