"""The theorem model: statements as data.

A :class:`Theorem` is a value (never a subclass): an id, its paper and section, the provenance of the
statement and of the construction, sympy symbols with assumptions, hypotheses and :class:`Claim` s.
A claim names the check that decides it (a string key of ``checkers``' check registry) and carries the
static data that check needs (``args``: sympy expressions, explicit constants, dotted paths of
constructions), plus the parameter points it is checked on (a quick and a full set).

This module imports sympy only: importing a theorem is instant and GPU-free.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

import sympy

from proofs._errors import InvalidInput

__all__ = ["Provenance", "Claim", "Theorem", "PAPERS", "PROFILES", "frozen_mapping"]

#: Paper keys known to moecheck (user modules may add their own key; it is shown as given).
PAPERS: Mapping[str, str] = MappingProxyType(
    {
        "classical": "Classical golden theorems (Yarotsky 2017; piecewise-linear interpolation)",
        "kratsios2024": "Kratsios, Saez de Ocariz Borde, Furuya, Law: (P)ReLU MLP mixtures of experts, arXiv 2402.03460",  # noqa: E501
        "zhao2024": "Zhao, Wang, Wang: generalization of sparse MoE, arXiv 2403.17404",
        "wang-e2025": "Wang, E: expressive power of MoE for structured tasks, arXiv 2505.24205",
    }
)

PROFILES = ("quick", "full")


class Provenance(str, enum.Enum):
    """Where a statement, formula or construction comes from (THEOREMS.md tags)."""

    PAPER = "paper"
    SECONDARY = "secondary"
    OURS = "ours"

    def __str__(self) -> str:  # shown in reports as the bare tag
        return self.value


def frozen_mapping(m: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of ``m`` (claims and theorems are immutable values)."""
    return MappingProxyType(dict(m or {}))


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Claim:
    """One checkable consequence of a theorem.

    Arguments:
        name: what is stated, in snake case (``sup_error_le_eps``, ``n_experts_eq_formula``).
        check: key of the check in ``checkers``' registry that decides the claim (``certified_sup_error``).
        statement: the claim for display: a sympy relation built with ``evaluate=False``, or prose; omitted
            (``None``), it is derived from the check's relation and bound (``checkers.checks.statement_text``),
            and a relation given here must agree with them (checked when the module is loaded).
        args: static data for the check (sympy expressions in the theorem's symbols, explicit
            constants, dotted paths ``package.module:function`` of constructions). Evaluated on an
            instance by the check, never by this module.
        quick, full: the parameter points (instances) of each profile; each a mapping symbol-name ->
            value. ``full`` defaults to ``quick``.
        provenance: of this claim's formula (a formula of ours is reported as such).
        constant: the explicit constant the claim carries, when it has one (never hidden in ``O``).
        exponent: the rate exponent the claim carries, when it has one.
        finding: True for a true claim *about the statement* (e.g. "reading (b) is not monotone"):
            reported as a finding, not as support for the paper.
        note: one line shown in the report under the claim.
        vacuous: non-empty when the claim cannot fail at any instance (a relation between two formulas
            of the statement, a rule compared with itself): the reason. A pass is then reported
            VACUOUS and counted apart, never as passed.
    """

    name: str
    check: str
    statement: Any = None
    args: Mapping[str, Any] = field(default_factory=dict)
    quick: tuple[Mapping[str, Any], ...] = ({},)
    full: tuple[Mapping[str, Any], ...] | None = None
    provenance: Provenance = Provenance.PAPER
    constant: Any = None
    exponent: Any = None
    finding: bool = False
    note: str = ""
    vacuous: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise InvalidInput(f"claim name {self.name!r} must be snake_case, e.g. 'sup_error_le_eps'")
        if not isinstance(self.check, str) or not self.check:
            raise InvalidInput(f"claim {self.name!r}: check={self.check!r} must name a registered check")
        object.__setattr__(self, "args", frozen_mapping(self.args))
        object.__setattr__(self, "provenance", Provenance(self.provenance))
        quick = tuple(frozen_mapping(p) for p in self.quick)
        full = tuple(frozen_mapping(p) for p in (self.full if self.full is not None else self.quick))
        if not quick or not full:
            raise InvalidInput(f"claim {self.name!r}: needs at least one instance in each profile")
        object.__setattr__(self, "quick", quick)
        object.__setattr__(self, "full", full)

    def instances(self, profile: str) -> tuple[Mapping[str, Any], ...]:
        """The parameter points checked under ``profile`` ('quick' or 'full')."""
        if profile not in PROFILES:
            raise InvalidInput(f"profile={profile!r} must be one of {', '.join(PROFILES)}")
        # __post_init__ replaces a ``full`` of None by ``quick``
        return self.quick if profile == "quick" else cast(tuple[Mapping[str, Any], ...], self.full)

    def statement_text(self) -> str:
        """The statement as one line of text (sympy's ``sstr`` for expressions; empty when omitted)."""
        if self.statement is None:
            return ""
        if isinstance(self.statement, str):
            return self.statement
        text: str = sympy.sstr(self.statement)
        return text


