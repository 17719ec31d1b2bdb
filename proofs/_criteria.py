"""Pre-registered decision rules for claims decided by trained models (data only: no statistics here).

A trained model measures an optimiser, so its claims are decided by an interval over seeds, with the
rule written in the claim *before* any data are seen: the statistic, the number of seeds, the interval
and the decision. The check (``checkers.checks``) computes the interval and applies :meth:`decide`.

Three outcomes, never a refutation of the theorem:

* ``'holds'``: the interval lies inside the claimed region (a trend claim: it excludes the opposite
  trend; a flat claim: the ratio's interval lies inside the band) -> PASS-EMPIRICAL;
* ``'opposite'``: the interval lies wholly outside the claimed region -> NOT-REPRODUCED;
* ``'undecided'``: the interval straddles the region's edge -> UNKNOWN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from proofs._errors import InvalidInput

__all__ = ["PreRegistered", "INTERVALS", "RULES"]

#: 't95': Student t interval (95 %) over the per-seed statistics; 'bootstrap95': percentile bootstrap
#: (95 %, 2000 resamples of the seeds, numpy Generator(0)) of the statistic computed from seed means
INTERVALS = ("t95", "bootstrap95")
#: 'below': interval upper end < threshold; 'above': lower end > threshold; 'inside': within [band]
RULES = ("below", "above", "inside")


@dataclass(frozen=True)
class PreRegistered:
    """A decision rule fixed before the data (shown in the report next to the verdict).

    Arguments:
        statistic: what is computed, in words (per seed, or from the seed means for the bootstrap).
        seeds: the number of seeds of the full profile (>= 5 where the cost allows; quick may use fewer
            and says so).
        interval: one of :data:`INTERVALS`.
        rule: one of :data:`RULES`.
        threshold: the edge for 'below' / 'above'.
        band: (lo, hi) for 'inside'; several values (a table) must each lie inside their own band.
        log10: the statistic and its interval are on a log10 scale (ratios, errors); the band and the
            threshold are given on the natural scale and compared in log10.
    """

    statistic: str
    seeds: int
    interval: str
    rule: str
    threshold: float = 0.0
    band: tuple[float, float] | None = None
    log10: bool = False

    def __post_init__(self) -> None:
        if self.interval not in INTERVALS:
            raise InvalidInput(f"interval={self.interval!r} must be one of {INTERVALS}")
        if self.rule not in RULES:
            raise InvalidInput(f"rule={self.rule!r} must be one of {RULES}")
        if not (isinstance(self.seeds, int) and self.seeds >= 2):
            raise InvalidInput(f"seeds={self.seeds!r} must be an integer >= 2 (an interval needs two)")
        if self.rule == "inside":
            if self.band is None or not (len(self.band) == 2 and self.band[0] < self.band[1]):
                raise InvalidInput(f"band={self.band!r} must be (lo, hi) with lo < hi for rule 'inside'")
            if self.log10 and self.band[0] <= 0:
                raise InvalidInput(f"band={self.band!r} must be positive on a log10 scale")
        elif self.log10 and self.threshold <= 0:
            raise InvalidInput(f"threshold={self.threshold!r} must be positive on a log10 scale")

    def _edges(self, band: tuple[float, float] | None = None) -> tuple[float, float]:
        tr: Callable[[float], float] = (lambda v: math.log10(v)) if self.log10 else (lambda v: float(v))
        if self.rule == "inside":
            # __post_init__ requires a band for rule 'inside'
            lo, hi = band if band is not None else cast(tuple[float, float], self.band)
            return tr(lo), tr(hi)
        return (tr(self.threshold), math.inf) if self.rule == "above" else (-math.inf, tr(self.threshold))

    def decide(self, lo: float, hi: float, band: tuple[float, float] | None = None) -> str:
        """'holds', 'opposite' or 'undecided' for the interval [lo, hi] (on the statistic's scale).

        >>> PreRegistered('slope', 5, 't95', 'below').decide(-0.3, -0.1)
        'holds'
        >>> PreRegistered('ratio', 5, 't95', 'inside', band=(1/3, 3), log10=True).decide(0.6, 0.9)
        'opposite'
        """
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            return "undecided"
        a, b = self._edges(band)
        strict = self.rule != "inside"  # a trend must exclude the edge itself
        inside = (a < lo and hi < b) if strict else (a <= lo and hi <= b)
        if inside:
            return "holds"
        outside = hi <= a or lo >= b if strict else hi < a or lo > b
        return "opposite" if outside else "undecided"

    def describe(self) -> str:
        iv = {"t95": "95% t interval over seeds", "bootstrap95": "95% percentile bootstrap over seeds"}[self.interval]
        if self.rule == "inside":
            region = f"inside [{self.band[0]:.4g}, {self.band[1]:.4g}]" if self.band else "inside its band"
        else:
            region = f"{'below' if self.rule == 'below' else 'above'} {self.threshold:.4g}"
        return (
            f"pre-registered: {self.statistic}; {self.seeds} seeds; {iv}{' (log10 scale)' if self.log10 else ''}; "
            f"passes when the interval lies {region}, NOT-REPRODUCED when it lies wholly outside, else UNKNOWN"
        )
