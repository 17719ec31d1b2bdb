"""Telling: the rich console report and the one writer of result files (JSON, Markdown, JUnit)."""

from ._console import COMPACT_BELOW as COMPACT_BELOW
from ._console import THEME as THEME
from ._console import ProgressReporter as ProgressReporter
from ._console import closing_line as closing_line
from ._console import make_console as make_console
from ._console import render_legend as render_legend
from ._console import render_report as render_report
from ._console import write_json as write_json
from ._console import write_junit as write_junit
from ._console import write_markdown as write_markdown
from ._writers import FILE_MODE as FILE_MODE
from ._writers import SCHEMA_PATH as SCHEMA_PATH
from ._writers import SCHEMA_VERSION as SCHEMA_VERSION
from ._writers import apart_line as apart_line
from ._writers import check_writable as check_writable
from ._writers import failure_block as failure_block
from ._writers import fmt as fmt
from ._writers import run_meta as run_meta
from ._writers import safe_text as safe_text
from ._writers import write_atomic as write_atomic

__all__ = [
    "safe_text",
    "FILE_MODE",
    "COMPACT_BELOW",
    "THEME",
    "make_console",
    "render_report",
    "render_legend",
    "closing_line",
    "ProgressReporter",
    "write_json",
    "write_markdown",
    "write_junit",
    "SCHEMA_VERSION",
    "SCHEMA_PATH",
    "write_atomic",
    "run_meta",
    "fmt",
    "check_writable",
    "failure_block",
    "apart_line",
]
