"""Replay a counterexample exactly, and shrink it first (find -> shrink -> replay -> report).

* :func:`network_enclosure`: the network over a tiny box of the input in exact rational interval
  arithmetic (affine layers and (P)ReLU are exact on rationals; routing is decided on exact score
  intervals, an undecided route gives the hull over the candidates; top-k softmax weights (k > 1)
  are enclosed with ``mpmath.iv`` at 100 digits and converted to rational endpoints).
* :func:`replay_error`: an exact interval [lo, hi] of max_j |f_j(theta) - net_j(chart(theta))| at a
  rational point theta. Identity chart and top-1 routing: the network by ``evaluate_exact``
  (Fractions) and f by ``exact_value`` (60-digit interval). With a chart, chart(theta) is generally
  irrational: it is enclosed by ``exact_value`` (60 digits) and the network is evaluated over that
  tiny box by :func:`network_enclosure`, so the replay is still rigorous.
* :func:`shrink_point`: the simplest dyadic point near a violating float point that still violates
  (fewest bits after the binary point, first for all coordinates, then one coordinate at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import mpmath
import numpy as np

from constructions.ir import (
    Affine,
    Concat,
    Input,
    MoE,
    Net,
    PReLU,
    Slice,
    TreeRouter,
    evaluate_exact,
)
from proofs.formula import exact_value, mpf_to_fraction

__all__ = ["network_enclosure", "exact_path", "replay_error", "shrink_point"]

Interval = tuple[Fraction, Fraction]


def _fr(a: float) -> Fraction:
    return Fraction(float(a))


def _affine(w: np.ndarray, b: np.ndarray, x: list[Interval]) -> list[Interval]:
    out = []
    for row, bi in zip(w, b):
        lo = hi = _fr(bi)
        for wi, (xl, xh) in zip(row, x):
            if wi == 0:
                continue
            f = _fr(wi)
            lo, hi = (lo + f * xl, hi + f * xh) if f > 0 else (lo + f * xh, hi + f * xl)
        out.append((lo, hi))
    return out


def _prelu(a: float, x: list[Interval]) -> list[Interval]:
    s = _fr(a)
    return [(lo if lo >= 0 else s * lo, hi if hi >= 0 else s * hi) for lo, hi in x]


def _expert(spec: MoE, e: int, x: list[Interval]) -> list[Interval]:
    ex = spec.experts
    h = x
    for i, (w, b) in enumerate(zip(ex.weights, ex.biases)):
        h = _affine(w[e], b[e], h)
        if i < ex.n_layers - 1:
            h = _prelu(ex.slope, h)
    return h


def _hull(vals: Sequence[list[Interval]]) -> list[Interval]:
    return [(min(v[i][0] for v in vals), max(v[i][1] for v in vals)) for i in range(len(vals[0]))]


def _moe(spec: MoE, x: list[Interval], routes: list | None = None) -> list[Interval]:
    """The MoE node over the box x; appends the candidate experts to ``routes`` when given."""
    r = spec.router
    if isinstance(r, TreeRouter):
        cl, ch = r.leaf_cells(np.full(r.n_in, -np.inf), np.full(r.n_in, np.inf))
        # leaf e is possible iff the box meets its cell {cl <= x < ch}
        cands = [
            e
            for e in range(r.n_experts)
            if all(
                (ch[e, i] == np.inf or x[i][0] < _fr(ch[e, i])) and (cl[e, i] == -np.inf or x[i][1] >= _fr(cl[e, i]))
                for i in range(r.n_in)
            )
        ]
        if routes is not None:
            routes.append(tuple(cands))
        return _hull([_expert(spec, e, x) for e in cands])
    bias = r.bias if r.bias is not None else np.zeros(r.n_experts)
    s = _affine(r.weight, bias, x)
    E = r.n_experts

    def beats(j: int, i: int) -> bool:  # j ranks above i for every point of the box
        return s[j][0] > s[i][1] or (j < i and s[j][0] >= s[i][1])

    cands = [i for i in range(E) if sum(beats(j, i) for j in range(E) if j != i) < r.k]
    if routes is not None:
        routes.append(tuple(cands))
    if r.k == 1 or len(cands) != r.k:
        return _hull([_expert(spec, e, x) for e in cands])
    # the selected set is certain: the softmax weights w_e = 1 / sum_f exp(s_f - s_e), enclosed
    ys = [_expert(spec, e, x) for e in cands]
    out = [(Fraction(0), Fraction(0)) for _ in ys[0]]
    iv = mpmath.iv
    saved = iv.prec
    try:
        iv.prec = 340

        def enclose(q: Interval):
            a = iv.mpf(q[0].numerator) / iv.mpf(q[0].denominator)
            b = iv.mpf(q[1].numerator) / iv.mpf(q[1].denominator)
            return iv.mpf([a, b])

        ivs = {e: enclose(s[e]) for e in cands}
        for y, e in zip(ys, cands):
            w = 1 / sum(iv.exp(ivs[f] - ivs[e]) for f in cands)
            wl, wh = (mpf_to_fraction(mpmath.mp.make_mpf(t)) for t in w._mpi_)
            out = [(o[0] + min(wl * yl, wh * yl), o[1] + max(wl * yh, wh * yh)) for o, (yl, yh) in zip(out, y)]
    finally:
        iv.prec = saved
    return out


def network_enclosure(
    net: Net, x_lo: Sequence[Fraction], x_hi: Sequence[Fraction], *, routes: list | None = None
) -> list[Interval]:
    """Exact rational interval enclosure of net over the box [x_lo, x_hi] (small boxes: replays).

    With ``routes`` (a list), the candidate experts of every MoE node, in topological order, are
    appended to it: at a point (x_lo == x_hi) they are the exact top-k selection.
    """
    vals: dict[str, list[Interval]] = {}
    for v in net.order:
        spec, ops = net.spec(v), [vals[u] for u in net.operands(v)]
        if isinstance(spec, Input):
            out = [(Fraction(a), Fraction(b)) for a, b in zip(x_lo, x_hi)]
        elif isinstance(spec, Affine):
            out = _affine(spec.weight, spec.bias, ops[0])
        elif isinstance(spec, PReLU):
            out = _prelu(spec.slope, ops[0])
        elif isinstance(spec, Concat):
            out = [t for o in ops for t in o]
        elif isinstance(spec, Slice):
            out = ops[0][spec.start : spec.stop]
        else:
            out = _moe(spec, ops[0], routes)
        vals[v] = out
    return vals[net.output]


def exact_path(net: Net, x_lo: Sequence[Fraction], x_hi: Sequence[Fraction] | None = None):
    """The route of every MoE node at an exact point (or on a tiny box, if it is certain there).

    Returns a tuple with one entry per MoE node: the expert (k = 1) or the sorted tuple of the k
    selected experts; None when the box is too wide to decide.
    """
    routes: list = []
    network_enclosure(net, x_lo, x_lo if x_hi is None else x_hi, routes=routes)
    path = []
    for v, cands in zip(net.moe_nodes(), routes):
        k = net.spec(v).k
        if len(cands) != k:
            return None
        path.append(cands[0] if k == 1 else tuple(cands))
    return tuple(path)


def replay_error(built, point: Sequence[Fraction]) -> tuple[Fraction, Fraction, str]:
    """Exact enclosure (lo, hi, how) of max_j |target_j - net_j(chart)| at the rational ``point``."""

    net = built.net
    top1 = all(net.spec(v).k == 1 for v in net.moe_nodes())
    if built.chart is None and top1:
        y = [(t, t) for t in evaluate_exact(net, point)]
        how = "network in exact rationals (evaluate_exact), target by 60-digit mpmath intervals"
    else:
        if built.chart is None:
            xl = xh = list(point)
        else:
            ends = [exact_value(c, built.variables, point) for c in built.chart]
            xl = [mpf_to_fraction(a) for a, _ in ends]
            xh = [mpf_to_fraction(b) for _, b in ends]
        y = network_enclosure(net, xl, xh)
        how = "network in exact rational interval arithmetic, chart and target by 60-digit mpmath intervals"
    lo = hi = Fraction(0)
    for t, (yl, yh) in zip(built.target, y):
        fl, fh = (mpf_to_fraction(e) for e in exact_value(t, built.variables, point))
        d_lo, d_hi = fl - yh, fh - yl  # f - net lies in [d_lo, d_hi]
        lo = max(lo, d_lo, -d_hi)
        hi = max(hi, abs(d_lo), abs(d_hi))
    return lo, hi, how


def _round_bits(p: np.ndarray, bits) -> np.ndarray:
    """Both dyadic neighbours of p with ``bits`` binary digits: (2, ...) (floor and ceiling)."""
    scale = 2.0 ** np.asarray(bits, dtype=np.float64)
    return np.stack([np.floor(p * scale) / scale, np.ceil(p * scale) / scale])


def shrink_point(
    point: np.ndarray, violates: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """The violating point with the fewest binary digits found near ``point`` (inside [lo, hi]).

    ``violates(pts (N, n)) -> (N,) bool`` is the float test. Tries all coordinates rounded down and
    up to k = 0, 1, ..., 52 bits, keeps the first that violates, then lowers each coordinate's bits alone.
    """
    point = np.asarray(point, dtype=np.float64)
    n = point.size

    def inside(pts: np.ndarray) -> np.ndarray:  # candidates outside the box are dropped, never clipped
        return ((pts >= lo) & (pts <= hi)).all(axis=1)

    tries = np.stack([_round_bits(point, k) for k in range(53)]).reshape(-1, n)
    ok = inside(tries)
    ok[ok] = violates(tries[ok])
    if not ok.any():
        return point
    first = int(np.argmax(ok))
    best, k = tries[first], first // 2
    for i in range(n):
        cand = np.repeat(best[None, :], 2 * (k + 1), axis=0)
        cand[:, i] = _round_bits(point[i], np.arange(k + 1)).T.reshape(-1)
        ok_i = inside(cand)
        ok_i[ok_i] = violates(cand[ok_i])
        if ok_i.any():
            best = cand[int(np.argmax(ok_i))]
    return best
