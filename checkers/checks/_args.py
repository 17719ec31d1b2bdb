"""Typed claim arguments: one frozen dataclass per check, validated when a module is loaded.

A theorem module gives a claim's static data as a plain dict (``Claim(args={...})``, the public
contract of ``docs/user-theorems.md``). Each check registers the dataclass its arguments must fit
(``@register_check("size_formula", args=SizeFormulaArgs)``); :meth:`ClaimArgs.parse` turns the dict into
that dataclass, rejecting an unknown or misspelt key (with the nearest accepted one), a missing
required key and a value of the wrong type, each as an :class:`ArgError` naming the key. Defaults live in
the dataclass, never inside the check.

Field annotations say what a value must be: ``float``, ``int``, ``bool``, ``str``, a ``Literal`` of
choices, :data:`Expr` (a formula: a sympy expression, a number or a string sympy parses), :data:`Path`
(a dotted path ``package.module:function``; whether it resolves is checked once, at load time),
``tuple[...]``, ``Mapping[str, ...]``, ``X | None`` and ``Any``.

A check whose claim states a relation and a bound says which of its fields hold them
(:meth:`ClaimArgs.stated`); the statement text is derived from them when a claim gives none, and a
statement given as a sympy relation must agree with them (:func:`statement_disagreement`).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Literal, NewType, Union

import sympy

from proofs import InvalidInput

__all__ = [
    "ArgError",
    "ClaimArgs",
    "NoArgs",
    "Expr",
    "Path",
    "Construction",
    "statement_disagreement",
    "RELATIONS",
    "Relation",
]

#: a formula: a sympy expression, an int/float/Fraction, or a string sympy parses
Expr = NewType("Expr", object)
#: a dotted path ``package.module:function``
Path = NewType("Path", str)
#: the dotted path of a construction: a function of the ``constructions`` package, or one annotated ``-> Built``
Construction = NewType("Construction", str)
#: a relation keyword
Relation = Literal["le", "lt", "eq", "ge", "gt"]

#: relation keyword -> (sympy relation class, symbol shown)
RELATIONS: Mapping[str, tuple[type, str]] = {
    "le": (sympy.LessThan, "<="),
    "lt": (sympy.StrictLessThan, "<"),
    "eq": (sympy.Equality, "=="),
    "ge": (sympy.GreaterThan, ">="),
    "gt": (sympy.StrictGreaterThan, ">"),
}

_MAX_FORMULA_CHARS = 10_000


class ArgError(InvalidInput):
    """A claim argument that does not fit its check; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"argument {key!r}: {message}")
        self.key = key


def _short(v: Any, n: int = 80) -> str:
    s = repr(v)
    return s if len(s) <= n else s[: n - 3] + "..."


def _convert(key: str, hint: Any, v: Any) -> Any:
    """``v`` converted to the annotation ``hint``, or an :class:`ArgError`."""
    origin, params = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return v
    if origin in (Union, types.UnionType):
        if v is None and type(None) in params:
            return None
        errors = []
        for p in (p for p in params if p is not type(None)):
            try:
                return _convert(key, p, v)
            except ArgError as exc:
                errors.append(str(exc).split(": ", 1)[1])
        raise ArgError(key, " or ".join(dict.fromkeys(errors)))
    if origin is Literal:
        if v in params and isinstance(v, str):
            return v
        raise ArgError(key, f"got {_short(v)}; expected one of {', '.join(repr(p) for p in params)}")
    if hint is Expr:
        return _formula(key, v)
    if hint is Path or hint is Construction:
        if isinstance(v, str) and v.count(":") == 1 and all(v.split(":")):
            return v
        raise ArgError(key, f"got {_short(v)}; expected a dotted path 'package.module:function'")
    if hint is bool:
        if isinstance(v, bool):
            return v
        raise ArgError(key, f"got {_short(v)} ({type(v).__name__}); expected True or False")
    if hint is int:
        if isinstance(v, (int, sympy.Integer)) and not isinstance(v, bool):
            return int(v)
        raise ArgError(key, f"got {_short(v)} ({type(v).__name__}); expected an integer")
    if hint is float:
        if isinstance(v, (int, float, Fraction, sympy.Rational, sympy.Float)) and not isinstance(v, bool):
            x = float(v)
            if math.isfinite(x):
                return x
        raise ArgError(key, f"got {_short(v)} ({type(v).__name__}); expected a finite number")
    if hint is str:
        if isinstance(v, str):
            return v
        raise ArgError(key, f"got {_short(v)} ({type(v).__name__}); expected a string")
    if origin is tuple:
        if not isinstance(v, (tuple, list)):
            raise ArgError(key, f"got {_short(v)} ({type(v).__name__}); expected a tuple")
        if len(params) == 2 and params[1] is Ellipsis:
            return tuple(_convert(key, params[0], x) for x in v)
        if params and len(params) != len(v):
            raise ArgError(key, f"got {len(v)} entries; expected {len(params)}")
        return tuple(_convert(key, p, x) for p, x in zip(params, v)) if params else tuple(v)
    if origin in (collections.abc.Mapping, dict) or hint in (dict, Mapping):
        if not isinstance(v, Mapping) or not all(isinstance(k, str) for k in v):
            raise ArgError(key, f"got {_short(v)} ({type(v).__name__}); expected a mapping with string keys")
        vt = params[1] if len(params) == 2 else Any
        return types.MappingProxyType({k: _convert(key, vt, x) for k, x in v.items()})
    raise TypeError(f"unsupported claim-argument annotation {hint!r} for {key!r}")  # a defect in an args class


