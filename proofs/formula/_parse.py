"""Parsing user formulas, bounded: a restricted namespace, no eager huge powers, short error lines.

Main statements:

* ``parse_expression(text, n_in)``: a user's real formula in x0..x{n_in-1} (``--function``), or ``InvalidInput``.
* ``parse_formula(text)``: a formula of a claim argument (any identifier is a symbol), or ``InvalidInput``.
* ``quote(text)``: ``repr(text)`` cut to about 200 characters, for error lines.

Implementation notes [ours]
* sympy evaluates ``10**10**10`` eagerly (it hangs building a 10^10-digit integer). Both parsers read the
  text unevaluated, then rebuild the tree bottom up; before an integer power of numbers is evaluated its
  size (|exponent| * log2 |base| bits) is compared with :data:`MAX_POWER_BITS`, and an exponent tower or
  a huge power is refused in one line. Nothing numeric larger than that is ever built.
* The token whitelist (names, numbers, + - * / ** ^ ( ) ,) stops code injection before sympy sees the text.
"""

from __future__ import annotations

import io
import keyword
import math
import tokenize
from typing import Any

import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    parse_expr,
    rationalize,
    standard_transformations,
)

from proofs import InvalidInput

from ._definedness import dropped_conditions

__all__ = ["parse_expression", "parse_formula", "parse_formula_written", "evaluated", "input_symbols", "quote",
           "MAX_POWER_BITS", "MAX_FORMULA_CHARS"]  # fmt: skip

FUNCTIONS = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt,
    "Abs": sp.Abs, "abs": sp.Abs, "tanh": sp.tanh, "atan": sp.atan, "Max": sp.Max, "Min": sp.Min,
}  # fmt: skip
_CLAIM_FUNCTIONS = {**FUNCTIONS, "asin": sp.asin, "acos": sp.acos, "ceiling": sp.ceiling, "floor": sp.floor,
                    "binomial": sp.binomial, "Rational": sp.Rational, "Integer": sp.Integer}  # fmt: skip
CONSTANTS = {"pi": sp.pi, "E": sp.E}
_CLAIM_CONSTANTS = {**CONSTANTS, "oo": sp.oo}
_OPERATORS = {"+", "-", "*", "/", "**", "^", "(", ")", ","}
#: the largest integer power of numbers a formula may build (bits of the result)
MAX_POWER_BITS = 100_000
#: the longest formula text accepted
MAX_FORMULA_CHARS = 10_000
_QUOTE_CHARS = 200
_MAX_BINOMIAL_N = 100_000


def quote(text: object, limit: int = _QUOTE_CHARS) -> str:
    """``repr(text)``, cut in the middle to about ``limit`` characters (error lines stay short).

    >>> quote("x" * 500)[:12], len(quote("x" * 500)) < 220
    ("'xxxxxxxxxxx", True)
    """
    r = repr(text)
    if len(r) <= limit:
        return r
    half = (limit - 20) // 2
    return f"{r[:half]}...[{len(r) - 2 * half} chars]...{r[-half:]}"


def input_symbols(n_in: int) -> tuple[sp.Symbol, ...]:
    """The real symbols ``x0 .. x{n_in-1}`` that :func:`parse_expression` uses.

    >>> input_symbols(2)
    (x0, x1)
    """
    return tuple(sp.Symbol(f"x{i}", real=True) for i in range(n_in))


def _power_bits(base: sp.Basic, exp: sp.Basic) -> float:
    """Bits of ``base**exp`` for numbers base, exp (0 when it stays small or is not an integer power)."""
    if not (base.is_Number and exp.is_Number) or base in (0, 1, -1):
        return 0.0
    e = abs(float(exp)) if exp.is_finite else math.inf
    b = abs(float(base)) if base.is_finite else math.inf
    if b == 0 or not math.isfinite(b):
        return math.inf if math.isinf(b) else 0.0
    return e * abs(math.log2(b))


