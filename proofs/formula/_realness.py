"""The realness obligation of a target: f must be real on the whole domain before its sup error is certified.

The interval enclosures bound sqrt, log and fractional powers on the part of a box where they are real,
so a target undefined on a sliver of the domain (sqrt(x - 1e-9) on [0, 1]) would otherwise slip through.
Here every such argument a is proved a >= 0 (a > 0 under a log) on the domain by interval branch and
bound, or refuted at a rational point where the exact enclosure of a is negative (the claim is then
ill-posed: an input error), or left undecided (then no CERTIFIED verdict is given).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
import sympy

from proofs import InvalidInput, Status
from proofs.formula._enclosure import compile_target, exact_value

__all__ = ["RealnessResult", "real_arguments", "prove_real_on_domain"]


@dataclass(frozen=True)
class RealnessResult:
    status: Status
    message: str = ""
    point: tuple[Fraction, ...] | None = None

    def __post_init__(self) -> None:
        Status.checked(self.status)


def real_arguments(exprs: Sequence[sympy.Expr]) -> list[tuple[sympy.Expr, bool]]:
    """(argument, strict) for every sqrt / fractional power (a >= 0) and log (a > 0) in the expressions."""
    out = []
    for e in exprs:
        for node in sympy.preorder_traversal(sympy.sympify(e)):
            if isinstance(node, sympy.log):
                out.append((node.args[0], True))
            elif isinstance(node, sympy.Pow) and not node.exp.is_integer and node.exp.is_number:
                out.append((node.base, bool(node.exp.is_negative)))
    return list(dict.fromkeys(out))


def prove_real_on_domain(exprs, variables, lo, hi, *, max_boxes: int = 1 << 14) -> RealnessResult:
    """Prove every argument of :func:`real_arguments` nonnegative (positive under log) on the box [lo, hi]."""

    args = real_arguments(exprs)
    if not args:
        return RealnessResult(Status.PROVED, "no sqrt, log or fractional power")
    target = compile_target([a for a, _ in args], list(variables))
    strict = np.array([s for _, s in args])
    box_lo, box_hi = np.asarray(lo, float)[None, :], np.asarray(hi, float)[None, :]
    n_boxes = 1
    while box_lo.shape[0]:
        a_lo, _ = target.interval(box_lo, box_hi)
        ok = np.where(strict[None, :], a_lo > 0, a_lo >= 0).all(axis=1)
        box_lo, box_hi = box_lo[~ok], box_hi[~ok]
        # refute: an exact point where some argument is negative (zero under a log)
        for b in range(min(box_lo.shape[0], 32)):
            for x in (box_lo[b], box_hi[b], 0.5 * box_lo[b] + 0.5 * box_hi[b]):
                point = tuple(Fraction(float(v)) for v in x)
                for (a, s) in args:
                    try:
                        _, top = exact_value(a, list(variables), point)
                    except (InvalidInput, ArithmeticError, ValueError):
                        continue
                    if top < 0 or (s and top <= 0):
                        where = ", ".join(f"{v}={float(p):.6g}" for v, p in zip(variables, point))
                        return RealnessResult(Status.REFUTED, f"{a} {'<=' if s else '<'} 0 at {where}: the target is not "
                                                         f"real there", point)
        if box_lo.shape[0] == 0:
            break
        if n_boxes + 2 * box_lo.shape[0] > max_boxes:
            return RealnessResult(Status.UNKNOWN, f"realness of the target not proved near {box_lo[0].tolist()}")
        w = np.argmax(box_hi - box_lo, axis=1)
        mid = 0.5 * (box_lo + box_hi)[np.arange(box_lo.shape[0]), w]
        left_hi, right_lo = box_hi.copy(), box_lo.copy()
        left_hi[np.arange(box_lo.shape[0]), w] = mid
        right_lo[np.arange(box_lo.shape[0]), w] = mid
        box_lo, box_hi = np.concatenate([box_lo, right_lo]), np.concatenate([left_hi, box_hi])
        n_boxes += box_lo.shape[0]
    return RealnessResult(Status.PROVED, f"sqrt/log arguments proved >= 0 over {n_boxes} boxes")
