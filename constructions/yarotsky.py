"""Yarotsky's sawtooth approximation of x^2 on [0, 1] as an explicit ReLU network.

Yarotsky (2017), "Error bounds for approximations with deep ReLU networks", Prop. 2:
with the hat g(x) = 2x on [0, 1/2], 2(1 - x) on [1/2, 1] and g_s = g o ... o g (s times),
f_m(x) = x - sum_{s=1..m} g_s(x) / 4^s is the piecewise-linear interpolant of x^2 on 2^m equal
pieces, so sup_{[0,1]} |f_m(x) - x^2| = 2^(-2m-2), attained at the midpoints of the pieces.

Network (ours, width 3, m + 1 affine layers): the hidden state after layer s is
(relu(g_{s-1}), relu(g_{s-1} - 1/2), relu(f_{s-1})) with g_0 = f_0 = x. On [0, 1] every carried value
is nonnegative, so relu is the identity on the third unit, and g_s = 2 relu(g_{s-1}) - 4 relu(g_{s-1} - 1/2)
is the hat applied to g_{s-1} in [0, 1].
"""

from __future__ import annotations

import numpy as np
import sympy

from constructions.ir import Built, Net, NetBuilder
from proofs import InvalidInput

__all__ = ["sawtooth_square_net", "sawtooth_square"]

X0 = sympy.Symbol("x0", real=True)


def sawtooth_square_net(m: int) -> Net:
    """The width-3 ReLU network computing f_m on [0, 1]: x (N, 1) -> (N, 1).

    >>> from constructions import evaluate_exact
    >>> from fractions import Fraction
    >>> evaluate_exact(sawtooth_square_net(2), [Fraction(1, 8)])[0] - Fraction(1, 64)
    Fraction(1, 64)
    """
    if not (isinstance(m, (int, np.integer)) and m >= 1):
        raise InvalidInput(f"m={m!r} must be a positive integer (the number of sawtooth compositions)")
    m = int(m)
    b = NetBuilder(1)
    # layer 1: pre-activations (g_0, g_0 - 1/2, f_0) = (x, x - 1/2, x)
    h = b.relu(b.affine(b.input, [[1.0], [1.0], [1.0]], [0.0, -0.5, 0.0]))
    for s in range(1, m):
        # from (h1, h2, h3) = relu(g_{s-1}, g_{s-1} - 1/2, f_{s-1}):
        #   g_s = 2 h1 - 4 h2,  f_s = h3 - g_s / 4^s;  next pre-activations (g_s, g_s - 1/2, f_s)
        c = 4.0**-s
        w = [[2.0, -4.0, 0.0], [2.0, -4.0, 0.0], [-2.0 * c, 4.0 * c, 1.0]]
        h = b.relu(b.affine(h, w, [0.0, -0.5, 0.0]))
    c = 4.0**-m
    out = b.affine(h, [[-2.0 * c, 4.0 * c, 1.0]], [0.0])  # f_m = h3 - g_m / 4^m
    return b.build(out, name=f"yarotsky-sawtooth-m{m}")


def sawtooth_square(m: int) -> Built:
    """f_m against the target x0^2 on [0, 1] (the construction of ``sawtooth_square_approx``)."""
    return Built(
        net=sawtooth_square_net(m),
        target=(X0**2,),
        variables=(X0,),
        domain_lo=(0.0,),
        domain_hi=(1.0,),
        description=f"Yarotsky sawtooth f_{m}: width 3, {m + 1} affine layers",
    )
