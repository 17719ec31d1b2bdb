"""Expected seconds per row, read from an earlier report, for scheduling ``verify --jobs N`` (longest first).

Only the order in which rows are started depends on it: every row's seed, result and place in the report
stay those of a serial run. A missing or unreadable report means no estimates (groups first, then row order).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from checkers.checks import plain_value

__all__ = ["expected_seconds"]


def _key(theorem: str, claim: str, instance: Mapping[str, Any]) -> str:
    return json.dumps([theorem, claim, {str(k): plain_value(v) for k, v in instance.items()}], sort_keys=True)


def expected_seconds(report: str | Path | None) -> Callable[[Any], float | None] | None:
    """A function ``item -> seconds`` the row took in the JSON ``report`` (None when it is not there), or
    None when there is no readable report. ``item`` is a :class:`~checkers.run.RunItem`.
    """
    if report is None:
        return None
    try:
        rows = json.loads(Path(report).read_text())["results"]
        seen = {
            _key(r["theorem"], r["claim"], r["instance"]): float(r["seconds"])
            for r in rows
            if isinstance(r.get("seconds"), (int, float))
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not seen:
        return None

    def cost(item: Any) -> float | None:
        return seen.get(_key(item.theorem.id, item.claim.name, item.instance))

    return cost
