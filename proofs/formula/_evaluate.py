"""The one sympy-to-interval evaluator: sympy expressions compiled to straight-line programs.

Every enclosure of a sympy expression in moecheck goes through here: the target enclosures
(``proofs.formula._enclosure``, float64 intervals over batches of boxes), the exact replays
(``exact_value``, mpmath intervals at a rational point), the symbolic prover's interval tiers and
replays (``proofs.prover``: :func:`interval_enclosure`, :func:`point_enclosure`) and the directed
float rounding of a claim's closed-form constants (:func:`float_bounds`).

Main statements (each returns data that contains the exact real answer):

* ``compile_program(exprs, variables) -> Program``: one step per distinct sub-expression (cached).
  Symbols are matched to ``variables`` by name.
* ``interval_enclosure(expr, env)``: an ``mpmath.iv`` interval containing ``expr`` for every value of
  each symbol (by name) inside its interval in ``env``, at the current ``iv.prec``.
* ``point_enclosure(expr, point, prec=170)``: (lo, hi) at an exact point (ints, Fractions).
* ``float_bounds(value)``: floats lo <= value <= hi for a closed-form real number.

Grammar: numbers (Integer, Rational, Float read as its exact binary value, pi, E), symbols, + * and
** (integer, half-integer, other constant and symbolic exponents), exp log sin cos tan tanh atan asin
acos Abs sign Heaviside DiracDelta Max Min floor ceiling, binomial and factorial of nonnegative integers.

Strict domains [ours]: the prover functions above use the *strict* mpmath table. Wherever an argument
interval reaches outside a function's domain (log of an interval reaching 0, a non-integer power of
a possibly negative base, 0 to a possibly nonpositive power, division by an interval containing 0,
a pole of tan, asin outside [-1, 1], DiracDelta at 0, binomial/factorial of anything but one nonnegative integer) they
raise :class:`Unsupported`, as does every node outside the grammar; callers read it as "no enclosure"
(UNKNOWN), never as a pass. The float64 backend and ``exact_value`` evaluate loosely instead (on the
part of the argument inside the domain; see ``proofs.formula._interval``).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from mpmath import iv

from proofs import InvalidInput

from . import _interval as ia
from ._interval import Unsupported

__all__ = ["Unsupported", "compile_program", "interval_enclosure", "point_interval", "point_enclosure", "float_bounds",
           "float_function", "SUPPORTED"]  # fmt: skip

_KINDS = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.tanh: "tanh",
    sp.atan: "atan", sp.asin: "asin", sp.Abs: "abs", sp.sign: "sign", sp.Max: "max", sp.Min: "min",
    sp.floor: "floor", sp.ceiling: "ceiling",
}  # fmt: skip
SUPPORTED = (
    "+ - * / ** (integer, rational, constant, symbolic), sqrt exp log sin cos tan tanh atan asin acos Abs Max Min "
    "floor ceiling, binomial factorial (of nonnegative integers)"
)


# ---------------------------------------------------------------- compilation to a step program


class _Compiler:
    def __init__(self, variables: Sequence[sp.Symbol]):
        self.slot: dict[sp.Basic, int] = {v: i for i, v in enumerate(variables)}
        self.by_name = {v.name: i for i, v in enumerate(variables)}
        self.n_in = len(variables)
        self.steps: list[ia.Step] = []

    def emit(self, kind: str, args: Sequence[int], param: object = None) -> int:
        self.steps.append(ia.Step(kind, tuple(args), param))
        return self.n_in + len(self.steps) - 1

    def visit(self, e: sp.Expr) -> int:
        if e not in self.slot:
            self.slot[e] = self._lower(e)
        return self.slot[e]

    def _lower(self, e: sp.Expr) -> int:
        if e.is_Symbol:
            if e.name in self.by_name:  # symbols by name: x and Symbol('x', positive=True) are one variable
                return self.by_name[e.name]
            raise InvalidInput(f"symbol {e} is not one of the variables")
        if e.is_Atom:
            return self.emit("const", (), ia.float_constant(e))
        if e.is_Add:
            return self.emit("add", [self.visit(a) for a in e.args])
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            if coeff == -1:  # -u is exact: keep it out of the rounded products
                return self.emit("neg", [self.visit(rest)])
            return self.emit("mul", [self.visit(a) for a in e.args])
        if e.is_Pow:
            return self._lower_pow(*e.args)
        if isinstance(e, sp.Heaviside):
            h0 = e.args[1] if len(e.args) > 1 else sp.S.Half
            return self.emit("heaviside", [self.visit(e.args[0]), self.visit(h0)])
        if isinstance(e, sp.DiracDelta):
            return self.emit("dirac", [self.visit(e.args[0])])
        if isinstance(e, sp.acos):  # acos(u) = pi/2 - asin(u)
            return self.emit(
                "add", [self.visit(sp.pi / 2), self.emit("neg", [self.emit("asin", [self.visit(e.args[0])])])]
            )
        if isinstance(e, (sp.binomial, sp.factorial)) and len(e.args) == (2 if isinstance(e, sp.binomial) else 1):
            kind = "binomial" if isinstance(e, sp.binomial) else "factorial"
            return self.emit(kind, [self.visit(a) for a in e.args], kind)
        if e.func in _KINDS and (e.func is not sp.log or len(e.args) == 1):
            return self.emit(_KINDS[e.func], [self.visit(a) for a in e.args])
        raise InvalidInput(f"unsupported function {e.func.__name__} in {e}; supported: {SUPPORTED}")

    def _lower_pow(self, base: sp.Expr, ex: sp.Expr) -> int:
        if ex.is_Float:
            ex = sp.Rational(ex)  # the exact binary value of the float
        if ex.is_Integer:
            return self.emit("pow_int", [self.visit(base)], int(ex))
        if ex.is_Rational and ex.q == 2:
            return self.emit("pow_half", [self.visit(base)], int(ex.p))
        if not ex.free_symbols and (ex.is_extended_positive or ex.is_extended_negative):
            sign = 1 if ex.is_extended_positive else -1
            return self.emit("pow_const", [self.visit(base), self.visit(ex)], sign)
        # base**ex = exp(ex * log(base)), real for base > 0 (and, for ex > 0, at base = 0)
        return self.emit("pow_var", [self.visit(base), self.visit(ex)])


@functools.lru_cache(maxsize=4096)
def compile_program(exprs: tuple[sp.Expr, ...], variables: tuple[sp.Symbol, ...]) -> ia.Program:
    """The straight-line program computing ``exprs`` from ``variables`` (matched by name).

    Raises:
        InvalidInput: a node outside the grammar (named, with the supported list) or a free symbol
            that is not a variable.
    """
    compiler = _Compiler(variables)
    outputs = tuple(compiler.visit(e) for e in exprs)
    steps = tuple(compiler.steps)
    last_use = {}
    for k, step in enumerate(steps):
        for a in step.args:
            last_use[a] = k
    releases: list[list[int]] = [[] for _ in steps]
    for slot_, k in last_use.items():
        if slot_ not in outputs:
            releases[k].append(slot_)
    return ia.Program(len(variables), steps, outputs, tuple(tuple(r) for r in releases))


@functools.lru_cache(maxsize=4096)
def _named_program(expr: sp.Expr) -> tuple[ia.Program | None, tuple[str, ...], str]:
    # one program per expression, its inputs the free symbols' names in sorted order; a node outside
    # the grammar is remembered as the reason (so a box search asks once, not once per box)
    names = tuple(sorted({s.name for s in expr.free_symbols}))
    try:
        return compile_program((expr,), tuple(sp.Symbol(n) for n in names)), names, ""
    except InvalidInput as error:
        return None, names, str(error)


# ---------------------------------------------------------------- the strict mpmath table


def _strict_nonneg(x: Any, what: str, positive: bool = False) -> Any:
    lo = ia.mp_ends(x)[0]
    if lo < 0 or positive and lo <= 0:
        raise Unsupported(f"{what} of an interval reaching {'0' if positive and lo == 0 else 'below 0'}")
    return x


def _strict_nonzero(x: Any) -> Any:
    lo, hi = ia.mp_ends(x)
    if lo <= 0 <= hi:
        raise Unsupported("division by an interval containing 0")
    return x


def _strict_pow_half(x: Any, p: int) -> Any:
    # x**(p/2) = sqrt(x)**p, for x >= 0 (p > 0) or x > 0 (p < 0)
    s = iv.sqrt(_strict_nonneg(x, "a half-integer power", positive=p < 0))
    return s**p if p >= 0 else 1 / s ** (-p)


def _strict_pow_const(x: Any, r: Any, sign: int) -> Any:
    return ia.MP_INTERVAL_OPS["pow_const"]([_strict_nonneg(x, "a non-integer power", positive=sign < 0), r], sign)


def _strict_pow_var(b: Any, e: Any) -> Any:
    lo, hi = ia.mp_ends(_strict_nonneg(b, "a non-integer power"))
    if lo > 0:
        return iv.exp(e * iv.log(b))
    if ia.mp_ends(e)[0] <= 0:
        raise Unsupported("0 to a possibly nonpositive power")
    # b in [0, hi], e > 0: t**e increases in t, so the range is [0, max over e of hi**e]
    top = iv.exp(e * iv.log(ia.mp_interval(hi, hi))) if hi > 0 else ia.mp_interval(0, 0)
    return ia.mp_interval(0, ia.mp_ends(top)[1])


def _strict_unit(x: Any) -> Any:
    lo, hi = ia.mp_ends(x)
    if lo < -1 or hi > 1:
        raise Unsupported("asin of an interval reaching outside [-1, 1]")
    return x


def _finite(x: Any, what: str) -> Any:
    lo, hi = ia.mp_ends(x)
    if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
        raise Unsupported(f"{what}: no finite enclosure (a pole or a singular point may lie inside)")
    return x


STRICT_MP_OPS = {
    **ia.MP_INTERVAL_OPS,
    "pow_int": lambda xs, p: xs[0] ** p if p >= 0 else 1 / _strict_nonzero(xs[0]) ** (-p),
    "pow_half": lambda xs, p: _strict_pow_half(xs[0], p),
    "pow_const": lambda xs, p: _strict_pow_const(xs[0], xs[1], p),
    "pow_var": lambda xs, p: _strict_pow_var(xs[0], xs[1]),
    "log": lambda xs, p: iv.log(_strict_nonneg(xs[0], "log", positive=True)),
    "tan": lambda xs, p: _finite(iv.tan(xs[0]), "tan"),
    "asin": lambda xs, p: ia.MP_INTERVAL_OPS["asin"]([_strict_unit(xs[0])], p),
    "dirac": lambda xs, p: _finite(ia.MP_INTERVAL_OPS["dirac"](xs, p), "DiracDelta"),
}


def _mp_constant(atom: sp.Expr) -> Any:
    try:
        return ia.mp_constant(atom)
    except InvalidInput as error:
        raise Unsupported(str(error)) from None


# ---------------------------------------------------------------- the prover's entry points


def interval_enclosure(expr: Any, env: Mapping[str, Any]) -> Any:
    """An outward-rounded ``mpmath.iv`` enclosure of ``expr`` with each symbol (by name) bound to an
    ``iv`` interval in ``env``, at the current ``iv.prec``; strict domains (module docstring).

    >>> lo, hi = interval_enclosure(sp.Symbol("k") ** 2 + 1, {"k": iv.mpf([-1, 2])})._mpi_
    >>> (float(mpmath.mpf(lo)), float(mpmath.mpf(hi)))
    (1.0, 5.0)
    """
    expr = sp.sympify(expr)
    program, names, reason = _named_program(expr)
    if program is None:
        raise Unsupported(reason)
    try:
        inputs = [env[n] for n in names]
    except KeyError as missing:
        raise Unsupported(f"free symbol {missing.args[0]}") from None
    try:
        (value,) = ia.run_mp(program, inputs, _mp_constant, STRICT_MP_OPS)
    except (mpmath.libmp.ComplexResult, ZeroDivisionError, ValueError, OverflowError) as error:
        raise Unsupported(f"{type(error).__name__}: {error}") from None
    lo, hi = ia.mp_ends(value)
    if mpmath.isnan(lo) or mpmath.isnan(hi):
        raise Unsupported(f"no enclosure of {expr}")
    return value


def point_interval(value: Any) -> Any:
    # an exact point coordinate (int, Fraction, (lo, hi), or a closed-form sympy number) as an interval
    if isinstance(value, Fraction):
        return iv.mpf(value.numerator) / iv.mpf(value.denominator)
    if isinstance(value, tuple):
        return iv.mpf([value[0], value[1]])
    if isinstance(value, int):
        return iv.mpf(value)
    return interval_enclosure(sp.sympify(value), {})


def point_enclosure(expr: Any, point: Mapping[str, Any], prec: int = 170) -> tuple[mpmath.mpf, mpmath.mpf]:
    """(lo, hi) enclosing ``expr`` at an exact point (symbol name -> int / Fraction), ``prec`` bits.

    >>> lo, hi = point_enclosure(sp.sqrt(sp.Symbol("x")), {"x": 2})
    >>> mpmath.nstr(lo, 12), bool(hi - lo < 2**-160)
    ('1.41421356237', True)
    """
    old = iv.prec
    iv.prec = prec
    try:
        return ia.mp_ends(interval_enclosure(expr, {k: point_interval(v) for k, v in point.items()}))
    finally:
        iv.prec = old


def float_bounds(value: Any, *, prec: int = 120, nearest: bool = False) -> tuple[float, ...]:
    """Floats ``lo <= value <= hi`` for a closed-form real number (adjacent floats unless exact);
    with ``nearest=True`` also the float nearest to ``value`` (at ``prec`` bits): ``(lo, hi, near)``.

    Raises:
        Unsupported: ``value`` has free symbols, or no finite enclosure in the grammar.

    >>> float_bounds(sp.Rational(1, 3))
    (0.3333333333333333, 0.33333333333333337)
    """
    lo_mp, hi_mp = point_enclosure(value, {}, prec=prec)
    if not (mpmath.isfinite(lo_mp) and mpmath.isfinite(hi_mp)):
        raise Unsupported(f"{value} has no finite enclosure")
    lo, hi = _float_down(lo_mp), _float_up(hi_mp)
    if not nearest:
        return lo, hi
    if lo == hi or not (math.isfinite(lo) and math.isfinite(hi)) or abs(lo) == sys.float_info.max:
        return lo, hi, lo if math.isfinite(lo) else hi
    mid = (ia.mpf_to_fraction(lo_mp) + ia.mpf_to_fraction(hi_mp)) / 2
    near = lo if abs(mid - Fraction(lo)) <= abs(Fraction(hi) - mid) else hi
    return lo, hi, near


def float_function(expr: Any, names: Sequence[str]) -> Callable[..., float]:
    """``expr`` as a plain float64 function of the arguments ``names`` (the point interpreter
    ``run_points`` of the same compiled program: for sampling and reporting, not rigorous).

    >>> float_function(sp.sympify("sqrt(a) + b"), ["a", "b"])(4.0, 1.0)
    3.0
    """
    program = compile_program((sp.sympify(expr),), tuple(sp.Symbol(n) for n in names))

    def value(*args: float) -> float:
        return float(ia.run_points(program, np.array([args], dtype=np.float64))[0, 0])

    return value


def _float_down(v: mpmath.mpf) -> float:
    """The largest float <= v (exact: never through mpmath arithmetic, which rounds to ``mp.prec``)."""
    sign, man, exp, bits = v._mpf_
    if man and exp + bits > 1100:  # |v| > 2^1099: beyond the floats (never build the huge integer)
        return -math.inf if sign else sys.float_info.max
    if man and exp + bits < -1100:  # 0 < |v| < 2^-1099: below the smallest subnormal
        return -5e-324 if sign else 0.0
    exact = ia.mpf_to_fraction(v)
    try:
        f = float(exact)  # int / int true division: correctly rounded
    except OverflowError:
        return sys.float_info.max if exact > 0 else -math.inf
    return f if Fraction(f) <= exact else math.nextafter(f, -math.inf)


def _float_up(v: mpmath.mpf) -> float:
    """The smallest float >= v."""
    up = -_float_down(mpmath.mp.make_mpf(mpmath.libmp.mpf_neg(v._mpf_)))  # exact negation
    return up if up != 0 else 0.0  # never -0.0
