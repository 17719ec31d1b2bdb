"""The exact tier: decide sup_box |P - net| <= eps in rationals where the network is affine on the box.

Float bounds carry an outward slack, so a claim whose bound is *attained* (sup |x^2 - I_h x^2| = h^2/4
exactly) can never be certified by them. On a box [a, b] of a 1-D domain where ``bound_net`` proves the
network affine (``NetBounds.affine_on_box``: every unit keeps its sign, one top-1 route), net = L is
fixed by its exact values at a and b (``evaluate_exact``, float weights being dyadic rationals). For a
target polynomial P with rational coefficients, |P - L| <= eps on [a, b] iff both eps - (P - L) and
eps + (P - L) are >= 0 there, which is decided exactly: a polynomial h is >= 0 on [a, b] iff it has no
root of odd multiplicity inside (a, b) (Sturm counts on the odd part of its square-free factorisation)
and is >= 0 at a, at b and at one inner point that is not a root.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from constructions.ir import evaluate_exact

__all__ = ["rational_polynomial_targets", "exact_sup_le"]


def rational_polynomial_targets(built) -> list[sympy.Poly] | None:
    """The targets as rational polynomials in the one domain variable, or None when the tier does not apply."""
    if len(built.variables) != 1 or built.chart is not None:
        return None
    if any(built.net.spec(v).k != 1 for v in built.net.moe_nodes()):
        return None
    x = built.variables[0]
    polys = []
    for t in built.target:
        # [review] Poly(..., domain=QQ) reads Float(0.1) as 1/10, while the float and mpmath enclosures
        # (and the replay) use its exact binary value: convert every Float to its exact binary rational first
        t = t.xreplace({f: sympy.Rational(f) for f in t.atoms(sympy.Float)})
        try:
            polys.append(sympy.Poly(t, x, domain=sympy.QQ))
        except (sympy.PolynomialError, sympy.polys.polyerrors.CoercionFailed, sympy.polys.polyerrors.GeneratorsNeeded):
            return None
    return polys


def _q(v: Fraction) -> sympy.Rational:
    return sympy.Rational(v.numerator, v.denominator)


def _nonneg_on(h: sympy.Poly, a: Fraction, b: Fraction) -> bool:
    """Whether the rational polynomial h is >= 0 on [a, b] (exact)."""
    if h.is_zero:
        return True
    A, B = _q(a), _q(b)
    if h.eval(A) < 0 or h.eval(B) < 0:
        return False
    if a == b or h.degree() <= 0:
        return True
    odd = sympy.Poly(1, h.gen, domain=sympy.QQ)
    for f, mult in h.sqf_list()[1]:
        if mult % 2:
            odd = odd * f
    if odd.degree() > 0:
        inside = odd.count_roots(A, B) - (odd.eval(A) == 0) - (odd.eval(B) == 0)
        if inside > 0:
            return False  # h changes sign inside
    t = (A + B) / 2  # h has one sign on (a, b): read it off at a point that is not a root
    for _ in range(200):
        v = h.eval(t)
        if v != 0:
            return bool(v > 0)
        t = (A + t) / 2
    return False  # pragma: no cover - a nonzero polynomial has finitely many roots


def exact_sup_le(built, polys: list[sympy.Poly], a: float, b: float, eps: Fraction) -> bool:
    """Whether max_j sup_{[a, b]} |P_j - net_j| <= eps, for a box on which the network is affine (exact)."""
    fa, fb = Fraction(a), Fraction(b)
    ya = evaluate_exact(built.net, [fa])
    yb = evaluate_exact(built.net, [fb]) if fb != fa else ya
    x = built.variables[0]
    e = sympy.Poly(_q(eps), x, domain=sympy.QQ)
    for P, va, vb in zip(polys, ya, yb):
        slope = (vb - va) / (fb - fa) if fb != fa else Fraction(0)
        L = sympy.Poly(_q(va) + _q(slope) * (x - _q(fa)), x, domain=sympy.QQ)
        g = P - L
        if not (_nonneg_on(e - g, fa, fb) and _nonneg_on(e + g, fa, fb)):
            return False
    return True
