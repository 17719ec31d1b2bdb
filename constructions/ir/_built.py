"""What a construction returns: the network together with what it approximates and where.

A construction is a function ``builder(**params) -> Built`` named in a claim by dotted path
(``constructions.yarotsky:sawtooth_square``). The certifier bounds
sup_{theta in [domain_lo, domain_hi]} max_j |target_j(theta) - net(chart(theta))_j|.

* ``variables``: the domain variables theta (sympy symbols).
* ``chart``: the network input as expressions in the variables (x = chart(theta)); ``None`` means the
  identity (a box domain in x itself). A parameterised manifold (the circle in R^D) is a chart.
* ``target``: f composed with the chart, one expression per network output, in the variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import sympy

from constructions.ir._ir import Net
from proofs import InvalidInput

__all__ = ["Built"]


@dataclass(frozen=True, eq=False)
class Built:
    net: Net
    target: tuple[sympy.Expr, ...]
    variables: tuple[sympy.Symbol, ...]
    domain_lo: tuple[float, ...]
    domain_hi: tuple[float, ...]
    chart: tuple[sympy.Expr, ...] | None = None
    description: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", tuple(sympy.sympify(t) for t in self.target))
        object.__setattr__(self, "variables", tuple(self.variables))
        object.__setattr__(self, "domain_lo", tuple(float(v) for v in self.domain_lo))
        object.__setattr__(self, "domain_hi", tuple(float(v) for v in self.domain_hi))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        if self.chart is not None:
            object.__setattr__(self, "chart", tuple(sympy.sympify(c) for c in self.chart))
        n_dom = len(self.variables)
        if len(self.domain_lo) != n_dom or len(self.domain_hi) != n_dom:
            raise InvalidInput(f"domain has {len(self.domain_lo)} sides for {n_dom} variables")
        if any(lo > hi for lo, hi in zip(self.domain_lo, self.domain_hi)):
            raise InvalidInput(f"domain lower corner {self.domain_lo} exceeds upper corner {self.domain_hi}")
        n_input = n_dom if self.chart is None else len(self.chart)
        if n_input != self.net.n_in:
            raise InvalidInput(f"network takes {self.net.n_in} inputs, the domain/chart gives {n_input}")
        if len(self.target) != self.net.n_out:
            raise InvalidInput(f"network has {self.net.n_out} outputs, {len(self.target)} target expressions given")
