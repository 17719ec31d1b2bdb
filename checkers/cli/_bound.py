"""``moecheck bound smoe``: evaluate zhao2024's Z3 bound (construction: ours) term by term.

    moecheck bound smoe --m 10000 --T 16 --k 2 --delta 0.05 --natarajan 128 [--expert-rademacher 0.05]
                        [--json out.json]

The formula is not re-typed here: the terms are the sympy expressions ``SMOE_BOUND_TERMS`` of
``proofs.zhao2024``, evaluated at the given values. Bad or inconsistent values raise
:class:`proofs.InvalidInput` (one line; the command line maps it to exit code 2).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import sympy

from proofs import InvalidInput
from proofs.zhao2024 import SMOE_BOUND_TERMS

__all__ = ["add_parser", "run", "evaluate_smoe_bound"]

THEOREM_ID = "zhao2024/z3-textbook-bound"


def add_parser(subparsers) -> None:
    """Add ``bound`` with its ``smoe`` sub-command to the CLI's sub-parsers."""
    p = subparsers.add_parser("bound", help="evaluate a generalization bound term by term")
    sub = p.add_subparsers(dest="bound_kind", metavar="KIND")
    sub.required = True
    s = sub.add_parser("smoe", help="zhao2024 Z3 for a sparse MoE (construction: ours)",
                       description="Evaluate L_D - L_S <= 2 R + 2 sqrt((2 d_N ln m + 4 d_N k (1 + ln(T/k)))/m) "
                                   "+ 4 sqrt(2 ln(4/delta)/m) (zhao2024 Z3, construction: ours).")
    # values are parsed here (not by argparse types) so that a bad one is a one-line InvalidInput
    s.add_argument("--m", required=True, metavar="M", help="number of training samples (integer >= 1)")
    s.add_argument("--T", required=True, metavar="T", help="number of experts (integer >= 1)")
    s.add_argument("--k", required=True, metavar="K", help="selected experts per input (integer, 1 <= k <= T)")
    s.add_argument("--delta", required=True, metavar="D", help="failure probability, 0 < delta < 1")
    s.add_argument("--natarajan", required=True, metavar="DN", help="Natarajan dimension of the router (integer >= 0)")
    s.add_argument("--expert-rademacher", metavar="R", default=None,
                   help="max over routing patterns of the loss-class Rademacher complexity (>= 0); "
                        "without it the total leaves out the expert term 2R")
    s.add_argument("--json", metavar="PATH", default=None, help="also write the terms as JSON (atomically)")
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


def evaluate_smoe_bound(*, m: int, T: int, k: int, delta: float, d_N: int, R: float | None) -> dict[str, Any]:
    """Each Z3 term at the given values (from ``proofs.zhao2024.SMOE_BOUND_TERMS``) and the total."""

    vals = {"m": sympy.Integer(m), "T": sympy.Integer(T), "k": sympy.Integer(k),
            "delta": sympy.nsimplify(delta, rational=True), "d_N": sympy.Integer(d_N)}
    if R is not None:
        vals["R"] = sympy.nsimplify(R, rational=True)
    terms: dict[str, float | None] = {}
    formulas = {}
    for name, expr in SMOE_BOUND_TERMS.items():
        formulas[name] = sympy.sstr(expr)
        e = expr.subs({s: vals[s.name] for s in expr.free_symbols if s.name in vals})
        terms[name] = float(e.evalf(30)) if not e.free_symbols else None
    total = sum(v for v in terms.values() if v is not None)
    return {"bound": "smoe", "theorem": THEOREM_ID, "construction": "ours",
            "inputs": {"m": m, "T": T, "k": k, "delta": delta, "natarajan": d_N, "expert_rademacher": R},
            "formulas": formulas, "terms": terms, "total": total,
            "total_includes_expert_term": R is not None, "vacuous": total >= 1}


def _write_json(path: str, data: dict) -> None:
    target = Path(path)
    if target.parent and not target.parent.exists():
        raise InvalidInput(f"--json {path!r}: directory {str(target.parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lines(res: dict) -> list[str]:
    i = res["inputs"]
    head = [f"zhao2024 Z3 sparse-MoE bound ({res['theorem']}; construction: ours)",
            f"m={i['m']}  T={i['T']}  k={i['k']}  delta={i['delta']:g}  d_N={i['natarajan']}"
            + (f"  R={i['expert_rademacher']:g}" if i["expert_rademacher"] is not None else "  R=not given")]
    rows = []
    for name in ("expert", "router", "confidence"):
        v = res["terms"][name]
        rows.append((f"{name} term", res["formulas"][name], "not given (2R left out)" if v is None else f"{v:.6g}"))
    label = "total" if res["total_includes_expert_term"] else "total without the expert term"
    rows.append((label, "", f"{res['total']:.6g}" + ("  (vacuous: >= 1 for a loss in [0,1])" if res["vacuous"] else "")))
    w0, w1 = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    return head + [f"  {a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows]


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the bound; write JSON if asked. Returns the exit code (0)."""
    res = evaluate_smoe_bound(**_validated(args))
    if args.json:
        _write_json(args.json, res)
    try:
        from rich.console import Console

        console = Console(width=120, highlight=False, soft_wrap=True)
        for line in _lines(res):
            console.print(line, markup=False)
    except ImportError:  # rich is a dependency; plain text keeps the command usable without it
        sys.stdout.write("\n".join(_lines(res)) + "\n")
    return 0
