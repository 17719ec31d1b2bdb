"""An oracle independent of moecheck's evaluators: python-flint ``arb`` balls at 256 bits, exact rationals.

Nothing here imports moecheck's formula, prover or certifier code: sympy expressions are walked node by
node and evaluated in arb; networks are evaluated in ``fractions.Fraction`` from their float64 weights
(exact: a float64 is a dyadic rational) with the forward pass's tie-breaking (top-k by score, ties to
the lowest index; tree cells half-open, x >= c goes up).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy
from flint import arb, ctx

ctx.prec = 256

__all__ = ["to_arb", "arb_eval", "real_arguments_negative", "exact_forward", "exact_route", "arb_le", "arb_gt"]


class Undefined(Exception):
    """The expression is not real (or not finite) at the point."""


def to_arb(v) -> arb:
    if isinstance(v, arb):
        return v
    if isinstance(v, (int, np.integer)):
        return arb(int(v))
    if isinstance(v, Fraction):
        return arb(v.numerator) / arb(v.denominator)
    if isinstance(v, (float, np.floating)):
        return arb(float(v))
    raise TypeError(type(v))


def _const(e: sympy.Basic) -> arb:
    if e.is_Integer:
        return arb(int(e))
    if e.is_Rational:
        return arb(int(e.p)) / arb(int(e.q))
    if e.is_Float:  # its exact binary value
        return arb(sympy.Rational(e).p) / arb(sympy.Rational(e).q)
    if e is sympy.pi:
        return arb.pi()
    if e is sympy.E:
        return arb(1).exp()
    raise Undefined(f"constant {e}")


def _finite(x: arb) -> arb:
    if not x.is_finite():
        raise Undefined("not finite")
    return x


def arb_eval(e: sympy.Basic, env: dict) -> arb:
    """The arb ball of ``e`` with symbols (by name) bound to exact values; Undefined where not real."""
    if e.is_Symbol:
        return to_arb(env[e.name])
    if e.is_Number or e in (sympy.pi, sympy.E):
        return _const(e)
    args = e.args
    if e.is_Add:
        out = arb(0)
        for a in args:
            out += arb_eval(a, env)
        return _finite(out)
    if e.is_Mul:
        out = arb(1)
        for a in args:
            out *= arb_eval(a, env)
        return _finite(out)
    if e.is_Pow:
        b = arb_eval(args[0], env)
        ex = args[1]
        if ex.is_Integer:
            n = int(ex)
            if n < 0 and b.contains(0):
                raise Undefined("pole")
            return _finite(b**n)
        x = arb_eval(ex, env)
        if b > 0:
            return _finite((x * b.log()).exp())
        if b == 0 and x > 0:
            return arb(0)
        raise Undefined("power of a base that is not positive")
    name = type(e).__name__
    if name == "Heaviside":
        u = arb_eval(args[0], env)
        h0 = arb_eval(args[1], env) if len(args) > 1 else arb(1) / 2
        if u > 0:
            return arb(1)
        if u < 0:
            return arb(0)
        if u == 0:
            return h0
        raise Undefined("undecided sign")
    u = arb_eval(args[0], env) if args else None
    if name == "sin":
        return u.sin()
    if name == "cos":
        return u.cos()
    if name == "tan":
        c = u.cos()
        if c.contains(0):
            raise Undefined("pole of tan")
        return _finite(u.sin() / c)
    if name == "exp":
        return _finite(u.exp())
    if name == "log":
        if not u > 0:
            raise Undefined("log of a nonpositive number")
        return u.log()
    if name == "atan":
        return u.atan()
    if name == "tanh":
        return u.tanh()
    if name == "Abs":
        return abs(u)
    if name == "sign":
        if u > 0:
            return arb(1)
        if u < 0:
            return arb(-1)
        if u == 0:
            return arb(0)
        raise Undefined("undecided sign")
    if name in ("Max", "Min"):
        vals = [arb_eval(a, env) for a in args]
        out = vals[0]
        for v in vals[1:]:
            out = out.max(v) if name == "Max" else out.min(v)
        return out
    raise Undefined(f"node {name}")


def arb_gt(a: arb, b) -> bool:
    """a > b certainly."""
    return bool(a > to_arb(b))


def arb_le(a: arb, b) -> bool:
    """a <= b certainly."""
    return bool(a <= to_arb(b))


def real_arguments_negative(e: sympy.Basic, env: dict) -> bool:
    """Whether some sqrt / fractional power / log / symbolic-exponent argument of ``e`` is certainly outside
    its domain at the point (negative; nonpositive under log or a negative or symbolic exponent)."""
    for node in sympy.preorder_traversal(e):
        if isinstance(node, sympy.log):
            strict, base = True, node.args[0]
        elif isinstance(node, sympy.Pow) and not node.exp.is_Integer:
            base = node.base
            strict = not (node.exp.is_number and node.exp > 0)
            if not node.exp.is_number:  # symbolic exponent: negative base with a non-integer exponent
                try:
                    x = arb_eval(node.exp, env)
                    b = arb_eval(base, env)
                except Undefined:
                    continue
                if b < 0 and not x.contains_integer():
                    return True
                continue
        else:
            continue
        try:
            b = arb_eval(base, env)
        except Undefined:
            continue
        if b < 0 or (strict and b <= 0):
            return True
    return False


# ---------------------------------------------------------------------------------------- networks
def _fr(a) -> Fraction:
    return Fraction(float(a))


def exact_route(spec, z: Sequence[Fraction]):
    """The experts the forward selects at the exact input z of an MoE node (a tuple, sorted for top-k)."""
    r = spec.router
    if hasattr(r, "centres"):  # tree router: x >= c goes to the upper child, level by level
        node = 0
        n = len(z)
        for c in r.centres:
            cc = np.asarray(c)[node]
            digit = sum((1 << i) for i in range(n) if z[i] >= _fr(cc[i]))
            node = node * (2**n) + digit
        return (node,)
    W = np.asarray(r.weight)
    b = np.zeros(W.shape[0]) if r.bias is None else np.asarray(r.bias)
    scores = [sum((_fr(W[e, i]) * z[i] for i in range(W.shape[1])), Fraction(0)) + _fr(b[e]) for e in range(W.shape[0])]
    order = sorted(range(len(scores)), key=lambda e: (-scores[e], e))
    return tuple(sorted(order[: r.k]))


def exact_forward(net, x: Sequence[Fraction], routes: list | None = None) -> list:
    """The real network at an exact point (top-1 MoEs exactly; top-k softmax weights are not rational:
    this oracle then raises), the selected routes appended to ``routes``."""
    vals = {}
    for v in net.order:
        spec = net.spec(v)
        kind = type(spec).__name__
        ops = [vals[u] for u in net.operands(v)]
        if kind == "Input":
            vals[v] = list(x)
        elif kind == "Affine":
            W, b = np.asarray(spec.weight), np.asarray(spec.bias)
            vals[v] = [
                sum((_fr(W[o, i]) * ops[0][i] for i in range(W.shape[1])), Fraction(0)) + _fr(b[o])
                for o in range(W.shape[0])
            ]
        elif kind == "PReLU":
            a = _fr(spec.slope)
            vals[v] = [t if t >= 0 else a * t for t in ops[0]]
        elif kind == "Concat":
            vals[v] = [t for o in ops for t in o]
        elif kind == "Slice":
            vals[v] = ops[0][spec.start : spec.stop]
        else:
            sel = exact_route(spec, ops[0])
            if routes is not None:
                routes.append(sel[0] if len(sel) == 1 else sel)
            if len(sel) != 1:
                raise Undefined("top-k softmax weights are not rational")
            e = sel[0]
            ex = spec.experts
            h = ops[0]
            for li, (W, b) in enumerate(zip(ex.weights, ex.biases)):
                W, b = np.asarray(W[e]), np.asarray(b[e])
                h = [
                    sum((_fr(W[o, i]) * h[i] for i in range(W.shape[1])), Fraction(0)) + _fr(b[o])
                    for o in range(W.shape[0])
                ]
                if li < ex.n_layers - 1:
                    a = _fr(ex.slope)
                    h = [t if t >= 0 else a * t for t in h]
            vals[v] = h
    return vals[net.output]


def exact_routes_only(net, x: Sequence[Fraction]) -> tuple:
    """The route (one entry per MoE node) of the forward at x, top-k allowed (routes only)."""
    vals = {}
    path = []
    for v in net.order:
        spec = net.spec(v)
        kind = type(spec).__name__
        ops = [vals[u] for u in net.operands(v)]
        if kind == "Input":
            vals[v] = list(x)
        elif kind == "MoE":
            sel = exact_route(spec, ops[0])
            path.append(sel[0] if len(sel) == 1 else sel)
            vals[v] = _expert_value(spec.experts, sel[0], ops[0]) if len(sel) == 1 else None
        else:
            vals[v] = exact_forward_node(spec, kind, ops)
    return tuple(path)


def exact_forward_node(spec, kind, ops):
    if kind == "Affine":
        W, b = np.asarray(spec.weight), np.asarray(spec.bias)
        return [
            sum((_fr(W[o, i]) * ops[0][i] for i in range(W.shape[1])), Fraction(0)) + _fr(b[o])
            for o in range(W.shape[0])
        ]
    if kind == "PReLU":
        a = _fr(spec.slope)
        return [t if t >= 0 else a * t for t in ops[0]]
    if kind == "Concat":
        return [t for o in ops for t in o]
    if kind == "Slice":
        return ops[0][spec.start : spec.stop]
    raise Undefined(kind)


def _expert_value(ex, e, h):
    for li, (W, b) in enumerate(zip(ex.weights, ex.biases)):
        W, b = np.asarray(W[e]), np.asarray(b[e])
        h = [sum((_fr(W[o, i]) * h[i] for i in range(W.shape[1])), Fraction(0)) + _fr(b[o]) for o in range(W.shape[0])]
        if li < ex.n_layers - 1:
            a = _fr(ex.slope)
            h = [t if t >= 0 else a * t for t in h]
    return h
