"""The ``moecheck`` command line: verify, list, show (and approx, bound from their own modules).

Every bad input raises :class:`proofs.InvalidInput` somewhere below; here it becomes one line on
stderr and exit code 2, before any output file is written. Exit 1 means a FAIL or ERROR row.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import sympy

from checkers import report
from checkers.cli import _approx, _bound, _selftest
from checkers.cli._common import (
    add_budget_option,
    add_output_options,
    apply_budget,
    out_dir_of,
    outputs_of,
    seed,
    show_and_write,
)
from checkers.report import make_console
from checkers.run import RunConfig, available_cores, expected_seconds, resolve_device, run_checks, select
from proofs import PAPERS, InvalidInput, load_user_module, lookup, registered

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2 (no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; expected positive seconds") from None
    if not (v > 0 and v != float("inf")):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive finite number of seconds")
    return v


def _jobs(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; expected a positive number of jobs") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive number of jobs")
    return v


def _cmd_verify(args) -> int:

    outputs = outputs_of(args)
    out_dir = out_dir_of(args, outputs)
    config = RunConfig(
        theorem_ids=tuple(args.theorem or ()),
        papers=tuple(args.paper or ()),
        keyword=args.k,
        profile=args.profile,
        device=args.device,
        seed=args.seed,
        timeout=args.timeout,
        out_dir=out_dir,
        modules=tuple(args.module or ()),
        jobs=args.jobs if args.jobs is not None else available_cores(),
    ).validated()

    device = resolve_device(config.device)
    items = select(config)
    cost = expected_seconds(outputs.get("--json"))  # the last run's row times, to start the longest rows first
    with report.ProgressReporter(len(items)) as progress:
        results = run_checks(config, items=items, on_start=progress.on_start, on_result=progress.on_result, cost=cost)
    return show_and_write(
        results, args, outputs, out_dir=out_dir, meta={"profile": config.profile, "device": device, "seed": config.seed}
    )


def _cmd_list(args) -> int:
    for m in args.module or ():
        load_user_module(m)
    theorems = registered()
    rows = [
        {
            "id": t.id,
            "title": t.title,
            "label": t.label,
            "paper": t.paper,
            "name": t.name,
            "statement_provenance": t.statement_provenance.value,
            "construction_provenance": t.construction_provenance.value if t.construction_provenance else None,
            "claims": len(t.claims),
        }
        for t in theorems
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    table = Table(title="moecheck theorems", title_justify="left", expand=True)
    for col in ("id", "label", "title", "paper", "provenance", "claims"):
        table.add_column(col, overflow="fold")
    for r in rows:
        prov = f"statement: {r['statement_provenance']}; construction: {r['construction_provenance'] or 'none'}"
        table.add_row(r["id"], r["label"], r["title"], r["paper"], prov, str(r["claims"]))
    make_console().print(table)
    print(f"{len(rows)} theorems, {sum(r['claims'] for r in rows)} claims")
    return 0


def _pretty(obj) -> str:
    if isinstance(obj, str):
        return obj
    try:
        return sympy.pretty(obj, use_unicode=True)
    except (
        TypeError,
        ValueError,
        AttributeError,
        NotImplementedError,
    ):  # pretty printing is best effort; sstr always works
        return sympy.sstr(obj)


def _cmd_show(args) -> int:
    for m in args.module or ():
        load_user_module(m)
    t = lookup(args.id)
    from rich.panel import Panel
    from rich.text import Text

    body = Text()
    body.append(f"{t.title}\n", style="bold")
    body.append(f"{t.label} · {t.paper} ({PAPERS.get(t.paper, 'user')})\n")
    src = f"arXiv {t.arxiv}" if t.arxiv else "no arXiv id"
    body.append(f"source: {src}, {t.section or 'section not given'}\n")
    body.append(f"Python name: {t.name}\n{t.provenance_line}\n\n")
    body.append("Statement\n", style="bold")
    body.append(t.statement.strip() + "\n\n")
    if t.symbols:
        body.append("Symbols\n", style="bold")
        for s in t.symbols:
            assumptions = ", ".join(
                k
                for k, v in sorted(s.assumptions0.items())
                if v is True and k in ("positive", "integer", "real", "nonnegative", "negative")
            )
            body.append(f"  {s}: {assumptions or 'no assumptions'}\n")
        body.append("\n")
    if t.hypotheses:
        body.append("Hypotheses\n", style="bold")
        for h in t.hypotheses:
            body.append("  " + _pretty(h).replace("\n", "\n  ") + "\n")
        body.append("\n")
    body.append("Claims\n", style="bold")
    for c in t.claims:
        tag = " [finding]" if c.finding else ""
        body.append(f"  {c.name}{tag} (check: {c.check}; formula: {c.provenance.value})\n")
        body.append("    " + _pretty(c.statement).replace("\n", "\n    ") + "\n")
        if c.constant is not None:
            body.append(f"    constant: {_pretty(c.constant)}\n")
        if c.exponent is not None:
            body.append(f"    exponent: {_pretty(c.exponent)}\n")
        if c.note:
            body.append(f"    note: {c.note}\n")
        body.append(f"    instances: {len(c.quick)} quick, {len(c.full)} full\n")
    body.append("\nConstruction\n", style="bold")
    cons = t.construction_provenance.value if t.construction_provenance else "none"
    body.append(f"  {t.construction or 'none (a non-constructive statement)'}\n  provenance: {cons}\n")
    if t.notes:
        body.append("\nNotes\n", style="bold")
        body.append(t.notes.strip() + "\n")
    make_console().print(Panel(body, title=t.id, title_align="left"))
    return 0


def _plugins() -> list:
    """The subcommand modules beside ``verify``: approx, bound and selftest."""
    return [_approx, _bound, _selftest]


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="moecheck", description="Check published mixture-of-experts theorems on real instances.")
    p.add_argument("--version", action="version", version=f"moecheck {_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("verify", help="check theorems and print the report")
    v.add_argument("--theorem", action="append", metavar="ID", help="a theorem id (repeatable)")
    v.add_argument("--paper", action="append", metavar="KEY", help=f"a paper key (repeatable): {', '.join(PAPERS)}")
    v.add_argument("-k", metavar="SUBSTRING", help="only checks whose id 'theorem::claim[instance]' contains this")
    v.add_argument("--profile", default="quick", choices=["quick", "full"], help="instance set (default quick)")
    v.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="torch device (default auto)")
    v.add_argument("--seed", type=seed, default=0, help="base random seed, 0..2^31-1 (default 0)")
    v.add_argument("--timeout", type=_positive_float, default=300.0, help="seconds per check (default 300)")
    v.add_argument("--module", action="append", metavar="FILE.py", help="also check the Theorems declared in FILE.py")
    v.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N",
        help="worker processes running rows (default: the cores available); same rows, seeds and report",
    )
    add_output_options(v)
    v.add_argument("--out-dir", metavar="DIR", help="where checks write figures (default: next to the report)")
    add_budget_option(v)
    v.set_defaults(handler=_cmd_verify)

    ls = sub.add_parser("list", help="list the registered theorems")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--module", action="append", metavar="FILE.py")
    ls.set_defaults(handler=_cmd_list, budget=False)

    sh = sub.add_parser("show", help="show one theorem: statement, hypotheses, claims, construction")
    sh.add_argument("id", help="theorem id, e.g. classical/yarotsky-square")
    sh.add_argument("--module", action="append", metavar="FILE.py")
    sh.set_defaults(handler=_cmd_show, budget=False)

    for mod in _plugins():
        mod.add_parser(sub)
    return p


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("moecheck")
    except (ImportError, PackageNotFoundError):
        return "0.1.0 (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 a FAIL/ERROR row, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error (one line, already printed) or --help / --version
        return exc.code if isinstance(exc.code, int) else 2
    try:
        apply_budget(args)
        return int(args.handler(args))
    except InvalidInput as exc:
        print(f"moecheck: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("moecheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
