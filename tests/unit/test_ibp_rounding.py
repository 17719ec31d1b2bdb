"""The a priori rounding of IBP affine steps (centre-radius form, no nextafter passes) is sound:
exact rational values of the network at points of each box lie inside the float bounds, also under
cancellation, huge and tiny magnitudes, degenerate boxes and per-box (MoE expert) weights."""

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.certify import bound_net
from constructions import LinearGate, NetBuilder, StackedExperts, evaluate_exact


def _net(seed: int, scale: float, moe: bool):
    rng = np.random.default_rng(seed)
    n = 3
    b = NetBuilder(n)
    W1 = rng.normal(size=(6, n)) * scale
    W1[1] = -W1[0] * (1 + 2.0**-50)  # two rows that nearly cancel each other
    h = b.relu(b.affine(b.input, W1, rng.normal(size=6) * scale))
    if moe:
        E = 3
        ex = StackedExperts(
            (rng.normal(size=(E, 4, 6)) / scale, rng.normal(size=(E, 1, 4))),
            (rng.normal(size=(E, 4)), rng.normal(size=(E, 1)) * scale),
        )
        return b.build(b.moe(h, LinearGate(rng.normal(size=(E, 6))), ex))
    return b.build(b.affine(h, rng.normal(size=(1, 6)), [rng.normal() * scale]))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.sampled_from([1e-150, 1e-8, 1.0, 3.0, 1e8, 1e150]),
    moe=st.booleans(),
    width=st.sampled_from([0.0, 2.0**-40, 1e-3, 0.5]),
)
def test_exact_values_inside_ibp_and_crown_bounds(seed, scale, moe, width):
    net = _net(seed, scale, moe)
    rng = np.random.default_rng(seed + 7)
    lo = rng.uniform(-1, 1, (5, 3))
    hi = lo + width
    for method in ("ibp", "crown"):
        nb = bound_net(net, lo, hi, method=method)
        for i in range(5):
            for t in (0.0, 1.0, float(rng.random())):
                x = [Fraction(float(a + t * (b - a))) for a, b in zip(lo[i], hi[i])]
                # a float point of the box (t is rounded into it): its exact value lies inside the bounds
                x = [min(max(v, Fraction(float(a))), Fraction(float(b))) for v, a, b in zip(x, lo[i], hi[i])]
                y = evaluate_exact(net, x)[0]
                assert Fraction(float(nb.lower[i, 0])) <= y <= Fraction(float(nb.upper[i, 0])), (method, i, t)
