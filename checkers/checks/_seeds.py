"""Intervals over seeds for pre-registered trained-model claims (:class:`proofs.PreRegistered`).

``t_interval``: the mean of per-seed statistics with a Student t interval (two-sided; the 0.975
quantiles below are the standard table values, df > 30 uses 1.96 + 2.4/df, within 0.002 of the truth).
``bootstrap_interval``: a percentile bootstrap of a statistic of the seed means (resampling whole seeds,
numpy ``Generator(0)``, 2000 draws), for statistics such as an argmin that have no per-seed form.
``ols_slope``: the least-squares slope of y on x (one seed's trend).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["t_interval", "bootstrap_interval", "ols_slope", "interval_of", "T975"]

#: two-sided 95 % Student t quantiles t_{0.975, df}
T975 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    11: 2.201,
    12: 2.179,
    13: 2.160,
    14: 2.145,
    15: 2.131,
    16: 2.120,
    17: 2.110,
    18: 2.101,
    19: 2.093,
    20: 2.086,
    21: 2.080,
    22: 2.074,
    23: 2.069,
    24: 2.064,
    25: 2.060,
    26: 2.056,
    27: 2.052,
    28: 2.048,
    29: 2.045,
    30: 2.042,
}


def _t975(df: int) -> float:
    return T975[df] if df in T975 else 1.96 + 2.4 / df


def t_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, lo, hi): 95 % t interval of the mean of ``values`` (one per seed; needs two or more).

    >>> [round(v, 4) for v in t_interval([1.0, 2.0, 3.0])]
    [2.0, -0.4843, 4.4843]
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2 or not np.all(np.isfinite(v)):
        return float(v.mean()) if v.size else math.nan, -math.inf, math.inf
    mean = float(v.mean())
    half = _t975(v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return mean, mean - half, mean + half


def bootstrap_interval(
    per_seed: np.ndarray, statistic: Callable[[np.ndarray], float], *, draws: int = 2000
) -> tuple[float, float, float]:
    """(value, lo, hi): ``statistic`` of the seed means of ``per_seed`` (seeds on axis 0) and its 95 %
    percentile bootstrap interval over resampled seeds (``Generator(0)``: the same interval every run)."""
    per_seed = np.asarray(per_seed, dtype=float)
    n = per_seed.shape[0]
    value = float(statistic(per_seed.mean(axis=0)))
    if n < 2:
        return value, -math.inf, math.inf
    rng = np.random.default_rng(0)
    stats = np.array([statistic(per_seed[rng.integers(0, n, n)].mean(axis=0)) for _ in range(draws)])
    lo, hi = np.quantile(stats, [0.025, 0.975])
    return value, float(lo), float(hi)


def ols_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of y on x."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def interval_of(criterion, per_seed: Sequence[float]) -> tuple[float, float, float]:
    """The criterion's interval of per-seed statistics: t, or the bootstrap of their mean."""
    if criterion.interval == "t95":
        return t_interval(per_seed)
    return bootstrap_interval(np.asarray(per_seed, dtype=float)[:, None], lambda m: float(m[0]))
