"""Where a target is provably Lipschitz (or C^2) on a box: the guards behind the mean-value and Taylor forms.

The mean-value form f(x) in f(m) + grad f(X).(X - m) and the Lipschitz bound sup ||grad f|| need f
locally Lipschitz on the box X; the second-order (Taylor) form needs f twice continuously
differentiable there. sympy differentiates symbolically and simplifies across singularities
(d/du atan(tan(u)) "is" 1, although atan(tan(u)) jumps by pi at every pole of tan), so the symbolic
derivative proves nothing by itself. Here every node of f that can break smoothness contributes a
*guard*, a condition checked by interval arithmetic on the box:

==========================================  ==========================  ========================
node                                         Lipschitz on the box if      C^2 on the box if
==========================================  ==========================  ========================
tan(u)                                       tan(u) has no pole (finite)  same
u**n, n < 0 integer                          u != 0 on the box            same
log(u), u**r (r not an integer), u**v        u > 0 on the box             same
sign(u), Heaviside(u), DiracDelta(u)         u != 0 on the box            same
Abs(u)                                       always (1-Lipschitz)         u != 0 on the box
Max(a, b, ...), Min(a, b, ...)               always (1-Lipschitz)         one argument dominates
==========================================  ==========================  ========================

All other supported nodes (+, *, u**n for n >= 0, exp, sin, cos, tanh, atan) are smooth. A box that
fails a guard, or on which a guard's argument is not defined, gets the naive enclosure only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import sympy as sp

from . import _interval as ia

__all__ = ["Guard", "smoothness_guards", "guard_masks"]


@dataclass(frozen=True)
class Guard:
    kind: str  # "finite" | "nonzero" | "positive" | "dominant"
    c2_only: bool  # the guard is needed for C^2 only (Lipschitz holds regardless)
    exprs: tuple[sp.Expr, ...]


def _node_guards(node: sp.Basic) -> list[Guard]:
    if isinstance(node, sp.tan):
        return [Guard("finite", False, (node,))]
    if isinstance(node, sp.Pow):
        base, ex = node.args
        if ex.is_Integer:
            return [Guard("nonzero", False, (base,))] if ex < 0 else []
        return [Guard("positive", False, (base,))]
    if isinstance(node, sp.log):
        return [Guard("positive", False, (node.args[0],))]
    if isinstance(node, (sp.sign, sp.Heaviside, sp.DiracDelta)):
        return [Guard("nonzero", False, (node.args[0],))]
    if isinstance(node, sp.Abs):
        return [Guard("nonzero", True, (node.args[0],))]
    if isinstance(node, (sp.Max, sp.Min)):
        return [Guard("dominant" if isinstance(node, sp.Max) else "dominant_min", True, tuple(node.args))]
    return []


def smoothness_guards(exprs: Sequence[sp.Expr]) -> tuple[Guard, ...]:
    """Every guard of every node of the expressions (deduplicated, in traversal order)."""
    out: list[Guard] = []
    for e in exprs:
        for node in sp.preorder_traversal(sp.sympify(e)):
            out.extend(_node_guards(node))
    return tuple(dict.fromkeys(out))


def guard_masks(
    guards: Sequence[Guard], program: ia.Program, lo: np.ndarray, hi: np.ndarray
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(lipschitz_ok, c2_ok), (B,) bool each: which boxes pass every guard (program: all guard exprs)."""
    B = lo.shape[0]
    lip, c2 = np.ones(B, dtype=bool), np.ones(B, dtype=bool)
    if not guards:
        return lip, c2
    g_lo, g_hi, undefined = ia.run_intervals(program, lo, hi)
    col = 0
    for g in guards:
        a, b = g_lo[:, col : col + len(g.exprs)], g_hi[:, col : col + len(g.exprs)]
        col += len(g.exprs)
        if g.kind == "finite":
            ok = np.isfinite(a[:, 0]) & np.isfinite(b[:, 0])
        elif g.kind == "nonzero":
            ok = (a[:, 0] > 0) | (b[:, 0] < 0)
        elif g.kind == "positive":
            ok = a[:, 0] > 0
        else:  # one argument's interval lies strictly above (Max) / below (Min) all the others
            if g.kind == "dominant_min":
                a, b = -b, -a
            ok = np.zeros(B, dtype=bool)
            for i in range(a.shape[1]):
                others = np.delete(b, i, axis=1)
                ok |= (a[:, i : i + 1] > others).all(axis=1)
        ok &= ~undefined
        c2 &= ok
        if not g.c2_only:
            lip &= ok
    return lip, c2
