"""The runner: selection of rows, isolation, time-outs, seeds; one row is a :class:`CheckResult`."""

from ._parallel import plan_tasks as plan_tasks
from ._parallel import run_parallel as run_parallel
from ._results import CheckResult as CheckResult
from ._results import apart_rows as apart_rows
from ._results import margins as margins
from ._results import slack_text as slack_text
from ._results import summary_counts as summary_counts
from ._runner import RunConfig as RunConfig
from ._runner import RunItem as RunItem
from ._runner import available_cores as available_cores
from ._runner import make_result as make_result
from ._runner import node_id as node_id
from ._runner import resolve_device as resolve_device
from ._runner import run_checks as run_checks
from ._runner import run_one as run_one
from ._runner import select as select
from ._runner import share_group as share_group
from ._schedule import expected_seconds as expected_seconds

__all__ = [
    "CheckResult",
    "margins",
    "summary_counts",
    "apart_rows",
    "slack_text",
    "RunConfig",
    "RunItem",
    "select",
    "run_checks",
    "resolve_device",
    "node_id",
    "make_result",
    "run_one",
    "available_cores",
    "share_group",
    "plan_tasks",
    "run_parallel",
    "expected_seconds",
]
