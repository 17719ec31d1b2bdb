"""``moecheck selftest``: run the planted false claims (``proofs.planted``) and print the checker's power.

Every planted twin must be refuted (FAIL). The power table counts, per kind of falsehood and per
check, planted twins refuted / planted; exit 1 when any twin is not refuted (it passed, was vacuous,
unknown or broke: a checker without power there), 0 otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from checkers.cli._common import seed
from checkers.report import make_console
from checkers.run import CheckResult, RunConfig, RunItem, resolve_device, run_one
from proofs import InvalidInput, lookup
from proofs.planted import PlantedClaim, planted, planted_claim, planted_instance

__all__ = ["add_parser", "run_planted", "power_table", "is_refuted"]


def run_planted(
    twins: Sequence[PlantedClaim], config: RunConfig, *, on_result=None
) -> list[tuple[PlantedClaim, CheckResult]]:
    """Run each twin through the ordinary runner (isolation, time-outs, seeds) and pair it with its row."""
    device = resolve_device(config.device)
    out = []
    for i, p in enumerate(twins):
        item = RunItem(lookup(p.theorem), planted_claim(p), planted_instance(p))
        r = run_one(item, config, device)
        out.append((p, r))
        if on_result:
            on_result(i, len(twins), p, r)
    return out


def is_refuted(p: PlantedClaim, r: CheckResult) -> bool:
    """The twin got its expected verdict (FAIL; NOT-REPRODUCED for a trained claim)."""
    return r.verdict.value == p.expect


def power_table(rows: Sequence[tuple[PlantedClaim, CheckResult]]) -> list[tuple[str, int, int]]:
    """``(group, refuted, planted)`` per kind of falsehood, then per check, then in all."""
    groups: list[tuple[str, int, int]] = []
    for key, name in ((lambda p, r: p.kind, "kind"), (lambda p, r: planted_claim(p).check, "check")):
        total, refuted = Counter(), Counter()
        for p, r in rows:
            g = f"{name}: {key(p, r)}"
            total[g] += 1
            refuted[g] += int(is_refuted(p, r))
        groups += [(g, refuted[g], total[g]) for g in sorted(total)]
    groups.append(("all planted claims", sum(is_refuted(p, r) for p, r in rows), len(rows)))
    return groups


def _cmd_selftest(args) -> int:
    config = RunConfig(profile="quick", device=args.device, seed=args.seed, timeout=args.timeout).validated()
    if args.theorem:
        lookup(args.theorem)  # an unknown id is an input error
    twins = planted(quick_only=not args.all, theorem=args.theorem)
    if not twins:
        raise InvalidInput(f"--theorem {args.theorem!r} has no planted claims; see proofs/planted.py")
    console = make_console()

    def progress(i, n, p, r):
        console.print(
            f"[{i + 1}/{n}] {'refuted' if is_refuted(p, r) else 'NOT REFUTED':<12} "
            f"{r.verdict.value:<15} {p.label}: {p.what}  ({r.seconds:.1f}s)",
            markup=False,
            highlight=False,
        )

    rows = run_planted(twins, config, on_result=progress)
    from rich.table import Table

    table = Table(title="checker power on planted false claims (refuted / planted)", title_justify="left")
    for col in ("group", "refuted", "planted", "power"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for g, ok, n in power_table(rows):
        table.add_row(g, str(ok), str(n), f"{ok / n:.0%}")
    console.print(table)
    missed = [(p, r) for p, r in rows if not is_refuted(p, r)]
    for p, r in missed:
        console.print(
            f"NOT REFUTED {p.label}: {p.what} -> {r.verdict.value}: {r.outcome.why}", markup=False, highlight=False
        )
    console.print(
        f"selftest: {len(rows) - len(missed)} of {len(rows)} planted claims refuted", markup=False, highlight=False
    )
    return 1 if missed else 0


def add_parser(subparsers) -> None:
    """Add ``selftest`` to the CLI's sub-parsers."""
    s = subparsers.add_parser("selftest", help="run the planted false claims; exit 1 if any is not refuted")
    s.add_argument("--all", action="store_true", help="also the slow twins (default: the quick set, as in make test)")
    s.add_argument("--theorem", metavar="ID", help="only the twins of this theorem")
    s.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="torch device (default auto)")
    s.add_argument("--seed", type=seed, default=0, help="base random seed, 0..2^31-1 (default 0)")
    s.add_argument("--timeout", type=float, default=120.0, help="seconds per twin (default 120)")
    s.set_defaults(handler=_cmd_selftest)
