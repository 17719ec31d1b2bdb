"""The prover's view of the one evaluator (``proofs.formula``), and small helpers for claim arguments.

``ieval`` encloses an expression over intervals (mpmath ``iv``, strict domains): every node that
cannot be enclosed soundly raises :class:`Unsupported`. ``replay`` evaluates at an exact point
(ints / Fractions) at 170 bits. Both are thin calls into ``proofs.formula``'s compiled programs.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import mpmath
import sympy

from proofs.formula import Unsupported, interval_enclosure, point_enclosure, point_interval

__all__ = ["Unsupported", "sympify_arg", "ieval", "replay", "sign_of_constant", "point_text"]


def sympify_arg(v: Any) -> Any:
    """Claim args may hold strings ('T', 'oo'); numbers and sympy objects pass through."""
    if isinstance(v, str):
        return sympy.sympify(v)
    if isinstance(v, (int, Fraction)):
        return sympy.Rational(v)
    if isinstance(v, float):
        return sympy.Rational(v)  # its exact binary value (one semantics for floats everywhere)
    if isinstance(v, sympy.Basic):
        return v.xreplace({f: sympy.Rational(f) for f in v.atoms(sympy.Float)})
    return v


# ----------------------------------------------------------------------------------------- intervals
# Thin calls into the one evaluator (``proofs.formula``): compiled once per expression, symbols by name,
# strict domains (every node it cannot enclose soundly raises Unsupported).


def _lo(x: Any) -> mpmath.mpf:
    return mpmath.mp.make_mpf(x._mpi_[0])  # exact: mpmath.mpf(...) would round to 53 bits


def _hi(x: Any) -> mpmath.mpf:
    return mpmath.mp.make_mpf(x._mpi_[1])


def ieval(expr: sympy.Basic, env: Mapping[str, Any]) -> Any:
    """An outward-rounded enclosure of ``expr`` with each symbol (by name) bound to an interval."""
    return interval_enclosure(expr, env)


def _iv_of(value: Any) -> Any:
    return point_interval(value)


def replay(expr: sympy.Basic, point: Mapping[str, Any], prec: int = 170) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Re-evaluate ``expr`` at an exact point (ints / Fractions) in interval arithmetic: (lo, hi)."""
    return point_enclosure(expr, point, prec)


def sign_of_constant(c: sympy.Basic) -> int | None:
    """+1 / 0 / -1 for a closed-form constant, proved (sympy, then intervals); None if undecided."""
    c = sympy.Rational(c) if c.is_Float else c  # a Float is its exact binary value
    if c.is_zero:
        return 0
    if c.is_positive:
        return 1
    if c.is_negative:
        return -1
    try:
        lo, hi = replay(c, {})
    except Unsupported:
        return None
    return 1 if lo > 0 else -1 if hi < 0 else None


def point_text(point: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(f"{k}={v}" for k, v in point.items())
