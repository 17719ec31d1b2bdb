"""Rich rendering of results (views over the frozen rows; nothing here computes a verdict).

``render_report`` builds the table grouped by paper, the failure blocks and the legend; the closing
line ``verify: N passed, N failed, N skipped`` is printed by the command line. Meaning is never carried
by colour alone: every verdict is written out, and ``ascii_box`` gives plain-ASCII borders for logs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

from checkers.checks import Verdict
from checkers.report._writers import (  # noqa: F401  (re-exported)
    apart_line,
    failure_block,
    fmt,
    safe_text,
    write_json,
    write_junit,
    write_markdown,
)
from checkers.run import CheckResult, margins, slack_text, summary_counts
from proofs import PAPERS

__all__ = [
    "THEME",
    "COMPACT_BELOW",
    "make_console",
    "safe_text",
    "render_report",
    "render_legend",
    "closing_line",
    "apart_line",
    "ProgressReporter",
    "write_json",
    "write_markdown",
    "write_junit",
]

THEME = Theme(
    {
        "verdict.certified": "bold green",
        "verdict.pass-empirical": "green",
        "verdict.fail": "bold red",
        "verdict.unknown": "yellow",
        "verdict.error": "bold magenta",
        "verdict.vacuous": "yellow",
        "verdict.not-reproduced": "bright_yellow",
        "source.ours": "cyan",
        "muted": "dim",
    }
)

LEGEND = (
    ("CERTIFIED", "the bound is proved on the whole domain (or the relation proved symbolically)"),
    ("PASS-EMPIRICAL", "held on samples or trained models only: not a certificate"),
    ("FAIL", "refuted, with a counterexample re-evaluated in exact or interval arithmetic"),
    ("UNKNOWN", "neither proved nor refuted within the budget (counted as skipped)"),
    ("ERROR", "the check itself broke (counted as failed)"),
    ("VACUOUS", "held, but could not have failed at this instance (counted apart, never as passed)"),
    (
        "NOT-REPRODUCED",
        "a trained run missed the paper's figure under the pre-registered rule: never a "
        "refutation (counted apart, never as passed)",
    ),
)
SLACK_LEGEND = (
    "Slack: how far the claim's constant could be tightened and still hold (x4 = bound / measured "
    "for <=, measured / bound for >=; below x1 refuted); '+0.3 exp' = exponent margin of a rate; "
    "'-' = none applies (equalities, symbolic relations; the JSON says why)."
)


#: below this many columns the report switches to its compact layout (one row on one or two lines)
COMPACT_BELOW = 120


def _env_width() -> int | None:
    for name in ("COLUMNS", "MOECHECK_WIDTH"):
        raw = os.environ.get(name, "").strip()
        if raw.isdigit() and 20 <= int(raw) <= 1000:
            return int(raw)
    return None


def make_console(*, file=None, width: int | None = None, ascii_box: bool = False, record: bool = False) -> Console:
    """A console that reads well in a terminal and in a log (no colour when not a TTY). Its width: ``width``,
    else the terminal's, else ``COLUMNS`` (or ``MOECHECK_WIDTH``) when piped, else 160."""
    file = file or sys.stdout
    is_tty = hasattr(file, "isatty") and file.isatty()
    if width is None and not is_tty:
        width = _env_width() or 160
    return Console(
        file=file,
        width=width,
        theme=THEME,
        highlight=False,
        record=record,
        color_system="auto" if is_tty else None,
        emoji=False,
        legacy_windows=False,
        safe_box=ascii_box,
    )


def _verdict_text(r: CheckResult) -> Text:
    v = r.outcome.verdict
    label = v.value + (" (finding)" if r.finding else "")
    return Text(label, style=f"verdict.{v.value.lower()}")


def _theorem_cell(r: CheckResult) -> Text:
    t = Text(f"{safe_text(r.theorem_label)}\n", style="bold")
    t.append(safe_text(r.theorem_id) + "\n", style="muted")
    style = "source.ours" if "ours" in r.provenance else "muted"
    t.append(safe_text(r.provenance), style=style)
    return t


_REL = {"le": "<=", "ge": ">=", "eq": "==", "lt": "<", "gt": ">"}


def _line(*parts: tuple[str, str]) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    for text, style in parts:
        t.append(text, style=style)
    return t


def _compact_row(r: CheckResult) -> list[Text]:
    """A row on two lines that never wrap: verdict, claim, instance; then the numbers and how / why (the
    reason first, so an UNKNOWN says why in the first columns). The JSON and wide layouts keep every word."""
    o = r.outcome
    first = _line(
        (o.verdict.value + (" (finding)" if r.finding else ""), f"verdict.{o.verdict.value.lower()}"),
        (f"  {safe_text(r.claim)}  [{safe_text(r.instance_label)}]", ""),
    )
    nums = ""
    if o.measured is not None or o.bound is not None:
        nums = f"{fmt(o.measured)} {_REL.get(o.sense, o.sense)} {fmt(o.bound)}"
        if o.verdict is not Verdict.UNKNOWN and slack_text(o) != "-":
            nums += f" (slack {slack_text(o)})"
        nums += "  "
    how = "; ".join(safe_text(x) for x in (o.why, o.method) if x)
    second = _line((f"    {nums}{r.seconds:.2f}s  ", ""), (how, "muted"))
    return [first, second]


