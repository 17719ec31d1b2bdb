"""Exact (P)ReLU networks of piecewise-linear interpolants on the Kuhn (Freudenthal) triangulation.

The experts of the MoMLP construction (``constructions.momlp``) [ours]. Each expert lives on one
dyadic cell ``lo + h [0, 1]^n``; in local coordinates u = (x - lo) / h in [0, 1]^n the cell carries
the grid of spacing 1/m and its Kuhn triangulation (simplices u_{pi(1)} >= ... >= u_{pi(n)} in every
subcube; consistent across cells, so the mixture is one continuous CPWL function). Three exact
representations, each a small "(P)ReLU program" compiled to stacked weights:

* n = 1, any m: I(u) = g_0 + s_0 (m u) + sum_{j=1}^{m-1} (s_j - s_{j-1}) relu(m u - j) (one kink, one unit);
  m = 1 is affine (no hidden layer).
* n >= 2, m = 1 (Lovasz extension): on the cube, the Kuhn interpolant of the vertex values g(S)
  (vertex 1_S) equals sum_S mu(S) min_{i in S} u_i with mu the Moebius transform of g; each min over
  a set is a tournament of min(p, q) = p - relu(p - q) (ceil(log2 n) hidden layers).
* n >= 2, m >= 2 (hat sum, "deep"): I(u) = fmin + sum_v (f_v - fmin) phi_v(u), with the Freudenthal
  hat phi_v(u) = relu(1 - max(0, max_i w_i) - max(0, max_i -w_i)), w = m u - v. The sum is
  accumulated by a deep narrow network (a few hats per block), so the parameter count grows
  linearly with the number of grid nodes (dense wide layers would grow quadratically).

PReLU sigma_a(t) = max(t, a t), 0 <= a < 1: a value known to be >= 0 on the cell passes through one
unit (sigma_a(q) = q); a signed form z uses the pair P = sigma_a(z), N = sigma_a(-z), from which
z = (P - N) / (1 + a) and relu(z) = (P + a N) / (1 - a^2), relu(-z) = (N + a P) / (1 - a^2).
Exactness is on the cell (u >= 0); outside it an expert is never routed to.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from constructions.ir import StackedExperts
from proofs import InvalidInput

__all__ = [
    "ReluProgram",
    "lovasz_program",
    "line_program",
    "hat_sum_program",
    "moebius",
    "stack_program",
    "kuhn_interpolate",
    "HAT_GROUP",
]

#: hats computed side by side in one block of the deep hat-sum expert (width ~ 6 n HAT_GROUP)
HAT_GROUP = 4
#: carried values q >= 0 pass through sigma_a(q + CARRY_OFFSET): robustly stable for bound propagation
CARRY_OFFSET = 1.0


@dataclass
class _Layer:
    """One hidden layer: neurons sigma_a(F q + c) over the previous level's quantities q; this level's
    quantities are fixed linear combinations of the neuron outputs."""

    forms: list = field(default_factory=list)  # (dict prev_q -> coef (float or (E,) array), const)
    memo: dict = field(default_factory=dict)
    quants: list = field(default_factory=list)  # (dict neuron -> float coef, constant)


class ReluProgram:
    """A (P)ReLU network written as quantities: level 0 is u (n values), each hidden layer adds a level.

    Coefficients of forms may be per-expert arrays of shape (E,); quantity combinations are scalars.
    """

    def __init__(self, n_in: int, n_experts: int, slope: float):
        if not (0.0 <= slope < 1.0):
            raise InvalidInput(f"PReLU slope a={slope!r}: CPWL experts need 0 <= a < 1 (a = 1 is linear)")
        self.n_in, self.E, self.a = n_in, n_experts, float(slope)
        self.layers: list[_Layer] = []
        self.n_prev = n_in
        self._cur: _Layer | None = None

    # -- building -------------------------------------------------------------------------------
    def begin(self) -> ReluProgram:
        self._cur = _Layer()
        return self

    def _neuron(self, coef: dict, const=0.0) -> int:
        lay = self._cur
        scalar = all(np.isscalar(v) for v in coef.values()) and np.isscalar(const)
        key = (tuple(sorted(coef.items())), const) if scalar else None
        if key is not None and key in lay.memo:
            return lay.memo[key]
        lay.forms.append((dict(coef), const))
        if key is not None:
            lay.memo[key] = len(lay.forms) - 1
        return len(lay.forms) - 1

    def _quant(self, combo: dict, const: float = 0.0) -> int:
        self._cur.quants.append((combo, const))
        return len(self._cur.quants) - 1

    def carry_nonneg(self, coef: dict, const=0.0) -> int:
        """A quantity equal to the form, valid where the form is >= 0: one unit sigma_a(q + 1) = q + 1,
        minus 1 (the offset keeps the unit's input >= 1, so bound propagation sees it as stable)."""
        return self._quant({self._neuron(coef, const + CARRY_OFFSET): 1.0}, -CARRY_OFFSET)

    def relu(self, coef: dict, const=0.0) -> int:
        """A quantity equal to relu(form) everywhere."""
        p = self._neuron(coef, const)
        if self.a == 0.0:
            return self._quant({p: 1.0})
        n = self._neuron({k: -v for k, v in coef.items()}, -const)
        d = 1.0 - self.a * self.a
        return self._quant({p: 1.0 / d, n: self.a / d})

    def relu_pair(self, coef: dict, const=0.0) -> tuple[int, int]:
        """Quantities relu(z) and relu(-z) from the unit pair sigma_a(z), sigma_a(-z)."""
        p = self._neuron(coef, const)
        n = self._neuron({k: -v for k, v in coef.items()}, -const)
        d = 1.0 - self.a * self.a
        return self._quant({p: 1.0 / d, n: self.a / d}), self._quant({n: 1.0 / d, p: self.a / d})

    def combine(self, terms: dict) -> int:
        """A quantity that is a fixed linear combination of this level's quantities."""
        combo: dict = {}
        const = 0.0
        for q, c in terms.items():
            qc, qk = self._cur.quants[q]
            const += c * qk
            for nrn, v in qc.items():
                combo[nrn] = combo.get(nrn, 0.0) + c * v
        return self._quant(combo, const)

    def end(self) -> None:
        self.layers.append(self._cur)
        self.n_prev = len(self._cur.quants)
        self._cur = None

    # -- compiling ------------------------------------------------------------------------------
    def _matrices(self, lay: _Layer, n_prev: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """F (E, N, n_prev), c (E, N): pre-activations; Q (n_q, N), qc (n_q,): quantities = Q h + qc."""
        E, N = self.E, len(lay.forms)
        F = np.zeros((E, N, n_prev))
        c = np.zeros((E, N))
        for i, (coef, const) in enumerate(lay.forms):
            for q, v in coef.items():
                F[:, i, q] = v
            c[:, i] = const
        Q = np.zeros((len(lay.quants), N))
        qc = np.zeros(len(lay.quants))
        for j, (combo, const) in enumerate(lay.quants):
            qc[j] = const
            for nrn, v in combo.items():
                Q[j, nrn] = v
        return F, c, Q, qc


def stack_program(prog: ReluProgram, lo: np.ndarray, h: float, out_coef, out_const, *, slope: float) -> StackedExperts:
    """Compile ``prog`` (level 0 = u = (x - lo_e) / h) with output out_coef[e] . q_last + out_const[e].

    Arguments:
        lo: (E, n) lower corners of the cells; h: their side.
        out_coef: (E, n_q_last) or (n_q_last,); out_const: (E,) or scalar.
    Returns:
        StackedExperts with E experts, x (E-routed, n) -> (1,).
    """
    E, n = lo.shape
    out_coef = np.broadcast_to(np.asarray(out_coef, dtype=np.float64), (E, prog.n_prev))
    out_const = np.broadcast_to(np.asarray(out_const, dtype=np.float64), (E,))
    shift = lo / h  # u = x / h - shift
    weights, biases = [], []
    n_prev, Q_prev, qc_prev = n, None, None
    for lay in prog.layers:
        F, c, Q, qc = prog._matrices(lay, n_prev)
        if Q_prev is None:  # first layer reads u = x / h - lo / h
            weights.append(F / h)
            biases.append(c - np.einsum("eij,ej->ei", F, shift))
        else:  # pre-activation F (Q h + qc) + c
            weights.append(np.einsum("eij,jk->eik", F, Q_prev))
            biases.append(c + np.einsum("eij,j->ei", F, qc_prev))
        n_prev, Q_prev, qc_prev = len(lay.quants), Q, qc
    if Q_prev is None:  # an affine expert
        weights.append(out_coef[:, None, :] / h)
        biases.append((out_const - np.einsum("ej,ej->e", out_coef, shift))[:, None])
    else:
        weights.append(np.einsum("ej,jk->ek", out_coef, Q_prev)[:, None, :])
        biases.append((out_const + out_coef @ qc_prev)[:, None])
    return StackedExperts(tuple(weights), tuple(biases), slope=float(slope))


def moebius(values: np.ndarray) -> np.ndarray:
    """Moebius transform over subsets (bit masks): values (E, 2^n) of g(S) -> mu(S) (E, 2^n).

    >>> moebius(np.array([[1.0, 2.0, 3.0, 7.0]])).tolist()  # g(0)=1, g(1)=2, g(2)=3, g(12)=7
    [[1.0, 1.0, 2.0, 3.0]]
    """
    mu = np.array(values, dtype=np.float64, copy=True)
    n = int(round(np.log2(mu.shape[1])))
    for i in range(n):
        bit = 1 << i
        masks = np.array([s for s in range(1 << n) if s & bit])
        mu[:, masks] -= mu[:, masks ^ bit]
    return mu


def lovasz_program(n: int, n_experts: int, slope: float) -> tuple[ReluProgram, list[int]]:
    """The program computing min_{i in S} u_i for every nonempty S; returns (program, quantity of
    mask s for s = 1 .. 2^n - 1) at the last level. ``ceil(log2 n)`` hidden layers."""
    if n < 2:
        raise InvalidInput(f"lovasz_program needs n >= 2, got n={n}")
    prog = ReluProgram(n, n_experts, slope)
    sets = [frozenset(i for i in range(n) if s >> i & 1) for s in range(1, 1 << n)]
    M = {frozenset([i]): i for i in range(n)}
    size = 1
    while size < n:
        prog.begin()
        new = {}
        for S in sets:
            if len(S) > 2 * size:
                continue
            if len(S) <= size:
                new[S] = prog.carry_nonneg({M[S]: 1.0})  # mins of u >= 0 are >= 0
            else:  # min over S = min(min over A, min over B) = p - relu(p - q)
                order = sorted(S)
                A, B = frozenset(order[:size]), frozenset(order[size:])
                p = prog.carry_nonneg({M[A]: 1.0})
                r = prog.relu({M[A]: 1.0, M[B]: -1.0})
                new[S] = prog.combine({p: 1.0, r: -1.0})
        prog.end()
        M, size = new, 2 * size
    return prog, [M[S] for S in sets]


def line_program(m: int, n_experts: int, slope: float) -> tuple[ReluProgram, int | None, list[int]]:
    """1-D interpolant on m pieces: returns (program, quantity of u or None, quantities relu(m u - j)).

    m = 1: no hidden layer (u is the level-0 quantity 0)."""
    prog = ReluProgram(1, n_experts, slope)
    if m == 1:
        return prog, 0, []
    prog.begin()
    U = prog.carry_nonneg({0: 1.0})
    R = [prog.relu({0: float(m)}, -float(j)) for j in range(1, m)]
    prog.end()
    return prog, U, R


def hat_sum_program(
    n: int, m: int, weights_by_node: np.ndarray, slope: float, *, group: int = HAT_GROUP
) -> tuple[ReluProgram, dict]:
    """Deep narrow program accumulating sum_v c_v phi_v(u) over the (m+1)^n grid nodes v.

    ``weights_by_node``: (E, (m+1)^n) nonnegative coefficients c_v (nodes in ``itertools.product``
    order). Blocks of ``group`` hats; each block takes ceil(log2 n) tournament layers and one hat
    layer, which also holds the next block's first units (pipelined). Returns (program, pending
    output form {quantity: coef}); the caller adds the constant.
    """
    E = weights_by_node.shape[0]
    if np.any(weights_by_node < 0):
        raise InvalidInput("hat_sum_program needs nonnegative node coefficients (shift f by its minimum)")
    prog = ReluProgram(n, E, slope)
    nodes = list(itertools.product(range(m + 1), repeat=n))
    blocks = [list(range(g, min(g + group, len(nodes)))) for g in range(0, len(nodes), group)]
    n_levels = int(np.ceil(np.log2(n)))

    def pairs(U: dict, block: list) -> dict:
        """The unit pairs sigma_a(+-(m u_i - v_i)) -> {(sign, i, (v_i,)): relu(+-w_i)} (sign 1: +)."""
        cur = {}
        for b in block:
            for i, j in enumerate(nodes[b]):
                if (1, i, (j,)) not in cur:
                    cur[(1, i, (j,))], cur[(0, i, (j,))] = prog.relu_pair({U[i]: float(m)}, -float(j))
        return cur

    prog.begin()
    U = {i: prog.carry_nonneg({i: 1.0}) for i in range(n)}
    cur = pairs({i: i for i in range(n)}, blocks[0])
    prog.end()
    acc: dict = {}  # pending form of the running sum (>= 0)
    for bi, block in enumerate(blocks):
        # tournaments: max over coordinate blocks of relu(w_i) and relu(-w_i); max(p, q) = q + relu(p - q)
        width = 1
        for _ in range(n_levels):
            prog.begin()
            U = {i: prog.carry_nonneg({U[i]: 1.0}) for i in range(n)}
            acc = {prog.carry_nonneg(acc): 1.0} if acc else {}
            new = {}
            for b in block:
                v = nodes[b]
                for sgn in (0, 1):
                    for start in range(0, n, 2 * width):
                        key = (sgn, start, v[start : start + 2 * width])
                        if key in new:
                            continue
                        p = cur[(sgn, start, v[start : start + width])]
                        if start + width >= n:
                            new[key] = prog.carry_nonneg({p: 1.0})
                        else:
                            q = cur[(sgn, start + width, v[start + width : start + 2 * width])]
                            qq = prog.carry_nonneg({q: 1.0})
                            r = prog.relu({p: 1.0, q: -1.0})
                            new[key] = prog.combine({qq: 1.0, r: 1.0})
            prog.end()
            cur, width = new, 2 * width
        # hat layer: phi_v = relu(1 - max(0, max w) - max(0, max -w)); the next block's pairs beside it
        prog.begin()
        U_prev = U
        U = {i: prog.carry_nonneg({U_prev[i]: 1.0}) for i in range(n)}
        acc = {prog.carry_nonneg(acc): 1.0} if acc else {}
        for b in block:
            v = nodes[b]
            hat = prog.relu({cur[(1, 0, v)]: -1.0, cur[(0, 0, v)]: -1.0}, 1.0)
            acc[hat] = acc.get(hat, 0.0) + weights_by_node[:, b]
        if bi + 1 < len(blocks):
            cur = pairs(U_prev, blocks[bi + 1])
        prog.end()
    return prog, acc


def kuhn_interpolate(values: np.ndarray, m: int, u: np.ndarray) -> np.ndarray:
    """Reference: the Kuhn-triangulation interpolant by barycentric weights (independent of the nets).

    values: ((m+1),)*n grid values; u: (N, n) points of [0, 1]^n -> (N,).

    >>> # simplex (0,0)-(1,0)-(1,1) with weights 1/2, 1/4, 1/4: 0/2 + 2/4 + 4/4
    >>> float(kuhn_interpolate(np.array([[0.0, 1.0], [2.0, 4.0]]), 1, np.array([[0.5, 0.25]]))[0])
    1.5
    """
    u = np.asarray(u, dtype=np.float64)
    N, n = u.shape
    w = np.clip(u * m, 0.0, float(m))
    base = np.minimum(np.floor(w), m - 1).astype(np.int64)
    frac = w - base
    order = np.argsort(-frac, axis=1, kind="stable")
    fs = np.take_along_axis(frac, order, axis=1)
    lam = np.concatenate([1.0 - fs[:, :1], fs[:, :-1] - fs[:, 1:], fs[:, -1:]], axis=1)  # (N, n+1)
    vert = base.copy()
    out = lam[:, 0] * values[tuple(vert.T)]
    for j in range(n):
        vert[np.arange(N), order[:, j]] += 1
        out = out + lam[:, j + 1] * values[tuple(vert.T)]
    return out
