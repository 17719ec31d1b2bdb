"""Adversarial soundness attacks (review 2): every float bound of IBP/CROWN must contain the exact rational
value of the network at float points of the box (subnormal boxes, huge and tiny weights, cancellation,
zero-width boxes, boxes touching ReLU kinks), and the symbolic definedness guard must not be bypassed."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.certify import bound_net
from constructions import NetBuilder, evaluate_exact

_SUB = 2.0**-1074
_W_ODD = float.fromhex("0x1.fffffffffffffp+996")  # ~1e300, all mantissa bits set: W * 3 is inexact


def _inside(net, nb, i, x):
    y = evaluate_exact(net, [Fraction(v) for v in x])
    for k, v in enumerate(y):
        lo, hi = float(nb.lower[i, k]), float(nb.upper[i, k])
        assert lo == lo and hi == hi, "NaN bound"
        assert lo == -np.inf or Fraction(lo) <= v, (x, k, float(v), lo, hi)
        assert hi == np.inf or v <= Fraction(hi), (x, k, float(v), lo, hi)


@pytest.mark.parametrize("method", ["ibp", "crown", "crown-ibp"])
@pytest.mark.parametrize(
    "l, u",
    [
        (0.0, _SUB),  # c = fl(2^-1075) = 0 and r = 0: the halving lost the whole box
        (3 * _SUB, 3 * _SUB),  # fl(k X) underflowed to 0: zero-width interval around an inexact W x
        (-_SUB, _SUB),
        (0.0, 2.0**-1022),
    ],
)
def test_subnormal_box_times_huge_weight(method, l, u):
    b = NetBuilder(2)
    net = b.build(b.affine(b.input, [[_W_ODD, 1.0], [-_W_ODD, 0.5]], [0.0, 0.0]))
    nb = bound_net(net, np.array([[l, 0.0]]), np.array([[u, 0.0]]), method=method)
    for x in (l, u):
        _inside(net, nb, 0, [x, 0.0])


def _net(rng, sizes, scale, slope, cancel):
    b = NetBuilder(sizes[0])
    h = b.input
    for i, (m, o) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = rng.normal(size=(o, m)) * scale[i % len(scale)]
        if cancel and o > 1:
            W[1] = -W[0] * (1 + 2.0**-52)
        h = b.affine(h, W, rng.normal(size=o) * scale[(i + 1) % len(scale)])
        if i < len(sizes) - 2:
            h = b.prelu(h, slope) if slope else b.relu(h)
    return b.build(h)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    scale=st.lists(st.sampled_from([1e-300, 1e-150, 1e-8, 1.0, 1e8, 1e150, 1e300]), min_size=1, max_size=3),
    slope=st.sampled_from([0.0, 0.0, 0.25, 1.0]),
    cancel=st.booleans(),
    box=st.sampled_from(["point", "sub", "tiny", "unit", "kink"]),
)
def test_exact_values_inside_bounds_extreme(seed, sizes, scale, slope, cancel, box):
    rng = np.random.default_rng(seed)
    net = _net(rng, sizes, scale, slope, cancel)
    n = sizes[0]
    if box == "point":
        lo = rng.uniform(-1, 1, (3, n))
        hi = lo.copy()
    elif box == "sub":
        lo = rng.integers(-3, 3, (3, n)) * _SUB
        hi = lo + rng.integers(0, 3, (3, n)) * _SUB
    elif box == "tiny":
        lo = rng.uniform(-1, 1, (3, n)) * 1e-300
        hi = lo + 1e-300
    elif box == "kink":
        lo = np.zeros((3, n))
        hi = rng.uniform(0, 1, (3, n))
    else:
        lo = rng.uniform(-1, 1, (3, n))
        hi = lo + 0.5
    for method in ("ibp", "crown"):
        nb = bound_net(net, lo, hi, method=method)
        for i in range(3):
            for t in (0.0, 1.0, 0.5):
                x = [float(a + t * (c - a)) for a, c in zip(lo[i], hi[i])]
                x = [min(max(v, a), c) for v, a, c in zip(x, lo[i], hi[i])]
                _inside(net, nb, i, x)


# --- the symbolic definedness guard ---------------------------------------------------------------------

_NEVER_CERTIFIED = [
    ("symbolic_identity", {"lhs": "0*log(x - x)", "rhs": "0", "ranges": {"x": (0, 1)}}),
    ("symbolic_identity", {"lhs": "x**(-1)*x", "rhs": "1", "ranges": {"x": (-1, 1)}}),
    ("symbolic_identity", {"lhs": "x*0 + asin(2*x)*0", "rhs": "0", "ranges": {"x": (0, 1)}}),
    ("symbolic_identity", {"lhs": "Min(sqrt(x), 5)*0", "rhs": "0", "ranges": {"x": (-1, 1)}}),
    ("symbolic_relation", {"lhs": "x", "rhs": "Max(x, sqrt(-1 - x**2))", "ranges": {"x": (-1, 1)}}),
    ("symbolic_relation", {"lhs": "0", "rhs": "Abs(sqrt(x - 1/2))", "ranges": {"x": (0, 1)}}),
    ("symbolic_identity", {"lhs": "x/(x**2 - 2)*0", "rhs": "0", "ranges": {"x": (0, 2)}}),  # irrational root
    ("symbolic_identity", {"lhs": "0/(x - sqrt(2))", "rhs": "0", "ranges": {"x": (1, 2)}}),
    ("symbolic_identity", {"lhs": "0/sin(pi*x)", "rhs": "0", "ranges": {"x": ("1/2", "3/2")}}),
    ("symbolic_identity", {"lhs": "sqrt(-x**2)*0", "rhs": "0", "ranges": {"x": (-1, 1)}}),  # defined at 0 only
    ("symbolic_identity", {"lhs": "0/(x**2 - 2*x + 1)", "rhs": "0", "ranges": {"x": (0, 2)}}),  # double root
    ("symbolic_identity", {"lhs": "0*log(exp(x) - 1 - x)", "rhs": "0", "ranges": {"x": ("-7/10", "13/10")}}),
    ("symbolic_identity", {"lhs": "0*(x*y - 1/7)**(-1)", "rhs": "0", "ranges": {"x": (0, 1), "y": (0, 1)}}),
    ("symbolic_identity", {"lhs": "0*tan(x)", "rhs": "0", "ranges": {"x": (0, 2)}}),
    ("symbolic_identity", {"lhs": "0*x**y", "rhs": "0", "ranges": {"x": (-1, 1), "y": ("1/3", "1/2")}}),
    ("symbolic_identity", {"lhs": "0*(x**2-2)**(1/3)", "rhs": "0", "ranges": {"x": (0, 2)}}),
    ("symbolic_identity", {"lhs": "0*1/(x - 1e-30)", "rhs": "0", "ranges": {"x": (0, 1)}}),
    ("symbolic_relation", {"lhs": "0", "rhs": "1/(1/x)", "ranges": {"x": (0, 1)}}),
    ("symbolic_relation", {"lhs": "0", "rhs": "sqrt(sin(x))", "ranges": {"x": (0, 4)}}),
]


def _run_check(check, args):
    from checkers.checks import CheckContext, get_check
    from proofs import Claim

    claim = Claim(name="review2", check=check, statement="review2", args=args)
    return get_check(check)(claim, {}, CheckContext(timeout=60))


@pytest.mark.parametrize("check, args", _NEVER_CERTIFIED)
def test_nested_undefined_subterms_are_never_certified(check, args):
    assert _run_check(check, args).verdict.name in ("FAIL", "UNKNOWN")


@pytest.mark.parametrize("kw", ["extended_positive", "extended_nonnegative"])
@pytest.mark.parametrize("build", [lambda x: (sp.sqrt(x**2), x), lambda x: (sp.Abs(x), x)])
def test_extended_sign_declaration_the_range_contradicts_is_not_certified(kw, build):
    # sympy uses extended_positive when it builds sqrt(x**2) -> x and Abs(x) -> x; on [-1, 1] both are false
    x = sp.Symbol("x", **{kw: True})
    lhs, rhs = build(x)
    out = _run_check("symbolic_identity", {"lhs": lhs, "rhs": rhs, "ranges": {"x": (-1, 1)}})
    assert out.verdict.name != "CERTIFIED", out.why


def test_extended_sign_declaration_the_range_implies_is_still_certified():
    x = sp.Symbol("x", extended_positive=True)
    out = _run_check("symbolic_identity", {"lhs": sp.sqrt(x**2), "rhs": x, "ranges": {"x": ("1/2", 2)}})
    assert out.verdict.name == "CERTIFIED", out.why
