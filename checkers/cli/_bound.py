"""``moecheck bound smoe``: evaluate zhao2024's Z3 bound (construction: ours) term by term.

    moecheck bound smoe --m 10000 --T 16 --k 2 --delta 0.05 --natarajan 128 [--expert-rademacher 0.05]
                        [--json out.json]

The formula is not re-typed here: the terms are the sympy expressions ``SMOE_BOUND_TERMS`` of
``proofs.zhao2024``, evaluated at the given values in interval arithmetic by the check
``bound_value_below_range``, through the same runner, report, writers, closing line and exit-code rule as
``verify`` (CERTIFIED: the bound is below the loss range 1; VACUOUS: it is not; UNKNOWN: the expert term R
is not given and the rest stays below 1). Bad or inconsistent values raise :class:`proofs.InvalidInput`
(one line; the command line maps it to exit code 2).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from rich.text import Text

from checkers.cli._common import add_output_options, outputs_of, show_and_write
from checkers.report import safe_text
from checkers.run import CheckResult, RunConfig, RunItem, run_checks
from proofs import Claim, InvalidInput, Provenance, lookup
from proofs.zhao2024 import SMOE_BOUND_TERMS

__all__ = ["add_parser", "run", "evaluate_smoe_bound"]

THEOREM_ID = "zhao2024/z3-textbook-bound"


def add_parser(subparsers) -> None:
    """Add ``bound`` with its ``smoe`` sub-command to the CLI's sub-parsers."""
    p = subparsers.add_parser("bound", help="evaluate a generalization bound term by term")
    sub = p.add_subparsers(dest="bound_kind", metavar="KIND")
    sub.required = True
    s = sub.add_parser(
        "smoe",
        help="zhao2024 Z3 for a sparse MoE (construction: ours)",
        description="Evaluate L_D - L_S <= 2 R + 2 sqrt((2 d_N ln m + 4 d_N k (1 + ln(T/k)))/m) "
        "+ 4 sqrt(2 ln(4/delta)/m) (zhao2024 Z3, construction: ours).",
    )
    # values are parsed here (not by argparse types) so that a bad one is a one-line InvalidInput
    s.add_argument("--m", required=True, metavar="M", help="number of training samples (integer >= 1)")
    s.add_argument("--T", required=True, metavar="T", help="number of experts (integer >= 1)")
    s.add_argument("--k", required=True, metavar="K", help="selected experts per input (integer, 1 <= k <= T)")
    s.add_argument("--delta", required=True, metavar="D", help="failure probability, 0 < delta < 1")
    s.add_argument("--natarajan", required=True, metavar="DN", help="Natarajan dimension of the router (integer >= 0)")
    s.add_argument(
        "--expert-rademacher",
        metavar="R",
        default=None,
        help="max over routing patterns of the loss-class Rademacher complexity (>= 0); "
        "without it the total leaves out the expert term 2R",
    )
    add_output_options(s)
    s.set_defaults(handler=run)


def _int(name: str, raw: Any, lo: int) -> int:
    text = str(raw).strip()
    try:
        val = int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            raise InvalidInput(f"--{name} {text!r}: expected an integer >= {lo}") from None
        if not math.isfinite(f) or f != int(f):
            raise InvalidInput(f"--{name} {text!r}: expected an integer >= {lo}") from None
        val = int(f)
    if val < lo:
        raise InvalidInput(f"--{name} {val}: expected an integer >= {lo}")
    return val


def _real(name: str, raw: Any) -> float:
    text = str(raw).strip()
    try:
        val = float(text)
    except ValueError:
        raise InvalidInput(f"--{name} {text!r}: expected a number") from None
    if not math.isfinite(val):
        raise InvalidInput(f"--{name} {text!r}: expected a finite number")
    return val


def _validated(args) -> dict[str, Any]:
    m = _int("m", args.m, 1)
    T = _int("T", args.T, 1)
    k = _int("k", args.k, 1)
    if k > T:
        raise InvalidInput(f"--k {k} exceeds --T {T}: expected 1 <= k <= T")
    delta = _real("delta", args.delta)
    if not 0 < delta < 1:
        raise InvalidInput(f"--delta {args.delta}: expected 0 < delta < 1")
    d_N = _int("natarajan", args.natarajan, 0)
    R = None
    if args.expert_rademacher is not None:
        R = _real("expert-rademacher", args.expert_rademacher)
        if R < 0:
            raise InvalidInput(f"--expert-rademacher {args.expert_rademacher}: expected a number >= 0")
    return {"m": m, "T": T, "k": k, "delta": delta, "d_N": d_N, "R": R}


def evaluate_smoe_bound(*, m: int, T: int, k: int, delta: float, d_N: int, R: float | None) -> CheckResult:
    """The row of ``bound smoe``: each Z3 term (``proofs.zhao2024.SMOE_BOUND_TERMS``) evaluated at the given
    values in interval arithmetic, decided against the loss range [0, 1] by the runner."""
    theorem = lookup(THEOREM_ID)
    claim = Claim(
        name="bound_below_loss_range",
        check="bound_value_below_range",
        statement="L_D - L_S <= 2 R + router + confidence terms < 1 (the loss range)",
        args={"terms": SMOE_BOUND_TERMS},
        provenance=Provenance.OURS,
    )
    inst = {"m": m, "T": T, "k": k, "delta": delta, "d_N": d_N} | ({"R": R} if R is not None else {})
    (row,) = run_checks(
        RunConfig(theorem_ids=(THEOREM_ID,), device="cpu", timeout=60.0), items=[RunItem(theorem, claim, inst)]
    )
    return row


def _lines(row: CheckResult) -> list[str]:
    i, ex = row.instance, row.outcome.evidence.extra
    head = [
        f"zhao2024 Z3 sparse-MoE bound ({THEOREM_ID}; construction: ours)",
        f"m={i['m']}  T={i['T']}  k={i['k']}  delta={i['delta']:g}  d_N={i['d_N']}"
        + (f"  R={i['R']:g}" if "R" in i else "  R=not given"),
    ]
    rows = []
    for name in ("expert", "router", "confidence"):
        v = ex["terms"][name]
        rows.append((f"{name} term", ex["formulas"][name], "not given (2R left out)" if v is None else f"{v:.6g}"))
    label = "total without the expert term" if ex["missing"] else "total"
    rows.append((label, "", f"{row.outcome.measured:.6g}"))
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    return head + [f"  {a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows]


def run(args: argparse.Namespace) -> int:
    """Evaluate, show the terms and the row, write the report files; the exit code follows ``verify``'s rule."""
    values = _validated(args)
    outputs = outputs_of(args)
    row = evaluate_smoe_bound(**values)
    head = [Text(safe_text(line)) for line in _lines(row)]
    return show_and_write([row], args, outputs, meta={"command": "bound smoe", "device": "cpu"}, head=head)
