"""Soundness property of bound propagation (hypothesis).

For random small nets and MoEs (ReLU and PReLU MLPs, concat/slice graphs, linear gates top-1 and
top-2, tree routers, stacked MoE layers), random boxes (some degenerate) and random points in them:
every value lies inside the IBP, CROWN-IBP and CROWN bounds and the linear bounds, and the point's
route is among the candidates. Points of top-1 nets are checked in exact rationals (the bounds are
claimed sound in real arithmetic); top-2 nets (softmax weights) in float64 with a 1e-9 allowance.

The number of examples is the hypothesis profile's (``MOECHECK_HYPOTHESIS_EXAMPLES``, default 200 in
the 'ci' profile; use thousands for a slow run).
"""

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from checkers.certify import bound_net, exact_path
from constructions import (
    LinearGate,
    NetBuilder,
    StackedExperts,
    dyadic_tree_router,
    evaluate_exact,
    evaluate_numpy,
    route_numpy,
)

KINDS = ("mlp", "prelu", "concat", "gate1", "gate2", "tree", "stacked")


def _experts(rng, E, sizes, slope, scale):
    ws = tuple(rng.normal(0, scale, (E, o, i)) for i, o in zip(sizes[:-1], sizes[1:]))
    bs = tuple(rng.normal(0, scale / 3, (E, o)) for o in sizes[1:])
    return StackedExperts(ws, bs, slope)


def build(kind: str, n: int, seed: int, scale: float, slope: float):
    rng = np.random.default_rng(seed)
    b = NetBuilder(n)
    w = int(rng.integers(2, 7))
    if kind in ("mlp", "prelu"):
        h, d = b.input, n
        for _ in range(int(rng.integers(1, 4))):
            h = b.affine(h, rng.normal(0, scale, (w, d)), rng.normal(0, scale / 3, w))
            h, d = (b.prelu(h, slope) if kind == "prelu" else b.relu(h)), w
        return b.build(b.affine(h, rng.normal(0, scale, (2, w)), rng.normal(0, 1, 2)))
    if kind == "concat":
        a = b.relu(b.affine(b.input, rng.normal(0, scale, (w, n)), rng.normal(0, 1, w)))
        c = b.prelu(b.affine(b.input, rng.normal(0, scale, (3, n)), rng.normal(0, 1, 3)), slope)
        cat = b.concat([a, c, b.input])
        s = b.relu(b.slice(cat, 1, w + 2))
        return b.build(b.affine(b.concat([s, b.slice(cat, 0, 1)]), rng.normal(0, scale, (1, w + 2)), [0.0]))
    if kind in ("gate1", "gate2"):
        E = int(rng.integers(2, 6))
        k = 1 if kind == "gate1" else 2
        gate = LinearGate(rng.normal(0, 1, (E, n)), rng.normal(0, 0.5, E) if rng.random() < 0.7 else None, k=k)
        return b.build(b.moe(b.input, gate, _experts(rng, E, (n, w, 2), slope, scale)))
    if kind == "tree":
        r = dyadic_tree_router(n, int(rng.integers(1, 3)), lo=-1.0, hi=1.0)
        return b.build(b.moe(b.input, r, _experts(rng, r.n_experts, (n, w, 1), slope, scale)))
    # stacked: affine + relu, an MoE, another MoE on its output, a skip concat
    h = b.relu(b.affine(b.input, rng.normal(0, scale, (3, n)), rng.normal(0, 0.5, 3)))
    m1 = b.moe(h, LinearGate(rng.normal(0, 1, (3, 3))), _experts(rng, 3, (3, w, 2), slope, scale))
    m2 = b.moe(m1, dyadic_tree_router(2, 1, lo=-2.0, hi=2.0), _experts(rng, 4, (2, w, 1), slope, scale))
    return b.build(b.concat([m2, b.slice(h, 0, 1)]))


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.integers(1, 3)) if kind != "stacked" else draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**31))
    scale = draw(st.sampled_from([0.5, 1.0, 3.0, 30.0]))
    slope = draw(st.sampled_from([0.0, 0.01, 0.25, 1.0]))
    net = build(kind, n, seed, scale, slope)
    rng = np.random.default_rng(seed + 1)
    B = 4
    centre = rng.uniform(-1.2, 1.2, (B, n))
    width = draw(st.sampled_from([0.0, 1e-9, 0.01, 0.3, 2.0])) * rng.random((B, n))
    width[0] = 0.0  # one degenerate box: a point
    lo, hi = centre - width / 2, centre + width / 2
    return kind, net, lo, hi, rng


@given(cases())
def test_values_and_routes_inside_bounds(case):
    kind, net, lo, hi, rng = case
    B, n = lo.shape
    pts = lo[:, None, :] + (hi - lo)[:, None, :] * rng.random((B, 6, n))
    pts[:, 0], pts[:, 1] = lo, hi  # corners
    flat = pts.reshape(-1, n)
    values = evaluate_numpy(net, flat, return_all=True)
    out = values[net.output].reshape(B, 6, -1)
    top1 = all(net.spec(v).k == 1 for v in net.moe_nodes())
    for method in ("ibp", "crown-ibp", "crown"):
        nb = bound_net(net, lo, hi, method=method)
        lower, upper = nb.lower.numpy(), nb.upper.numpy()
        assert (lower <= upper).all()
        slack = 0.0 if top1 else 1e-9 * (1 + np.abs(out))
        assert (out >= lower[:, None] - slack).all() and (out <= upper[:, None] + slack).all(), method
        for v, cand in nb.candidates.items():
            idx, _ = route_numpy(net.spec(v), values[net.operands(v)[0]])
            rows = np.repeat(np.arange(B), 6)
            assert cand.numpy()[rows[:, None], idx].all(), (method, v)
        if top1:
            # exact rationals: the real value at a point of each box lies inside the bounds
            for b in range(B):
                x = [Fraction(float(t)) for t in pts[b, 2]]
                exact = evaluate_exact(net, x)
                for j, e in enumerate(exact):
                    assert Fraction(float(lower[b, j])) <= e <= Fraction(float(upper[b, j])), (method, b, j)
                path = exact_path(net, x)
                for v, e in zip(net.moe_nodes(), path):
                    assert bool(nb.candidates[v][b, e])
                if nb.A_u is not None:
                    A_u, c_u = nb.A_u.numpy()[b], nb.c_u.numpy()[b]
                    A_l, c_l = nb.A_l.numpy()[b], nb.c_l.numpy()[b]
                    for j, e in enumerate(exact):
                        up = sum(Fraction(float(a)) * t for a, t in zip(A_u[j], x)) + Fraction(float(c_u[j]))
                        low = sum(Fraction(float(a)) * t for a, t in zip(A_l[j], x)) + Fraction(float(c_l[j]))
                        assert low <= e <= up, (method, "linear", b, j)
