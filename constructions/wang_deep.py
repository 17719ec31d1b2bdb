"""Deep MoEs with E^L pieces (Wang & E, Thm 5.3 warm-up on cubes, Thm 5.2 on a product of circles).

Both targets are f(x) = (f_(1,i_1)(x_1), ..., f_(L,i_L)(x_L)): block l of the input selects its piece
i_l and the output is one function per block. The network Psi in H^(2L,E)_(l,m) uses layers
(2l - 1, 2l) for block l [paper outline; details ours]:

* layer 2l - 1 is a dense layer (E identical experts) that passes the state through and adds the
  routing features of block l: the constant-1 coordinate (cube; the gate has no bias) or
  tau_i ~ rho_i (circle; as in ``constructions.wang_shallow``);
* layer 2l routes: cube, scores s_i(z) = i z - i(i-1)/2 on (z, 1) = (x_l, 1), so argmax_i s_i = i on
  (i-1, i) (s_i - s_(i-1) = z - (i-1); ties at integers go to the lower index, i.e. z = j -> piece j);
  circle, scores tau (argmax tau = argmax <e_i, x_l> because q is increasing). Expert i outputs the
  piecewise-linear interpolant (m pieces) of f_(l,i) and passes the remaining state through.

The state between blocks is (x_(l+1..L), y_(1..l), 1) (cube) or (x_(l+1..L), y_(1..l)) (circles): no
residual connections, everything is carried by the experts' relu pass-through units. Pieces are
continuous across piece boundaries (each f_(l,i) vanishes there), so the target is one expression:
y_l = sum_i f_(l,i)(clamp(x_l, piece i)).

Counts (from the graph, see the wang checks): 2L E experts in all, 2L active per input, E^L pieces.
"""

from __future__ import annotations

import math

import numpy as np
import sympy

from constructions.ir import Built
from constructions.wang_moe import (
    TwoLayerExpert,
    cpwl_knots,
    stack_experts,
    stacked_moe_net,
)
from constructions.wang_shallow import (
    coordinate_charts,
    partition_expert,
    tau_constants,
)
from proofs import InvalidInput

#: start of each torus angle past -pi/4 (keeps dyadic box faces off the sector boundaries) [ours]
OFFSET = 0.1

__all__ = ["cube_moe", "torus_moe", "cube_piece", "cube_weight", "circle_piece", "circle_weight"]


def _positive_int(name: str, v, least: int = 1) -> int:
    if not (isinstance(v, (int, np.integer)) and v >= least):
        raise InvalidInput(f"{name}={v!r} must be an integer >= {least}")
    return int(v)


def _stack_meta(E: int, L: int, m: int) -> dict:
    """The metadata both stacked constructions share: sizes, piece count and the node names per layer."""
    return {
        "E": E,
        "L": L,
        "m": m,
        "pieces": E**L,
        "routing_nodes": tuple(f"moe{2 * l}" for l in range(1, L + 1)),
        "dense_nodes": tuple(f"moe{2 * l - 1}" for l in range(1, L + 1)),
    }


def cube_weight(l: int, i: int, E: int) -> int:
    """w_(l,i) = i + (l - 1) E: distinct per piece; block 1 has Experiment II's weights i [ours]."""
    return i + (l - 1) * E


def cube_piece(z, l: int, i: int, E: int):
    """f_(l,i)(z) = w_(l,i) (z - i + 1)^2 (z - i)^2 on [i - 1, i] (zero at both ends; |f''| <= 2 w)."""
    return cube_weight(l, i, E) * (z - i + 1) ** 2 * (z - i) ** 2


