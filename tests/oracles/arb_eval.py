"""Independent oracle (tests only): a sympy expression evaluated at an exact point with python-flint ``arb``.

FLINT's ball arithmetic (Arb) is a separate implementation from mpmath and from our float64 kernels:
every result is a midpoint-radius ball that contains the exact real value. Here it is used at high
precision (300 bits, then 1000 to confirm an undefined value), point by point, so its balls are
far thinner than any enclosure under test: an enclosure disjoint from the ball is unsound.

``arb_value(expr, point)`` returns the ball; ``UNDEFINED`` where the expression is certainly not a
finite real number at the point (log of a number <= 0, a non-integer power of a negative number, 0 to
a power <= 0, asin/acos outside [-1, 1], division by 0, binomial/factorial of anything but
nonnegative integers, zoo/nan/oo);
None where the balls cannot decide (a ball straddling a domain edge or a pole even at 1000 bits).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import sympy
from flint import arb, ctx, fmpq

__all__ = ["UNDEFINED", "arb_value", "arb_of", "ball_outside"]


class _Undefined(Exception):
    """Definitely not a finite real number at the point."""


class _Ambiguous(Exception):
    """The balls cannot decide (a ball straddles a domain edge or a pole): the point is skipped."""


UNDEFINED = "undefined"


def arb_of(value: Fraction | int) -> arb:
    """The exact rational ``value`` as a ball (exact for dyadic rationals)."""
    value = Fraction(value)
    return arb(fmpq(value.numerator, value.denominator))


def _is_zero(x: arb) -> bool:
    return x.is_exact() and x == 0


def _checked(x: arb) -> arb:
    if not x.is_finite():
        raise _Ambiguous
    return x


def _pow(e: sympy.Pow, base: arb, ex: arb, exp_log: bool) -> arb:
    integer_valued = ex.is_exact() and ex.unique_fmpz() is not None and not (exp_log and e.args[1].free_symbols)
    if e.args[1].is_Integer or integer_valued:
        n = int(e.args[1]) if e.args[1].is_Integer else int(ex.unique_fmpz())
        if n < 0 and _is_zero(base):
            raise _Undefined
        if n < 0 and base.contains(0):
            raise _Ambiguous
        return _checked(base**n)
    if base < 0:
        raise _Undefined  # a non-integer power of a negative number
    if _is_zero(base):
        if ex > 0:
            return arb(0)
        if ex <= 0:
            raise _Undefined
        raise _Ambiguous
    if not base > 0:
        raise _Ambiguous
    return _checked(base**ex)


def _integer_function(e: sympy.Basic, vals: list[arb]) -> arb:
    if any(not v.is_exact() for v in vals):
        raise _Ambiguous
    ints = [v.unique_fmpz() for v in vals]
    if any(i is None or i < 0 for i in ints):
        raise _Undefined  # a non-integer or negative argument
    ints = [int(i) for i in ints]
    return arb.bin_uiui(*ints) if isinstance(e, sympy.binomial) else arb.fac_ui(ints[0])


_UNARY = {sympy.exp: "exp", sympy.sin: "sin", sympy.cos: "cos", sympy.tanh: "tanh", sympy.atan: "atan"}


def _eval(e: sympy.Basic, env: Mapping[str, arb], exp_log: bool) -> arb:
    if e.is_Symbol:
        return env[e.name]
    if e.is_Rational:
        return arb(fmpq(int(e.p), int(e.q)))
    if e.is_Float:
        r = sympy.Rational(e)  # its exact binary value
        return arb(fmpq(int(r.p), int(r.q)))
    if e is sympy.pi:
        return arb.pi()
    if e is sympy.E:
        return arb.const_e()
    if e.is_Add or e.is_Mul:
        vals = [_eval(a, env, exp_log) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            out = out + v if e.is_Add else out * v
        return _checked(out)
    if e.is_Pow:
        return _pow(e, *(_eval(a, env, exp_log) for a in e.args), exp_log)
    if isinstance(e, (sympy.binomial, sympy.factorial)):
        return _integer_function(e, [_eval(a, env, exp_log) for a in e.args])
    if e.func in _UNARY:
        return _checked(getattr(_eval(e.args[0], env, exp_log), _UNARY[e.func])())
    if isinstance(e, sympy.log) and len(e.args) == 1:
        a = _eval(e.args[0], env, exp_log)
        if a <= 0:
            raise _Undefined
        if not a > 0:
            raise _Ambiguous
        return _checked(a.log())
    if isinstance(e, (sympy.asin, sympy.acos)):
        a = _eval(e.args[0], env, exp_log)
        if a < -1 or a > 1:
            raise _Undefined
        if not (a >= -1 and a <= 1):
            raise _Ambiguous
        return _checked(a.asin() if isinstance(e, sympy.asin) else a.acos())
    if isinstance(e, (sympy.floor, sympy.ceiling)):
        a = _eval(e.args[0], env, exp_log)
        out = a.floor() if isinstance(e, sympy.floor) else a.ceil()
        if not out.is_exact():
            raise _Ambiguous  # the ball straddles an integer
        return out
    if isinstance(e, sympy.tan):
        a = _eval(e.args[0], env, exp_log)
        c = a.cos()
        if c.contains(0):
            raise _Ambiguous
        return _checked(a.sin() / c)
    if isinstance(e, sympy.Abs):
        return abs(_eval(e.args[0], env, exp_log))
    if isinstance(e, sympy.sign):
        return _eval(e.args[0], env, exp_log).sgn()
    if isinstance(e, (sympy.Max, sympy.Min)):
        vals = [_eval(a, env, exp_log) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            out = out.max(v) if isinstance(e, sympy.Max) else out.min(v)
        return out
    if e.is_Atom or isinstance(e, sympy.AccumBounds):
        raise _Undefined  # zoo, nan, oo, I, AccumBounds(atan(zoo)): not a finite real number
    raise NotImplementedError(f"the oracle does not know {type(e).__name__}")


def arb_value(expr: sympy.Basic, point: Mapping[str, Fraction | int], *, exp_log: bool = False) -> arb | str | None:
    """A ball around ``expr`` at the exact point; ``UNDEFINED`` where it is certainly not a finite real
    number; None where the balls cannot decide even at 1000 bits (skip the point).

    ``exp_log``: read a power with a symbolic exponent as exp(e log b), defined for b > 0 only (the
    float64 backend's documented reading); by default sympy's (a negative base to an integer is real).
    """
    saved = ctx.prec
    try:
        for prec in (300, 1000):
            ctx.prec = prec
            try:
                return _eval(expr, {k: arb_of(v) for k, v in point.items()}, exp_log)
            except _Undefined:
                return UNDEFINED
            except _Ambiguous:
                continue
        return None
    finally:
        ctx.prec = saved


def ball_outside(ball: arb, lo, hi) -> bool:
    """Whether the ball lies entirely below ``lo`` or above ``hi`` (ends as exact Fractions, or None
    for an infinite end): the enclosure [lo, hi] then misses the exact value."""
    return (lo is not None and ball < arb_of(lo)) or (hi is not None and ball > arb_of(hi))
