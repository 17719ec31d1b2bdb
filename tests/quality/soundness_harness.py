"""Differential soundness harness (issue 11): moecheck's verdicts against an independent oracle.

Hypothesis generates claims of six kinds; each is decided by moecheck (through its user-facing engines and
checks) and judged by ``tests.oracles.arb_oracle`` (python-flint ``arb`` balls at 256 bits, exact rationals,
exhaustive exact routing), which never calls moecheck's evaluators:

* ``enclosure``: sup over a box of |f - a.x - c| <= B for a formula f from the grammar (poles, kinks,
  near-singular powers, tiny offsets, decimal and binary constants); CERTIFIED from the target enclosures,
  FAIL from an exactly replayed sample point. The oracle also checks every enclosure contains f.
* ``lipschitz``: |f(x) - f(y)| <= L ||x - y||_2 on a box (``certified_lipschitz``).
* ``realness``: every sqrt/log/fractional or symbolic power argument is in its domain (``prove_real_on_domain``).
* ``symbolic``: identities that are true only for positive symbols, quadratic relations over signed and integer
  ranges with bounds just above and below the truth, limits at +-oo (the ``symbolic_*`` checks).
* ``routing``: expert path counts (``certified_routing`` with ``n_paths``) of linear-gate top-1/top-2 and
  tree-routed MoEs with near-ties and tie-only routes; truth by exhaustive exact routing (1-D: every tie point
  and every interval between them; 2-D: an exact rational grid plus the tie-line vertices, a lower bound).
* ``sup_error``: sup |p - net| <= B for 1-D top-1 MoEs (affine or one-hidden-layer experts, some with gate
  weights ~1e16) against quadratics; truth exact (the net is affine between exact breakpoints); when the
  certificate says it covers float64 as executed, the float64 export is checked too.

A *false CERTIFIED* is a CERTIFIED verdict on a claim the oracle refutes (or an enclosure the oracle
leaves); a *false FAIL* is a FAIL whose witness does not replay as a violation in the oracle, or a FAIL on
a claim the oracle proves. ``run`` returns one record per case; ``summary`` aggregates them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.oracles.arb_oracle import (
    Undefined,
    arb_eval,
    exact_forward,
    exact_routes_only,
    real_arguments_negative,
    to_arb,
)

X = tuple(sp.Symbol(f"x{i}", real=True) for i in range(2))


@dataclass
class Case:
    kind: str
    verdict: str  # CERTIFIED | FAIL | UNKNOWN (an input the engine rejects counts as UNKNOWN)
    truth: str  # "true" | "false" | "unknown" (what the oracle proves about the claim)
    false_certified: bool = False
    false_fail: bool = False
    note: str = ""


# ------------------------------------------------------------------------------------------ formulas
_DECIMALS = [sp.Rational(1, 10), sp.Rational(3, 10), sp.Rational(7, 1000), sp.Float(0.1), sp.Float(0.3), sp.Float(2.5)]


def _leaf(n_in):
    return st.one_of(
        st.sampled_from([("x", i) for i in range(n_in)]),
        st.integers(-3, 3).map(lambda k: ("int", k)),
        st.sampled_from(range(len(_DECIMALS))).map(lambda k: ("dec", k)),
    )


_UNARY = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "exp": lambda u: sp.exp(u / 2),
    "log": sp.log,
    "sqrt": sp.sqrt,
    "atan": sp.atan,
    "tanh": sp.tanh,
    "abs": sp.Abs,
    "inv": lambda u: 1 / u,
    "cbrt": lambda u: u ** sp.Rational(1, 3),
    "pow32": lambda u: u ** sp.Rational(3, 2),
    "atantan": lambda u: sp.atan(sp.tan(u)),
    "logtiny": lambda u: sp.log(u + sp.Rational(1, 10**9)),
    "sqrttiny": lambda u: sp.sqrt(u - sp.Rational(1, 10**9)),
    "sq": lambda u: u**2,
    "neg": lambda u: -u,
    "triple": lambda u: 3 * u,
    "half": lambda u: u + sp.Rational(1, 2),
}
_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "max": sp.Max,
    "min": sp.Min,
}


def build(tree) -> sp.Expr:
    """The sympy formula of a generated tree (built only when a case is decided: drawing stays cheap)."""
    tag = tree[0]
    if tag == "x":
        return X[tree[1]]
    if tag == "int":
        return sp.Integer(tree[1])
    if tag == "dec":
        return _DECIMALS[tree[1]]
    if tag in _UNARY:
        return _UNARY[tag](build(tree[1]))
    a, b = build(tree[1]), build(tree[2])
    try:
        return _BINARY[tag](a, b)
    except (TypeError, ValueError):  # Max/Min of a non-real constant (log(-2)): not a formula of the grammar
        return a + b


def formulas(n_in: int, depth: int = 3):
    """Formula trees (``build`` makes them sympy): leaves x_i, small integers, decimal and binary constants;
    unary nodes with poles, kinks and near-singular powers; + - * Max Min."""
    base = _leaf(n_in)
    if depth == 0:
        return base
    sub = formulas(n_in, depth - 1)
    return st.one_of(
        base, st.tuples(st.sampled_from(sorted(_UNARY)), sub), st.tuples(st.sampled_from(sorted(_BINARY)), sub, sub)
    )


def _supported(f) -> bool:
    return bool(f.free_symbols) and not f.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I) and f.is_real is not False


_SPECIAL = [0.0, math.pi / 2, -math.pi / 2, 3 * math.pi / 2, 1.0, -1.0, 0.5]  # poles, kinks, branch points


def _coordinate():
    return st.one_of(
        st.floats(-3, 3),
        st.tuples(st.sampled_from(_SPECIAL), st.sampled_from([0.0, 1e-9, -1e-7, 0.01])).map(lambda t: t[0] + t[1]),
    )


def _boxes(n_in):
    return st.tuples(
        st.lists(_coordinate(), min_size=n_in, max_size=n_in), st.sampled_from([1e-6, 1e-3, 0.1, 1.0, 3.0])
    )


def _points(lo, hi, rng, n=16):
    """Corners, centre and random float points of the box, as exact Fractions."""
    n_in = lo.size
    # corners exactly (lo + (hi - lo) may round above hi: a point outside the box is no test of it)
    pts = [np.where((np.arange(2**n_in)[j] >> np.arange(n_in)) & 1, hi, lo) for j in range(2**n_in)]
    pts += [np.clip(0.5 * (lo + hi), lo, hi)] + [np.clip(lo + (hi - lo) * rng.random(n_in), lo, hi) for _ in range(n)]
    return [tuple(Fraction(float(v)) for v in p) for p in pts]


def _env(p):
    return {f"x{i}": v for i, v in enumerate(p)}


def _safe_eval(f, p):
    try:
        return arb_eval(f, _env(p))
    except (Undefined, ZeroDivisionError, ValueError, OverflowError):
        return None


# ------------------------------------------------------------------------------------------ kind: enclosure
@st.composite
def enclosure_cases(draw):
    n_in = draw(st.sampled_from([1, 1, 2]))
    f = draw(formulas(n_in))
    centre, width = draw(_boxes(n_in))
    a = draw(st.lists(st.sampled_from([0.0, 1.0, -0.5, 0.25, 3.0]), min_size=n_in, max_size=n_in))
    c = draw(st.sampled_from([0.0, 0.1, -1.0]))
    factor = draw(st.sampled_from([1 - 1e-6, 1 + 1e-6, 1.01, 2.0]))
    return f, n_in, np.array(centre), width, np.array(a), c, factor, draw(st.integers(0, 2**31))


def residual_as_written(f, a, c):
    """f - a.x - c for the oracle, as written: a and c as exact rationals (the float64 values the engine
    gets), nothing evaluated. Plain sympy arithmetic would fold the float constants of f and c into one
    rounded Float (Max(2.5, x1 - 2.5) - 2.5 - 0.1 -> Max(...) - 2.6), an oracle error of ~1e-16 that once
    showed as a false CERTIFIED."""
    terms = [sp.Mul(-sp.Rational(float(ai)), X[i], evaluate=False) for i, ai in enumerate(a)]
    return sp.Add(f, *terms, sp.Rational(-float(c)), evaluate=False)


def enclosure_case(f, n_in, centre, width, a, c, factor, seed) -> Case | None:
    from proofs import InvalidInput
    from proofs.formula import affine_residual_bounds, compile_target, exact_value, mpf_to_fraction

    f = build(f)
    if not _supported(f):
        return None
    lo, hi = centre - width / 2, centre + width / 2
    rng = np.random.default_rng(seed)
    pts = _points(lo, hi, rng)
    h = residual_as_written(f, a, c)  # the residual, in the oracle
    vals = [(p, _safe_eval(h, p)) for p in pts]
    vals = [(p, v) for p, v in vals if v is not None]
    if not vals:
        return None
    sup_lo = max((abs(v).lower() for _, v in vals), key=lambda t: t)
    B = float(sup_lo) * factor if float(sup_lo) > 0 else 1e-12 * factor
    try:
        t = compile_target([f], list(X[:n_in]))
        low, up = affine_residual_bounds(t, lo[None], hi[None], a[None], np.array([c]))
    except InvalidInput:
        return Case("enclosure", "UNKNOWN", "unknown", note="input rejected")
    low, up = float(low[0]), float(up[0])
    # the enclosure claim itself: every defined value lies in [low, up]
    missed = [(p, v) for p, v in vals if v < low or v > up]
    outside = bool(missed)
    truth = "false" if any(abs(v) > B for _, v in vals) else "unknown"
    verdict, false_fail = "UNKNOWN", False
    if math.isfinite(low) and math.isfinite(up) and max(abs(low), abs(up)) <= B:
        verdict = "CERTIFIED"
    else:  # the engine's refuter: the sample point with the largest float |h|, replayed by exact_value
        best = max(pts, key=lambda p: _float_abs(t, p, a, c))
        try:
            lo_v, hi_v = exact_value(f, list(X[:n_in]), list(best))
            lo_f, hi_f = mpf_to_fraction(lo_v), mpf_to_fraction(hi_v)
            lin = sum(Fraction(float(ai)) * best[i] for i, ai in enumerate(a)) + Fraction(float(c))
            if lo_f - lin > Fraction(B) or hi_f - lin < -Fraction(B):
                verdict = "FAIL"
                w = _safe_eval(h, best)
                false_fail = w is None or not (abs(w) > B)
        except (InvalidInput, ValueError, ArithmeticError):
            pass
    return Case(
        "enclosure",
        verdict,
        truth,
        false_certified=outside or (verdict == "CERTIFIED" and truth == "false"),
        false_fail=false_fail,
        note=f"enclosure [{low!r}, {up!r}] misses h = {missed[0][1]} at {missed[0][0]} for f = {f}, box "
        f"[{lo.tolist()}, {hi.tolist()}], a = {a.tolist()}, c = {c}"
        if outside
        else "",
    )


def _float_abs(t, p, a, c):
    with np.errstate(all="ignore"):
        v = t.eval(np.array([[float(x) for x in p]]))[0, 0] - float(np.dot(a, [float(x) for x in p])) - c
    return abs(v) if np.isfinite(v) else -1.0


# ------------------------------------------------------------------------------------------ kind: lipschitz
@st.composite
def lipschitz_cases(draw):
    n_in = draw(st.sampled_from([1, 1, 2]))
    f = draw(formulas(n_in, 2))
    centre, width = draw(_boxes(n_in))
    factor = draw(st.sampled_from([1 - 1e-3, 1 + 1e-3, 1.5, 4.0]))
    return f, n_in, np.array(centre), min(width, 1.0), factor


def lipschitz_case(f, n_in, centre, width, factor) -> Case | None:
    from proofs import InvalidInput, Status
    from proofs.formula import certified_lipschitz, compile_target

    f = build(f)
    if not _supported(f):
        return None
    lo, hi = centre - width / 2, centre + width / 2
    k = 17 if n_in == 1 else 7
    axes = [np.linspace(lo[i], hi[i], k) for i in range(n_in)]
    grid = [tuple(Fraction(float(v)) for v in p) for p in np.array(np.meshgrid(*axes)).reshape(n_in, -1).T]
    vals = {p: _safe_eval(f, p) for p in grid}
    if any(v is None for v in vals.values()):
        return None  # f is not real/finite on the whole box: not a Lipschitz claim
    slope = to_arb(0)
    steps = [tuple(Fraction(float((hi[i] - lo[i]) / (k - 1))) * (i == j) for i in range(n_in)) for j in range(n_in)]
    for p, v in vals.items():
        for s in steps:
            q = tuple(a + b for a, b in zip(p, s))
            if q in vals:
                d = _norm2(p, q)
                slope = slope.max(abs(vals[q] - v) / d)
    L = max(float(slope.lower()) * factor, 1e-9)
    try:
        t = compile_target([f], list(X[:n_in]))
        res = certified_lipschitz(t, lo, hi, L, max_boxes=3000, time_budget=0.3)
    except InvalidInput:
        return Case("lipschitz", "UNKNOWN", "unknown", note="input rejected")
    truth = "false" if slope > L else "unknown"
    verdict = {Status.PROVED: "CERTIFIED", Status.REFUTED: "FAIL"}.get(res.status, "UNKNOWN")
    false_fail = False
    if verdict == "FAIL":
        x, y = res.witness
        fx, fy = _safe_eval(f, x), _safe_eval(f, y)
        false_fail = fx is None or fy is None or not (abs(fx - fy) > to_arb(Fraction(L)) * _norm2(x, y))
    return Case(
        "lipschitz", verdict, truth, false_certified=verdict == "CERTIFIED" and truth == "false", false_fail=false_fail
    )


def _norm2(p, q):
    return sum((to_arb(a - b) ** 2 for a, b in zip(p, q)), to_arb(0)).sqrt()


# ------------------------------------------------------------------------------------------ kind: realness
@st.composite
def realness_cases(draw):
    x0, x1 = X
    tiny = draw(st.sampled_from([sp.Integer(0), sp.Rational(1, 10**9), sp.Rational(-1, 10**9), sp.Rational(1, 3)]))
    inner = draw(
        st.sampled_from(
            [
                x0 - tiny,
                x0 + x1 - tiny,
                x0 * x1 + tiny,
                sp.sin(3 * x0) + tiny,
                x0**2 - tiny,
                1 - x0 - tiny,
                x1 - x0**2 + tiny,
            ]
        )
    )
    outer = draw(
        st.sampled_from(
            [
                sp.sqrt(inner),
                sp.log(inner + sp.Rational(1, 10**12)),
                inner ** sp.Rational(1, 3),
                inner ** sp.Rational(-1, 2),
                inner**x1,
                inner ** (x1 + sp.Rational(1, 2)),
                sp.sqrt(sp.Abs(inner)) + sp.log(1 + inner**2),
            ]
        )
    )
    lo = draw(st.sampled_from([0.0, -1e-9, 1e-9, -0.5, 0.25]))
    w = draw(st.sampled_from([1e-6, 0.5, 1.0, 2.0]))
    return outer, lo, w


def realness_case(f, lo0, w) -> Case | None:
    from proofs import InvalidInput, Status
    from proofs.formula import prove_real_on_domain

    if not _supported(f):
        return None
    lo, hi = np.array([lo0, lo0]), np.array([lo0 + w, lo0 + w])
    axes = [np.linspace(lo[i], hi[i], 9) for i in range(2)]
    grid = [tuple(Fraction(float(v)) for v in p) for p in np.array(np.meshgrid(*axes)).reshape(2, -1).T]
    truth = "false" if any(real_arguments_negative(f, _env(p)) for p in grid) else "unknown"
    try:
        res = prove_real_on_domain([f], list(X), lo, hi)
    except InvalidInput:
        return Case("realness", "UNKNOWN", truth, note="input rejected")
    verdict = {Status.PROVED: "CERTIFIED", Status.REFUTED: "FAIL"}.get(res.status, "UNKNOWN")
    false_fail = verdict == "FAIL" and not real_arguments_negative(f, _env(res.point))
    return Case(
        "realness", verdict, truth, false_certified=verdict == "CERTIFIED" and truth == "false", false_fail=false_fail
    )


# ------------------------------------------------------------------------------------------ kind: symbolic
_x, _y = sp.Symbol("x"), sp.Symbol("y")
_IDENTITIES = [  # (lhs, rhs): true for positive symbols only, or always
    (sp.log(_x**2), 2 * sp.log(_x)),
    (sp.sqrt(_x**2), _x),
    (sp.sqrt(_x * _y), sp.sqrt(_x) * sp.sqrt(_y)),
    (sp.exp(sp.log(_x)), _x),
    (sp.log(_x * _y), sp.log(_x) + sp.log(_y)),
    ((_x**3) ** sp.Rational(1, 3), _x),
    (sp.Abs(_x), _x),
    ((_x + 1) ** 2, _x**2 + 2 * _x + 1),
    (sp.sin(_x) ** 2 + sp.cos(_x) ** 2, sp.Integer(1)),
    ((_x**2) ** sp.Rational(3, 2), _x**3),
    (sp.log(_x / _y), sp.log(_x) - sp.log(_y)),
]
_SIGNED = [(-2, -1), (-1, 1), (1, 2), (0, 3), ("1/1000", 5), (-5, "-1/1000")]


@st.composite
def symbolic_cases(draw):
    sort = draw(st.sampled_from(["identity", "relation", "relation", "integer", "limit"]))
    if sort == "identity":
        lhs, rhs = draw(st.sampled_from(_IDENTITIES))
        rx, ry = draw(st.sampled_from(_SIGNED)), draw(st.sampled_from(_SIGNED))
        return sort, (lhs, rhs, rx, ry)
    if sort in ("relation", "integer"):
        a = draw(st.integers(-4, 4).filter(bool))
        b, c = draw(st.integers(-9, 9)), draw(st.integers(-9, 9))
        lo = draw(st.integers(-10, 5))
        w = draw(st.sampled_from([1, 3, 10, 10**6]) if sort == "integer" else st.sampled_from([1, 3, 10]))
        shift = draw(
            st.sampled_from(
                [Fraction(0), Fraction(1, 10**3), Fraction(-1, 10**3), Fraction(1, 10**9), Fraction(-1, 10**9)]
            )
        )
        return sort, (a, b, c, lo, lo + w, shift)
    kind = draw(st.sampled_from(["exp", "ratio", "absratio", "atan"]))
    a = draw(st.integers(-3, 3).filter(bool))
    point = draw(st.sampled_from([sp.oo, -sp.oo]))
    wrong = draw(st.booleans())
    return sort, (kind, a, point, wrong)


def _limit_truth(kind, a, point):
    s = 1 if point is sp.oo else -1
    if kind == "exp":
        return sp.oo if a * s > 0 else sp.Integer(0), sp.exp(a * _x)
    if kind == "ratio":
        return sp.Rational(a, 2), (a * _x**2 + 1) / (2 * _x**2 + 3)
    if kind == "absratio":
        return sp.Integer(s * (1 if a > 0 else -1)), a * sp.sqrt(_x**2) / (abs(a) * _x)
    return s * sp.pi / 2, sp.atan(a * _x) * (1 if a > 0 else -1)


def symbolic_case(sort, data) -> Case:
    from checkers.checks import CheckContext, get_check
    from proofs import Claim

    def run(check, args):
        claim = Claim(name="harness", check=check, statement="harness claim", args=args)
        return get_check(check)(claim, {}, CheckContext(timeout=30))

    if sort == "identity":
        lhs, rhs, rx, ry = data
        ranges = {"x": tuple(sp.sympify(v) for v in rx), "y": tuple(sp.sympify(v) for v in ry)}
        out = run("symbolic_identity", {"lhs": lhs, "rhs": rhs, "ranges": ranges})
        pts = _range_points(ranges)
        bad = [p for p in pts if _identity_differs(lhs, rhs, p)]
        truth = "false" if bad else "unknown"
        ff = out.verdict.name == "FAIL" and not _identity_differs(lhs, rhs, _point_of(out.evidence.point))
        return Case(
            "symbolic",
            out.verdict.name,
            truth,
            out.verdict.name == "CERTIFIED" and truth == "false",
            ff,
            note="identity",
        )
    if sort in ("relation", "integer"):
        a, b, c, lo, hi, shift = data
        p = a * _x**2 + b * _x
        m = _quadratic_min(a, b, lo, hi, integer=sort == "integer")
        bound = m + shift  # claim: bound <= p(x) on the range (true iff shift <= 0)
        args = {"lhs": sp.Rational(bound.numerator, bound.denominator), "rhs": p, "ranges": {"x": (lo, hi)}}
        if sort == "integer":
            args["integers"] = ("x",)
        out = run("symbolic_relation", args)
        truth = "true" if shift <= 0 else "false"
        ff = out.verdict.name == "FAIL" and (truth == "true" or not _relation_violated(a, b, bound, out.evidence.point))
        return Case(
            "symbolic", out.verdict.name, truth, out.verdict.name == "CERTIFIED" and truth == "false", ff, note=sort
        )
    kind, a, point, wrong = data
    value, expr = _limit_truth(kind, a, point)
    expected = (
        (-value if value not in (0, sp.oo) else (sp.Integer(1) if value == 0 else sp.Integer(0))) if wrong else value
    )
    exp_arg = "infinite" if expected is sp.oo else expected
    out = run("symbolic_limit", {"expr": expr, "var": "x", "point": point, "expected": exp_arg})
    truth = "false" if wrong else "true"
    return Case(
        "symbolic",
        out.verdict.name,
        truth,
        out.verdict.name == "CERTIFIED" and truth == "false",
        out.verdict.name == "FAIL" and truth == "true",
        note="limit",
    )


def _range_points(ranges):
    vals = {}
    for n, (a, b) in ranges.items():
        a, b = Fraction(str(a)), Fraction(str(b))
        vals[n] = [a, b, (a + b) / 2, a + (b - a) / 7, b - (b - a) / 3]
    return [{"x": u, "y": v} for u in vals["x"] for v in vals["y"]]


def _point_of(strings):
    out = {}
    for s in strings or ():
        k, v = s.split("=", 1)
        out[k.strip()] = Fraction(v.strip())
    return out


def _identity_differs(lhs, rhs, p) -> bool:
    try:
        left = arb_eval(lhs, p)
    except (Undefined, KeyError):
        left = None
    try:
        right = arb_eval(rhs, p)
    except (Undefined, KeyError):
        right = None
    if left is None and right is None:
        return False
    if left is None or right is None:
        return True  # one side real, the other not: not a real identity there
    return bool(abs(left - right) > 0)


def _quadratic_min(a, b, lo, hi, integer=False) -> Fraction:
    def p(t):
        return a * t * t + b * t

    cands = [Fraction(lo), Fraction(hi)]
    v = Fraction(-b, 2 * a)
    if lo < v < hi:
        cands += [Fraction(math.floor(v)), Fraction(math.ceil(v))] if integer else [v]
    return min(p(t) for t in cands if lo <= t <= hi)


def _relation_violated(a, b, bound, point) -> bool:
    pt = _point_of(point)
    if "x" not in pt:
        return False
    t = pt["x"]
    return a * t * t + b * t < bound


# ------------------------------------------------------------------------------------------ kind: routing
def routing_net(seed: int = 0, dim: int = 1, style: str = "gate1"):
    """A small MoE (seeded) for the routing cases; a Built on [-1, 1]^dim."""
    from constructions import Built, LinearGate, NetBuilder, StackedExperts, dyadic_tree_router

    rng = np.random.default_rng(seed)
    b = NetBuilder(dim)
    ex = lambda E: StackedExperts((np.ones((E, 1, dim)),), (np.arange(E, dtype=float)[:, None],))  # noqa: E731
    if style == "tree":
        r = dyadic_tree_router(dim, int(rng.integers(1, 3)), lo=-1.0, hi=1.0)
        out = b.moe(b.input, r, ex(r.n_experts))
    elif style == "twogate":  # tie-only routes: two gates with opposite tie-breaking
        E = int(rng.integers(2, 4))
        W = rng.integers(-2, 3, (E, dim)).astype(float)
        c = rng.integers(-2, 3, E).astype(float) / 4
        m1 = b.moe(b.input, LinearGate(W, c), ex(E))
        m2 = b.moe(b.input, LinearGate(-W[::-1].copy(), -c[::-1].copy()), ex(E))
        out = b.concat([m1, m2])
    else:
        E = int(rng.integers(2, 5))
        W = rng.integers(-3, 4, (E, dim)).astype(float)
        c = rng.integers(-4, 5, E).astype(float) / 4
        if rng.random() < 0.3:  # a thin region: two nearly tied experts
            W[1], c[1] = W[0], c[0] + 2.0**-30
        out = b.moe(b.input, LinearGate(W, c, k=2 if style == "gate2" and E > 2 else 1), ex(E))
    net = b.build(out)
    target = tuple(sp.Integer(0) for _ in range(net.n_out))
    return Built(net=net, target=target, variables=X[:dim], domain_lo=(-1.0,) * dim, domain_hi=(1.0,) * dim)


def _oracle_routes(net, dim):
    """Routes of the forward at exact points: 1-D every tie/threshold point and every gap (exact set);
    2-D an exact grid plus pairwise tie-line vertices (a lower bound). Returns (routes, exact)."""
    pts = set()
    cuts = {Fraction(-1), Fraction(1)}
    lines = []
    for v in net.moe_nodes():
        r = net.spec(v).router
        if hasattr(r, "centres"):
            for c in r.centres:
                for row in np.asarray(c):
                    for i in range(dim):
                        lines.append(([Fraction(int(i == j)) for j in range(dim)], -Fraction(float(row[i]))))
            continue
        W = np.asarray(r.weight)
        bias = np.zeros(W.shape[0]) if r.bias is None else np.asarray(r.bias)
        for i in range(W.shape[0]):
            for j in range(i + 1, W.shape[0]):
                d = [Fraction(float(W[i, k])) - Fraction(float(W[j, k])) for k in range(dim)]
                lines.append((d, Fraction(float(bias[i])) - Fraction(float(bias[j]))))
    if dim == 1:
        for d, e in lines:
            if d[0] != 0 and -1 <= -e / d[0] <= 1:
                cuts.add(-e / d[0])
        cs = sorted(cuts)
        pts |= {(t,) for t in cs} | {((a + b) / 2,) for a, b in zip(cs, cs[1:])}
        exact = True
    else:
        grid = [Fraction(k, 16) - 1 for k in range(33)]
        pts |= {(u, v) for u in grid for v in grid}
        for d1, e1 in lines:
            for d2, e2 in lines:
                det = d1[0] * d2[1] - d1[1] * d2[0]
                if det != 0:
                    u = (-e1 * d2[1] + e2 * d1[1]) / det
                    v = (-d1[0] * e2 + d2[0] * e1) / det
                    if -1 <= u <= 1 and -1 <= v <= 1:
                        pts.add((u, v))
        exact = False
    return {exact_routes_only(net, list(p)) for p in pts}, exact


@st.composite
def routing_cases(draw):
    dim = draw(st.sampled_from([1, 1, 2]))
    style = draw(st.sampled_from(["gate1", "gate1", "gate2", "tree", "twogate"]))
    return (
        draw(st.integers(0, 10**6)),
        dim,
        style,
        draw(st.sampled_from([-1, 0, 0, 1])),
        draw(st.sampled_from(["ge", "eq"])),
    )


def routing_case(seed, dim, style, offset, rel) -> Case:
    from checkers.checks import CheckContext, get_check
    from proofs import Claim

    built = routing_net(seed, dim, style)
    routes, exact = _oracle_routes(built.net, dim)
    want = len(routes) + offset
    if want < 1:
        want = 1
    claim = Claim(
        name="harness",
        check="certified_routing",
        statement="harness paths",
        args={
            "construction": "tests.quality.soundness_harness:routing_net",
            "n_paths": want,
            "paths_relation": rel,
            "max_boxes": 512,
            "time_budget": 3.0,
        },
    )
    out = get_check("certified_routing")(claim, {"seed": seed, "dim": dim, "style": style}, CheckContext(timeout=30))
    n = len(routes)
    if exact:
        holds = n >= want if rel == "ge" else n == want
        truth = "true" if holds else "false"
    else:  # n is a lower bound of the true count
        truth = "true" if (rel == "ge" and n >= want) else ("false" if rel == "eq" and n > want else "unknown")
    v = out.verdict.name
    return Case(
        "routing",
        v,
        truth,
        v == "CERTIFIED" and truth == "false",
        v == "FAIL" and truth == "true",
        note=f"{style} dim={dim}",
    )


# ------------------------------------------------------------------------------------------ kind: sup_error
def sup_net(seed: int = 0, huge: bool = False):
    """A 1-D top-1 MoE on [-1, 1] (affine or one-hidden-layer experts, dyadic weights) against x**2 - x/3."""
    from constructions import Built, LinearGate, NetBuilder, StackedExperts

    rng = np.random.default_rng(seed)
    E = int(rng.integers(2, 5))
    W = rng.integers(-3, 4, (E, 1)).astype(float)
    c = rng.integers(-4, 5, E).astype(float) / 4
    if huge:
        W, c = W * 1e16, c * 1e16 + rng.integers(0, 2, E)
    b = NetBuilder(1)
    if rng.random() < 0.5:
        ex = StackedExperts((rng.integers(-8, 9, (E, 1, 1)) / 8.0,), (rng.integers(-8, 9, (E, 1)) / 8.0,))
    else:
        ex = StackedExperts(
            (rng.integers(-8, 9, (E, 2, 1)) / 4.0, rng.integers(-8, 9, (E, 1, 2)) / 4.0),
            (rng.integers(-8, 9, (E, 2)) / 8.0, rng.integers(-8, 9, (E, 1)) / 8.0),
        )
    net = b.build(b.moe(b.input, LinearGate(W, c), ex))
    return Built(net=net, target=(X[0] ** 2 - X[0] / 3,), variables=(X[0],), domain_lo=(-1.0,), domain_hi=(1.0,))


def _sup_truth(net) -> Fraction:
    """Exact sup over [-1, 1] of |x^2 - x/3 - net(x)|: the net is affine between its breakpoints."""
    spec = net.spec(net.moe_nodes()[0])
    W, c = np.asarray(spec.router.weight)[:, 0], np.asarray(spec.router.bias)
    cuts = {Fraction(-1), Fraction(1)}
    for i in range(len(W)):
        for j in range(i + 1, len(W)):
            if W[i] != W[j]:
                cuts.add(
                    -(Fraction(float(c[i])) - Fraction(float(c[j]))) / (Fraction(float(W[i])) - Fraction(float(W[j])))
                )
    ex = spec.experts
    if ex.n_layers == 2:
        for e in range(ex.n_experts):
            for h in range(np.asarray(ex.weights[0]).shape[1]):
                w = Fraction(float(ex.weights[0][e, h, 0]))
                if w != 0:
                    cuts.add(-Fraction(float(ex.biases[0][e, h])) / w)
    cs = sorted(t for t in cuts if -1 <= t <= 1)
    best = Fraction(0)

    def p(t):
        return t * t - t / 3

    for u, v in zip(cs, cs[1:]):
        m = (u + v) / 2
        # the affine piece on (u, v): evaluated inside, extended to the closed interval by continuity
        q1, q2 = u + (v - u) / 3, u + 2 * (v - u) / 3
        y1, y2 = exact_forward(net, [q1])[0], exact_forward(net, [q2])[0]
        slope = (y2 - y1) / (q2 - q1)
        icpt = y1 - slope * q1
        for t in [u, v] + ([(slope + Fraction(1, 3)) / 2] if u < (slope + Fraction(1, 3)) / 2 < v else []):
            best = max(best, abs(p(t) - slope * t - icpt))
        del m
    for t in cs:  # the routes taken at the breakpoints themselves (ties to the lowest index)
        best = max(best, abs(p(t) - exact_forward(net, [t])[0]))
    return best


@st.composite
def sup_cases(draw):
    return (
        draw(st.integers(0, 10**6)),
        draw(st.sampled_from([False, False, False, True])),
        draw(
            st.sampled_from(
                [Fraction(-1, 10**3), Fraction(-1, 10**7), Fraction(0), Fraction(1, 10**7), Fraction(1, 10**3)]
            )
        ),
    )


def sup_case(seed, huge, rel) -> Case:
    import torch

    from checkers.checks import CheckContext, get_check
    from constructions import compile_net
    from proofs import Claim

    built = sup_net(seed, huge)
    T = _sup_truth(built.net)
    B = T * (1 + rel)
    claim = Claim(
        name="harness",
        check="certified_sup_error",
        statement="harness sup",
        args={
            "construction": "tests.quality.soundness_harness:sup_net",
            "bound": sp.Rational(B.numerator, B.denominator),
            "time_budget": 2.0,
            "max_boxes": 4096,
        },
    )
    out = get_check("certified_sup_error")(claim, {"seed": seed, "huge": huge}, CheckContext(timeout=30))
    v = out.verdict.name
    truth = "true" if T <= B else "false"
    fc = v == "CERTIFIED" and truth == "false"
    if v == "CERTIFIED" and out.evidence.extra.get("float64_covered"):
        xs = np.linspace(-1, 1, 2001)
        y = compile_net(built.net)(torch.tensor(xs[:, None])).numpy()[:, 0]
        errs = [abs(Fraction(float(x)) ** 2 - Fraction(float(x)) / 3 - Fraction(float(t))) for x, t in zip(xs, y)]
        fc = fc or max(errs) > B
    ff = v == "FAIL" and (truth == "true" or not _witness_violates(built.net, out.evidence.point, B))
    return Case("sup_error", v, truth, fc, ff, note="huge gate" if huge else "")


def _witness_violates(net, point, B) -> bool:
    try:
        x = Fraction(point[0])
        return abs(x * x - x / 3 - exact_forward(net, [x])[0]) > B
    except (TypeError, ValueError, IndexError, Undefined):
        return False


# ------------------------------------------------------------------------------------------ driver
KINDS = {
    "enclosure": (enclosure_cases, lambda c: enclosure_case(*c)),
    "lipschitz": (lipschitz_cases, lambda c: lipschitz_case(*c)),
    "realness": (realness_cases, lambda c: realness_case(*c)),
    "symbolic": (symbolic_cases, lambda c: symbolic_case(*c)),
    "routing": (routing_cases, lambda c: routing_case(*c)),
    "sup_error": (sup_cases, lambda c: sup_case(*c)),
}


def run_kind(kind: str, n: int, seed: int = 0) -> list[Case]:
    """``n`` generated cases of ``kind`` (cases the oracle cannot pose, e.g. f not real anywhere, are drawn
    again, in further rounds with other seeds)."""
    import hypothesis

    strategy, decide = KINDS[kind]
    out: list[Case] = []
    for round_ in range(20):
        left = n - len(out)
        if left <= 0:
            break

        @settings(
            max_examples=left + left // 4 + 2,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy())
        def one(case):
            if len(out) < n:
                res = decide(case)
                if res is not None:
                    out.append(res)

        hypothesis.seed(seed * 1000 + round_)(one)()
    return out


def run(counts: dict, seed: int = 0) -> list[Case]:
    cases = []
    for kind, n in counts.items():
        t0 = time.monotonic()
        got = run_kind(kind, n, seed)
        cases += got
        print(f"{kind}: {len(got)} cases in {time.monotonic() - t0:.1f} s", flush=True)
    return cases


def summary(cases: list[Case]) -> dict:
    def block(cs):
        verdicts = {v: sum(c.verdict == v for c in cs) for v in ("CERTIFIED", "FAIL", "UNKNOWN")}
        # a claim is false when the oracle refutes it, or when a FAIL witness replays as a violation in the oracle
        false_claims = [c for c in cs if c.truth == "false" or (c.verdict == "FAIL" and not c.false_fail)]
        return {
            "cases": len(cs),
            "false_certified": sum(c.false_certified for c in cs),
            "false_fail": sum(c.false_fail for c in cs),
            "verdicts": verdicts,
            "false_claims": len(false_claims),
            "false_claims_refuted": sum(c.verdict == "FAIL" for c in false_claims),
            "false_claims_unknown": sum(c.verdict == "UNKNOWN" for c in false_claims),
            "share_false_refuted": round(sum(c.verdict == "FAIL" for c in false_claims) / len(false_claims), 4)
            if false_claims
            else None,
        }

    out = block(cases)
    out["by_kind"] = {k: block([c for c in cases if c.kind == k]) for k in KINDS if any(c.kind == k for c in cases)}
    out["examples_false"] = [c.__dict__ for c in cases if c.false_certified or c.false_fail][:20]
    return out


FULL = {"enclosure": 5700, "realness": 1800, "lipschitz": 1000, "symbolic": 300, "routing": 1000, "sup_error": 300}
QUICK = {"enclosure": 120, "realness": 50, "lipschitz": 30, "symbolic": 10, "routing": 25, "sup_error": 8}


def main(argv=None) -> int:
    """``make soundness``: the full run (>= 10,000 cases), written to results/soundness.json."""
    import argparse
    import json
    import platform
    from pathlib import Path

    p = argparse.ArgumentParser(description="differential soundness harness (issue 11)")
    p.add_argument("--out", default="results/soundness.json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=1.0, help="multiply every kind's case count")
    args = p.parse_args(argv)
    t0 = time.monotonic()
    cases = run({k: max(1, int(n * args.scale)) for k, n in FULL.items()}, seed=args.seed)
    s = summary(cases)
    out = {
        "cases": s.pop("cases"),
        "false_certified": s.pop("false_certified"),
        "false_fail": s.pop("false_fail"),
        "cases_by_kind": {k: v["cases"] for k, v in s["by_kind"].items()},
        "verdicts": s.pop("verdicts"),
        "false_claims": s.pop("false_claims"),
        "false_claims_refuted": s.pop("false_claims_refuted"),
        "false_claims_unknown": s.pop("false_claims_unknown"),
        "share_false_refuted": s.pop("share_false_refuted"),
        **s,
        "seed": args.seed,
        "seconds": round(time.monotonic() - t0, 1),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "oracle": "python-flint arb (256 bits), exact rationals, exhaustive exact routing (1-D exact, 2-D grid)",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(
        f"{out['cases']} cases: {out['false_certified']} false CERTIFIED, {out['false_fail']} false FAIL "
        f"-> {args.out} ({out['seconds']} s)"
    )
    return 0 if out["false_certified"] == 0 and out["false_fail"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
