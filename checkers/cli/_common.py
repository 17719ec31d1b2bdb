"""What every command shares: output paths (one rule), the memory budget, the seed range, and the one way
results are shown and written (the report's rows, its files through ``checkers.report``, the closing line
and the exit code).

Output-path rule, the same for every command, decided before any work starts: a file path must not be a
directory, and no existing part of its parent path may be a file; a missing parent directory is created
when the file is written (so nothing is created on exit 2). ``--out-dir`` must not be an existing file.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checkers import report
from checkers.report import check_writable, run_meta
from checkers.run import CheckResult
from proofs import InvalidInput

__all__ = [
    "add_output_options",
    "add_budget_option",
    "outputs_of",
    "apply_budget",
    "show_and_write",
    "seed",
    "MAX_SEED",
    "out_dir_of",
]

#: seeds are 0 .. 2^31 - 1 (every generator below accepts them unchanged)
MAX_SEED = 2**31 - 1

WRITERS = {"--json": report.write_json, "--markdown": report.write_markdown, "--junit": report.write_junit}


def seed(text: str) -> int:
    """argparse type of ``--seed``: an integer in 0 .. 2^31 - 1 (never reduced silently)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an integer; expected a seed in 0..{MAX_SEED}") from None
    if not 0 <= v <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: expected a seed in 0..{MAX_SEED}")
    return v


def add_output_options(p: argparse.ArgumentParser, *, markdown: bool = True) -> None:
    p.add_argument("--json", metavar="PATH", help="write the schema-versioned JSON report")
    if markdown:
        p.add_argument("--markdown", metavar="PATH", help="write a Markdown report")
        p.add_argument("--junit", metavar="PATH", help="write JUnit XML")
    p.add_argument("--ascii", action="store_true", help="plain ASCII table borders (for logs)")


def add_budget_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-memory",
        metavar="SIZE",
        default=None,
        help="memory budget for constructions, e.g. 2G (default: half the memory available); "
        "a size estimated over it is refused before allocating",
    )


def apply_budget(args: argparse.Namespace) -> None:
    """Set the construction memory budget from ``--max-memory`` (default: half the available memory).

    Not for the commands that build nothing (``budget=False``: ``list``, ``show``), so that they never load
    the constructions (and torch)."""
    if not getattr(args, "budget", True):
        return
    from constructions import parse_bytes, set_memory_budget

    raw = getattr(args, "max_memory", None)
    set_memory_budget(parse_bytes(raw) if raw is not None else None)


def outputs_of(args: argparse.Namespace) -> dict[str, Path]:
    """The output files asked for, each validated by the one rule (before any work starts)."""
    return {
        flag: check_writable(path, flag)
        for flag in WRITERS
        if (path := getattr(args, flag[2:].replace("-", "_"), None))
    }


def out_dir_of(args: argparse.Namespace, outputs: dict[str, Path]) -> Path:
    """Where checks write figures: ``--out-dir``, else next to the first report, else ``reports``."""
    raw = getattr(args, "out_dir", None)
    if raw:
        d = Path(raw)
        if d.exists() and not d.is_dir():
            raise InvalidInput(f"--out-dir {str(raw)[:200]!r} is a file; expected a directory")
        check_writable(d / "x", "--out-dir")
        return d
    return next(iter(outputs.values())).parent if outputs else Path("reports")


def show_and_write(
    results: Sequence[CheckResult],
    args: argparse.Namespace,
    outputs: dict[str, Path],
    *,
    meta: dict[str, Any],
    out_dir: Path | None = None,
    console=None,
    head: Sequence[Any] = (),
) -> int:
    """The report's rows (every computed row), its files, the figures line, the apart line and the
    closing line; returns the exit code (1 when a row FAILs or ERRORs, else 0)."""
    ascii_box = bool(getattr(args, "ascii", False))
    console = console or report.make_console(ascii_box=ascii_box)
    for part in head:
        console.print(part)
    console.print(report.render_report(results, ascii_box=ascii_box, width=console.width))
    console.print(report.render_legend())
    for flag, path in outputs.items():
        WRITERS[flag](results, path, run_meta(**meta))
        console.print(report.safe_text(f"wrote {path}"), markup=False)
    figures = sorted({f for r in results for f in r.outcome.figures})
    if figures and out_dir is not None:
        console.print(report.safe_text(f"figures in {out_dir}: {', '.join(figures)}"), markup=False)
    apart = report.apart_line(results)
    if apart:  # before the closing line, which stays last and unchanged for CI parsers
        console.print(report.safe_text(apart), markup=False, highlight=False, style=None, soft_wrap=True)
    console.print(report.closing_line(results), markup=False, highlight=False, style=None, soft_wrap=True)
    return 1 if any(r.verdict.is_failure for r in results) else 0
