"""Claims are checked as written: sympy's construction-time rewrites must not hide a point where a side is
undefined (``issues stops``, round 2: ``exp(log(x)) = x`` on [-2, -1] and ``x/x = 1`` on [-1, 1] were
CERTIFIED).

The oracle is independent of moecheck's parser and evaluators: each side is parsed by sympy with
``evaluate=False`` and evaluated node by node in python-flint ``arb`` balls (``tests.oracles.arb_oracle``)
at exact rational points; a point where the written side is not real makes the claim false there.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from tests.oracles.arb_oracle import Undefined, arb_eval


def _run(check, args, instance=None):
    from checkers.checks import CheckContext, get_check
    from proofs import Claim

    claim = Claim(name="definedness", check=check, statement="definedness", args=args)
    return get_check(check)(claim, instance or {}, CheckContext(timeout=60))


def _oracle_tree(text: str) -> sp.Basic:
    names = {"sqrt": sp.sqrt, "log": sp.log, "exp": sp.exp, "Abs": sp.Abs, "asin": sp.asin, "acos": sp.acos,
             "tan": sp.tan, "sin": sp.sin, "pi": sp.pi}  # fmt: skip
    return parse_expr(text, local_dict=names, evaluate=False)


def _grid(ranges, integers=()):
    axes = {}
    for n, (a, b) in ranges.items():
        a, b = Fraction(str(a)), Fraction(str(b))
        if n in integers:
            axes[n] = list(range(int(a), int(b) + 1))
        else:
            axes[n] = sorted(
                {a + (b - a) * Fraction(i, 24) for i in range(25)} | ({Fraction(0)} if a <= 0 <= b else set())
            )
    for t in itertools.product(*axes.values()):
        yield dict(zip(axes, t))


def _undefined_at(texts, point) -> bool:
    try:
        for t in texts:
            arb_eval(_oracle_tree(t), point)
    except Undefined:
        return True
    return False


def _point_of(evidence):
    return {s.split("=")[0]: Fraction(s.split("=")[1]) for s in evidence.point}


# (check, args with formulas as text, the texts whose definedness the oracle checks)
UNDEFINED_SOMEWHERE = [
    ("symbolic_identity", {"lhs": "exp(log(x))", "rhs": "x", "ranges": {"x": (-2, -1)}}),
    ("symbolic_identity", {"lhs": "x/x", "rhs": "1", "ranges": {"x": (-1, 1)}}),
    ("symbolic_identity", {"lhs": "sqrt(x)**2", "rhs": "x", "ranges": {"x": (-2, 1)}}),
    ("symbolic_identity", {"lhs": "x*(1/x)", "rhs": "1", "ranges": {"x": (-1, 1)}}),
    ("symbolic_identity", {"lhs": "x**2/x", "rhs": "x", "ranges": {"x": (-1, 1)}}),
    ("symbolic_identity", {"lhs": "(x - 1)/(x - 1)", "rhs": "1", "ranges": {"x": (0, 2)}}),
    ("symbolic_identity", {"lhs": "(3*x - 1)/(3*x - 1)", "rhs": "1", "ranges": {"x": (0, 1)}}),
    ("symbolic_identity", {"lhs": "asin(x) + acos(x)", "rhs": "pi/2", "ranges": {"x": (0, 2)}}),
    ("symbolic_identity", {"lhs": "log(x**2)", "rhs": "2*log(Abs(x))", "ranges": {"x": (-1, 1)}}),
    ("symbolic_identity", {"lhs": "x/x + y/y", "rhs": "2", "ranges": {"x": (1, 2), "y": (-1, 1)}}),
    ("symbolic_relation", {"lhs": "x/x", "rhs": "1", "ranges": {"x": (-1, 1)}}),
    ("symbolic_relation", {"lhs": "exp(log(x))", "rhs": "x", "ranges": {"x": (-2, -1)}}),
    ("symbolic_relation", {"lhs": "0", "rhs": "Abs(log(x))", "ranges": {"x": (-1, 1)}}),
    ("symbolic_relation", {"lhs": "0", "rhs": "sqrt(x)", "ranges": {"x": (-1, 1)}}),
    ("symbolic_relation", {"lhs": "1", "rhs": "(x - 1/3)**2/(x - 1/3)**2", "ranges": {"x": (0, 1)}}),
    ("symbolic_relation", {"lhs": "0", "rhs": "tan(pi*x)**2", "ranges": {"x": (0, 1)}}),
    ("symbolic_relation", {"lhs": "n/n", "rhs": "1", "ranges": {"n": (-3, 3)}, "integers": ("n",)}),
    ("symbolic_monotone", {"expr": "x*(x/x)", "var": "x", "direction": "nondecreasing", "ranges": {"x": (-1, 1)}}),
    ("symbolic_chain", {"steps": ({"expr": "x/x"}, {"rel": "==", "expr": "1"}), "ranges": {"x": (-1, 1)}}),
]


def _texts(args):
    if "steps" in args:
        return [st["expr"] for st in args["steps"]]
    return [args[k] for k in ("lhs", "rhs", "expr") if k in args]


@pytest.mark.parametrize("check, args", UNDEFINED_SOMEWHERE, ids=lambda v: v if isinstance(v, str) else None)
def test_claim_undefined_somewhere_as_written_is_never_certified(check, args):
    texts = _texts(args)
    bad = [p for p in _grid(args["ranges"], args.get("integers", ())) if _undefined_at(texts, p)]
    assert bad, "the oracle finds no undefined point: the case is ill-made"
    out = _run(check, args)
    assert out.verdict.name in ("FAIL", "UNKNOWN"), out.why
    if out.verdict.name == "FAIL":  # the witness is a point where the written claim is undefined (oracle)
        assert _undefined_at(texts, _point_of(out.evidence)), out.why


@pytest.mark.parametrize(
    "lhs, rhs, where",
    [("exp(log(x))", "x", (-2, -1)), ("x/x", "1", (-1, 1)), ("sqrt(x)**2", "x", (-2, -1))],
)
def test_the_two_reported_claims_fail_with_an_undefined_point(lhs, rhs, where):
    out = _run("symbolic_identity", {"lhs": lhs, "rhs": rhs, "ranges": {"x": where}})
    assert out.verdict.name == "FAIL", out.why
    assert "undefined" in out.method and _undefined_at([lhs], _point_of(out.evidence))


@pytest.mark.parametrize(
    "check, args",
    [
        ("symbolic_identity", {"lhs": "log(exp(x))", "rhs": "x", "ranges": {"x": (-2, 2)}}),
        ("symbolic_identity", {"lhs": "(x**2)**(1/2)", "rhs": "Abs(x)", "ranges": {"x": (-1, 1)}}),
        ("symbolic_identity", {"lhs": "sqrt(x)**2", "rhs": "x", "ranges": {"x": (0, 1)}}),
        ("symbolic_identity", {"lhs": "exp(log(x))", "rhs": "x", "ranges": {"x": ("1/2", 3)}}),
        ("symbolic_identity", {"lhs": "x/x", "rhs": "1", "ranges": {"x": (1, 2)}}),
        ("symbolic_identity", {"lhs": "x**0", "rhs": "1", "ranges": {"x": (-1, 1)}}),  # 0**0 = 1 (sympy, Python)
        ("symbolic_relation", {"lhs": "x/(x**2 + 1)", "rhs": "1", "ranges": {"x": (-1, 1)}}),
    ],
)
def test_claim_defined_on_its_whole_domain_is_still_certified(check, args):
    assert _run(check, args).verdict.name == "CERTIFIED"


def test_a_fixed_instance_value_is_checked_as_written():
    # x fixed at 0 by the instance: x/x is 0/0
    out = _run("symbolic_relation", {"lhs": "x/x", "rhs": "1 + y", "ranges": {"x": (-1, 1), "y": (0, 1)}}, {"x": 0})
    assert out.verdict.name in ("FAIL", "UNKNOWN")


def test_declared_assumption_the_range_contradicts_is_not_certified():
    # sympy used positive=True when it built sqrt(x**2) -> x: on [-1, 1] the identity is false
    x = sp.Symbol("x", positive=True)
    out = _run("symbolic_identity", {"lhs": sp.sqrt(x**2), "rhs": x, "ranges": {"x": (-1, 1)}})
    assert out.verdict.name != "CERTIFIED"


def test_declared_positive_with_a_range_from_zero_is_the_half_open_range():
    # lam > 0 declared, range [0, oo): log(N)/lam is defined there (the Massart step of zhao2024 Z3)
    lam = sp.Symbol("lam", positive=True)
    out = _run("symbolic_relation", {"lhs": 0, "rhs": 1 / lam, "ranges": {"lam": (0, 4)}})
    assert out.verdict.name == "CERTIFIED"


def test_limit_of_a_formula_not_real_near_the_point_is_not_certified():
    # sympy builds exp(log(x)) as x, whose limit at -oo is -oo; as written it is undefined for every x < 0
    out = _run("symbolic_limit", {"expr": "exp(log(x))", "var": "x", "point": "-oo", "expected": "infinite"})
    assert out.verdict.name == "UNKNOWN"


def test_limit_needs_the_other_symbols_ranges_where_they_decide_realness():
    # sqrt(log(4/d)/m) -> 0 as m -> oo is real only for d <= 4: unranged d (declared positive) is not enough
    d, m = sp.Symbol("d", positive=True), sp.Symbol("m", positive=True)
    args = {"expr": sp.sqrt(sp.log(4 / d) / m), "var": "m", "expected": 0}
    assert _run("symbolic_limit", args).verdict.name == "UNKNOWN"
    assert _run("symbolic_limit", {**args, "ranges": {"d": (0, 1)}}).verdict.name == "CERTIFIED"


def test_limit_through_a_removable_point_is_still_decided():
    out = _run("symbolic_limit", {"expr": "sin(x)/x", "var": "x", "point": 0, "expected": 1})
    assert out.verdict.name == "CERTIFIED"


@pytest.mark.parametrize(
    "expr",
    ["x/((d**2 - 1)*x + d - 1) + 1", "1 + 0/((d**2 - 1)*x + d - 1)", "1 + 0/((d - 1)*x**2 + (d**2 - 1)*x)"],
)
def test_limit_with_a_divisor_vanishing_for_every_x_at_one_parameter_is_not_certified(expr):
    # at d = 1 the divisor is the zero polynomial: the expression is nowhere defined (review finding)
    args = {"expr": expr, "var": "x", "point": 0, "expected": 1, "ranges": {"d": (0, 2)}}
    assert _run("symbolic_limit", args).verdict.name != "CERTIFIED"
    # with d kept away from 1 the zeros are isolated and the limit is decided
    assert _run("symbolic_limit", {**args, "ranges": {"d": (2, 3)}}).verdict.name == "CERTIFIED"


@pytest.mark.parametrize(
    "function, fragment",
    [
        ("x0/x0", "x0 != 0"),  # sympy rewrites it to 1: refused as written
        ("x1*exp(log(x0 - 1/2))", "log"),
        ("log(x0 - 1/2)", "x0=0"),  # not rewritten, but undefined at an exact point of [0, 1]^2
    ],
)
def test_approx_refuses_a_function_undefined_as_written_one_line_exit_2(tmp_path, function, fragment):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    args = ["approx", "--function", function, "--dim", "2", "--eps", "0.1", "--json", str(tmp_path / "r.json")]
    p = subprocess.run([sys.executable, "-m", "checkers.cli", *args], cwd=root, capture_output=True, text=True)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1 and fragment in lines[0], p.stderr
    assert "Traceback" not in p.stderr and not list(tmp_path.iterdir())


def test_parse_expression_keeps_rewrites_that_drop_nothing():
    from proofs.formula import parse_expression

    assert str(parse_expression("log(exp(x0)) + (x1**2)**(1/2)", 2)) == "x0 + Abs(x1)"
