"""The float64 forward pass as executed, against the network's real-arithmetic function.

A certificate of the certifier is first about the network's *real* function Psi (exact arithmetic
on the float64 weights, ties to the lowest index). Users run the float64 export
(``constructions.ir.compile_net``), whose value Psi_fl(x) at a float input x differs by rounding,
and whose routing decisions may flip where two scores are within rounding of each other. This
module bounds both, over the whole domain, by a standard forward error analysis [Higham, Accuracy
and Stability of Numerical Algorithms, 2nd ed., Thm 3.5 / Lemma 3.1] with u = 2^-53:

* an affine layer y = W x + b computed in any order (BLAS, FMA included) satisfies
  |fl(W x~ + b) - (W x + b)| <= |W| e_x + gamma_{n+1} (|W| (|x| + e_x) + |b|), gamma_k = k u / (1 - k u),
  where |x~ - x| <= e_x and n is the fan-in;
* PReLU max(h, a h): 1-Lipschitz for |a| <= 1 (max(1, |a|) otherwise), plus u |a h| for the product;
* a linear gate's scores get the affine bound: every score is within ``delta`` of its real value
  (along the same routes), so the float route is one whose real scores are within ``2 delta`` of
  winning (a *margin route*); a tree router's tests x >= c flip only where |x - c| <= e_x;
* an MoE output is the selected experts' outputs (top-1: times the exact weight 1.0); for top-k
  the softmax weights move by at most e^{2 delta} - 1 plus (8 + 2k) u relative rounding (exp within
  ``LIBM_ULPS``), and the weighted sum adds gamma_{2k}.

The result: ``route_margins`` (per MoE node: how far from winning a float route can be in real
scores, or for a tree router how far from a cell) and ``output_error`` (per output: the rounding
of the float forward along any fixed routes). The certifier bounds the real network on every
margin route (``bound_net(..., route_margins=...)``), so sup |f - Psi_fl| <= that bound +
``output_error``. Magnitudes come from interval propagation over the whole domain (every expert a
candidate), so the allowance is crude but rigorous; it is tiny (~1e-13 relative) for ordinary
weights and large exactly where float64 and real arithmetic part ways (gate weights ~1e16).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from constructions.ir import Affine, Concat, Input, LinearGate, MoE, Net, PReLU, Slice
from proofs.formula import LIBM_ULPS

__all__ = ["Float64Allowance", "float64_allowance"]

_U = 2.0**-53
_SAFE = 1.0 + 2.0**-30  # inflates magnitudes computed in round-to-nearest floats


def _gamma(k: int) -> float:
    return k * _U / (1.0 - k * _U) * _SAFE


@dataclass(frozen=True)
class Float64Allowance:
    """Per-output rounding error of the float64 forward along fixed routes, and per-MoE-node route margins."""

    output_error: np.ndarray
    route_margins: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "route_margins", MappingProxyType(dict(self.route_margins)))

    @property
    def total(self) -> float:
        return float(np.max(self.output_error, initial=0.0))

    @property
    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.output_error))) and all(np.isfinite(m) for m in self.route_margins.values())


def _mv(W, x):
    """W x for W (out, in) or stacked (E, out, in), x (in,) shared or (E, in) per matrix."""
    return W @ x if x.ndim == 1 else (W @ x[..., None])[..., 0]


def _affine(W, b, lo, hi, err):
    """Real interval (lo, hi), float error bound of y = W x + b (W (out, in), or (E, out, in) with b (E, out))."""
    Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
    y_lo = _mv(Wp, lo) + _mv(Wn, hi) + b
    y_hi = _mv(Wp, hi) + _mv(Wn, lo) + b
    mag_x = np.maximum(np.abs(lo), np.abs(hi)) * _SAFE
    A = np.abs(W)
    e = _mv(A, err) + _gamma(W.shape[-1] + 1) * (_mv(A, mag_x + err) + np.abs(b))
    slack = _gamma(W.shape[-1] + 1) * (_mv(A, mag_x) + np.abs(b))  # the interval itself, rounded outward
    return y_lo - slack, y_hi + slack, e * _SAFE


def _prelu(a, lo, hi, err):
    if a == 0.0:
        return np.maximum(lo, 0), np.maximum(hi, 0), err

    def f(t: np.ndarray) -> np.ndarray:
        return np.maximum(t, a * t)

    cand = [f(lo), f(hi)]
    y_lo = np.minimum(*cand) if a >= 0 else np.minimum(np.minimum(*cand), 0)
    y_hi = np.maximum(*cand)
    mag = np.maximum(np.abs(lo), np.abs(hi))
    e = max(1.0, abs(a)) * err + _U * abs(a) * (mag + err)
    return y_lo, y_hi, e * _SAFE


def _experts(ex, lo, hi, err):
    """Hull over the experts of their real outputs, and the max over experts of their float error.

    All experts at once: layer l's weights (E, out, in) act on (in,) (the shared input) or on (E, in)
    (each expert's own hidden interval); the bounds are :func:`_affine`'s, expert by expert.
    """
    l, h, r = lo, hi, err
    for i, (W, b) in enumerate(zip(ex.weights, ex.biases)):
        l, h, r = _affine(np.asarray(W, float), np.asarray(b, float), l, h, r)
        if i < ex.n_layers - 1:
            l, h, r = _prelu(float(ex.slope), l, h, r)
    return l.min(axis=0), h.max(axis=0), r.max(axis=0)


def _moe(spec: MoE, lo, hi, err, margins: dict, v: str):
    r = spec.router
    if isinstance(r, LinearGate):
        W = np.asarray(r.weight, float)
        b = np.zeros(W.shape[0]) if r.bias is None else np.asarray(r.bias, float)
        _, _, s_err = _affine(W, b, lo, hi, err)
        delta = float(np.max(s_err, initial=0.0))
    else:
        delta = float(np.max(err, initial=0.0))
    margins[v] = delta
    o_lo, o_hi, o_err = _experts(spec.experts, lo, hi, err)
    k = r.k
    if k == 1:
        return o_lo, o_hi, o_err
    # top-k: softmax weights in [0, 1] summing to 1; each moves by <= e^{2 delta} - 1 + (8 + 2k) u (relative)
    dw = np.expm1(2 * delta) + (2 * LIBM_ULPS + 2 * k) * _U
    mag = np.maximum(np.abs(o_lo), np.abs(o_hi)) * _SAFE
    e = o_err + k * dw * (mag + o_err) + _gamma(2 * k) * (1 + dw) * (mag + o_err)
    return o_lo, o_hi, e * _SAFE  # a convex combination of the experts' outputs


def float64_allowance(net: Net, lo, hi, *, input_ulps: float = 0.0) -> Float64Allowance:
    """The rounding allowance of ``net``'s float64 forward on the box [lo, hi] (see the module docstring).

    ``input_ulps``: the error of the float input itself, in ulps of its magnitude (0 for float inputs
    given directly; a chart evaluated in float64 is assumed accurate to ``input_ulps``).

    >>> from constructions import random_relu_net
    >>> a = float64_allowance(random_relu_net((2, 8, 1), seed=0), [0.0, 0.0], [1.0, 1.0])
    >>> bool(0 < a.total < 1e-12)
    True
    """
    vals: dict = {}
    margins: dict = {}
    with np.errstate(all="ignore"):
        for v in net.order:
            spec = net.spec(v)
            ops = [vals[u] for u in net.operands(v)]
            if isinstance(spec, Input):
                x_lo, x_hi = np.asarray(lo, float).ravel(), np.asarray(hi, float).ravel()
                vals[v] = (x_lo, x_hi, input_ulps * 2 * _U * np.maximum(np.abs(x_lo), np.abs(x_hi)))
            elif isinstance(spec, Affine):
                vals[v] = _affine(np.asarray(spec.weight, float), np.asarray(spec.bias, float), *ops[0])
            elif isinstance(spec, PReLU):
                vals[v] = _prelu(float(spec.slope), *ops[0])
            elif isinstance(spec, Concat):
                vals[v] = tuple(np.concatenate([o[i] for o in ops]) for i in range(3))
            elif isinstance(spec, Slice):
                vals[v] = tuple(o[spec.start : spec.stop] for o in ops[0])
            else:
                vals[v] = _moe(spec, *ops[0], margins, v)
    out = vals[net.output][2]
    out = np.where(np.isnan(out), np.inf, out)
    margins = {k: (m if np.isfinite(m) else np.inf) for k, m in margins.items()}
    return Float64Allowance(out, margins)
