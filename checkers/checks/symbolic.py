"""Generic symbolic checks, driven by ``claim.args`` (paper-agnostic: every paper module may use them).

Each check proves its claim (CERTIFIED, naming the method: sympy, derivative signs, interval
branch-and-bound, sympy's Gruntz ``limit``), refutes it with an exact point replayed in interval
arithmetic (FAIL), or says it could not decide (UNKNOWN). A sympy ``None`` is never a pass. The
engine is :mod:`proofs.prover._prover`.

Common ``args`` keys:

* ``ranges``: ``{name: (lo, hi)}``; bounds are numbers, ``'oo'`` or expressions in other variables
  (``'T'``, ``'T - 1'``). The claim is stated for every point of this domain.
* ``integers``: names of integer-valued variables (default none).
* ``substitutions``: optional list of ``{name: expr}`` maps tried by the sympy tier; new symbols in
  them are taken nonnegative, so each must parametrise (a superset of) the domain.
* ``budget``: interval boxes allowed (default 4000).

An instance may fix a variable (``{'T': 16}``) or override its range (``{'T': (2, 64)}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import mpmath
import sympy
from mpmath import iv

from checkers.checks._args import ClaimArgs, Expr
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext, register_check
from checkers.checks.symbolic_defined import (
    WrittenArgs,
    argmax_undefined,
    check_ranges,
    declared_symbols,
    undefined_near,
    undefined_outcome,
    written,
)
from proofs import Status
from proofs.prover import (  # noqa: F401
    Domain,
    Proof,
    Unsupported,
    assume_domain,
    ieval,
    in_domain,
    prove_identity,
    prove_nonneg,
    prove_positive,
    replay,
    sign_of_constant,
    sympify_arg,
)

__all__ = [
    "symbolic_relation",
    "symbolic_monotone",
    "symbolic_counterexample",
    "symbolic_argmax",
    "symbolic_limit",
    "symbolic_identity",
]

_SPECIAL = ("budget", "exhaustive")
Direction = Literal["nondecreasing", "nonincreasing"]


@dataclass(frozen=True, kw_only=True)
class DomainArgs(WrittenArgs, ClaimArgs):
    """The domain of a symbolic claim: ``ranges`` (name -> (lo, hi), bounds may name other symbols or
    'oo'), the ``integers`` among them, the rewriting ``substitutions`` to try, and the prover ``budget``
    (an instance may override it)."""

    ranges: Mapping[str, tuple[Expr, Expr]] = field(default_factory=dict)
    integers: tuple[str, ...] = ()
    substitutions: tuple[Mapping[str, Expr], ...] = ()
    budget: int = 4000

    def validate(self) -> None:
        check_ranges(self.ranges, self.integers)


@dataclass(frozen=True, kw_only=True)
class RelationArgs(DomainArgs):
    """``symbolic_relation``: lhs <= rhs on the whole domain."""

    lhs: Expr
    rhs: Expr
    bound_key: ClassVar[str] = "rhs"

    def stated(self) -> tuple[str, Any, Any]:
        return "le", self.lhs, self.rhs


@dataclass(frozen=True, kw_only=True)
class IdentityArgs(DomainArgs):
    """``symbolic_identity``: lhs == rhs identically."""

    lhs: Expr
    rhs: Expr
    bound_key: ClassVar[str] = "rhs"

    def stated(self) -> tuple[str, Any, Any]:
        return "eq", self.lhs, self.rhs


@dataclass(frozen=True, kw_only=True)
class MonotoneArgs(DomainArgs):
    """``symbolic_monotone``: expr is monotone in var."""

    expr: Expr
    var: str
    direction: Direction


@dataclass(frozen=True, kw_only=True)
class CounterexampleArgs(DomainArgs):
    """``symbolic_counterexample``: expr is NOT ``property`` in var (a finding)."""

    expr: Expr
    var: str
    property: Direction


@dataclass(frozen=True, kw_only=True)
class ArgmaxArgs(DomainArgs):
    """``symbolic_argmax``: expr increases in var up to argmax and decreases after it."""

    expr: Expr
    var: str
    argmax: Expr


@dataclass(frozen=True, kw_only=True)
class LimitArgs(WrittenArgs, ClaimArgs):
    """``symbolic_limit``: the limit of expr as var -> point is ``expected`` ('finite', 'infinite' or a value)."""

    expr: Expr
    var: str
    expected: Literal["finite", "infinite"] | Expr
    point: Expr = sympy.oo
    substitutions: tuple[Mapping[str, Expr], ...] = ()
    ranges: Mapping[str, tuple[Expr, Expr]] = field(default_factory=dict)  # of the other symbols
    integers: tuple[str, ...] = ()
    direction: Literal["+", "-", "+-"] = "+-"  # at a finite point: one-sided or two-sided

    def validate(self) -> None:
        check_ranges(self.ranges, self.integers)


def _domain(args: DomainArgs, instance: Mapping[str, Any]) -> Domain:
    fixed = {k: v for k, v in instance.items() if k not in _SPECIAL}
    return Domain.from_args(args.ranges, args.integers, fixed, declared_symbols(args))


def _fix(expr, instance):
    """Substitute the instance's fixed values (by symbol name) into ``expr``."""
    e = sympify_arg(expr)
    subs = {
        s: sympify_arg(instance[s.name])
        for s in e.free_symbols
        if s.name in instance and not isinstance(instance[s.name], (tuple, list))
    }
    return e.subs(subs)


