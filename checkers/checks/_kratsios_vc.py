"""Counting sign patterns of small MoMLP classes (K3) and shattering by one sin unit (K4).

K3 [ours]: the class of MoMLPs with L experts, each a (P)ReLU MLP with J hidden layers of width W, on
R^n, with nearest-prototype routing (L prototypes, the one-level delta-net router): F(x) =
expert_{argmin_l |x - p_l|}(x), classifiers sign(F(x) - b). For a point set of size s, the distinct
patterns reached over random parameter draws (every threshold b between sorted values of F) are a
*lower bound* of the growth function Pi(s); Sauer-Shelah gives Pi(s) <= sum_{i <= d} C(s, i) when
VCdim <= d. A count above that, or a shattered set larger than d, refutes the VC bound d.

K4 (classical): with x_j = 10^-j and theta = pi (1 + sum_i (1 - y_i) 10^i), sign(sin(theta x_j)) =
2 y_j - 1. theta x_j / pi = q_j is rational; sin(pi q) > 0 iff (q mod 2) lies in (0, 1), decided
exactly with fractions.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["pattern_count", "shattered_size", "sauer_shelah", "sin_labelling_signs"]


def _class_values(x: np.ndarray, R: int, L: int, J: int, W: int, rng, slope: float = 0.0) -> np.ndarray:
    """F for R random members of the class at the points x (s, n): -> (R, s)."""
    s, n = x.shape
    protos = rng.random((R, L, n))
    d2 = ((x[None, None, :, :] - protos[:, :, None, :]) ** 2).sum(-1)  # (R, L, s)
    route = d2.argmin(axis=1)  # nearest prototype (ties: lowest index)
    h = np.broadcast_to(x, (R, L, s, n))
    width_in = n
    for _ in range(J):
        w = rng.normal(size=(R, L, W, width_in)) * rng.exponential(2.0, size=(R, L, 1, 1))
        b = rng.normal(size=(R, L, 1, W)) * 2.0
        h = np.einsum("rlsi,rloi->rlso", h, w) + b
        h = np.maximum(h, slope * h)
        width_in = W
    v = rng.normal(size=(R, L, width_in))
    c = rng.normal(size=(R, L, 1)) * 2.0
    F_all = np.einsum("rlsi,rli->rls", h, v) + c
    return np.take_along_axis(F_all, route[:, None, :], axis=1)[:, 0, :]


def pattern_count(x: np.ndarray, draws: int, L: int, J: int, W: int, *, seed: int, chunk: int = 4000) -> int:
    """Distinct patterns {i : F(x_i) > b} over ``draws`` members and every threshold b (s <= 62)."""
    s = x.shape[0]
    if s > 62:
        raise ValueError(f"s={s} points: patterns are packed in 64-bit integers (s <= 62)")
    rng = np.random.default_rng(seed)
    seen: set[int] = set()
    bits = np.uint64(1) << np.arange(s, dtype=np.uint64)
    for start in range(0, draws, chunk):
        F = _class_values(x, min(chunk, draws - start), L, J, W, rng)
        order = np.argsort(-F, axis=1, kind="stable")  # largest first
        # threshold below the t largest values -> the pattern of those t points (t = 0..s)
        cum = np.cumsum(bits[order], axis=1, dtype=np.uint64)
        seen.update(np.unique(cum).tolist())
        seen.add(0)
    return len(seen)


def sauer_shelah(s: int, d: int) -> int:
    """sum_{i <= d} C(s, i) (= 2^s when d >= s)."""
    return sum(math.comb(s, i) for i in range(0, min(s, max(d, -1)) + 1))


def shattered_size(
    n: int, L: int, J: int, W: int, *, draws: int, seed: int, s_max: int = 14, trials: int = 4
) -> tuple[int, dict[int, int]]:
    """Largest s <= s_max for which some random point set of size s was shattered (counts per s)."""
    rng = np.random.default_rng(seed)
    best, counts = 0, {}
    for s in range(1, s_max + 1):
        hit = False
        for t in range(trials):
            x = rng.random((s, n))
            c = pattern_count(x, draws, L, J, W, seed=seed + 7919 * s + t)
            counts[s] = max(counts.get(s, 0), c)
            if c == 2**s:
                hit = True
                break
        if not hit:
            break
        best = s
    return best, counts


def sin_labelling_signs(labels: tuple[int, ...], offset: int = 1) -> tuple[int, ...]:
    """sign(sin(theta x_j)) for x_j = 10^-j, theta = pi (offset + sum_i (1 - y_i) 10^i), exactly (+1, -1 or 0).

    The classical construction has offset 1 (it keeps theta x_j / pi off the integers); offset 0 is a
    planted false variant (the all-ones labelling gives sin 0 = 0).
    """
    k = offset + sum((1 - y) * 10**i for i, y in enumerate(labels, start=1))
    out = []
    for j in range(1, len(labels) + 1):
        q = Fraction(k, 10**j) % 2  # theta x_j = pi q
        out.append(0 if q in (0, 1) else (1 if q < 1 else -1))
    return tuple(out)