def _formula(key: str, v: Any) -> Any:
    if isinstance(v, bool):
        raise ArgError(key, f"got {v!r}; expected a formula")
    if isinstance(v, sympy.Basic):
        if isinstance(v, sympy.logic.boolalg.Boolean) and not isinstance(v, sympy.Symbol):
            raise ArgError(key, f"got the relation {_short(v)}; expected an expression")
        return v
    if isinstance(v, (int, Fraction)):
        return v  # kept as given: checks read numbers exactly (a float as its exact binary value)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ArgError(key, f"got {v!r}; expected a finite number")
        return v
    if isinstance(v, str):
        if len(v) > _MAX_FORMULA_CHARS:
            raise ArgError(key, f"a formula of {len(v)} characters; at most {_MAX_FORMULA_CHARS} are accepted")
        from proofs.formula import parse_formula  # bounded: no eager huge powers, one-line errors

        try:
            return parse_formula(v)
        except InvalidInput as exc:
            raise ArgError(key, str(exc)) from None
    raise ArgError(
        key, f"got {_short(v)} ({type(v).__name__}); expected a formula (sympy expression, number or string)"
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClaimArgs:
    """Base of the per-check argument dataclasses (subclasses are frozen dataclasses too)."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ClaimArgs:
        """The dict ``raw`` validated and converted; an :class:`ArgError` names the first bad key."""
        if isinstance(raw, cls):
            return raw
        if not isinstance(raw, Mapping):
            raise ArgError("args", f"got {type(raw).__name__}; expected a dict")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for k in raw:
            if k not in fields:
                near = difflib.get_close_matches(str(k), list(fields), n=1)
                hint = f"did you mean {near[0]!r}? " if near else ""
                accepted = ", ".join(fields) or "none"
                raise ArgError(str(k), f"unknown argument; {hint}accepted: {accepted}")
        hints = typing.get_type_hints(cls)
        values = {}
        for name, f in fields.items():
            if name in raw:
                values[name] = _convert(name, hints[name], raw[name])
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ArgError(name, "missing (required)")
        obj = cls(**values)
        obj.validate()
        return obj

    def validate(self) -> None:
        """Cross-field rules (raise :class:`ArgError`); the default has none."""

    def paths(self) -> dict[str, tuple[str, bool]]:
        """The fields holding dotted paths: key -> (path, is a construction), resolved once at load time."""
        hints = typing.get_type_hints(type(self))
        out = {}
        for f in dataclasses.fields(self):
            v, h = getattr(self, f.name), hints[f.name]
            kinds = {h, *typing.get_args(h)}
            if isinstance(v, str) and v.count(":") == 1 and kinds & {Path, Construction}:
                out[f.name] = (v, Construction in kinds)
        return out

    def stated(self) -> tuple[str, Any, Any] | None:
        """``(relation, lhs, rhs)`` this claim decides, when it states one; ``lhs`` is a formula, or a
        string naming a measured quantity (shown, never compared)."""
        return None

    def statement(self) -> str:
        """The statement text derived from :meth:`stated` (empty when the check states no relation)."""
        s = self.stated()
        if s is None:
            return ""
        rel, lhs, rhs = s
        left = lhs if isinstance(lhs, str) else sympy.sstr(lhs)
        return f"{left} {RELATIONS[rel][1]} {sympy.sstr(rhs)}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class NoArgs(ClaimArgs):
    """A check that takes no arguments."""


def _plain(e: Any) -> Any:
    """``e`` with every symbol replaced by an assumption-free one of the same name."""
    e = sympy.sympify(e)
    return e.xreplace({s: sympy.Symbol(s.name) for s in e.free_symbols})


def _same(a: Any, b: Any, instances: tuple[Mapping[str, Any], ...]) -> Mapping[str, Any] | None | bool:
    """True when ``a == b`` identically or on every instance; else the first instance where they differ
    (``None`` when they differ as formulas and there is no instance)."""
    try:
        pa, pb = _plain(a), _plain(b)
        if sympy.simplify(pa - pb) == 0:
            return True
        for inst in instances:
            subs = {
                sympy.Symbol(k): sympy.sympify(v)
                for k, v in inst.items()
                if isinstance(v, (int, Fraction, sympy.Basic))
            }
            if sympy.simplify((pa - pb).xreplace(subs)) != 0:
                return inst
    except (TypeError, ValueError, AttributeError, sympy.SympifyError):
        return None
    return True if instances else None


def statement_disagreement(
    statement: Any, args: ClaimArgs, instances: tuple[Mapping[str, Any], ...] = ()
) -> str | None:
    """Why a statement given as a sympy relation disagrees with the relation and bound in ``args``,
    identically or on one of ``instances`` (``None`` when it agrees, or when either side states no relation)."""
    s = args.stated()
    if s is None or not isinstance(statement, sympy.core.relational.Relational):
        return None
    rel_given: Any = statement
    rel, lhs, rhs = s
    cls, sym = RELATIONS[rel]
    if type(statement) is not cls:
        return f"the statement says {rel_given.rel_op} but the arguments say {sym}"
    sides = [("bound", rel_given.rhs, rhs)] + ([] if isinstance(lhs, str) else [("left side", rel_given.lhs, lhs)])
    for what, given, arg in sides:
        same = _same(given, arg, instances)
        if same is not True:
            at = f" on the instance {dict(same)}" if isinstance(same, Mapping) else ""
            return f"the statement's {what} {sympy.sstr(given)} differs from the argument {sympy.sstr(arg)}{at}"
    return None
