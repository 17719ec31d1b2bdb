"""File renderers of results: JSON (schema-versioned), Markdown and JUnit XML, written atomically.

Each writer maps the frozen :class:`~checkers.checks._outcome.CheckResult` rows to a file; nothing here
computes a verdict. Files appear whole or not at all (temporary file + ``os.replace``).
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from checkers.checks import Verdict
from checkers.run import CheckResult, apart_rows, margins, slack_text, summary_counts
from proofs import InvalidInput

__all__ = [
    "SCHEMA_VERSION",
    "SCHEMA_PATH",
    "write_atomic",
    "write_json",
    "write_markdown",
    "write_junit",
    "run_meta",
    "fmt",
    "check_writable",
    "apart_line",
    "safe_text",
    "FILE_MODE",
]

#: every file moecheck writes gets this mode (less the umask), like the figures
FILE_MODE = 0o644


def safe_text(s: object) -> str:
    r"""``s`` with control characters escaped (``\x1b``, ``\u202e``), so that no input can move the cursor,
    recolour a terminal or break an XML or Markdown file. Used by every renderer except JSON (which
    escapes them itself and stays exact).

    >>> print(safe_text("a\x1b[31mb\n"))
    a\x1b[31mb\n
    """
    text = str(s)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            code = ord(ch)
            out.append(
                {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch)
                or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
            )
    return "".join(out)


SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("results.schema.json")


def _q(path: object) -> str:
    r = repr(safe_text(path))
    return r if len(r) <= 200 else r[:97] + "..." + r[-97:]


def check_writable(path: str | Path, flag: str) -> Path:
    """Validate an output path before any work starts (a bad path is an input error, not a crash).

    One rule for every command: the path is not a directory, no existing part of its parent path is a
    file, and the nearest existing directory is writable; a missing parent directory is created only when
    the file is written (so an input error leaves nothing behind)."""
    if not str(path).strip():
        raise InvalidInput(f"{flag} {_q(path)}: expected a file path")
    p = Path(path)
    if p.is_dir():
        raise InvalidInput(f"{flag} {_q(path)} is a directory; expected a file path")
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidInput(f"{flag} {_q(path)}: {_q(parent)} is a file; expected a directory there")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidInput(f"{flag} {_q(path)}: directory {_q(parent)} is not writable")
    return p


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        os.fchmod(fd, FILE_MODE & ~_umask())  # mkstemp makes 0600; reports are as readable as the figures
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_meta(**extra: Any) -> dict[str, Any]:
    """Where and when results were obtained (reported with every file)."""
    meta: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(terse=True),
    }
    try:
        import torch

        meta["torch"] = torch.__version__
    except ImportError:  # pragma: no cover - torch is installed by `make install`
        meta["torch"] = None
    meta.update(extra)
    return meta


def write_json(results: Sequence[CheckResult], path: str | Path, meta: Mapping[str, Any] | None = None) -> None:
    """The schema-versioned JSON report (``checkers/report/results.schema.json``)."""
    doc = {
        "schema": "moecheck-results",
        "schema_version": SCHEMA_VERSION,
        "meta": dict(meta or run_meta()),
        "summary": summary_counts(results),
        "results": [r.to_dict() for r in results],
    }
    write_atomic(path, json.dumps(doc, indent=2, allow_nan=False) + "\n")


def fmt(v: float | None, digits: int = 4) -> str:
    """A number for a table cell: 4 significant digits, '-' for none."""
    if v is None:
        return "-"
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"


def _md(s: str) -> str:
    return safe_text(s.replace("\n", " ")).replace("|", "\\|").replace("`", "\\`")


def write_markdown(results: Sequence[CheckResult], path: str | Path, meta: Mapping[str, Any] | None = None) -> None:
    """A Markdown report: one table per paper, then the failures with their witnesses."""
    meta = dict(meta or run_meta())
    lines = [
        "# moecheck verify report",
        "",
        f"{meta.get('date', '')} · profile {meta.get('profile', '?')} · device {meta.get('device', '?')} · "
        f"torch {meta.get('torch', '?')} · {meta.get('platform', '')}",
        "",
    ]
    for paper in dict.fromkeys(r.paper for r in results):
        lines += [
            f"## {_md(paper)}",
            "",
            "| theorem | claim | instance | measured | bound | margin | slack | verdict | how | time |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in (r for r in results if r.paper == paper):
            o = r.outcome
            diff, _ = margins(o.measured, o.bound, o.sense)
            verdict = o.verdict.value + (" (finding)" if r.finding else "")
            how = "; ".join(x for x in (o.method, o.why) if x)
            lines.append(
                f"| {_md(r.theorem_label)} `{_md(r.theorem_id)}` ({_md(r.provenance)}) | {_md(r.claim)} | "
                f"{_md(r.instance_label)} | {fmt(o.measured)} | {fmt(o.bound)} | {fmt(diff)} | {slack_text(o)} | "
                f"**{verdict}** | {_md(how)} | {r.seconds:.2f}s |"
            )
        lines.append("")
    lines += _artifact_lines(results, Path(path).parent)
    bad = [r for r in results if r.verdict.is_failure]
    if bad:
        lines += ["## Failures", ""]
        for r in bad:
            lines += ["```", *failure_block(r), "```", ""]
    c = summary_counts(results)
    apart = apart_line(results)
    if apart:
        lines.append(_md(apart) + "  ")
    lines.append(f"verify: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped")
    write_atomic(path, "\n".join(lines) + "\n")


def _artifact_lines(results: Sequence[CheckResult], here: Path, inline_max: int = 6000) -> list[str]:
    """The tables and figures rows wrote next to the report: a Markdown table of at most ``inline_max``
    characters is inlined (e.g. the paper-vs-ours tables of the trained experiments), a PNG is linked."""
    out = []
    for r in results:
        shown = []
        for name in r.outcome.figures:
            f = here / name
            if name.endswith(".md") and f.is_file() and f.stat().st_size <= inline_max:
                shown += [f.read_text().rstrip(), ""]
            elif name.endswith(".png") and f.is_file():
                shown += [f"![{_md(name)}]({_md(name)})", ""]
        if shown:
            out += [f"### {_md(r.theorem_label)} {_md(r.claim)} [{_md(r.instance_label)}]", "", *shown]
    return ["## Tables and figures", "", *out] if out else []


def apart_line(results: Sequence[CheckResult]) -> str:
    """``apart: N vacuous (...): id[inst], ...; N not reproduced (...): ...`` or '' when no row is apart."""
    parts = []
    for verdict, what in (
        (Verdict.VACUOUS, "vacuous (held, but could not have failed; not counted as passed)"),
        (
            Verdict.NOT_REPRODUCED,
            "not reproduced (a trained run missed the paper's figure under "
            "the pre-registered rule; not a refutation, not counted as passed)",
        ),
    ):
        rows = apart_rows([r for r in results if r.verdict is verdict])
        if rows:
            parts.append(f"{len(rows)} {what}: " + "; ".join(rows))
    return "apart: " + "; ".join(parts) if parts else ""


def failure_block(r: CheckResult) -> list[str]:
    """The five fixed lines of a failure (verdict, claim, witness, values, repro)."""
    o, ev = r.outcome, r.outcome.evidence
    lines = [
        f"{o.verdict.value:<8} {r.theorem_label} {r.theorem_id}  ({r.provenance})",
        f"claim    {r.claim}: {r.statement}   {r.instance_label}",
    ]
    if ev.point:
        origin = ev.shrunk_from or ""
        shrunk = f"  {origin}" if origin.startswith("shrunk") else (f"  shrunk from {origin}" if origin else "")
        replay = f"; replayed with {ev.replay}" if ev.replay else ""
        lines.append(f"witness  x=({', '.join(ev.point)}){shrunk}{replay}")
    else:
        lines.append(f"witness  none ({o.why})")
    rv = f" replayed in [{ev.replayed_value[0]}, {ev.replayed_value[1]}]" if ev.replayed_value else ""
    diff, _ = margins(o.measured, o.bound, o.sense)
    lines.append(f"values   measured {fmt(o.measured)} vs bound {fmt(o.bound)} (margin {fmt(diff)}){rv}")
    lines.append(f"repro    {r.repro}")
    return [safe_text(line) for line in lines]


def write_junit(results: Sequence[CheckResult], path: str | Path, meta: Mapping[str, Any] | None = None) -> None:
    """JUnit XML: a testsuite per paper, a testcase per row (FAIL -> failure, ERROR -> error, UNKNOWN -> skipped)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    c = summary_counts(results)
    out.append(
        f'<testsuites name="moecheck" tests="{len(results)}" failures="{sum(r.verdict is Verdict.FAIL for r in results)}" '  # noqa: E501
        f'errors="{sum(r.verdict is Verdict.ERROR for r in results)}" skipped="{c["skipped"] + c["apart"]}">'
    )
    for paper in dict.fromkeys(r.paper for r in results):
        rows = [r for r in results if r.paper == paper]
        out.append(
            f'  <testsuite name={quoteattr(safe_text(paper))} tests="{len(rows)}" '
            f'failures="{sum(r.verdict is Verdict.FAIL for r in rows)}" errors="{sum(r.verdict is Verdict.ERROR for r in rows)}" '  # noqa: E501
            f'skipped="{sum(r.verdict in (Verdict.UNKNOWN, Verdict.VACUOUS, Verdict.NOT_REPRODUCED) for r in rows)}" time="{sum(r.seconds for r in rows):.3f}">'  # noqa: E501
        )
        for r in rows:
            name = f"{r.claim}[{r.instance_label}]"
            out.append(
                f"    <testcase classname={quoteattr(safe_text(r.theorem_id))} name={quoteattr(safe_text(name))} "
                f'time="{r.seconds:.3f}">'
            )
            o = r.outcome
            msg = quoteattr(safe_text(f"{o.verdict.value}: {o.why or o.method}"))
            body = escape("\n".join(failure_block(r)))
            if o.verdict is Verdict.FAIL:
                out.append(f"      <failure message={msg}>{body}</failure>")
            elif o.verdict is Verdict.ERROR:
                out.append(f"      <error message={msg}>{body}</error>")
            elif o.verdict in (
                Verdict.UNKNOWN,
                Verdict.VACUOUS,
                Verdict.NOT_REPRODUCED,
            ):  # JUnit has no 'apart': a vacuous row is skipped
                out.append(f"      <skipped message={msg}/>")
            out.append(
                f"      <system-out>{escape(safe_text(o.verdict.value + ': ' + o.method + ' ' + o.why))}</system-out>"
            )
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    write_atomic(path, "\n".join(out) + "\n")
