"""Piecewise-linear interpolation on a uniform 1-D grid as a one-hidden-layer ReLU network.

On [0, 1] with n intervals (h = 1/n, nodes x_j = j h) the interpolant of f is
Psi(x) = f(0) + s_0 relu(x) + sum_{j=1..n-1} (s_j - s_{j-1}) relu(x - x_j), s_j the slope on
[x_j, x_{j+1}]: every kink of the interpolant is one ReLU. The classical bound is
sup |f - Psi| <= h^2 max|f''| / 8 for f in C^2.

Weights are the float64 values of the exact slopes; the network is then checked as built, so the
certifier measures the network that exists, rounding included.
"""

from __future__ import annotations

import numpy as np
import sympy

from constructions.ir import Built, Net, NetBuilder
from proofs import InvalidInput

__all__ = ["pl_interpolant_net", "pl_interpolant"]

X0 = sympy.Symbol("x0", real=True)


def pl_interpolant_net(f: sympy.Expr, n: int, *, var: sympy.Symbol = X0) -> Net:
    """The ReLU network of the PL interpolant of f (in ``var``) on n uniform intervals of [0, 1].

    >>> from constructions import evaluate_numpy
    >>> net = pl_interpolant_net(X0**2, 4)
    >>> [round(float(v), 6) for v in evaluate_numpy(net, np.array([[0.125], [0.5]]))[:, 0]]
    [0.03125, 0.25]
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise InvalidInput(f"n={n!r} must be a positive integer (the number of grid intervals)")
    n = int(n)
    nodes = [sympy.Rational(j, n) for j in range(n + 1)]
    values = [sympy.nsimplify(f.subs(var, t)) if f.subs(var, t).is_Rational else f.subs(var, t) for t in nodes]
    vals = np.array([float(sympy.N(v, 30)) for v in values])
    if not np.all(np.isfinite(vals)):
        raise InvalidInput(f"f={f} is not finite on the grid of [0, 1]; expected a continuous function")
    slopes = np.diff(vals) * n
    b = NetBuilder(1)
    kinks = np.array([j / n for j in range(n)])  # relu(x - 0) carries the first slope
    coef = np.concatenate([[slopes[0]], np.diff(slopes)])
    hidden = b.relu(b.affine(b.input, np.ones((n, 1)), -kinks))
    out = b.affine(hidden, coef[None, :], [vals[0]])
    return b.build(out, name=f"pl-interpolant-n{n}")


def pl_interpolant(f: sympy.Expr, n: int, M=None) -> Built:
    """The interpolant of f on n intervals, against f on [0, 1] (``M`` is the claim's max|f''|, unused here)."""
    f = sympy.sympify(f)
    free = f.free_symbols - {X0}
    if free:
        raise InvalidInput(f"f={f} has variables {sorted(map(str, free))}; expected a function of x0 only")
    return Built(
        net=pl_interpolant_net(f, n),
        target=(f,),
        variables=(X0,),
        domain_lo=(0.0,),
        domain_hi=(1.0,),
        description=f"PL interpolant of {f} on {n} intervals: one hidden layer of width {n}",
    )
