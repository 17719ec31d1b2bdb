"""Routing growth-function checks (step (2) of zhao2024's Z3; the Natarajan lemma of Z5).

A top-k router maps each of m points to a set of k experts out of T; its *routing pattern* on the
points is the tuple of those sets. The Natarajan lemma bounds the number of patterns a router class
realises on m points by ``m^d_N · C(T,k)^(2 d_N)``. These checks count the patterns actually realised
on a random point set and compare.

Counting, most exact first (the method string says which ran):

* **exact enumeration** (linear router ``s(x) = W x``): depth-first over points and k-subsets; a
  prefix of the pattern is realisable iff the strict system ``(w_a - w_b)·x_i > 0`` (a selected, b not)
  is feasible. Each answer carries an exact certificate checked in rationals: a witness ``W`` (realised)
  or a Gordan multiplier ``y >= 0, A^T y = 0, sum y = 1`` (impossible), from our own exact simplex.
* **Cover's count** (T = 2, k = 1): patterns are the homogeneous dichotomies of the points, exactly
  ``2 sum_{i<n} C(m-1, i)`` for points in general position (checked exactly: every n-subset independent).
* **random draws** (ReLU router, or too many prefixes): weights drawn in float64 (floats are exact
  dyadic rationals), each pattern kept only if its strict top-k separation replays in rationals: a
  certified *lower* bound on the number of patterns.

Only routers without ties are counted (a full-measure set of weights): a lower bound on the class's
count, so a count above the bound is a sound FAIL.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import flint
import mpmath
import numpy as np
import sympy

from checkers.checks._args import ClaimArgs, Expr
from checkers.checks._outcome import Evidence, Outcome, Verdict, vacuous_if
from checkers.checks._registry import CheckContext, register_check
from proofs import InvalidInput
from proofs.prover import replay, sympify_arg

__all__ = ["routing_growth", "count_linear_patterns", "cover_count", "arrangement_region_bound", "gordan_alternative"]

Q = flint.fmpq


# ------------------------------------------------------------------------------- exact feasibility
def gordan_alternative(rows: list[list[int]]) -> tuple[str, list]:
    """Exactly one of: ``('witness', w)`` with ``A w > 0``, or ``('certificate', y)`` with ``y >= 0``,
    ``A^T y = 0``, ``sum y = 1`` (Gordan). Phase-1 simplex in exact rationals, Bland's rule, on
    ``M y = e, y >= 0`` with ``M = [A^T; 1^T]``; when infeasible, the phase-1 duals give ``w``."""
    r, D = len(rows), len(rows[0])
    p = D + 1
    # tableau rows: [M | I | rhs]; M = [A^T; 1]
    tab = [[Q(rows[j][d]) for j in range(r)] + [Q(int(i == d)) for i in range(p)] + [Q(0)] for d in range(D)]
    tab.append([Q(1)] * r + [Q(int(i == D)) for i in range(p)] + [Q(1)])
    basis = [r + i for i in range(p)]
    ncol = r + p
    cost = [Q(0)] * r + [Q(1)] * p
    for _ in range(10_000):
        cb = [cost[b] for b in basis]
        enter = None
        for j in range(ncol):
            red = cost[j] - sum((cb[i] * tab[i][j] for i in range(p)), Q(0))
            if red < 0:
                enter = j
                break
        if enter is None:
            break
        best = None
        for i in range(p):
            a = tab[i][enter]
            if a > 0:
                ratio = tab[i][-1] / a
                if best is None or ratio < best[0] or (ratio == best[0] and basis[i] < basis[best[1]]):
                    best = (ratio, i)
        if best is None:  # unbounded cannot happen in phase 1 (objective >= 0)
            raise RuntimeError("phase-1 simplex unbounded")
        i = best[1]
        piv = tab[i][enter]
        tab[i] = [v / piv for v in tab[i]]
        for i2 in range(p):
            if i2 != i and tab[i2][enter] != 0:
                f = tab[i2][enter]
                tab[i2] = [a - f * b for a, b in zip(tab[i2], tab[i])]
        basis[i] = enter
    value = sum((tab[i][-1] for i in range(p) if basis[i] >= r), Q(0))
    if value == 0:
        y = [Q(0)] * r
        for i, b in enumerate(basis):
            if b < r:
                y[b] = tab[i][-1]
        return "certificate", y
    cb = [cost[b] for b in basis]
    pi = [sum((cb[i] * tab[i][r + c] for i in range(p)), Q(0)) for c in range(p)]
    return "witness", [-v for v in pi[:D]]


def _verify(rows, kind, vec) -> bool:
    """Exact check of a Gordan answer."""
    if kind == "witness":
        return all(sum((Q(a) * w for a, w in zip(row, vec)), Q(0)) > 0 for row in rows)
    if any(v < 0 for v in vec) or sum(vec, Q(0)) != 1:
        return False
    return all(sum((Q(rows[j][d]) * vec[j] for j in range(len(rows))), Q(0)) == 0 for d in range(len(rows[0])))


def _rows(X, pats, T, n):
    out = []
    for x, S in zip(X, pats):
        for a in S:
            for b in range(T):
                if b not in S:
                    row = [0] * (T * n)
                    for j in range(n):
                        row[a * n + j] += x[j]
                        row[b * n + j] -= x[j]
                    out.append(row)
    return out


def _strict_topk(W, x, T, n, k):
    """The top-k set of the scores W x, or None when the k-th and (k+1)-th scores tie."""
    s = [
        sum((W[a * n + j] * x[j] for j in range(n)), Q(0))
        if isinstance(W[0], Q)
        else sum(W[a * n + j] * x[j] for j in range(n))
        for a in range(T)
    ]
    order = sorted(range(T), key=lambda a: (-s[a], a))
    if k < T and s[order[k - 1]] == s[order[k]]:
        return None
    return frozenset(order[:k])


def count_linear_patterns(X, T, k, n, *, max_lp: int, deadline=None) -> tuple[int | None, int]:
    """Exact number of strict top-k patterns of ``x -> W x`` on the points ``X`` (None when more than
    ``max_lp`` feasibility problems would be needed), and the number solved."""
    labels = [frozenset(c) for c in itertools.combinations(range(T), k)]
    lps = 0

    def rec(j, pats, W):
        nonlocal lps
        if j == len(X):
            return 1
        total = 0
        own = _strict_topk(W, X[j], T, n, k) if W is not None else None
        for S in labels:
            if S == own:
                W2 = W
            else:
                lps += 1
                if lps > max_lp:
                    raise _Budget
                if deadline is not None and lps % 32 == 0:
                    deadline()
                rows = _rows(X[: j + 1], pats + [S], T, n)
                kind, vec = gordan_alternative(rows)
                if not _verify(rows, kind, vec):
                    raise RuntimeError("exact simplex returned an unverifiable answer")
                if kind == "certificate":
                    continue
                W2 = vec
            total += rec(j + 1, pats + [S], W2)
        return total

    try:
        return rec(0, [], None), lps
    except _Budget:
        return None, lps


class _Budget(Exception):
    pass


def cover_count(m: int, n: int) -> int:
    """Cover (1965): homogeneous linear dichotomies of m points in general position in R^n."""
    return 2 * sum(math.comb(m - 1, i) for i in range(n))


def arrangement_region_bound(m: int, T: int, n: int) -> int:
    """Regions of a central arrangement of N = m C(T,2) hyperplanes of rank <= (T-1) n: at most
    2 sum_{i<r} C(N-1, i) (general position is extremal). Every strict top-k pattern is a union of
    such regions (a region fixes the whole score order at every point)."""
    N, rank = m * math.comb(T, 2), (T - 1) * n
    return 2 * sum(math.comb(N - 1, i) for i in range(min(rank, N)))


def general_position_points(m: int, n: int, rng: random.Random) -> list[list[int]]:
    """m integer points in [-lim, lim]^n, every n of them linearly independent (checked exactly)."""
    lim = 9 if m <= 12 else 20 * m
    for _ in range(200):
        X = [[rng.randint(-lim, lim) for _ in range(n)] for _ in range(m)]
        if m < n or all(flint.fmpz_mat([X[i] for i in c]).det() != 0 for c in itertools.combinations(range(m), n)):
            return X
    raise RuntimeError(f"no general-position set of {m} points in Z^{n} found")


# ----------------------------------------------------------------------------------- random draws
def _dyadic(a: np.ndarray) -> tuple[list, int]:
    """float64 array -> (nested lists of integers N, E) with a == N / 2^E exactly (E the largest denominator
    exponent; every float64 is a dyadic rational n / 2^e)."""
    flat = [v.as_integer_ratio() for v in np.asarray(a, dtype=np.float64).ravel().tolist()]
    E = max(d.bit_length() - 1 for _, d in flat)
    ints = [num << (E - (d.bit_length() - 1)) for num, d in flat]
    return np.array(ints, dtype=object).reshape(np.shape(a)).tolist(), E


def _scores_exact(router: str, params, X) -> list[list[int]]:
    """The router's scores at every point of X, exactly, all on one positive scale (2^-E for a common E):
    integer vectors whose order is the order of the exact scores (float64 weights read as rationals)."""
    if router == "linear":
        W, _ = _dyadic(params)
        return [[sum(w * xj for w, xj in zip(row, x)) for row in W] for x in X]
    W1b1 = np.concatenate([params[0], np.asarray(params[1])[:, None]], axis=1)  # a common scale for W1 and b1
    A, _ = _dyadic(W1b1)
    W2, _ = _dyadic(params[2])
    out = []
    for x in X:
        h = [max(0, sum(w * xj for w, xj in zip(row[:-1], x)) + row[-1]) for row in A]  # relu, scaled by 2^E1
        out.append([sum(w * hi for w, hi in zip(row, h)) for row in W2])  # scaled by 2^(E1 + E2)
    return out


def sample_patterns(
    router: str, X, T, k, n, *, draws: int, hidden: int, rng: np.random.Generator, deadline=None
) -> tuple[set, int]:
    """Distinct strict top-k patterns found by ``draws`` random weight draws, each replayed exactly."""
    if not all(isinstance(v, int) for x in X for v in x):
        raise InvalidInput("sample_patterns replays exactly on integer points only")
    Xf = np.asarray(X, dtype=np.float64)
    found: dict[tuple, Any] = {}
    rejected = 0
    batch = 512
    for start in range(0, draws, batch):
        if deadline is not None:
            deadline()
        b = min(batch, draws - start)
        scale = np.exp(rng.uniform(-2, 2, size=(b, 1, 1)))
        if router == "linear":
            W = rng.standard_normal((b, T, n)) * scale
            S = np.einsum("btn,mn->bmt", W, Xf)
            params = list(W)
        else:
            W1 = rng.standard_normal((b, hidden, n)) * scale
            b1 = rng.standard_normal((b, hidden)) * scale[:, :, 0]
            W2 = rng.standard_normal((b, T, hidden))
            H = np.maximum(np.einsum("bhn,mn->bmh", W1, Xf) + b1[:, None, :], 0)
            S = np.einsum("bth,bmh->bmt", W2, H)
            params = list(zip(W1, b1, W2))
        top = np.argsort(-S, axis=2, kind="stable")[:, :, :k]
        for i in range(b):
            key = tuple(frozenset(int(a) for a in row) for row in top[i])
            if key in found:
                continue
            # exact replay of the strict separation (float64 weights as rationals, integer points)
            scores = _scores_exact(router, params[i], X) if k < T else []
            ok = all(min(s[a] for a in Sx) > max(s[a] for a in range(T) if a not in Sx) for s, Sx in zip(scores, key))
            if ok:
                found[key] = True
            else:
                rejected += 1
    return set(found), rejected


# -------------------------------------------------------------------------------------------- check
@dataclass(frozen=True, kw_only=True)
class GrowthArgs(ClaimArgs):
    """``routing_growth``: realised routing patterns on m points <= the Natarajan growth ``bound``
    (in m, d_N, T, k), with d_N = ``natarajan`` (in T, n; for 'relu' in W, L; log2 allowed)."""

    router: Literal["linear", "relu"]
    natarajan: Expr
    bound: Expr
    hidden: int = 4  # ReLU router width
    bound_key: ClassVar[str] = "bound"

    def stated(self) -> tuple[str, Any, Any]:
        return "le", "patterns", self.bound


def _natarajan(args: GrowthArgs, T, n, W=None, L=None) -> sympy.Expr:
    e = sympify_arg(args.natarajan)
    vals = {"T": T, "n": n, "W": W, "L": L}
    return e.subs({s: vals[s.name] for s in e.free_symbols if vals.get(s.name) is not None})


@register_check("routing_growth", args=GrowthArgs)
def routing_growth(claim, a: GrowthArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Realised routing patterns on m random points <= the Natarajan growth bound.

    ``args``: ``router`` ('linear' | 'relu'), ``natarajan`` (d_N as an expression in ``T``, ``n``, or
    for 'relu' in ``W`` (router weights) and ``L`` (layers); ``log2`` allowed), ``bound`` (in ``m``,
    ``d_N``, ``T``, ``k``), ``hidden`` (ReLU width). Instance: ``T``, ``k``, ``n``, ``m``, optional
    ``draws`` (random draws) and ``max_lp`` (exact-enumeration budget).
    """
    T, k, n, m = (int(instance[x]) for x in ("T", "k", "n", "m"))
    if not (1 <= k <= T and m >= 1 and n >= 1):
        return Outcome(Verdict.ERROR, why=f"inconsistent instance T={T}, k={k}, n={n}, m={m}")
    rng = random.Random(ctx.seed * 1_000_003 + 7919 * m + 31 * T + n)
    X = general_position_points(m, n, rng)
    router = a.router
    hidden = a.hidden
    if router == "linear":
        W_count, L = T * n, 1
    else:
        W_count, L = hidden * n + hidden + T * hidden, 2
    d = _natarajan(a, T, n, W_count, L)
    d = d.replace(
        lambda e: isinstance(e, sympy.Function) and e.func.__name__ == "log2", lambda e: sympy.log(e.args[0], 2)
    )
    bound_e = sympify_arg(a.bound)
    bvals = {"m": m, "d_N": d, "T": T, "k": k}
    bound_e = bound_e.subs({s: bvals[s.name] for s in bound_e.free_symbols if s.name in bvals})
    b_lo, b_hi = replay(bound_e, {})
    C = math.comb(T, k)
    count, how, exact = None, "", False
    if router == "linear" and T == 2 and k == 1:
        count, how, exact = (
            cover_count(m, n),
            f"Cover's count for {m} points in general position in R^{n} (checked exactly)",
            True,
        )
    if router == "linear" and count is None:
        max_lp = int(instance.get("max_lp", 4000 if ctx.profile == "quick" else 40000))
        c, lps = count_linear_patterns(X, T, k, n, max_lp=max_lp, deadline=ctx.check_deadline)
        if c is not None:
            count, how, exact = (
                c,
                f"exact enumeration: {lps} feasibility problems, each with an exact certificate",
                True,
            )
    if count is None:
        draws = int(instance.get("draws", 3000 if ctx.profile == "quick" else 40000))
        pats, rejected = sample_patterns(
            router,
            X,
            T,
            k,
            n,
            draws=draws,
            hidden=hidden,
            rng=np.random.default_rng(ctx.seed + 17 * m + T),
            deadline=ctx.check_deadline,
        )
        count = len(pats)
        how = (
            f"{draws} random weight draws (a lower bound on the growth function), each pattern replayed "
            f"exactly in rationals ({rejected} near-ties dropped)"
        )
    arr = arrangement_region_bound(m, T, n) if router == "linear" else None
    # certified lower bound on d_N from the count (Natarajan lemma, contrapositive)
    d_lo = next(dd for dd in range(0, 10_000) if m**dd * C ** (2 * dd) >= count)
    fig = _table(ctx, claim, router, T, k, n, m, count, exact, C**m, arr, d, b_hi, d_lo)
    d_txt = sympy.sstr(d) if d.is_Integer or d.is_Rational else f"{float(d):.4g}"
    row = (
        f"T={T} k={k} n={n} m={m}: realised {'=' if exact else '>='} {count}, C(T,k)^m = {C**m}"
        + (f", arrangement regions <= {arr}" if arr is not None else "")
        + f", bound {mpmath.nstr(b_hi, 5)} (d={d_txt})"
    )
    ev = Evidence(
        point=(f"T={T}", f"k={k}", f"n={n}", f"m={m}", "points=" + ";".join(",".join(map(str, x)) for x in X)),
        replay="count: exact certificates; bound: interval arithmetic, 170 bits",
        replayed_value=(str(b_lo), str(b_hi)),
        lower_bound=float(count),
        seed=ctx.seed,
        extra={"natarajan_lower_bound": d_lo, "exact": exact},
    )
    if count > b_hi:
        return Outcome(
            Verdict.FAIL,
            count,
            float(b_hi),
            method=how,
            evidence=ev,
            figures=fig,
            why=f"{count} patterns realised > m^d C(T,k)^(2d) = {mpmath.nstr(b_hi, 8)} with d = {d_txt}",
        )
    why = f"{row}; the count certifies d_N >= {d_lo}"
    if count > b_lo:  # inside the enclosure: undecided
        return Outcome(Verdict.UNKNOWN, count, float(b_lo), method=how, evidence=ev, figures=fig, why=why)
    out = Outcome(
        Verdict.PASS_EMPIRICAL,
        count,
        float(b_lo),
        method=how + " (one random point set)",
        evidence=ev,
        figures=fig,
        why=why,
    )
    # no router realises more than all C(T,k)^m routings of the m points
    return vacuous_if(
        out, float(C**m) if C**m < 10**300 else math.inf, "C(T,k)^m, the number of all routings of the points,"
    )


def _table(ctx, claim, router, T, k, n, m, count, exact, cm, arr, d, bound, d_lo) -> tuple[str, ...]:
    out = Path(ctx.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"zhao2024_growth_{claim.name}_{router}_T{T}_k{k}_n{n}_m{m}.md"
    lines = [
        "| router | T | k | n | m | realised patterns | C(T,k)^m | arrangement regions (upper) | d | "
        "m^d C(T,k)^(2d) | d_N certified >= |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {router} | {T} | {k} | {n} | {m} | {'' if exact else '>= '}{count} | {cm} | "
        f"{arr if arr is not None else 'n/a'} | {d if d.is_Rational else f'{float(d):.4g}'} | "
        f"{mpmath.nstr(bound, 4)} | {d_lo} |",
    ]
    tmp = out / (name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(out / name)
    return (name,)
