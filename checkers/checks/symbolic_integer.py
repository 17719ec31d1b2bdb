"""Integer-domain relations (proof by ratio induction, plus an exact check of small cases) and
calculation chains (``e0 == e1 <= e2 ...``, each link proved). Registered from ``symbolic``."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from checkers.checks._args import ArgError, ClaimArgs, Expr
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext, register_check
from checkers.checks.symbolic_defined import WrittenArgs, check_ranges, declared_symbols, undefined_outcome, written
from proofs import Status
from proofs.prover import (
    Domain,
    Proof,
    Unsupported,
    expand_log_on,
    in_domain,
    prove_identity,
    prove_nonneg,
    prove_positive,
    replay,
    sympify_arg,
)

__all__ = ["integer_relation_by_ratio", "symbolic_chain", "prove_integer_relation"]


def _fix(expr, fixed):
    e = sympify_arg(expr)
    return e.subs({s: sympify_arg(fixed[s.name]) for s in e.free_symbols if s.name in fixed})


def _positive(c, dom: Domain) -> bool:
    """c > 0 on the domain (sympy, under the domain's substitutions)."""
    return prove_positive(c, dom)


def _link(lo_e, hi_e, dom, *, logs: bool, ctx, budget) -> Proof:
    """lo_e <= hi_e on dom: the difference, then (both sides positive) the log difference."""
    p = prove_nonneg(
        sympy.simplify(hi_e - lo_e), dom, budget=budget, seed=ctx.seed, deadline=ctx.check_deadline, search=False
    )
    if p.status is Status.PROVED or not logs:
        return p
    if _positive(lo_e, dom) and _positive(hi_e, dom):
        d = sympy.expand(expand_log_on(sympy.log(hi_e) - sympy.log(lo_e), dom))
        q = prove_nonneg(d, dom, budget=budget, seed=ctx.seed, deadline=ctx.check_deadline, search=False)
        if q.status is Status.PROVED:
            return Proof(Status.PROVED, f"log of both sides (positive): {sympy.sstr(d)} >= 0 by {q.method}")
        return q
    return p


def _exhaustive(lhs, rhs, dom: Domain, caps: Mapping[str, int], ctx) -> tuple[int, dict | None, tuple | None]:
    """Exact check of every integer point with each capped variable <= its cap (smallest first)."""
    names = list(dom.ranges)
    if set(names) - set(dom.integers) or set(names) - set(caps):
        return 0, None, None
    lows = {n: dom.ranges[n][0] for n in names}
    grids = [range(int(lows[n]) if lows[n].is_number else 0, int(caps[n]) + 1) for n in names]
    pts = sorted(itertools.product(*grids), key=lambda t: (sum(t), t))
    count = 0
    for i, t in enumerate(pts):
        if i % 256 == 0:
            ctx.check_deadline()
        p = dict(zip(names, t))
        if not in_domain(p, dom):  # the bounds evaluated exactly (the one evaluator); unproved = skipped
            continue
        count += 1
        try:
            lo, hi = replay(rhs - lhs, p, prec=80)
        except Unsupported:
            continue
        if hi < 0:
            lo, hi = replay(rhs - lhs, p)
            return count, p, (str(lo), str(hi))
    return count, None, None


def prove_integer_relation(
    lhs,
    rhs,
    var: str,
    dom: Domain,
    *,
    exponentiate: bool = False,
    ratio_chain=(),
    caps: Mapping[str, int] | None = None,
    ctx: CheckContext,
    budget: int = 2000,
) -> Proof:
    """``lhs <= rhs`` for all integers ``var`` in its range (other variables as in ``dom``).

    Proof by induction on ``var`` through ratios of the positive sides ``L = lhs`` (or ``exp(lhs)``
    when ``exponentiate``) and ``R``: base case at ``var = lo``; step ``L(v+1)/L(v) <= R(v+1)/R(v)``
    for ``lo <= v <= hi - 1``, through the intermediate ``ratio_chain``. Small cases are checked
    exactly first (a violation there is a refutation). The induction runs on ``dom`` restricted to the
    statement's variables (:func:`_relevant`), and a proved one is kept (:data:`_INDUCTIONS`), so a lemma
    used by several rows is proved once.
    """
    steps = []
    if caps:
        n, bad, val = _exhaustive(lhs, rhs, dom, caps, ctx)
        if bad is not None:
            return Proof(
                Status.REFUTED, f"exact check of small cases ({n} points; interval replay at 170 bits)", bad, val
            )
        steps.append(f"exact check of {n} small cases")
    idom = _relevant(dom, [lhs, rhs, *(sympify_arg(c) for c in ratio_chain)], var)
    key = (
        sympy.srepr(lhs),
        sympy.srepr(rhs),
        var,
        _domain_key(idom),
        exponentiate,
        tuple(sympy.srepr(sympify_arg(c)) for c in ratio_chain),
        budget,
    )
    p = _INDUCTIONS.get(key)
    if p is None:
        p = _induction(lhs, rhs, var, idom, exponentiate=exponentiate, ratio_chain=ratio_chain, ctx=ctx, budget=budget)
        if p.status is Status.PROVED:
            _INDUCTIONS[key] = p
    if p.status is not Status.PROVED:
        return Proof(p.status, p.method, p.point, p.value, steps=tuple(steps) + tuple(p.steps))
    return Proof(
        Status.PROVED, "induction on " + var + " by ratios; " + "; ".join([*steps, *p.steps]), steps=(*steps, *p.steps)
    )


#: proved ratio inductions, by (lhs, rhs, var, domain, exponentiate, ratio_chain, budget). A PROVED induction is
#: a pure function of that key (the seed only steers the search for a counterexample, which a proved statement
#: does not have), so a row and a calculation chain that use one lemma prove it once per process.
_INDUCTIONS: dict[tuple, Proof] = {}


def _relevant(dom: Domain, exprs, var: str) -> Domain:
    """``dom`` restricted to the variables of ``exprs`` and ``var``, and those their ranges name.

    Sound: the statement does not mention the other variables, so proving it for every value of its own
    variables proves it on the whole domain (a larger domain is a product with their ranges).
    """
    names = {var} | {s.name for e in exprs for s in e.free_symbols}
    while True:
        more = {s.name for n in names if n in dom.ranges for b in dom.ranges[n] for s in sympify_arg(b).free_symbols}
        if more <= names:
            break
        names |= more
    return dom.restricted({n: r for n, r in dom.ranges.items() if n in names}, frozenset(dom.integers) & names)


def _domain_key(dom: Domain) -> tuple:
    ranges = tuple(
        (n, sympy.srepr(sympify_arg(lo)), sympy.srepr(sympify_arg(hi))) for n, (lo, hi) in dom.ranges.items()
    )
    return ranges, tuple(sorted(dom.integers)), tuple(sorted(dom.open_lo)), tuple(sorted(dom.open_hi))


def _induction(lhs, rhs, var: str, dom: Domain, *, exponentiate: bool, ratio_chain, ctx, budget: int) -> Proof:
    """The ratio induction of :func:`prove_integer_relation` (its steps in ``Proof.steps``)."""
    steps: list[str] = []
    x = next((s for s in (lhs + rhs).free_symbols if s.name == var), sympy.Symbol(var))
    lo, hi = dom.ranges[var]
    lo = _first_integer(lo, dom)  # [review] the induction runs over lo, lo + 1, ...: lo must be an integer
    if lo is None:
        return Proof(
            Status.UNKNOWN,
            f"induction on {var} needs an integer first value; the lower bound "
            f"{sympy.sstr(dom.ranges[var][0])} is not proved integer-valued",
            steps=tuple(steps),
        )
    base = {n: r for n, r in dom.ranges.items() if n != var}
    bdom = dom.restricted(base, frozenset(dom.integers) - {var})
    b = prove_nonneg(
        sympy.simplify(expand_log_on((rhs - lhs).subs(x, lo), bdom)),
        bdom,
        budget=budget,
        seed=ctx.seed,
        deadline=ctx.check_deadline,
    )
    if b.status is not Status.PROVED:
        point = b.point
        if b.status is Status.REFUTED:  # [review] the refuting point names the induction variable too
            point = {**b.point, var: lo.subs({sympy.Symbol(k): sympify_arg(v) for k, v in b.point.items()})}
            if not in_domain(point, dom):  # var = lo is outside its range there (an empty range at that point)
                return Proof(Status.UNKNOWN, f"base case {var}={lo}: refuted only outside the domain ({b.method})")
        return Proof(b.status, f"base case {var}={lo}: {b.method}", point, b.value)
    steps.append(f"base case {var}={lo}: {b.method}")
    L = sympy.exp(lhs) if exponentiate else lhs
    R = sympy.exp(rhs) if exponentiate else rhs
    sdom = dom.restricted({**dom.ranges, var: (lo, hi - 1)})
    if not (_positive(L, sdom) and _positive(R, sdom)):
        return Proof(
            Status.UNKNOWN, "ratio induction needs both sides positive; sympy could not show it", steps=tuple(steps)
        )
    r_l = sympy.combsimp(sympy.simplify(L.subs(x, x + 1) / L))
    r_r = (
        sympy.simplify(sympy.exp(sympy.expand(rhs.subs(x, x + 1) - rhs)))
        if exponentiate
        else sympy.simplify(R.subs(x, x + 1) / R)
    )
    chain = [r_l, *(sympify_arg(c) for c in ratio_chain), r_r]
    for i in range(len(chain) - 1):
        p = _link(chain[i], chain[i + 1], sdom, logs=True, ctx=ctx, budget=budget)
        if p.status is not Status.PROVED:
            return Proof(
                Status.UNKNOWN,
                f"ratio step {sympy.sstr(chain[i])} <= {sympy.sstr(chain[i + 1])} not proved: {p.method}",
                steps=tuple(steps),
            )
        steps.append(f"{sympy.sstr(chain[i])} <= {sympy.sstr(chain[i + 1])}: {p.method}")
    return Proof(Status.PROVED, "induction on " + var + " by ratios; " + "; ".join(steps), steps=tuple(steps))


def _first_integer(lo, dom: Domain):
    """The least integer of a range starting at ``lo``: ceil(lo) for a number; a bound in other variables
    only when it is integer-valued for every integer value of them (all integer variables); else None."""
    lo = sympify_arg(lo)
    if lo in (sympy.oo, -sympy.oo, sympy.zoo) or not lo.is_real and lo.is_number:
        return None
    if lo.is_number:
        return sympy.ceiling(lo)
    if not all(s.name in dom.integers for s in lo.free_symbols):
        return None
    as_int = lo.xreplace({s: sympy.Symbol(s.name, integer=True) for s in lo.free_symbols})
    return lo if as_int.is_integer is True else None


@dataclass(frozen=True, kw_only=True)
class IntegerRelationArgs(WrittenArgs, ClaimArgs):
    """``integer_relation_by_ratio``: lhs <= rhs for all integers of the domain, by ratio induction on var."""

    lhs: Expr
    rhs: Expr
    var: str
    ranges: Mapping[str, tuple[Expr, Expr]] = field(default_factory=dict)
    integers: tuple[str, ...] = ()
    exponentiate: bool = False
    ratio_chain: tuple[Expr, ...] = ()
    exhaustive: Mapping[str, int] | None = None
    budget: int = 2000
    bound_key: ClassVar[str] = "rhs"

    def validate(self) -> None:
        check_ranges(self.ranges, self.integers)

    def stated(self) -> tuple[str, Any, Any]:
        return "le", self.lhs, self.rhs


_STEP_KEYS = {"expr", "rel", "by", "why", "u", "template", "a", "b", "a_le_b"}


@dataclass(frozen=True, kw_only=True)
class ChainArgs(WrittenArgs, ClaimArgs):
    """``symbolic_chain``: a calculation e0 R1 e1 R2 e2 ..., each link proved."""

    steps: tuple[Mapping[str, Any], ...]
    ranges: Mapping[str, tuple[Expr, Expr]] = field(default_factory=dict)
    integers: tuple[str, ...] = ()

    def validate(self) -> None:
        check_ranges(self.ranges, self.integers)
        if not self.steps or "expr" not in self.steps[0]:
            raise ArgError("steps", "expected a first step {'expr': e0}")
        for i, st in enumerate(self.steps):
            extra = set(st) - _STEP_KEYS
            if extra:
                raise ArgError(
                    "steps", f"step {i} has unknown key {sorted(extra)[0]!r}; accepted: {sorted(_STEP_KEYS)}"
                )
            if i and st.get("rel") not in ("==", "<="):
                raise ArgError("steps", f"step {i}: rel={st.get('rel')!r}; expected '==' or '<='")
            if st.get("by", "identity") not in ("identity", "nonneg", "monotone"):
                raise ArgError("steps", f"step {i}: by={st.get('by')!r}; expected 'identity', 'nonneg' or 'monotone'")


def _caps(args: IntegerRelationArgs, instance):
    caps = instance.get("exhaustive", args.exhaustive)
    return dict(caps) if caps else None


def _lemma_key(lhs, rhs, var, exponentiate, ratio_chain) -> tuple:
    """The ratio-induction lemma a row proves (rows proving one lemma run in one worker: it is proved once)."""
    chain = tuple(sympy.srepr(sympify_arg(c)) for c in ratio_chain)
    return ("integer_induction", sympy.srepr(lhs), sympy.srepr(rhs), var, bool(exponentiate), chain)


def _share_relation(a: IntegerRelationArgs, instance: Mapping[str, Any]) -> tuple:
    fixed = {k: v for k, v in instance.items() if k not in ("exhaustive", "budget")}
    return _lemma_key(_fix(a.lhs, fixed), _fix(a.rhs, fixed), a.var, a.exponentiate, a.ratio_chain)


def _share_chain(a: ChainArgs, instance: Mapping[str, Any]) -> tuple | None:
    for st in a.steps[1:]:  # the chain's first induction lemma (a <= b of a monotone link)
        spec = st.get("a_le_b")
        if isinstance(spec, Mapping):
            A, B = _fix(st["a"], instance), _fix(st["b"], instance)
            return _lemma_key(A, B, spec["var"], spec.get("exponentiate", False), spec.get("ratio_chain", ()))
    return None


@register_check("integer_relation_by_ratio", args=IntegerRelationArgs, share=_share_relation)
def integer_relation_by_ratio(claim, a: IntegerRelationArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """``lhs <= rhs`` for all integers in the domain, proved (not sampled) by ratio induction.

    ``args``: ``lhs``, ``rhs``, ``var`` (the induction variable), ``ranges`` (``var``'s upper bound
    may name another variable), ``integers``, optional ``exponentiate`` (the claim is in log form:
    compare ``exp(lhs) <= exp(rhs)``), ``ratio_chain`` (intermediate expressions between the two
    ratios), ``exhaustive`` (``{name: cap}``: every integer point below the caps is also checked
    exactly; an instance may override it), ``budget``.
    """
    fixed = {k: v for k, v in instance.items() if k not in ("exhaustive", "budget")}
    lhs, rhs = _fix(a.lhs, fixed), _fix(a.rhs, fixed)
    dom = Domain.from_args(a.ranges, a.integers, fixed, declared_symbols(a))
    undefined = undefined_outcome([written(a, "lhs"), written(a, "rhs")], dom, fixed, ctx)
    if undefined is not None:
        return undefined
    p = prove_integer_relation(
        lhs,
        rhs,
        a.var,
        dom,
        exponentiate=a.exponentiate,
        ratio_chain=a.ratio_chain,
        caps=_caps(a, instance),
        ctx=ctx,
        budget=int(instance.get("budget", a.budget)),
    )
    verdict = verdict_of(p.status)
    if verdict is Verdict.CERTIFIED:
        return Outcome(
            verdict, method=p.method, why=f"{sympy.sstr(lhs)} <= {sympy.sstr(rhs)} for all integers in {dom.describe()}"
        )
    if verdict is Verdict.FAIL:
        pt = dict(p.point)
        m_, b_ = (float(replay(e, pt)[0]) for e in (lhs, rhs))
        return Outcome(
            verdict,
            m_,
            b_,
            method=p.method,
            why=f"{sympy.sstr(lhs)} <= {sympy.sstr(rhs)} fails at "
            + ", ".join(f"{k}={v}" for k, v in pt.items())
            + f": {m_:.6g} > {b_:.6g}",
            evidence=Evidence(
                point=tuple(f"{k}={v}" for k, v in pt.items()),
                replay="interval arithmetic, 170 bits, exact integers",
                replayed_value=p.value,
            ),
        )
    return Outcome(verdict, method=p.method, why="induction step not proved and no small counterexample")


@register_check("symbolic_chain", args=ChainArgs, share=_share_chain)
def symbolic_chain(claim, a: ChainArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """A calculation ``e0 R1 e1 R2 e2 ...`` (mathlib ``calc``), each link proved.

    ``args``: ``steps``: a list whose first item is ``{'expr': e0}`` and each later item is
    ``{'rel': '==' | '<=', 'expr': e_i, 'by': ..., 'why': 'words'}`` with ``by``:

    * ``'identity'`` (``==``): sympy simplifies ``e_i - e_{i-1}`` to 0 (logs expanded: symbols positive);
    * ``'nonneg'`` (``<=``): ``e_i - e_{i-1} >= 0`` proved on the domain;
    * ``'monotone'`` (``<=``): ``e_{i-1} == F(a)``, ``e_i == F(b)``, ``dF/du >= 0`` for ``u >= 0``, and
      ``a <= b``; keys ``u``, ``template`` (F in u), ``a``, ``b``, and ``a_le_b``: ``{'var', 'exponentiate',
      'ratio_chain', 'exhaustive'}`` (integer ratio induction) or ``'nonneg'``.

    Plus ``ranges`` and ``integers`` for the whole chain.
    """
    dom = Domain.from_args(a.ranges, a.integers, instance, declared_symbols(a))
    steps = a.steps
    trees = [written(a, k, i) for i, st in enumerate(steps) for k in ("expr", "a", "b") if k in st]
    undefined = undefined_outcome(trees, dom, instance, ctx, what="the chain")
    if undefined is not None:
        return undefined
    prev = _fix(steps[0]["expr"], instance)
    done = []
    for i, st in enumerate(steps[1:], 1):
        cur = _fix(st["expr"], instance)
        by = st.get("by", "identity" if st["rel"] == "==" else "nonneg")
        p = _chain_link(prev, cur, st, by, dom, instance, ctx)
        if p.status is not Status.PROVED:
            return Outcome(
                verdict_of(p.status),
                method="; ".join(done + [f"link {i} ({by}): {p.method}"]),
                why=f"link {i} ({st.get('why', by)}) " + ("fails" if p.status is Status.REFUTED else "not proved"),
                evidence=Evidence(
                    point=tuple(f"{k}={v}" for k, v in (p.point or {}).items()) or None, replayed_value=p.value
                ),
            )
        done.append(f"link {i} {st['rel']} ({st.get('why', by)}): {p.method}")
        prev = cur
    return Outcome(
        verdict_of(Status.PROVED), method="; ".join(done), why=f"all {len(steps) - 1} links of the chain proved"
    )


def _chain_link(prev, cur, st, by, dom, instance, ctx) -> Proof:

    if by == "identity":
        return prove_identity(prev, cur, dom, seed=ctx.seed, deadline=ctx.check_deadline)
    if by == "nonneg":
        return prove_nonneg(cur - prev, dom, seed=ctx.seed, deadline=ctx.check_deadline)
    if by != "monotone":
        return Proof(Status.UNKNOWN, f"unknown link kind {by!r}")
    u = sympy.Symbol(st["u"], positive=True)  # dF/du >= 0 on u > 0, F continuous at u = 0
    F = _fix(st["template"], instance).subs(sympy.Symbol(st["u"]), u)
    F = F.subs({s: u for s in F.free_symbols if s.name == st["u"]})
    A, B = _fix(st["a"], instance), _fix(st["b"], instance)
    for side, e, arg in (("previous", prev, A), ("this", cur, B)):
        q = prove_identity(e, F.subs(u, arg), dom, seed=ctx.seed, deadline=ctx.check_deadline)
        if q.status is not Status.PROVED:
            return Proof(q.status, f"{side} expression is not F({sympy.sstr(arg)}): {q.method}", q.point, q.value)
    udom = dom.restricted({**dom.ranges, st["u"]: (sympy.Integer(0), sympy.oo)})
    q = prove_nonneg(sympy.diff(F, u), udom, seed=ctx.seed, deadline=ctx.check_deadline, search=False)
    if q.status is not Status.PROVED:
        return Proof(Status.UNKNOWN, f"dF/du >= 0 not proved: {q.method}")
    # dF/du >= 0 on u > 0 gives F(a) <= F(b) only for 0 <= a <= b and F continuous on [0, oo) in u
    gap = _continuity_gap(F, u, udom, ctx)
    if gap is not None:
        return Proof(Status.UNKNOWN, f"F not proved continuous in {st['u']} on [0, oo): {gap}")
    if not _nonneg(A, dom, ctx):
        return Proof(Status.UNKNOWN, f"a = {sympy.sstr(A)} >= 0 not proved (F is nondecreasing on u >= 0 only)")
    q = Proof(q.status, q.method + " (u > 0; F continuous on u >= 0 and a >= 0 proved)")
    spec = st.get("a_le_b", "nonneg")
    if spec == "nonneg":
        r = prove_nonneg(B - A, dom, seed=ctx.seed, deadline=ctx.check_deadline)
    else:
        r = prove_integer_relation(
            A,
            B,
            spec["var"],
            dom,
            exponentiate=bool(spec.get("exponentiate")),
            ratio_chain=spec.get("ratio_chain", ()),
            caps=spec.get("exhaustive"),
            ctx=ctx,
        )
    if r.status is not Status.PROVED:
        return Proof(r.status, f"a <= b: {r.method}", r.point, r.value)
    return Proof(Status.PROVED, f"F nondecreasing in {st['u']} ({q.method}) and a <= b ({r.method})")


def _nonneg(e, dom: Domain, ctx) -> bool:
    """e >= 0 on the domain (the prover; log C(n, k) >= 0 for integers 0 <= k <= n as a lemma)."""
    if isinstance(e, sympy.log) and isinstance(e.args[0], sympy.binomial):
        n, k = e.args[0].args
        names = {s.name for s in (n + k).free_symbols}
        if names <= set(dom.integers) and all(
            prove_nonneg(t, dom, search=False, budget=200).status is Status.PROVED for t in (k, n - k)
        ):
            return True  # C(n, k) >= 1
    return prove_nonneg(e, dom, seed=ctx.seed, deadline=ctx.check_deadline, search=False).status is Status.PROVED


# nodes continuous in their arguments everywhere they are real; Pow, log, sign, Heaviside are checked apart
_CONTINUOUS = (
    sympy.Add,
    sympy.Mul,
    sympy.Pow,
    sympy.log,
    sympy.sign,
    sympy.Heaviside,
    sympy.exp,
    sympy.sin,
    sympy.cos,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.atan,
    sympy.Abs,
    sympy.Max,
    sympy.Min,
)


def _continuity_gap(F, u, udom: Domain, ctx) -> str | None:
    """None when every node of F that depends on u is proved continuous in u on the domain (u >= 0):
    log argument > 0, fractional power base >= 0 (> 0 for a negative exponent), negative integer power
    base != 0, sign/Heaviside argument of one sign, every other node one of ``_CONTINUOUS`` (no tan, Piecewise,
    Mod, floor, ...); otherwise the first node not proved."""
    for node in sympy.preorder_traversal(F):
        if not (isinstance(node, sympy.Basic) and node.has(u)) or node == u:
            continue
        need = None
        if isinstance(node, sympy.log):
            need = ("pos", node.args[0])
        elif isinstance(node, sympy.Pow) and not node.exp.is_Integer:
            need = ("nonneg" if node.exp.is_positive else "pos", node.base)
        elif isinstance(node, sympy.Pow) and node.exp.is_negative:
            need = ("nonzero", node.base)
        elif isinstance(node, (sympy.sign, sympy.Heaviside, sympy.DiracDelta)):
            need = ("nonzero", node.args[0])
        elif not isinstance(node, _CONTINUOUS):  # [review] a whitelist: Piecewise, Mod, frac, tan, ... unproved
            return sympy.sstr(node)
        if isinstance(node, sympy.Pow) and need is not None and node.exp.has(u):
            need = ("pos", node.base)  # b**e = exp(e log b): jumps where b = 0 as e -> 0
        if need is None or not need[1].has(u):
            continue
        kind, arg = need
        if kind == "nonneg" and prove_nonneg(arg, udom, search=False, budget=200).status is Status.PROVED:
            continue
        if kind in ("pos", "nonzero") and prove_positive(arg, udom):
            continue
        if kind == "nonzero" and prove_positive(-arg, udom):
            continue
        return sympy.sstr(node)
    return None
