"""Rademacher-complexity checks used by zhao2024 (registered on import by ``generalization``).

* ``rademacher_union_bound``: step (3) of Z3, ``R(A_1 u ... u A_N) <= max_i R(A_i) + sqrt(2 ln N / m)``
  for finite ``A_i`` in ``[0,1]^m``. The empirical Rademacher averages are computed *exactly*
  (all ``2^m`` sign vectors, rational arithmetic); the right side is replayed in interval arithmetic.
  Instances of a proved lemma: PASS-EMPIRICAL (a violation would be a FAIL with the exact sets).
* ``spectral_rademacher_dominates_sample``: Z4's value for a norm ball of 2-layer ReLU networks
  against a sampled lower bound on the same ball's ``R_S(F_gamma)`` (finite subset of the ball,
  Monte Carlo over sign vectors): PASS-EMPIRICAL at best.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import mpmath
import numpy as np
import sympy

from checkers.checks._args import ClaimArgs, Expr
from checkers.checks._outcome import Evidence, Outcome, Verdict, vacuous_if
from checkers.checks._registry import CheckContext, register_check
from proofs.prover import replay, sympify_arg

__all__ = ["exact_rademacher", "rademacher_union_bound", "spectral_rademacher_dominates_sample"]

_DEN = 8  # set entries are multiples of 1/8 in [0, 1]


def exact_rademacher(A: np.ndarray, signs: np.ndarray) -> Fraction:
    """E_sigma max_{a in A} (1/m) sigma . a, exactly; ``A``: (|A|, m) integers over ``_DEN``,
    ``signs``: all (2^m, m) sign vectors."""
    m = A.shape[1]
    best = (signs @ A.T).max(axis=1)  # exact int64
    return Fraction(int(best.sum()), _DEN * m * signs.shape[0])


def _sets(kind: str, N: int, size: int, m: int, rng: np.random.Generator) -> list[np.ndarray]:
    if kind == "vertices":  # N distinct singletons at vertices of the cube: the union gains the most
        verts = set()
        while len(verts) < N:
            verts.add(tuple(int(v) * _DEN for v in rng.integers(0, 2, m)))
        return [np.array([v], dtype=np.int64) for v in verts]
    return [rng.integers(0, _DEN + 1, size=(size, m), dtype=np.int64) for _ in range(N)]


@dataclass(frozen=True, kw_only=True)
class UnionBoundArgs(ClaimArgs):
    """``rademacher_union_bound``: R(A_1 u ... u A_N) <= ``rhs`` (in R_max, N, m)."""

    rhs: Expr
    bound_key: ClassVar[str] = "rhs"

    def stated(self) -> tuple[str, Any, Any]:
        return "le", "R(A_1 u ... u A_N)", self.rhs


@register_check("rademacher_union_bound", args=UnionBoundArgs)
def rademacher_union_bound(claim, a: UnionBoundArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """``args``: ``rhs`` (in ``R_max``, ``N``, ``m``). Instance: ``m`` (<= 16), ``N``, ``size`` (vectors
    per set), ``trials`` (alternating random sets and distinct cube vertices)."""
    m, N, size, trials = (int(instance[x]) for x in ("m", "N", "size", "trials"))
    if not (1 <= m <= 16 and N >= 1):
        return Outcome(Verdict.ERROR, why=f"m={m} must be in [1, 16] (2^m sign vectors) and N={N} >= 1")
    rng = np.random.default_rng(ctx.seed + 1009 * m + N)
    signs = np.array(list(itertools.product((-1, 1), repeat=m)), dtype=np.int64)
    rhs_e = sympify_arg(a.rhs)
    worst = None
    for t in range(trials):
        ctx.check_deadline()
        kind = "vertices" if t % 2 else "random"
        if kind == "vertices" and N > 2**m:
            kind = "random"
        sets = _sets(kind, N, size, m, rng)
        r_each = [exact_rademacher(A, signs) for A in sets]
        r_union = exact_rademacher(np.concatenate(sets), signs)
        r_max = max(r_each)
        vals = {"R_max": r_max, "N": N, "m": m}
        lo, hi = replay(
            rhs_e.subs(
                {
                    s: sympy.Rational(vals[s.name].numerator, vals[s.name].denominator)
                    if isinstance(vals[s.name], Fraction)
                    else vals[s.name]
                    for s in rhs_e.free_symbols
                }
            ),
            {},
        )
        slack = float(lo) - float(r_union)
        massart = math.sqrt(2 * math.log(N) / m) if N > 1 else 0.0
        used = float(r_union - r_max) / massart if massart > 0 else 0.0
        if worst is None or slack < worst[0]:
            worst = (slack, kind, r_union, r_max, (str(lo), str(hi)), used)
        if r_union > _fraction(hi):  # refuted exactly: r_union is an exact rational, the rhs an enclosure
            return Outcome(
                Verdict.FAIL,
                float(r_union),
                float(hi),
                method="exact Rademacher averages",
                why=f"R(union) = {r_union} > {float(hi):.6g}",
                evidence=Evidence(
                    point=(f"kind={kind}", f"trial={t}"),
                    replay="exact rationals",
                    replayed_value=(str(r_union), str(r_union)),
                    seed=ctx.seed,
                ),
            )
    slack, kind, r_union, r_max, enc, used = worst
    return Outcome(
        Verdict.PASS_EMPIRICAL,
        float(r_union),
        float(enc[0]),
        method=f"exact Rademacher averages over all 2^{m} sign vectors, {trials} random instances "
        "(instances of a proved lemma; not a certificate)",
        why=f"tightest instance ({kind}): R(union) = {float(r_union):.4f} <= {float(enc[0]):.4f}; "
        f"the union used {used:.0%} of the sqrt(2 ln N / m) allowance",
        evidence=Evidence(
            replay="exact rationals; rhs by interval arithmetic",
            replayed_value=enc,
            seed=ctx.seed,
            extra={"R_max": float(r_max)},
        ),
    )


def _fraction(x) -> Fraction:
    """The exact value of a binary mpmath number."""
    sign, man, exp, _ = mpmath.mpf(x)._mpf_  # [review] man_exp drops the sign in mpmath 1.3
    return (-1) ** int(sign) * Fraction(int(man)) * Fraction(2) ** int(exp)


# ------------------------------------------------------------------------------------------ Z4
def _spec(M):
    return float(np.linalg.norm(M, 2))


def _d21(M):
    return float(np.linalg.norm(M, axis=1).sum())


def _ramp(margin, gamma):
    return np.clip(1 - margin / gamma, 0.0, 1.0)


@dataclass(frozen=True, kw_only=True)
class SpectralArgs(ClaimArgs):
    """``spectral_rademacher_dominates_sample``: the Z4 ``bound`` (in m, gamma, X_F, s1, s2, b1, b2, W_bar) >=
    a sampled lower bound on the ramp-loss class's Rademacher complexity at margin ``gamma``."""

    bound: Expr
    gamma: float