@dataclass(frozen=True)
class Theorem:
    """A published (or classical) theorem, encoded as data.

    Arguments:
        id: ``paper/label`` in lower case, e.g. ``wang-e2025/thm-5.3``.
        name: the Python name, saying what is stated (``momlp_uniform_approx``), never ``theorem1``.
        label: the paper's label or the THEOREMS.md tag (``K1``, ``Thm 5.3``).
        title: one line.
        paper: paper key (``kratsios2024``, ``zhao2024``, ``wang-e2025``, ``classical``, or a user key).
        statement: the statement in words, as written (verbatim parts marked by the provenance).
        statement_provenance: paper | secondary | ours.
        construction: what the proof builds, in words (``None`` for non-constructive statements).
        construction_provenance: paper | secondary | ours, or None.
        arxiv, section: the source.
        symbols: sympy symbols with their assumptions.
        hypotheses: sympy relations or prose.
        claims: the checkable claims.
        notes: what stays unchecked, constants chosen, deviations.
    """

    id: str
    name: str
    label: str
    title: str
    paper: str
    statement: str
    statement_provenance: Provenance
    claims: tuple[Claim, ...]
    construction: str | None = None
    construction_provenance: Provenance | None = None
    arxiv: str | None = None
    section: str = ""
    symbols: tuple[sympy.Symbol, ...] = ()
    hypotheses: tuple[Any, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise InvalidInput(f"theorem id {self.id!r} must look like 'paper/label' (lower case)")
        if not _NAME.match(self.name):
            raise InvalidInput(f"theorem name {self.name!r} must be snake_case and say what is stated")
        object.__setattr__(self, "statement_provenance", Provenance(self.statement_provenance))
        if self.construction_provenance is not None:
            object.__setattr__(self, "construction_provenance", Provenance(self.construction_provenance))
        object.__setattr__(self, "claims", tuple(self.claims))
        names = [c.name for c in self.claims]
        if len(set(names)) != len(names):
            raise InvalidInput(f"theorem {self.id!r}: claim names must be unique, got {names}")
        if not self.claims:
            raise InvalidInput(f"theorem {self.id!r} has no claims to check")

    def claim(self, name: str) -> Claim:
        """The claim called ``name``."""
        for c in self.claims:
            if c.name == name:
                return c
        raise InvalidInput(f"theorem {self.id!r} has no claim {name!r}; it has {[c.name for c in self.claims]}")

    def instantiate(self, claim: str | None = None, **params: Any) -> dict[str, Any]:
        """The claim's ``args`` with ``params`` substituted into each sympy expression.

        >>> import sympy
        >>> x = sympy.Symbol('eps', positive=True)
        >>> t = Theorem(id='demo/t', name='demo_bound', label='D', title='demo', paper='demo',
        ...     statement='s', statement_provenance='ours',
        ...     claims=(Claim(name='c', check='symbolic_relation', statement='s', args={'rhs': 2*x}),))
        >>> t.instantiate(eps=sympy.Rational(1, 4))['rhs']
        1/2
        """
        c = self.claims[0] if claim is None else self.claim(claim)
        subs = {
            s: params[s.name]
            for e in c.args.values()
            if isinstance(e, sympy.Basic)
            for s in e.free_symbols
            if s.name in params
        }
        return {k: (v.subs(subs) if isinstance(v, sympy.Basic) else v) for k, v in c.args.items()}

    @property
    def provenance_line(self) -> str:
        """``statement: paper; construction: ours`` as shown in reports."""
        cons = self.construction_provenance.value if self.construction_provenance else "none"
        return f"statement: {self.statement_provenance.value}; construction: {cons}"
