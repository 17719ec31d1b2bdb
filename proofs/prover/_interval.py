"""Outward-rounded interval evaluation of sympy expressions (mpmath ``iv``) and exact replays.

``ieval`` walks the expression tree (Add, Mul, Pow, log, exp, sin, cos, Abs, Max, Min, binomial and
factorial of integers, the constants E and pi); every node it cannot enclose soundly raises
:class:`Unsupported`. ``replay`` evaluates at an exact point (ints / Fractions) at 170 bits.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Mapping

import mpmath
import sympy
from mpmath import iv

__all__ = ["Unsupported", "sympify_arg", "ieval", "replay", "sign_of_constant", "point_text"]


class Unsupported(Exception):
    """The interval evaluator met a node it does not handle, or a value outside a function's domain."""


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
def _iv_const(x: sympy.Basic) -> Any:
    if x.is_Integer:
        return iv.mpf(int(x))
    if x.is_Rational:
        return iv.mpf(int(x.p)) / iv.mpf(int(x.q))
    if x.is_Float:
        return iv.mpf(mpmath.mpf(x._mpf_))
    if x is sympy.E:
        return iv.e
    if x is sympy.pi:
        return iv.pi
    raise Unsupported(f"constant {x}")


def _lo(x: Any) -> mpmath.mpf:
    return mpmath.mpf(x._mpi_[0])


def _hi(x: Any) -> mpmath.mpf:
    return mpmath.mpf(x._mpi_[1])


def ieval(expr: sympy.Basic, env: Mapping[str, Any]) -> Any:
    """An outward-rounded enclosure of ``expr`` with each symbol (by name) bound to an interval."""
    if expr.is_Symbol:
        try:
            return env[expr.name]
        except KeyError:
            raise Unsupported(f"free symbol {expr.name}") from None
    if expr.is_Number or expr in (sympy.E, sympy.pi):
        return _iv_const(expr)
    if expr.is_Add:
        acc = iv.mpf(0)
        for a in expr.args:
            acc = acc + ieval(a, env)
        return acc
    if expr.is_Mul:
        acc = iv.mpf(1)
        for a in expr.args:
            acc = acc * ieval(a, env)
        return acc
    if expr.is_Pow:
        base, ex = expr.args
        b = ieval(base, env)
        if ex.is_Integer:
            n = int(ex)
            if n < 0 and _lo(b) <= 0 <= _hi(b):
                raise Unsupported("division by an interval containing 0")
            return b ** n
        if _lo(b) < 0:
            raise Unsupported("non-integer power of a possibly negative base")
        if ex == sympy.Rational(1, 2):
            return iv.sqrt(b)
        e = ieval(ex, env)
        if _lo(b) == 0:
            if _lo(e) <= 0:
                raise Unsupported("0 to a possibly nonpositive power")
            return _pow_at_zero(b, e)
        return iv.exp(e * iv.log(b))
    if isinstance(expr, sympy.log):
        if len(expr.args) != 1:
            raise Unsupported("log with a base")
        a = ieval(expr.args[0], env)
        if _lo(a) <= 0:
            raise Unsupported("log of an interval reaching 0")
        return iv.log(a)
    if isinstance(expr, sympy.exp):
        return iv.exp(ieval(expr.args[0], env))
    if isinstance(expr, (sympy.sin, sympy.cos)):
        return (iv.sin if isinstance(expr, sympy.sin) else iv.cos)(ieval(expr.args[0], env))
    if isinstance(expr, sympy.Abs):
        a = ieval(expr.args[0], env)
        lo, hi = _lo(a), _hi(a)
        return iv.mpf([0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi))])
    if isinstance(expr, (sympy.binomial, sympy.factorial)):
        vals = [ieval(a, env) for a in expr.args]
        if any(_lo(v) != _hi(v) for v in vals):
            raise Unsupported(f"{expr.func} of a non-degenerate interval")
        ints = [int(_lo(v)) for v in vals]
        if any(_lo(v) != i for v, i in zip(vals, ints)):
            raise Unsupported(f"{expr.func} of a non-integer")
        val = math.comb(*ints) if isinstance(expr, sympy.binomial) else math.factorial(ints[0])
        return iv.mpf(val)
    if isinstance(expr, (sympy.Max, sympy.Min)):
        vals = [ieval(a, env) for a in expr.args]
        pick = max if isinstance(expr, sympy.Max) else min
        return iv.mpf([pick(_lo(v) for v in vals), pick(_hi(v) for v in vals)])
    raise Unsupported(f"node {type(expr).__name__}")


def _pow_at_zero(b: Any, ex: Any) -> Any:
    """b**ex for b = [0, hi] and ex > 0: monotone in b, so [0, hi**ex] (outward)."""
    top = iv.exp(ex * iv.log(iv.mpf(_hi(b)))) if _hi(b) > 0 else iv.mpf(0)
    return iv.mpf([0, _hi(top)])


def _iv_of(value: Any) -> Any:
    if isinstance(value, Fraction):
        return iv.mpf(value.numerator) / iv.mpf(value.denominator)
    if isinstance(value, tuple):
        return iv.mpf([value[0], value[1]])
    if isinstance(value, int):
        return iv.mpf(value)
    return _iv_const(sympy.sympify(value))


def replay(expr: sympy.Basic, point: Mapping[str, Any], prec: int = 170) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Re-evaluate ``expr`` at an exact point (ints / Fractions) in interval arithmetic: (lo, hi)."""
    old = iv.prec
    iv.prec = prec
    try:
        val = ieval(expr, {k: _iv_of(v) for k, v in point.items()})
        return _lo(val), _hi(val)
    finally:
        iv.prec = old


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
