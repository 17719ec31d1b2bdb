"""Where a formula is defined in real arithmetic: the conditions its partial operations put on their arguments.

Main statements:

* ``definedness_conditions(exprs)``: every condition a formula *as written* needs to be a real number:
  ``b != 0`` under ``1/b``, ``a > 0`` under ``log a``, ``b >= 0`` under a root or any non-integer power,
  ``-1 <= a <= 1`` under ``asin``/``acos``, ``cos a != 0`` under ``tan a``, a nonnegative integer under
  ``binomial``/``factorial``; a node outside the known grammar is an ``opaque`` condition (never proved
  here).

Implementation notes [ours]
* Read the tree as written. sympy rewrites on construction (``x/x`` -> 1, ``exp(log(x))`` -> x,
  ``sqrt(x)**2`` -> x, ``x*(1/x)`` -> 1): each rewrite agrees with the written formula wherever that is
  defined, but it drops the points where it is not. A claim given as text is parsed unevaluated
  (``parse_formula_written``) and its conditions come from that tree; a claim given as a sympy object was
  evaluated when the theorem module built it, so only the conditions that survived are seen (documented in
  docs/user-theorems.md: give a string to have a formula checked as written).
* Each condition's argument is returned *evaluated* (bottom up): it equals the written argument wherever
  the inner conditions hold, so proving every condition on a domain proves the written formula defined
  there, node by node from the leaves.
* ``0**0 = 1`` (sympy's, Python's and mpmath's convention): ``x**0`` needs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sympy as sp

__all__ = ["Condition", "definedness_conditions", "dropped_conditions"]

#: heads defined for every real argument
_TOTAL = (
    sp.Add, sp.Mul, sp.exp, sp.sin, sp.cos, sp.tanh, sp.sinh, sp.cosh, sp.atan, sp.Abs, sp.Max, sp.Min,
    sp.floor, sp.ceiling, sp.sign, sp.Heaviside,
)  # fmt: skip
#: the kinds of condition: argument > 0, >= 0, != 0, in [-1, 1], a nonnegative integer; ``pow``: a power
#: with a symbolic exponent (base > 0, or an integer exponent); ``opaque``: a node outside the grammar
KINDS = ("pos", "nonneg", "nonzero", "unit", "natural", "pow", "opaque")


@dataclass(frozen=True)
class Condition:
    """``kind`` on ``arg`` (evaluated); ``node`` is the written node that needs it, ``exponent`` the exponent of
    a ``pow`` condition."""

    kind: str
    arg: sp.Basic
    node: sp.Basic
    exponent: sp.Basic | None = None

    def describe(self) -> str:
        need = {
            "pos": "> 0", "nonneg": ">= 0", "nonzero": "!= 0", "unit": "in [-1, 1]",
            "natural": "a nonnegative integer", "pow": "> 0 (or an integer exponent)", "opaque": "",
        }[self.kind]  # fmt: skip
        if self.kind == "opaque":
            return f"{sp.sstr(self.node)[:80]} (outside the grammar whose definedness is checked)"
        return f"{sp.sstr(self.arg)[:80]} {need} (for {sp.sstr(self.node)[:80]})"


def definedness_conditions(exprs: Iterable[sp.Basic]) -> tuple[Condition, ...]:
    """The conditions of every partial node of ``exprs`` (trees as written), inner nodes first.

    >>> from proofs.formula import parse_formula_written
    >>> [c.describe() for c in definedness_conditions([parse_formula_written("exp(log(x))")])]
    ['x > 0 (for log(x))']
    >>> [c.describe() for c in definedness_conditions([parse_formula_written("x/x")])]
    ['x != 0 (for 1/x)']
    """
    out: list[Condition] = []
    for e in exprs:
        if isinstance(e, sp.Basic):
            for node in sp.postorder_traversal(e):
                out.extend(_node_conditions(node))
    return tuple(dict.fromkeys(out))


def _node_conditions(node: sp.Basic) -> list[Condition]:
    if not node.args or isinstance(node, (sp.Number, sp.NumberSymbol, sp.Symbol)) or isinstance(node, _TOTAL):
        return []
    args = [_evaluated(a) for a in node.args]
    if isinstance(node, sp.Pow):
        b, e = args
        if e.is_number and e.is_real:
            if e.is_integer:
                return [Condition("nonzero", b, node)] if e.is_negative else []
            return [Condition("pos" if e.is_negative else "nonneg", b, node)]
        if b.is_number and b.is_positive:
            return []
        return [Condition("pow", b, node, e)]
    if isinstance(node, sp.log):
        return [Condition("pos", a, node) for a in args]
    if isinstance(node, (sp.asin, sp.acos)):
        return [Condition("unit", args[0], node)]
    if isinstance(node, sp.tan):
        return [Condition("nonzero", sp.cos(args[0]), node)]
    if isinstance(node, sp.Mod):
        return [Condition("nonzero", args[1], node)]
    if isinstance(node, (sp.binomial, sp.factorial)):
        return [Condition("natural", a, node) for a in args]
    return [Condition("opaque", node, node)]


def _evaluated(e: sp.Basic) -> sp.Basic:
    """A written sub-tree evaluated bottom up (its text already passed the parsers' power bound)."""
    if not e.args or isinstance(e, (sp.Rational, sp.Float)):
        return e
    return e.func(*(_evaluated(a) for a in e.args))


def dropped_conditions(written: sp.Basic, value: sp.Basic) -> tuple[Condition, ...]:
    """The conditions of the written tree that sympy's evaluated ``value`` no longer carries (``x/x`` -> 1
    drops ``x != 0``): where they fail, the written formula is undefined but the evaluated one is not.

    >>> from proofs.formula import parse_formula, parse_formula_written
    >>> [c.describe() for c in dropped_conditions(parse_formula_written("x/x"), parse_formula("x/x"))]
    ['x != 0 (for 1/x)']
    """
    kept = {(c.kind, c.arg) for c in definedness_conditions([value])}
    return tuple(c for c in definedness_conditions([written]) if (c.kind, c.arg) not in kept and not _trivially_true(c))


def _trivially_true(c: Condition) -> bool:
    """The condition holds for every value its symbols' own assumptions allow (exp(x) > 0 for a real x)."""
    a = c.arg
    return bool(
        (c.kind == "pos" and a.is_positive)
        or (c.kind == "nonneg" and a.is_nonnegative)
        or (c.kind == "nonzero" and a.is_nonzero)
        or (c.kind == "natural" and a.is_integer and a.is_nonnegative)
        or (c.kind == "pow" and a.is_positive)
    )
