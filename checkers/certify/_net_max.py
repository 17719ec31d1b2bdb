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
from proofs.boxes import BoxBounds, box_search, budget_clock

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


def certified_net_max(
    net: Net,
    lo,
    hi,
    *,
    output: int = 0,
    tol_abs: float = 1e-3,
    max_boxes: int = 1 << 16,
    time_budget: float = 30.0,
    method: str = "crown",
    device: str = "cpu",
    batch_boxes: int = 4096,
) -> NetMaximum:
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
    t0, c0 = time.monotonic(), budget_clock()
    model = compile_net(net, device=device)
    best = [-np.inf, np.zeros(np.asarray(lo).size)]

    def upper(b_lo, b_hi) -> BoxBounds:
        nb = bound_net(net, b_lo, b_hi, method=method, device=device)
        return BoxBounds(nb.upper[:, output].cpu().numpy())

    def sample_centres(b_lo, b_hi, _bounds) -> None:
        # the network at the box centres, in float64: a sampled lower bound of the maximum
        pts = 0.5 * (b_lo + b_hi)
        with torch.no_grad():
            y = model(torch.as_tensor(pts, device=device)).cpu().numpy()[:, output]
        k = int(np.argmax(y))
        if y[k] > best[0]:
            best[:] = float(y[k]), pts[k]

    # boxes that cannot hold a value above the best sample + tol_abs are settled
    s = box_search(
        lo,
        hi,
        upper,
        goal=lambda: best[0] + tol_abs,
        max_boxes=max_boxes,
        time_budget=time_budget - (budget_clock() - c0),
        batch_boxes=batch_boxes,
        visit=sample_centres,
    )
    up = s.upper
    status = Status.PROVED if up - best[0] <= tol_abs else Status.UNKNOWN
    return NetMaximum(
        status,
        best[0],
        up,
        tuple(float(t) for t in best[1]),
        s.n_boxes,
        f"{method.upper()} over {s.n_boxes:,} boxes",
        time.monotonic() - t0,
    )