def cube_moe(n_experts: int = 2, depth: int = 2, m: int = 8, *, gate_scale: float = 1.0) -> Built:
    """Thm 5.3 warm-up on [0, E]^L: Psi in H^(2L,E)_(2,.), expert width m (+ pass-through).

    Arguments:
        n_experts: E (pieces per coordinate). depth: L (blocks). m: pieces of each interpolant.
        gate_scale: planted variants only (1.0 is the paper's score s_i).
    Returns:
        Built over x in [0, E]^L (identity chart): net (N, L) -> (N, L).
    """
    E, L, m = _positive_int("n_experts", n_experts, 2), _positive_int("depth", depth), _positive_int("m", m)
    xs = sympy.symbols(f"x1:{L + 1}", real=True)
    layers = []
    for l in range(1, L + 1):
        # state in: x_l..x_L (>= 0), y_1..y_(l-1) (signed), then 1 when l >= 2
        n_x, n_y, has1 = L - l + 1, l - 1, l >= 2
        n_in = n_x + n_y + int(has1)
        dense = TwoLayerExpert(n_in)
        for j in range(n_x):
            dense.output(dense.pass_nonneg(j))
        for j in range(n_y):
            dense.output(dense.pass_signed(n_x + j))
        dense.output(({}, 1.0))  # the constant-1 coordinate, from the output bias
        gate = np.zeros((E, n_in))
        gate[0, :] = 1.0 if not has1 else 0.0  # expert 0 wins strictly where sum x > 0 (layer 1) ...
        if has1:
            gate[0, -1] = 1.0  # ... and everywhere from the constant coordinate on (later blocks)
        layers.append((gate, stack_experts([dense] * E), 1))
        # routing layer 2l: input (x_l..x_L, y_(<l), 1)
        n_in = n_x + n_y + 1
        gate = np.zeros((E, n_in))
        experts = []
        last = l == L
        for i in range(1, E + 1):
            gate[i - 1, 0] = gate_scale * i  # s_i(z) = i z - i (i - 1) / 2 on (z, 1)
            gate[i - 1, -1] = -i * (i - 1) / 2
            ex = TwoLayerExpert(n_in)
            for j in range(1, n_x):
                ex.output(ex.pass_nonneg(j))
            for j in range(n_y):
                ex.output(ex.pass_signed(n_x + j))
            knots = cpwl_knots(i - 1.0, float(i), m)
            ex.output(ex.cpwl(ex.coord(0), 0.0, knots, cube_piece(knots, l, i, E)))
            if not last:
                ex.output(({}, 1.0))
            experts.append(ex)
        layers.append((gate, stack_experts(experts), 1))
    net = stacked_moe_net(L, layers, name=f"wang-thm5.3-cube-E{E}-L{L}-m{m}")
    target = tuple(
        sum(cube_piece(sympy.Min(sympy.Max(xs[l - 1], i - 1), i), l, i, E) for i in range(1, E + 1))
        for l in range(1, L + 1)
    )
    meta = {
        **_stack_meta(E, L, m),
        "piece_kind": "cube",
        "max_f2": 2 * cube_weight(L, E, E),
    }
    return Built(
        net=net,
        target=target,
        variables=xs,
        domain_lo=(0.0,) * L,
        domain_hi=(float(E),) * L,
        meta=meta,
        description=f"Thm 5.3 warm-up: [0,{E}]^{L}, {E}^{L} = {E**L} pieces, interpolants on {m} pieces",
    )


def circle_weight(l: int, i: int) -> int:
    """w_(l,i) = i + 1 + 4 (l - 1) (distinct per piece) [ours]."""
    return i + 1 + 4 * (l - 1)


def circle_piece(u, l: int, i: int, sin=sympy.sin, cos=sympy.cos):
    """f_(l,i) at angle offset u = theta - c_i: w cos(2u) (1 + sin(u)/2) (zero at u = +-pi/4)."""
    return circle_weight(l, i) * cos(2 * u) * (1 + sin(u) / 2)


