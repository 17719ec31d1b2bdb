"""Shared plumbing of checks: build the construction a claim names, evaluate a claim's formulas.

The claim's ``construction`` argument is a dotted path ``package.module:function``; the function is called
with the instance parameters it accepts (by name) and returns a :class:`constructions.Built` (or a
:class:`constructions.Net`). Formulas are sympy expressions in the instance parameters, substituted
exactly; a formula that does not reduce to a finite real number is an input error, never a pass.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Mapping
from typing import Any

import sympy

from proofs import InvalidInput
from proofs.formula import Unsupported, exact_floats, float_bounds

__all__ = ["resolve", "build_construction", "eval_formula", "formula_float"]


def resolve(path: str):
    """The object at ``package.module:attribute``."""
    if not isinstance(path, str) or ":" not in path:
        raise InvalidInput(f"construction {path!r} must be a dotted path 'package.module:function'")
    mod_name, attr = path.split(":", 1)
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise InvalidInput(f"construction {path!r}: module {mod_name!r} cannot be imported ({exc})") from None
    try:
        return getattr(mod, attr)
    except AttributeError:
        raise InvalidInput(f"construction {path!r}: {mod_name!r} has no attribute {attr!r}") from None


def build_construction(path: str, instance: Mapping[str, Any], **extra: Any):
    """Call the builder at ``path`` with the instance parameters (and ``extra``) it accepts."""
    fn = resolve(path)
    params = {**dict(instance), **extra}
    sig = inspect.signature(fn)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return fn(**params)
    return fn(**{k: v for k, v in params.items() if k in sig.parameters})


def eval_formula(expr: Any, instance: Mapping[str, Any]) -> sympy.Expr:
    """``expr`` with the instance parameters substituted (exact; sympy numbers stay exact)."""
    e = sympy.sympify(expr)
    subs = {s: sympy.sympify(instance[s.name]) for s in e.free_symbols if s.name in instance}
    out = exact_floats(e.subs(subs))  # a Float is its exact binary value
    missing = sorted(str(s) for s in out.free_symbols)
    if missing:
        raise InvalidInput(
            f"formula {expr} still has free symbols {missing} on instance {dict(instance)}; "
            f"expected every parameter to be given"
        )
    return out


def formula_float(expr: Any, instance: Mapping[str, Any], *, rounding: str = "nearest") -> float:
    """The formula's value as a float, from the one evaluator (``proofs.formula.float_bounds``);
    ``rounding='down'``/``'up'`` rounds outward so that a bound compared with a measured value is
    never made looser by rounding."""
    if rounding not in ("nearest", "down", "up"):
        raise InvalidInput(f"rounding={rounding!r} must be 'nearest', 'down' or 'up'")
    v = eval_formula(expr, instance)
    if v.is_real is False or v.has(sympy.zoo, sympy.nan):
        raise InvalidInput(f"formula {expr} is not a finite real number on {dict(instance)} (got {v})")
    try:
        lo, hi, nearest = float_bounds(v, nearest=True)
    except Unsupported as error:
        raise InvalidInput(f"formula {expr} = {v} on {dict(instance)} has no finite real enclosure ({error})") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InvalidInput(f"formula {expr} is not finite on {dict(instance)} (got {v})")
    return lo if rounding == "down" else hi if rounding == "up" else nearest