@register_check("spectral_rademacher_dominates_sample", args=SpectralArgs)
def spectral_rademacher_dominates_sample(
    claim, a: SpectralArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:
    """``args``: ``bound`` (Z4 in ``m, gamma, X_F, s1, s2, b1, b2, W_bar``), ``gamma``. Instance: ``m``,
    ``n_in``, ``width``, ``members`` (networks sampled inside the norm ball), ``sigma_draws``."""
    m, n_in, width = int(instance["m"]), int(instance["n_in"]), int(instance["width"])
    members, draws = int(instance["members"]), int(instance["sigma_draws"])
    gamma = a.gamma
    rng = np.random.default_rng(ctx.seed + 31 * m + width)
    X = rng.standard_normal((m, n_in))
    y = rng.choice([-1.0, 1.0], size=m)
    A0 = [rng.standard_normal((width, n_in)) / math.sqrt(n_in), rng.standard_normal((1, width)) / math.sqrt(width)]
    A = [
        A0[0] + 0.5 * rng.standard_normal(A0[0].shape) / math.sqrt(n_in),
        A0[1] + 0.5 * rng.standard_normal(A0[1].shape) / math.sqrt(width),
    ]
    # the class: spectral norms <= s_l, (2,1)-distance to the reference <= b_l; s_l also covers the
    # reference, so the whole segment from A0 to A lies in the ball (convexity of both norms)
    s = [max(_spec(a), _spec(a0)) for a, a0 in zip(A, A0)]
    b = [_d21(a - a0) for a, a0 in zip(A, A0)]

    def inside(B):
        return all(_spec(B[i]) <= s[i] * (1 + 1e-12) and _d21(B[i] - A0[i]) <= b[i] * (1 + 1e-12) for i in (0, 1))

    nets = [A]
    for attempt in range(20 * members):  # bounded: the ball can be thin when ||A0|| is near s
        if len(nets) >= members:
            break
        if attempt % 64 == 0:
            ctx.check_deadline()
        if attempt % 2:  # around the reference: a random direction of (2,1)-length u * b
            D = [rng.standard_normal(a.shape) for a in A0]
            D = [d * (rng.uniform(0, 1) * bi / _d21(d)) for d, bi in zip(D, b)]
            B = [a0 + d for a0, d in zip(A0, D)]
        else:  # around the given network, toward the reference
            t = rng.uniform(0, 1)
            B = [a0 + t * (a - a0) for a, a0 in zip(A, A0)]
            B[1] = B[1] * rng.choice([-1.0, 1.0]) if inside([B[0], -B[1]]) else B[1]
        if inside(B):
            nets.append(B)
    losses = np.stack([_ramp(y * (np.maximum(X @ B[0].T, 0) @ B[1].T)[:, 0], gamma) for B in nets])  # (members, m)
    sig = rng.choice([-1.0, 1.0], size=(draws, m))
    sups = (sig @ losses.T).max(axis=1) / m
    est, se = float(sups.mean()), float(sups.std(ddof=1) / math.sqrt(draws))
    e = sympify_arg(a.bound)
    vals = {
        "m": m,
        "gamma": sympy.nsimplify(gamma),
        "X_F": float(np.linalg.norm(X)),
        "s1": s[0],
        "s2": s[1],
        "b1": b[0],
        "b2": b[1],
        "W_bar": max(width * n_in, width),
    }
    lo, hi = replay(e.subs({sym: vals[sym.name] for sym in e.free_symbols}), {})
    ev = Evidence(
        lower_bound=est,
        upper_bound=float(lo),
        seed=ctx.seed,
        replay="bound by interval arithmetic",
        replayed_value=(str(lo), str(hi)),
        extra={"members": len(nets), "sigma_draws": draws, "se": se},
    )
    method = (
        f"sampled lower bound: {len(nets)} networks inside the norm ball, {draws} sign vectors "
        "(Monte Carlo; not a certificate)"
    )
    if est - 3 * se > hi:
        return Outcome(
            Verdict.FAIL,
            est,
            float(hi),
            method=method,
            evidence=ev,
            why=f"sampled R_S(F_gamma) >= {est:.4g} exceeds the Z4 value {float(hi):.4g}",
        )
    out = Outcome(
        Verdict.PASS_EMPIRICAL,
        est,
        float(lo),
        method=method,
        evidence=ev,
        why=f"Z4 = {float(lo):.4g} >= sampled {est:.4g} ± {se:.2g}"
        + (f" (ratio {float(lo) / est:.3g})" if est > 0 else ""),
    )
    # the empirical Rademacher complexity of a [0, 1]-valued class is at most 1
    return vacuous_if(out, 1.0, "the largest Rademacher complexity of a [0, 1]-valued class,")