def _budget(args: DomainArgs, instance: Mapping[str, Any]) -> int:
    return int(instance.get("budget", args.budget))


def _fmt(x) -> str:
    return sympy.sstr(x) if isinstance(x, sympy.Basic) else str(x)


def _fail(proof: Proof, what: str, measured=None, bound=None, sense="le") -> Outcome:
    pt = ", ".join(f"{k}={v}" for k, v in proof.point.items())
    return Outcome(
        verdict_of(proof.status),
        measured,
        bound,
        sense,
        method=proof.method,
        why=f"{what} fails at {pt}",
        evidence=Evidence(
            point=tuple(f"{k}={v}" for k, v in proof.point.items()),
            replay="interval arithmetic, 170 bits, at the exact point",
            replayed_value=proof.value,
        ),
    )


def _side_values(lhs, rhs, point):
    try:
        return float(replay(lhs, point)[0]), float(replay(rhs, point)[0])
    except Unsupported:
        return None, None


# ------------------------------------------------------------------------------------ relation
@register_check("symbolic_relation", args=RelationArgs)
def symbolic_relation(claim, a: RelationArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """``lhs <= rhs`` on the whole domain.

    ``args``: ``lhs``, ``rhs`` (sympy expressions), ``ranges``, optional ``integers``,
    ``substitutions``, ``budget``.
    """
    lhs, rhs = _fix(a.lhs, instance), _fix(a.rhs, instance)
    dom = _domain(a, instance)
    undefined = undefined_outcome([written(a, "lhs"), written(a, "rhs")], dom, instance, ctx)
    if undefined is not None:
        return undefined
    proof = prove_nonneg(
        rhs - lhs,
        dom,
        substitutions=a.substitutions,
        budget=_budget(a, instance),
        seed=ctx.seed,
        deadline=ctx.check_deadline,
    )
    verdict = verdict_of(proof.status)
    if verdict is Verdict.CERTIFIED:
        return Outcome(verdict, method=proof.method, why=f"{_fmt(lhs)} <= {_fmt(rhs)} proved for {dom.describe()}")
    if verdict is Verdict.FAIL:
        m, b = _side_values(lhs, rhs, proof.point)
        return _fail(proof, f"{_fmt(lhs)} <= {_fmt(rhs)}", m, b)
    return Outcome(verdict, method=proof.method, why="neither proved nor refuted (not a pass)")


@register_check("symbolic_identity", args=IdentityArgs)
def symbolic_identity(claim, a: IdentityArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """``lhs == rhs`` identically (sympy: the simplified difference is zero).

    ``args``: ``lhs``, ``rhs``; optional ``ranges`` (used to look for a refuting point).
    """
    lhs, rhs = _fix(a.lhs, instance), _fix(a.rhs, instance)
    dom = _domain(a, instance)
    undefined = undefined_outcome([written(a, "lhs"), written(a, "rhs")], dom, instance, ctx, identity=True)
    if undefined is not None:
        return undefined
    proof = prove_identity(lhs, rhs, dom, seed=ctx.seed, deadline=ctx.check_deadline)
    verdict = verdict_of(proof.status)
    if verdict is Verdict.CERTIFIED:
        return Outcome(verdict, sense="eq", method=proof.method, why="the two sides are identical")
    if verdict is Verdict.FAIL:
        return _fail(proof, f"{_fmt(lhs)} == {_fmt(rhs)}", sense="eq")
    return Outcome(verdict, sense="eq", method=proof.method, why="sympy could not decide the identity")


# ----------------------------------------------------------------------------------- monotone
def _direction_sign(direction: str) -> int:
    if direction not in ("nondecreasing", "nonincreasing"):
        raise ValueError(f"direction={direction!r} must be 'nondecreasing' or 'nonincreasing'")
    return 1 if direction == "nondecreasing" else -1


def _prove_monotone(f, var, direction, a, instance, ctx) -> tuple[Proof, str]:
    """Proof of monotonicity: the derivative's sign; for an integer variable, if that fails, the
    forward difference's sign. Returns (proof, how) where a refutation carries an exact pair."""
    sgn = _direction_sign(direction)
    dom = _domain(a, instance)
    x = next((s for s in f.free_symbols if s.name == var), sympy.Symbol(var))
    subs = a.substitutions
    integer = var in dom.integers
    p = prove_nonneg(
        sgn * sympy.diff(f, x),
        dom,
        substitutions=subs,
        budget=_budget(a, instance),
        seed=ctx.seed,
        deadline=ctx.check_deadline,
        search=not integer,
    )
    if p.status is Status.PROVED:
        how = "derivative sign" + (" on the continuous relaxation (implies the integer claim)" if integer else "")
        return p, how
    if not integer and p.status is Status.REFUTED:
        return _pair_from_derivative(f, x, p, sgn, dom), "derivative"
    if integer:  # forward difference f(k+1) - f(k) over k in [lo, hi - 1]
        lo, hi = dom.ranges[var]
        ranges = {n: (l, h) for n, (l, h) in dom.ranges.items()}
        ranges[var] = (lo, hi - 1)
        ddom = dom.restricted(ranges)
        q = prove_nonneg(
            sgn * (f.subs(x, x + 1) - f), ddom, budget=_budget(a, instance), seed=ctx.seed, deadline=ctx.check_deadline
        )
        if q.status is Status.REFUTED:
            pt = dict(q.point)
            k0 = pt[var]
            pair = Proof(
                Status.REFUTED, q.method + f"; pair {var}={k0} < {var}={k0 + 1}", {**pt, f"{var}'": k0 + 1}, q.value
            )
            return pair, "forward difference"
        return q, "forward difference f(k+1) - f(k)"
    return p, "derivative"


def _pair_from_derivative(f, x, p: Proof, sgn, dom) -> Proof:
    """From a point where the derivative has the wrong sign, an exact pair x1 < x2 (both in the
    domain) violating monotonicity, replayed in interval arithmetic."""
    from fractions import Fraction

    pt = dict(p.point)
    x0 = Fraction(pt[x.name])
    x2 = sympy.Symbol(x.name + "_2")
    for h in (Fraction(1, 2**j) for j in range(1, 30)):
        q2 = {**pt, x.name: x0 + h}
        if not in_domain(q2, dom):
            continue
        try:
            lo, up = replay(sgn * (f.subs(x, x2) - f), {**pt, x2.name: x0 + h})
        except Unsupported:
            continue
        if up < 0:
            return Proof(
                Status.REFUTED,
                p.method + f"; pair {x.name}={x0} < {x.name}'={x0 + h}",
                {**pt, f"{x.name}'": x0 + h},
                (str(lo), str(up)),
            )
    return Proof(Status.UNKNOWN, p.method + "; no exact violating pair near the point")


@register_check("symbolic_monotone", args=MonotoneArgs)
def symbolic_monotone(claim, a: MonotoneArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """``expr`` is monotone in ``var`` on the domain.

    ``args``: ``expr``, ``var``, ``direction`` ('nondecreasing' | 'nonincreasing'), ``ranges``,
    optional ``integers`` (an integer ``var`` is proved through its continuous relaxation, or else
    through the forward difference), ``substitutions``, ``budget``.
    """
    f = _fix(a.expr, instance)
    dom = _domain(a, instance)
    undefined = undefined_outcome([written(a, "expr")], dom, instance, ctx)
    if undefined is not None:
        return undefined
    p, how = _prove_monotone(f, a.var, a.direction, a, instance, ctx)
    verdict = verdict_of(p.status)
    if verdict is Verdict.CERTIFIED:
        return Outcome(
            verdict, method=f"{how}: {p.method}", why=f"{_fmt(f)} is {a.direction} in {a.var} for {dom.describe()}"
        )
    if verdict is Verdict.FAIL:
        return _fail(p, f"{a.direction} in {a.var}")
    return Outcome(verdict, method=p.method, why="monotonicity neither proved nor refuted (not a pass)")


@register_check("symbolic_counterexample", args=CounterexampleArgs)
def symbolic_counterexample(claim, a: CounterexampleArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """A finding: ``expr`` is NOT ``property`` in ``var``; exhibits an exact violating pair.

    ``args``: ``expr``, ``var``, ``property`` ('nondecreasing' | 'nonincreasing'), ``ranges``,
    optional ``integers``. An instance may name the pair to replay: ``{'T': 2, 'pair': (1, 2)}``.
    CERTIFIED (as a finding) when the pair replays exactly; FAIL when the property is proved (the
    finding is false) or the stated pair does not violate it.
    """
    var, sgn = a.var, _direction_sign(a.property)
    f = _fix(a.expr, {k: v for k, v in instance.items() if k != "pair"})
    fixed = {k: v for k, v in instance.items() if k != "pair"}
    undefined = undefined_outcome([written(a, "expr")], _domain(a, fixed), fixed, ctx)
    if undefined is not None:
        return undefined
    x = next((s for s in f.free_symbols if s.name == var), sympy.Symbol(var))
    if "pair" in instance:
        x1, x2 = (sympify_arg(v) for v in instance["pair"])
        if not x1 < x2:
            return Outcome(Verdict.ERROR, why=f"pair={instance['pair']!r} must be increasing")
        diff = sgn * (f.subs(x, x2) - f.subs(x, x1))
        lo, hi = replay(diff, {})
        fixed = {k: v for k, v in instance.items() if k != "pair"}
        pt = (*(f"{k}={v}" for k, v in fixed.items()), f"{var}={x1}", f"{var}'={x2}")
        ev = Evidence(point=pt, replay="interval arithmetic, 170 bits", replayed_value=(str(lo), str(hi)))
        v1, v2 = float(replay(f.subs(x, x1), {})[0]), float(replay(f.subs(x, x2), {})[0])
        if hi < 0:
            return Outcome(
                Verdict.CERTIFIED,
                v1,
                v2,
                "ge" if sgn > 0 else "le",
                method="exact pair replayed in interval arithmetic",
                evidence=ev,
                why=f"not {a.property} in {var}: f({x1}) = {v1:.6g} vs f({x2}) = {v2:.6g}",
            )
        return Outcome(
            Verdict.FAIL,
            v1,
            v2,
            method="stated pair replayed in interval arithmetic",
            evidence=ev,
            why=f"the stated pair does not violate {a.property}: f({x1}) = {v1:.6g}, f({x2}) = {v2:.6g}",
        )
    p, how = _prove_monotone(f, var, a.property, a, instance, ctx)
    verdict = verdict_of(p.status.negated())  # the finding is the negation of the property
    if verdict is Verdict.CERTIFIED:
        pt = dict(p.point)
        x1, x2 = pt[var], pt[f"{var}'"]
        v1, v2 = (float(replay(f, {**pt, var: v})[0]) for v in (x1, x2))
        return Outcome(
            verdict,
            v1,
            v2,
            "ge" if sgn > 0 else "le",
            method=f"{how}: {p.method}",
            why=(
                f"not {a.property} in {var}: at "
                + ", ".join(f"{k}={v}" for k, v in pt.items() if k not in (var, f"{var}'"))
                + f", f({x1}) = {v1:.6g} > f({x2}) = {v2:.6g}"
                if sgn > 0
                else f"not {a.property}: f({x1}) = {v1:.6g} < f({x2}) = {v2:.6g}"
            ),
            evidence=Evidence(
                point=tuple(f"{k}={v}" for k, v in pt.items()),
                replay="interval arithmetic, 170 bits",
                replayed_value=p.value,
            ),
        )
    if verdict is Verdict.FAIL:
        return Outcome(
            verdict,
            method=f"{how}: {p.method}",
            why=f"the finding is false: {a.property} in {var} is proved",
            evidence=Evidence(replay=f"proof: {p.method}"),
        )
    return Outcome(verdict, method=p.method, why="no violating pair found (not a certificate either way)")


# ------------------------------------------------------------------------------------- argmax
@register_check("symbolic_argmax", args=ArgmaxArgs)
def symbolic_argmax(claim, a: ArgmaxArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """``expr`` (in ``var`` > 0) increases up to ``argmax`` and decreases after it.

    ``args``: ``expr``, ``var``, ``argmax`` (expression in the other symbols), ``ranges`` for the
    other symbols. Proved as: f'(argmax) simplifies to 0; f' >= 0 after ``var = argmax*exp(-w)`` and
    f' <= 0 after ``var = argmax*exp(w)``, ``w >= 0`` (both maps cover ``var > 0``).
    """
    f, xstar = _fix(a.expr, instance), _fix(a.argmax, instance)
    x = next((s for s in f.free_symbols if s.name == a.var), sympy.Symbol(a.var))
    undefined = argmax_undefined(a, instance, ctx)
    if undefined is not None:
        return undefined
    df = sympy.diff(f, x)
    at = sympy.simplify(df.subs(x, xstar))
    others = {n: r for n, r in a.ranges.items() if n != a.var}
    if at.is_zero is not True:
        odom = Domain.from_args(others, (), {k: v for k, v in instance.items() if k in others})
        for sgn in (1, -1):  # a point where f'(argmax) is strictly negative, then strictly positive
            p = prove_nonneg(sgn * at, odom, budget=0, seed=ctx.seed, deadline=ctx.check_deadline)
            if p.status is Status.REFUTED:
                pt = ", ".join(f"{k}={v}" for k, v in p.point.items())
                return Outcome(
                    verdict_of(p.status),
                    method="sympy derivative at the stated argmax; " + p.method,
                    why=f"f'({_fmt(xstar)}) = {_fmt(at)} != 0 (at {pt or 'every point'})",
                    evidence=Evidence(
                        point=tuple(f"{k}={v}" for k, v in p.point.items()) or None,
                        replay="interval arithmetic, 170 bits",
                        replayed_value=p.value,
                    ),
                )
        return Outcome(Verdict.UNKNOWN, method="sympy", why=f"could not show f'({_fmt(xstar)}) = 0: got {_fmt(at)}")
    # [review] var = argmax e^(-w) and argmax e^w (w >= 0) cover (0, argmax] and [argmax, oo) only for argmax > 0;
    # for argmax < 0 they cover negative values of var, outside the claim (a FAIL there had no witness in it)
    adom = Domain.from_args(others, (), {k: v for k, v in instance.items() if k in others})
    if not prove_positive(xstar, adom):
        return Outcome(
            Verdict.UNKNOWN,
            method="sympy",
            why=f"argmax {_fmt(xstar)} > 0 not proved: the two sides v = argmax e^(-+w) cover v > 0 only then",
        )
    w = sympy.Symbol("w", nonnegative=True)
    methods = []
    for side, rep, sgn in (("left", xstar * sympy.exp(-w), 1), ("right", xstar * sympy.exp(w), -1)):
        g = sgn * df.subs(x, rep)
        dom = Domain.from_args({**others, "w": (0, "oo")}, (), {k: v for k, v in instance.items() if k in others})
        p = prove_nonneg(g, dom, budget=_budget(a, instance), seed=ctx.seed, deadline=ctx.check_deadline)
        if p.status is not Status.PROVED:
            return Outcome(
                verdict_of(p.status),
                method=p.method,
                why=f"sign of f' on the {side} of {_fmt(xstar)} not proved",
                evidence=Evidence(
                    point=tuple(f"{k}={v}" for k, v in (p.point or {}).items()) or None, replayed_value=p.value
                ),
            )
        methods.append(f"{side}: {p.method}")
    return Outcome(
        verdict_of(Status.PROVED),
        method="sympy: f'(argmax) = 0; " + "; ".join(methods),
        why=f"{_fmt(f)} peaks at {a.var} = {_fmt(xstar)} (increasing before, decreasing after)",
    )


# -------------------------------------------------------------------------------------- limits

_INFINITIES = (sympy.oo, -sympy.oo, sympy.zoo)


def _proved_finite(lim, dom: Domain) -> bool:
    """The limit is a finite real number for every value of its free symbols on the claim's domain
    (sympy's assumptions, else an interval enclosure over the numeric ranges). ``oo*sign(a)`` or
    ``1/a`` with ``a`` in [0, 1] is not."""
    if lim.has(*_INFINITIES, sympy.nan) or lim.is_extended_real is False:
        return False
    if lim.is_real is True and lim.is_finite is True:
        return True
    bounds = dom.numeric_bounds()
    names = {s.name for s in lim.free_symbols}
    if not names or bounds is None or not names <= set(bounds):
        return False
    try:
        val = ieval(lim, {n: iv.mpf(list(bounds[n])) for n in names})
        return bool(mpmath.isfinite(val.a) and mpmath.isfinite(val.b))
    except (Unsupported, ArithmeticError, ValueError, TypeError, AttributeError):
        return False


@register_check("symbolic_limit", args=LimitArgs)
def symbolic_limit(claim, a: LimitArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """The limit of ``expr`` as ``var`` -> ``point`` (sympy's Gruntz algorithm, exact).

    ``args``: ``expr``, ``var``, ``point`` (default ``oo``), ``expected``: ``'finite'``,
    ``'infinite'`` or a value; optional ``substitutions`` (one map applied first, e.g.
    ``{'T': 'k*r'}`` to send ``T/k -> oo`` as ``r -> oo``), ``ranges``/``integers`` of the other
    symbols, ``direction`` ('+', '-' or the default '+-', two-sided) at a finite point.
    Assumptions: ``var`` is positive on the way to ``oo``, negative on the way to ``-oo``, real at a
    finite point; every other symbol keeps its declared assumptions and those its range proves.
    """
    f = _fix(a.expr, instance)
    for sub in a.substitutions:
        f = f.subs(
            {next((s for s in f.free_symbols if s.name == k), sympy.Symbol(k)): sympify_arg(v) for k, v in sub.items()}
        )
    point = sympify_arg(a.point)
    # the other symbols keep their declared assumptions, refined by the claim's ranges (never all positive);
    # the limit variable is positive only on the way to +oo, negative on the way to -oo
    dom = Domain.from_args(
        {n: r for n, r in a.ranges.items() if n != a.var},
        a.integers,
        {k: v for k, v in instance.items() if k not in _SPECIAL},
    )
    sign = {sympy.oo: {"positive": True}, -sympy.oo: {"negative": True}}.get(point, {"real": True})
    x = sympy.Symbol(a.var, **sign)
    reps = {s: x for s in f.free_symbols if s.name == a.var}
    f = assume_domain(f.xreplace(reps), dom)
    direction = a.direction
    near = undefined_near(a, instance, x, point, dom)
    if near is not None:
        return Outcome(Verdict.UNKNOWN, method="definedness near the point", why=near)
    try:
        lim = sympy.limit(f, x, point) if point in (sympy.oo, -sympy.oo) else sympy.limit(f, x, point, direction)
    except (NotImplementedError, ValueError, TypeError) as exc:
        return Outcome(Verdict.UNKNOWN, method="sympy limit", why=f"sympy could not compute the limit: {exc}")
    if lim.has(sympy.Limit) or lim is sympy.nan or lim.has(sympy.AccumBounds):
        return Outcome(Verdict.UNKNOWN, method="sympy limit", why=f"sympy returned {_fmt(lim)}")
    if lim.is_extended_real is False:  # [review] principal branches made the expression complex on the way
        return Outcome(Verdict.UNKNOWN, method="sympy limit", why=f"sympy returned the non-real {_fmt(lim)}")
    exp = a.expected
    method = f"sympy limit (Gruntz) of {_fmt(f)} as {x.name} -> {point}: {_fmt(lim)}"
    infinite = lim in _INFINITIES
    finite = _proved_finite(lim, dom)  # [review] finite for every value of the other symbols on their ranges
    if exp == "finite":
        ok = True if finite else (False if infinite else None)
    elif exp == "infinite":
        ok = True if infinite else (False if finite else None)
    else:
        want = assume_domain(sympify_arg(exp), dom)
        ok = sympy.simplify(lim - want).is_zero
        if ok and lim.free_symbols and not finite:
            ok = None  # e.g. 1/a on a range holding 0: the stated value is not the limit at every point
    if ok is None:
        return Outcome(
            Verdict.UNKNOWN,
            method=method,
            why=f"could not decide that the limit {_fmt(lim)} is {exp} on the whole domain",
        )
    measured = float(lim) if lim.is_number and lim.is_real and not infinite else None
    if ok:
        return Outcome(
            Verdict.CERTIFIED, measured, method=method, sense="eq", why=f"limit is {_fmt(lim)} ({exp} as stated)"
        )
    return Outcome(
        Verdict.FAIL,
        measured,
        method=method,
        sense="eq",
        why=f"limit is {_fmt(lim)}, expected {exp}",
        evidence=Evidence(replay="sympy limit (exact)", replayed_value=(str(lim), str(lim))),
    )