def _rebuild(e: sp.Basic, depth: int = 0) -> sp.Basic:
    """``e`` (parsed unevaluated) evaluated bottom up, refusing a power of numbers over the bit limit."""
    if depth > 200:
        raise InvalidInput("nested more than 200 levels deep")
    if not e.args or isinstance(e, (sp.Rational, sp.Float)):
        return e
    args = [_rebuild(a, depth + 1) for a in e.args]
    if isinstance(e, sp.Pow) and _power_bits(*args) > MAX_POWER_BITS:
        raise InvalidInput(
            f"the power {sp.sstr(args[0])}**{sp.sstr(args[1])[:40]} has over {MAX_POWER_BITS:,} bits "
            f"(an exponent tower or a huge power is not evaluated)"
        )
    if e.func is sp.binomial and args[0].is_Number and abs(float(args[0])) > _MAX_BINOMIAL_N:
        raise InvalidInput(
            f"binomial({sp.sstr(args[0])[:40]}, ...) of a number over {_MAX_BINOMIAL_N:,} is not evaluated"
        )
    return e.func(*args)


def _token_problem(text: str, names: dict[str, Any], *, symbols_ok: bool = False) -> str | None:
    """Why the tokens of ``text`` are not allowed (None when they are)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as error:
        return f"incomplete expression or unbalanced parentheses ({error.args[0]})"
    for token in tokens:
        if token.type == tokenize.NAME and token.string not in names:
            if not (symbols_ok and not keyword.iskeyword(token.string) and not token.string.startswith("_")):
                return f"unknown name {token.string!r}"
        if token.type == tokenize.NUMBER and token.string[-1] in "jJ":
            return f"imaginary number {token.string!r}"
        if token.type == tokenize.OP and token.string not in _OPERATORS:
            return f"operator {token.string!r} is not allowed"
        if token.type in (tokenize.ERRORTOKEN, tokenize.STRING):
            return f"unexpected {token.string!r}"
    return None


def _bounded_parse(text: str, names: dict[str, Any], *, symbols_ok: bool) -> tuple[sp.Basic, sp.Basic]:
    """Parse ``text`` unevaluated in the namespace ``names`` and evaluate it under the power bound:
    (the tree as written, the evaluated expression); raises InvalidInput with the bare reason."""
    if len(text) > MAX_FORMULA_CHARS:
        raise InvalidInput(f"{len(text):,} characters; at most {MAX_FORMULA_CHARS:,} are accepted")
    reason = _token_problem(text, names, symbols_ok=symbols_ok)
    if reason:
        raise InvalidInput(reason)
    glob = {"__builtins__": {}, "Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
            "Symbol": sp.Symbol, "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow, "Function": sp.Function}  # fmt: skip
    try:
        raw = parse_expr(text, local_dict=dict(names), global_dict=glob, evaluate=False,
                         transformations=standard_transformations + (convert_xor, rationalize))  # fmt: skip
    except Exception as error:  # sympy raises many types for malformed input; each is the user's
        raise InvalidInput(f"{type(error).__name__}: {error}") from None
    if not isinstance(raw, sp.Basic):
        raise InvalidInput(f"it is a {type(raw).__name__}, not an expression")
    try:
        return raw, _rebuild(raw)
    except InvalidInput:
        raise
    except Exception as error:  # evaluation of a malformed tree (e.g. log of a tuple)
        raise InvalidInput(f"{type(error).__name__}: {error}") from None


def parse_expression(text: str, n_in: int, *, written_out: list[sp.Basic] | None = None) -> sp.Expr:
    """Parse a user's real formula in ``x0 .. x{n_in-1}`` (restricted namespace, exact decimals).

    Arguments:
        text: e.g. ``"sin(3*x0)*x1"``; ``^`` means power and decimals are exact (0.3 = 3/10).
        n_in: the number of input variables.
        written_out: when given, the tree as written (unevaluated, see :func:`parse_formula_written`)
            is appended to it.
    Returns:
        a sympy expression in :func:`input_symbols` ``(n_in)``.
    Raises:
        InvalidInput: one line naming the text (at most ~200 characters of it) and the reason
        (unknown name, syntax, a huge power, a constant outside float64, non-real...).

    >>> parse_expression("Abs(x0 - 0.3) + x1^2", 2)
    x1**2 + Abs(x0 - 3/10)
    >>> parse_expression("foo(x0)", 1)
    Traceback (most recent call last):
    ...
    proofs._errors.InvalidInput: --function 'foo(x0)' is not a valid expression: unknown name 'foo'; ...
    """
    if not isinstance(n_in, int) or isinstance(n_in, bool) or n_in < 1:
        raise InvalidInput(f"n_in={n_in!r} must be a positive integer")
    variables = input_symbols(n_in)
    names = {v.name: v for v in variables} | FUNCTIONS | CONSTANTS
    in_vars = "x0" if n_in == 1 else f"x0..x{n_in - 1}"
    expected = f"expected a real expression in {in_vars} using numbers, + - * / ** ( ), {' '.join(FUNCTIONS)}, pi, E"

    def invalid(reason: str) -> InvalidInput:
        reason = " ".join(str(reason).split())[:300]
        return InvalidInput(f"--function {quote(text)} is not a valid expression: {reason}; {expected}")

    if not isinstance(text, str) or not text.strip():
        raise invalid("empty")
    try:
        written, expr = _bounded_parse(text, names, symbols_ok=False)
    except InvalidInput as exc:
        raise invalid(str(exc)) from None
    if written_out is not None:
        written_out.append(written)
    dropped = dropped_conditions(written, expr)
    if dropped:  # x0/x0 -> 1: the target would be certified where the formula as written is undefined
        raise invalid(
            f"sympy rewrites it to {sp.sstr(expr)[:80]}, dropping where it is undefined ({dropped[0].describe()}); "
            "write the function you mean"
        )
    if not isinstance(expr, sp.Expr) or (
        isinstance(expr, sp.logic.boolalg.Boolean) and not isinstance(expr, sp.Symbol)
    ):
        raise invalid(f"it is a {type(expr).__name__}, not a number-valued expression")
    bad = [a for a in (sp.nan, sp.zoo, sp.oo, -sp.oo, sp.I) if expr.has(a)]
    if bad:
        raise invalid(f"it contains {bad[0]} (not a finite real number)")
    huge = [n for n in expr.atoms(sp.Number) if n.is_finite and abs(n) > 1e300]
    if huge:
        raise invalid(f"the constant {sp.sstr(huge[0])[:40]} is outside the float64 range the network is built in")
    return expr


def parse_formula(text: str) -> sp.Basic:
    """Parse a claim argument's formula text (any identifier is a symbol, ``oo`` is infinity).

    >>> parse_formula("k*(log(T/k) + 1)")
    k*(log(T/k) + 1)
    >>> parse_formula("9**9**9**9")
    Traceback (most recent call last):
    ...
    proofs._errors.InvalidInput: formula '9**9**9**9' is not valid: the power 9**387420489 has over 100,000 bits ...
    """
    return _claim_parse(text)[1]


def parse_formula_written(text: str) -> sp.Basic:
    """The claim formula ``text`` as written: validated as :func:`parse_formula` does (the same names, the
    same power bound), but returned unevaluated, so that nothing sympy rewrites on construction hides a
    point where the formula is undefined (``x/x`` is not 1 at x = 0; ``exp(log(x))`` is not x for x <= 0).

    >>> parse_formula_written("x/x")
    x/x
    >>> parse_formula("x/x")
    1
    """
    return _claim_parse(text)[0]


def _claim_parse(text: str) -> tuple[sp.Basic, sp.Basic]:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"formula {quote(text)} is empty")
    try:
        return _bounded_parse(text, _CLAIM_FUNCTIONS | _CLAIM_CONSTANTS, symbols_ok=True)
    except InvalidInput as exc:
        raise InvalidInput(f"formula {quote(text)} is not valid: {exc}") from None


def evaluated(e: sp.Basic) -> sp.Basic:
    """A tree as written (e.g. from :func:`parse_formula_written`), evaluated bottom up by sympy, with
    the power bound of the parsers.

    >>> evaluated(parse_formula_written("2*x/x"))
    2
    """
    return _rebuild(e)
