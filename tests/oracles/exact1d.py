"""Independent exact oracle (tests only): sup error of a 1-D piecewise-linear network against a polynomial target.

For a network with one input built from affine, (P)ReLU, concat and slice nodes, every node is
piecewise linear in x. We enumerate its breakpoints exactly: node by node, each (P)ReLU splits the
current intervals where its pre-activation (linear on each interval, rational coefficients, since
float64 weights are dyadic rationals) crosses zero. On each final interval [p, q] the network is
a x + c exactly, so with a polynomial target f (rational coefficients) the residual
g = f - a x - c is a polynomial and

    max_[p,q] |g| = max(|g(p)|, |g(q)|, |g(r)| for the real roots r of g' in (p, q)).

Roots are isolated in rational intervals (sympy's exact real-root isolation); a rational root is
evaluated exactly, an irrational one is enclosed by exact interval arithmetic on an isolating interval
refined below 2^-80. The result is an exact lower bound (attained at a rational point) and a rigorous
upper bound: equal whenever every maximiser is rational, e.g. Yarotsky's f_m against x^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from constructions.ir import Affine, Concat, Input, Net, PReLU, Slice

__all__ = ["ExactSup", "exact_sup_error_1d", "applicable_exact_1d"]

_F = Fraction


@dataclass(frozen=True)
class ExactSup:
    """sup |f - net| lies in [lower, upper] (exact rationals); ``argmax`` attains ``lower`` exactly."""

    lower: Fraction
    upper: Fraction
    argmax: Fraction
    pieces: int


def _poly(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Poly | None:
    try:
        p = sympy.Poly(sympy.nsimplify(expr, rational=False), var, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        return None
    return p


def applicable_exact_1d(built) -> bool:
    """True when the exact tier applies: one input, identity chart, plain CPWL ops, polynomial targets."""
    net = built.net
    if net.n_in != 1 or built.chart is not None or len(built.variables) != 1:
        return False
    if any(not isinstance(net.spec(v), (Affine, PReLU, Concat, Slice, Input)) for v in net.order):
        return False
    return all(_poly(t, built.variables[0]) is not None for t in built.target)


def _linear_pieces(net: Net, lo: Fraction, hi: Fraction):
    """Breakpoints and, per interval, the output's (slope, intercept) per coordinate, all exact."""
    points = [lo, hi]  # interval i is [points[i], points[i+1]]
    vals: dict[str, list[list[tuple[Fraction, Fraction]]]] = {}  # node -> per interval -> per coord (a, c)
    for v in net.order:
        spec, ops = net.spec(v), net.operands(v)
        if isinstance(spec, Input):
            vals[v] = [[(_F(1), _F(0))] for _ in range(len(points) - 1)]
        elif isinstance(spec, Affine):
            W = [[_F(float(w)) for w in row] for row in spec.weight]
            b = [_F(float(t)) for t in spec.bias]
            vals[v] = [
                [
                    (sum((w * a for w, (a, _) in zip(row, xs)), _F(0)), sum((w * c for w, (_, c) in zip(row, xs)), bi))
                    for row, bi in zip(W, b)
                ]
                for xs in vals[ops[0]]
            ]
        elif isinstance(spec, Concat):
            vals[v] = [[t for u in ops for t in vals[u][i]] for i in range(len(points) - 1)]
        elif isinstance(spec, Slice):
            vals[v] = [xs[spec.start : spec.stop] for xs in vals[ops[0]]]
        else:  # (P)ReLU: split where a pre-activation crosses zero, then apply the active branch
            pre = vals[ops[0]]
            new_points, owner = [points[0]], []
            for i in range(len(points) - 1):
                p, q = points[i], points[i + 1]
                roots = sorted({-c / a for a, c in pre[i] if a != 0 and p < -c / a < q})
                for r in roots + [q]:
                    owner.append(i)
                    new_points.append(r)
            points = new_points
            vals = {u: [rep[i] for i in owner] for u, rep in vals.items()}
            slope = _F(float(spec.slope))
            out = []
            for i, xs in enumerate(vals[ops[0]]):
                mid = (points[i] + points[i + 1]) / 2
                out.append([(a, c) if a * mid + c >= 0 else (slope * a, slope * c) for a, c in xs])
            vals[v] = out
    return points, vals[net.output]


def _max_abs_on(g: sympy.Poly, p: Fraction, q: Fraction) -> tuple[Fraction, Fraction, Fraction]:
    """(exact lower, rigorous upper, rational argmax of lower) of max |g| on [p, q]."""

    def at(x: Fraction) -> Fraction:
        v = g.eval(sympy.Rational(x.numerator, x.denominator))
        return abs(_F(int(v.p), int(v.q)))

    best_x = p if at(p) >= at(q) else q
    lower = upper = at(best_x)
    dg = g.diff()
    if dg.degree() >= 1:
        sp, sq = sympy.Rational(p.numerator, p.denominator), sympy.Rational(q.numerator, q.denominator)
        for (a, b), _ in dg.intervals(inf=sp, sup=sq, eps=sympy.Rational(1, 2**80)):
            a, b = _F(int(a.p), int(a.q)), _F(int(b.p), int(b.q))
            if b < p or a > q:
                continue
            a, b = max(a, p), min(b, q)
            va, vb = at(a), at(b)
            if va > lower:
                lower, best_x = va, a
            if vb > lower:
                lower, best_x = vb, b
            # enclose |g| on [a, b] exactly: g(m) + |g'| bound * radius (mean value, all rational)
            m, r = (a + b) / 2, (b - a) / 2
            slope_bound = sum(
                abs(_F(int(c.p), int(c.q))) * (max(abs(a), abs(b)) ** k)
                for k, c in enumerate(reversed(dg.all_coeffs()))
            )
            upper = max(upper, at(m) + slope_bound * r)
    return lower, max(upper, lower), best_x


def exact_sup_error_1d(built) -> ExactSup:
    """Exact enclosure of sup over the domain of max_j |target_j - net_j| (see the module docstring)."""
    if not applicable_exact_1d(built):
        raise ValueError("the exact 1-D tier needs one input, an identity chart, CPWL ops and polynomial targets")
    var = built.variables[0]
    lo, hi = _F(built.domain_lo[0]), _F(built.domain_hi[0])
    points, pieces = _linear_pieces(built.net, lo, hi)
    targets = [_poly(t, var) for t in built.target]
    best = (_F(-1), _F(-1), lo)
    x = sympy.Symbol("x")
    for i in range(len(points) - 1):
        for j, (a, c) in enumerate(pieces[i]):
            lin = sympy.Poly(
                sympy.Rational(a.numerator, a.denominator) * x + sympy.Rational(c.numerator, c.denominator),
                x,
                domain="QQ",
            )
            g = sympy.Poly(targets[j].as_expr().subs(var, x), x, domain="QQ") - lin
            low, up, arg = _max_abs_on(g, points[i], points[i + 1])
            if low > best[0]:
                best = (low, best[1], arg)
            best = (best[0], max(best[1], up), best[2])
    return ExactSup(lower=best[0], upper=best[1], argmax=best[2], pieces=len(points) - 1)
