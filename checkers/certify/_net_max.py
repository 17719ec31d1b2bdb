"""Certified maximum of one network output over a box (branch and bound on ``bound_net``).

max_{x in [lo, hi]} net(x)_j lies in [lower, upper]: ``lower`` is attained at a float point (the
network is evaluated there in float64, so it is a sample, not a proof), ``upper`` is the largest
certified upper bound over a cover of the box by sub-boxes. The worst boxes are bisected along their
widest side until upper - lower <= tol_abs or the budget is spent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from checkers.certify._bounds import METHODS, bound_net
from constructions.ir import Net, compile_net
from proofs import InvalidInput, Status

__all__ = ["NetMaximum", "certified_net_max"]


@dataclass(frozen=True)
class NetMaximum:
    status: Status  # PROVED (upper - lower <= tol_abs) or UNKNOWN
    lower: float
    upper: float
    argmax: tuple[float, ...]
    n_boxes: int
    method: str
    seconds: float

    def __post_init__(self) -> None:
        Status.checked(self.status)


def certified_net_max(net: Net, lo, hi, *, output: int = 0, tol_abs: float = 1e-3, max_boxes: int = 1 << 16,
                      time_budget: float = 30.0, method: str = "crown", device: str = "cpu",
                      batch_boxes: int = 4096) -> NetMaximum:
    """Enclose max of ``net(x)[output]`` over the box [lo, hi] (n_in,) within ``tol_abs``.

    >>> from constructions import random_relu_net
    >>> r = certified_net_max(random_relu_net((2, 8, 1), seed=0), [0, 0], [1, 1], tol_abs=1e-3)
    >>> r.status, r.upper - r.lower <= 1e-3
    (<Status.PROVED: 'proved'>, True)
    """
    if method not in METHODS:
        raise InvalidInput(f"method={method!r} must be one of {', '.join(METHODS)}")
    if not (0 <= output < net.n_out):
        raise InvalidInput(f"output={output!r} must index one of the {net.n_out} outputs")
    t0 = time.monotonic()
    lo = np.asarray(lo, dtype=np.float64).reshape(1, -1)
    hi = np.asarray(hi, dtype=np.float64).reshape(1, -1)
    scale = np.where(hi[0] > lo[0], hi[0] - lo[0], np.inf)
    model = compile_net(net, device=device)

    def sample(pts: np.ndarray) -> tuple[float, np.ndarray]:
        with torch.no_grad():
            y = model(torch.as_tensor(pts, device=device)).cpu().numpy()[:, output]
        k = int(np.argmax(y))
        return float(y[k]), pts[k]

    def upper(b_lo, b_hi) -> np.ndarray:
        nb = bound_net(net, b_lo, b_hi, method=method, device=device)
        return nb.upper[:, output].cpu().numpy()

    pool_lo, pool_hi, pool_ub = lo, hi, upper(lo, hi)
    best, arg = sample(0.5 * (lo + hi))
    settled, n_boxes = -np.inf, 1
    while True:
        keep = pool_ub > best + tol_abs  # boxes that can still hold a larger value
        settled = max(settled, float(pool_ub[~keep].max(initial=-np.inf)))
        pool_lo, pool_hi, pool_ub = pool_lo[keep], pool_hi[keep], pool_ub[keep]
        k = min(pool_lo.shape[0], batch_boxes // 2, (max_boxes - n_boxes) // 2)
        if pool_lo.shape[0] == 0 or k < 1 or time.monotonic() - t0 > time_budget:
            break
        sel = np.argpartition(-pool_ub, k - 1)[:k]
        rest = np.ones(pool_lo.shape[0], dtype=bool)
        rest[sel] = False
        p_lo, p_hi = pool_lo[sel], pool_hi[sel]
        rows = np.arange(k)
        side = np.argmax((p_hi - p_lo) / scale, axis=1)
        cut = 0.5 * p_lo[rows, side] + 0.5 * p_hi[rows, side]
        left_hi, right_lo = p_hi.copy(), p_lo.copy()
        left_hi[rows, side], right_lo[rows, side] = cut, cut
        c_lo, c_hi = np.concatenate([p_lo, right_lo]), np.concatenate([left_hi, p_hi])
        c_ub = upper(c_lo, c_hi)
        n_boxes += 2 * k
        v, p = sample(0.5 * (c_lo + c_hi))
        if v > best:
            best, arg = v, p
        pool_lo = np.concatenate([pool_lo[rest], c_lo])
        pool_hi = np.concatenate([pool_hi[rest], c_hi])
        pool_ub = np.concatenate([pool_ub[rest], c_ub])
    up = max(settled, float(pool_ub.max(initial=-np.inf)))
    status = Status.PROVED if up - best <= tol_abs else Status.UNKNOWN
    return NetMaximum(status, best, up, tuple(float(t) for t in arg), n_boxes,
                      f"{method.upper()} over {n_boxes:,} boxes", time.monotonic() - t0)