def _render_compact(results: Sequence[CheckResult]) -> list:
    parts: list = []
    for paper in dict.fromkeys(r.paper for r in results):
        parts.append(_line((safe_text(f"{paper}: {PAPERS.get(paper, 'user theorems')}"), "bold underline")))
        last = None
        for r in (r for r in results if r.paper == paper):
            if r.theorem_id != last:
                parts.append(
                    _line(
                        (f"{safe_text(r.theorem_label)} {safe_text(r.theorem_id)}", "bold"),
                        (f"  ({safe_text(r.provenance)})", "muted"),
                    )
                )
            parts += _compact_row(r)
            last = r.theorem_id
    return parts


def render_report(results: Sequence[CheckResult], *, ascii_box: bool = False, width: int | None = None) -> Group:
    """One table per paper (below :data:`COMPACT_BELOW` columns: one row on one or two lines), then each
    failure's five-line block. Every text from a theorem or a check has its control characters escaped."""
    parts = (
        _render_compact(results) if width is not None and width < COMPACT_BELOW else _render_tables(results, ascii_box)
    )
    for r in (r for r in results if r.verdict.is_failure):
        block = Text()
        for i, line in enumerate(failure_block(r)):
            block.append(line + "\n", style="verdict.fail" if i == 0 else "")
        parts.append(block)
    return Group(*parts)


def _render_tables(results: Sequence[CheckResult], ascii_box: bool) -> list:
    parts = []
    bx = box.ASCII if ascii_box else box.SIMPLE_HEAD
    for paper in dict.fromkeys(r.paper for r in results):
        title = safe_text(f"{paper}: {PAPERS.get(paper, 'user theorems')}")
        table = Table(title=title, title_justify="left", box=bx, show_lines=True, expand=True)
        table.add_column("theorem", ratio=2, overflow="fold")
        table.add_column("claim", ratio=2, overflow="fold")
        table.add_column("instance", ratio=2, overflow="fold")
        table.add_column("measured", justify="right", no_wrap=True)
        table.add_column("bound", justify="right", no_wrap=True)
        table.add_column("margin", justify="right", no_wrap=True)
        table.add_column("slack", justify="right", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        table.add_column("how / why", ratio=4, overflow="fold")
        table.add_column("time", justify="right", no_wrap=True)
        last_theorem = None
        for r in (r for r in results if r.paper == paper):
            o = r.outcome
            diff, ratio = margins(o.measured, o.bound, o.sense)
            undecided = diff is None or o.verdict is Verdict.UNKNOWN  # an undecided gap is no margin
            margin = "-" if undecided else f"{fmt(diff)}" + (f"\n(x{fmt(ratio, 3)})" if ratio is not None else "")
            how = Text(safe_text(o.method or ""))
            if o.why:
                how.append(("\n" if o.method else "") + safe_text(o.why), style="muted")
            theorem = _theorem_cell(r) if r.theorem_id != last_theorem else Text("")
            last_theorem = r.theorem_id
            table.add_row(
                theorem,
                Text(safe_text(r.claim)),
                Text(safe_text(r.instance_label)),
                fmt(o.measured),
                fmt(o.bound),
                margin,
                slack_text(o),
                _verdict_text(r),
                how,
                f"{r.seconds:.2f}s",
            )
        parts.append(table)
    return parts


def render_legend() -> Text:
    t = Text("Verdicts: ")
    for i, (name, meaning) in enumerate(LEGEND):
        t.append(name, style=f"verdict.{name.lower()}")
        t.append(f" = {meaning}" + ("; " if i < len(LEGEND) - 1 else "."))
    t.append("\n" + SLACK_LEGEND)
    return t


def closing_line(results: Sequence[CheckResult]) -> str:
    """``verify: N passed, N failed, N skipped`` (passed = CERTIFIED + PASS-EMPIRICAL, failed = FAIL + ERROR)."""
    c = summary_counts(results)
    return f"verify: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"


class ProgressReporter:
    """Progress on stderr: a live bar in a terminal, one plain line per check in a log."""

    def __init__(self, total: int, *, file=None):
        self.file = file or sys.stderr
        self.console = make_console(file=self.file)
        self.live = self.console.is_terminal
        self.total = total
        self.progress = None
        if self.live:
            self.progress = Progress(
                TextColumn("[bold]verify"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.task = self.progress.add_task("", total=total)

    def __enter__(self):
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()

    def on_start(self, i: int, total: int, item) -> None:
        if self.progress:
            self.progress.update(self.task, description=safe_text(item.node_id)[:80])

    def on_result(self, i: int, total: int, r: CheckResult) -> None:
        if self.progress:
            self.progress.advance(self.task)
        else:
            v = r.verdict.value + (" (finding)" if r.finding else "")
            print(
                safe_text(f"[{i + 1}/{total}] {v:<15} {r.theorem_id}::{r.claim}[{r.instance_label}] {r.seconds:.2f}s"),
                file=self.file,
                flush=True,
            )
