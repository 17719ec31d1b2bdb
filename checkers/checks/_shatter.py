"""A constructive shattering of (W/2) n points in R^n by one ReLU layer of width W (K3's readings).

Construction [ours; the classical idea that two ReLUs make a steep ramp, Baum 1988]:

* Points: G = W/2 groups of n points; group j has first coordinate u = j and the other n - 1
  coordinates v, small integers drawn so that the n rows [v, 1] of each group are linearly
  independent (A_j invertible, checked exactly).
* Pair j of hidden units: r_j(x) = relu(psi_j(x) + 1) - relu(psi_j(x)) = clip(psi_j(x) + 1, 0, 1), with
  psi_j(x) = M (u - j) + h_j(v) and h_j affine, interpolating the targets t_x in {+1, -2} on group j
  (h_j = [v, 1] A_j^-1 t: exact). On group j, r_j = 1 if t_x = +1 and 0 if t_x = -2.
* On a group i != j, |h_j| <= H for every labelling (H from ||A_j^-1||, bounded rigorously below), so
  M >= 2 (H + 1) saturates r_j: 0 on earlier groups (u - j <= -1), 1 on later ones.
* Output F = sum_j (-1)^j r_j. On group i the earlier pairs are saturated at 1 and the later ones at 0,
  so F = p_i + (-1)^i r_i with p_i = sum_{j<i} (-1)^j (0 for i even, 1 for i odd): F is in {0, 1},
  and r_i = (label - p_i) (-1)^i makes F = label; the classifier sign(F - 1/2) realises the labelling.
So every labelling of the N = G n points is realised by a width-W, one-hidden-layer ReLU network:
VCdim >= N. The preconditions (invertible A_j, the bound H) are checked here; a few labellings are
also replayed end to end in exact rationals.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = [
    "shattering_points",
    "inverse_exact",
    "ramp_bound",
    "realise_labelling",
    "shattered_by_construction",
    "classify",
]


def _adjugate(A: list[list[int]]) -> tuple[list[list[int]], int] | None:
    """(adj, det) of the integer matrix A with A adj = det I, det != 0; None when A is singular.

    Fraction-free Gauss-Jordan elimination (Bareiss): every entry stays an integer (a minor of [A | I]), each
    division is exact (checked), and the result is verified by the product A adj = det I in integers.
    """
    n = len(A)
    M = [[int(v) for v in row] + [int(i == j) for j in range(n)] for i, row in enumerate(A)]
    prev = 1
    for c in range(n):
        p = next((r for r in range(c, n) if M[r][c] != 0), None)
        if p is None:
            return None
        M[c], M[p] = M[p], M[c]
        piv, top = M[c][c], M[c]
        for r in range(n):
            if r != c:
                f, row = M[r][c], M[r]
                new = []
                for a, b in zip(row, top):
                    q, rem = divmod(piv * a - f * b, prev)
                    if rem:
                        raise ArithmeticError("fraction-free elimination: a division was not exact")
                    new.append(q)
                M[r] = new
        prev = piv
    # now [A | I] ~ [d I | adj'] with every diagonal entry d = +-det: A^-1 = adj' / d
    d = M[n - 1][n - 1]
    if any(M[i][i] != d for i in range(n)):
        raise ArithmeticError("fraction-free elimination: unequal diagonal")
    adj = [row[n:] for row in M]
    if any(sum(A[i][k] * adj[k][j] for k in range(n)) != (d if i == j else 0) for i in range(n) for j in range(n)):
        raise ArithmeticError("fraction-free elimination: A adj != det I")
    return adj, d


def inverse_exact(A: list[list[int]]) -> list[list[Fraction]] | None:
    """A^-1 in exact rationals (fraction-free Gauss-Jordan in integers, then adj / det), None when A is singular.

    >>> inverse_exact([[2, 1], [1, 1]])
    [[Fraction(1, 1), Fraction(-1, 1)], [Fraction(-1, 1), Fraction(2, 1)]]
    >>> inverse_exact([[1, 2], [2, 4]]) is None
    True
    """
    got = _adjugate([[int(v) for v in row] for row in A])
    if got is None:
        return None
    adj, d = got
    return [[Fraction(v, d) for v in row] for row in adj]


def shattering_points(n: int, W: int, *, seed: int) -> tuple[np.ndarray, list[list[list[Fraction]]]]:
    """(N, n) integer points, N = (W // 2) n, grouped by their first coordinate, and each group's exact A_j^-1."""
    rng = np.random.default_rng(seed)
    pts, invs = [], []
    for j in range(W // 2):
        while True:
            v = rng.integers(-3, 4, size=(n, n - 1))
            A = np.concatenate([v, np.ones((n, 1), dtype=np.int64)], axis=1)
            inv = inverse_exact(A.tolist())
            if inv is not None:
                break
        pts.append(np.concatenate([np.full((n, 1), j, dtype=np.int64), v], axis=1))
        invs.append(inv)
    return np.concatenate(pts, axis=0), invs


def ramp_bound(points: np.ndarray, invs) -> float:
    """H >= |h_j(v)| at every point, for every group j and every target vector in {+1, -2}^n.

    |[v, 1] A^-1 t| <= ||[v, 1]||_1 ||A^-1||_inf 2, with ||A^-1||_inf summed exactly (rationals) and
    rounded up.
    """
    rows = np.abs(np.concatenate([points[:, 1:], np.ones((len(points), 1), dtype=np.int64)], axis=1)).sum(axis=1)
    norm_inv = max(max(sum(abs(x) for x in row) for row in inv) for inv in invs)
    return math.nextafter(float(int(rows.max()) * norm_inv * 2), math.inf)


def realise_labelling(points: np.ndarray, invs, labels, M: Fraction):
    """The hidden-layer weights (2 units per group) and output weights realising ``labels`` (exact)."""
    n = points.shape[1]
    G = len(invs)
    prior = [Fraction(0)]
    for j in range(G):
        prior.append(prior[-1] + (-1) ** j)
    units = []
    for j in range(G):
        grp = labels[j * n : (j + 1) * n]
        # on group j: F = p_j + (-1)^j r_j with r_j in {0, 1}; F = label <=> r_j = (label - p_j) (-1)^j
        want_r = [int((lab - prior[j]) * (-1) ** j) for lab in grp]
        t = [Fraction(1) if r == 1 else Fraction(-2) for r in want_r]
        coef = [sum(inv_row[k] * t[k] for k in range(n)) for inv_row in invs[j]]  # A_j^-1 t: (w_v..., c)
        w = [M] + coef[:-1]  # psi_j = M u + w_v . v + (c - M j)
        b = coef[-1] - M * j
        units.append((w, b, (-1) ** j))
    return units


def classify(points, units) -> list[int]:
    """The labels sign(F - 1/2) of the network ``units`` at ``points``, in exact rationals.

    Each unit's weights are scaled to integers by their common denominator q > 0: psi = P / q with P an
    integer, so relu(psi + 1) - relu(psi) = clip(P + q, 0, q) / q, and F is summed in exact rationals.
    """
    xs = points.tolist()
    if not all(isinstance(v, int) for x in xs for v in x):
        raise ValueError("classify takes integer points (the construction's)")
    scaled = []
    for w, b, sign in units:
        fw = [Fraction(v) for v in (*w, b)]
        q = math.lcm(*(v.denominator for v in fw))
        iw = [v.numerator * (q // v.denominator) for v in fw]
        scaled.append((iw[:-1], iw[-1], q, sign))
    out = []
    for x in xs:
        F = Fraction(0)
        for iw, ib, q, sign in scaled:
            P = sum(wi * xi for wi, xi in zip(iw, x)) + ib
            F += Fraction(sign * min(max(P + q, 0), q), q)
        out.append(1 if F > Fraction(1, 2) else 0)
    return out


def shattered_by_construction(n: int, W: int, *, seed: int, replays: int = 3) -> dict:
    """Build the point set, check the construction's preconditions, replay ``replays`` labellings exactly.

    Returns the number of points N, M, H and the replays (each: labelling realised exactly or not).
    """
    if W < 2 or n < 1:
        raise ValueError(f"need W >= 2 and n >= 1, got W={W}, n={n}")
    points, invs = shattering_points(n, W, seed=seed)
    H = ramp_bound(points, invs)
    M = Fraction(math.ceil(2 * (H + 1)) + 1)
    rng = np.random.default_rng(seed + 1)
    N = len(points)
    tests = [[1] * N, [0] * N, [i % 2 for i in range(N)]] + [rng.integers(0, 2, N).tolist() for _ in range(replays)]
    ok = all(classify(points, realise_labelling(points, invs, y, M)) == y for y in tests)
    return {
        "N": N,
        "M": M,
        "H": H,
        "replayed": len(tests),
        "replays_ok": ok,
        "hidden_width": 2 * len(invs),
        "n_weights": (n + 1) * 2 * len(invs) + 2 * len(invs) + 1,
    }