def torus_moe(depth: int = 2, m: int = 8, *, n_tau: int | None = None, tau_bias=None) -> Built:
    """Thm 5.2 on the product of L unit circles in R^(2L): Psi in H^(2L,4)_(2,.), linear charts.

    Piece i_l of block l is the sector |theta_l - c_i| <= pi/4 of chart i (c_i = i pi/2), where chart i
    dominates; g_(l,i)(t) = w (1 - 2t^2)(1 + t/2) with t = sin(theta_l - c_i) = <a_i, x_l>.
    Returns a Built over theta in [-pi/4 + OFFSET, 7 pi/4 + OFFSET]^L, chart x_l = (cos theta_l, sin theta_l).
    """
    L, m = _positive_int("depth", depth), _positive_int("m", m)
    E = 4
    consts = tau_constants(E, n_tau)
    T = consts["T"]
    charts = coordinate_charts(2)
    layers = []
    for l in range(1, L + 1):
        n_x, n_y = 2 * (L - l + 1), l - 1
        items = [("signed", j) for j in range(n_x + n_y)] + [("tau", c, s) for c, s in charts]
        bias = {n_x + n_y + c: b for c, b in (tau_bias or {}).items()} if l == 1 else None
        dense, _ = partition_expert(n_x + n_y, items, consts["n_tau"], tau_bias=bias)
        gate = np.zeros((E, n_x + n_y))
        for i, (c, sgn) in enumerate(charts):
            gate[i, c] = sgn  # dense layer: any gate; chart centres keep its route certified off boundaries
        layers.append((gate, stack_experts([dense] * E), 1))
        n_in = n_x + n_y + E
        gate = np.concatenate([np.zeros((E, n_x + n_y)), np.eye(E)], axis=1)  # scores = tau_l
        experts = []
        for i in range(E):
            ci = i * math.pi / 2
            ex = TwoLayerExpert(n_in)
            for j in range(2, n_x):
                ex.output(ex.pass_signed(j))
            for j in range(n_y):
                ex.output(ex.pass_signed(n_x + j))
            a = np.zeros(n_in)
            a[:2] = (-math.sin(ci), math.cos(ci))
            knots = cpwl_knots(-T, T, m)
            g = circle_weight(l, i) * (1 - 2 * knots**2) * (1 + knots / 2)  # f_(l,i) o phi_i^-1
            ex.output(ex.cpwl(a, 0.0, knots, g))
            experts.append(ex)
        layers.append((gate, stack_experts(experts), 1))
    net = stacked_moe_net(2 * L, layers, name=f"wang-thm5.2-torus-L{L}-m{m}" + ("-planted" if tau_bias else ""))
    th = sympy.symbols(f"theta1:{L + 1}", real=True)
    chart = tuple(v for t in th for v in (sympy.cos(t), sympy.sin(t)))
    q = sympy.pi / 4
    # sector i of block l: theta_l - c_i in [-pi/4, pi/4]; the domain starts OFFSET past -pi/4, so sector 0
    # also holds theta_l near 2 pi (the term with c_0 + 2 pi); clamps make the other sectors' terms vanish
    target = tuple(
        sum(
            circle_piece(sympy.Min(sympy.Max(th[l - 1] - c, -q), q), l, i)
            for i in range(E)
            for c in ((0, 8 * q) if i == 0 else (i * 2 * q,))
        )
        for l in range(1, L + 1)
    )
    routing = tuple(
        {
            "tau_node": f"moe{2 * l - 1}",
            "tau_slice": (2 * (L - l + 1) + l - 1, 2 * (L - l + 1) + l - 1 + E),
            "gate_node": f"moe{2 * l}",
            "rho": tuple(
                sympy.Max(0, s * (sympy.cos(th[l - 1]) if c == 0 else sympy.sin(th[l - 1]))) ** 2 for c, s in charts
            ),
            "domain": tuple(s * (sympy.cos(th[l - 1]) if c == 0 else sympy.sin(th[l - 1])) for c, s in charts),
        }
        for l in range(1, L + 1)
    )
    meta = {
        **_stack_meta(E, L, m),
        "piece_kind": "sector",
        "n_tau": consts["n_tau"],
        "delta": consts["delta"],
        "sigma2": consts["sigma2"],
        "T": T,
        "routing": routing,
        "planted": bool(tau_bias),
    }
    lo = (-math.pi / 4 + OFFSET,) * L  # off the sector boundaries, so bisection never lands on a tie
    hi = (7 * math.pi / 4 + OFFSET,) * L
    return Built(
        net=net,
        target=target,
        variables=th,
        domain_lo=lo,
        domain_hi=hi,
        chart=chart,
        meta=meta,
        description=f"Thm 5.2: product of {L} circles, 4^{L} = {4**L} pieces, interpolants on {m} pieces",
    )
