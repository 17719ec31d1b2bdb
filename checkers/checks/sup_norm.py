"""Certified sup-norm, routing and Lipschitz checks (the engine: ``checkers.certify._certify``).

``certified_sup_error`` args:
    construction: dotted path ``package.module:builder`` returning a :class:`constructions.Built`.
    bound: sympy expression in the instance parameters (the claimed sup error).
    tol, max_boxes, time_budget, method: optional budget and engine ('crown', 'crown-ibp', 'ibp').
    CERTIFIED when the certified upper bound is <= the bound rounded down; FAIL only with a witness
    whose exactly replayed error exceeds the bound rounded up; UNKNOWN with the gap otherwise.
    ``measured`` is the certified upper bound (on FAIL: the replayed error at the witness).

``certified_routing`` args:
    construction; expected: 'unique' or the dotted path of a function point -> path (one entry per
    MoE node); optional n_paths (sympy expression: the number of distinct certified expert paths,
    ``paths_relation`` 'ge' (default) or 'eq'), interior (default True), max_boxes, time_budget, method.

``certified_lipschitz_constant`` args:
    construction (its target ``output``, default 0, on its domain) or function (a formula in x0..,
    parsed) with n_in and domain ((lo, hi) per variable); L: sympy expression; norm: '2', '1', 'inf'.
    A declared constant is never trusted: CERTIFIED when sup ||grad f|| <= L is proved by interval
    branch and bound, FAIL with a replayed pair |f(x) - f(y)| > L ||x - y||.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Literal

import numpy as np

from checkers.certify import certified_routing as _certify_routing
from checkers.certify import certified_sup_error as _certify_sup
from checkers.certify import route_count_bounds
from checkers.checks._args import ArgError, ClaimArgs, Construction, Expr, Path
from checkers.checks._construct import (
    build_construction,
    eval_formula,
    formula_float,
    resolve,
)
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext, register_check
from constructions import Built
from proofs import Claim, InvalidInput, Status
from proofs.formula import (
    certified_lipschitz,
    compile_target,
    exact_value,
    input_symbols,
    mpf_to_fraction,
    parse_expression,
)

Method = Literal["crown", "crown-ibp", "ibp"]


def _per_profile(value: Any, quick: Any, full: Any, ctx: CheckContext) -> Any:
    """``value`` when the claim gives it, else the profile's default."""
    return value if value is not None else (quick if ctx.profile == "quick" else full)


@dataclass(frozen=True, kw_only=True)
class SupErrorArgs(ClaimArgs):
    """``certified_sup_error``: sup over the domain of |f - network| <= bound."""

    construction: Construction
    bound: Expr
    tol: float = 0.01
    max_boxes: int | None = None  # default: 2^16 boxes (quick), 2^20 (full)
    time_budget: float | None = None  # default: 60 s (quick), 600 s (full), never past the check's deadline
    method: Method = "crown"
    bound_key: ClassVar[str] = "bound"

    def stated(self) -> tuple[str, Any, Any]:
        return "le", "sup|f - F|", self.bound


def _budget(a: Any, ctx: CheckContext, quick: float, full: float) -> float:
    left = ctx.time_left() - 2.0
    return max(0.5, min(float(_per_profile(a.time_budget, quick, full, ctx)), left))


def _built(path: str, instance: Mapping[str, Any]) -> Built:
    built = build_construction(path, instance)
    if not isinstance(built, Built):
        raise InvalidInput(f"construction {path!r} returned {type(built).__name__}; expected a Built")
    return built


@register_check("certified_sup_error", args=SupErrorArgs)
def certified_sup_error(claim: Claim, a: SupErrorArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    built = _built(a.construction, instance)
    bound_down = formula_float(a.bound, instance, rounding="down")
    bound_up = formula_float(a.bound, instance, rounding="up")
    cert = _certify_sup(
        built,
        bound=bound_down,
        tol=a.tol,
        max_boxes=_per_profile(a.max_boxes, 1 << 16, 1 << 20, ctx),
        time_budget=_budget(a, ctx, 60.0, 600.0),
        device=ctx.device,
        seed=ctx.seed,
        method=a.method,
    )
    box = cert.worst_box
    # the check's own re-check: a refutation beats the bound rounded up, a proof meets it rounded down
    confirmed = (
        cert.witness_error[0] > Fraction(bound_up) if cert.status is Status.REFUTED else cert.upper <= bound_down
    )
    verdict = verdict_of(cert.status, confirmed=confirmed)
    if verdict is Verdict.FAIL:
        lo, hi = cert.witness_error
        return Outcome(
            verdict,
            measured=float(lo),
            bound=bound_down,
            method=cert.method,
            why=f"error {float(lo):.6g} > bound {bound_up:.6g} at a replayed witness",
            evidence=Evidence(
                point=tuple(str(p) for p in cert.witness),
                replay=cert.replay,
                replayed_value=(str(lo), str(hi)),
                lower_bound=cert.lower,
                upper_bound=cert.upper,
                box=box,
                seed=ctx.seed,
                shrunk_from=cert.shrunk_from,
            ),
        )
    ev = Evidence(
        lower_bound=cert.lower,
        upper_bound=cert.upper,
        box=box,
        seed=ctx.seed,
        point=tuple(repr(p) for p in cert.lower_point),
        replay="sampled in float64 (not rigorous)",
        extra={
            "boxes": cert.n_boxes,
            "single_route": cert.boxes_single_route,
            "several_routes": cert.boxes_several_routes,
            "seconds": round(cert.seconds, 3),
            "float64_rounding_allowance": cert.rounding_allowance,
            "float64_upper": cert.float64_upper,
            "float64_covered": cert.float64_upper <= bound_down,
        },
    )
    if verdict is Verdict.CERTIFIED:
        return Outcome(
            verdict,
            measured=cert.upper,
            bound=bound_down,
            method=cert.method,
            why=f"sup error in [{cert.lower:.6g}, {cert.upper:.6g}] <= {bound_down:.6g} (semantics: {cert.semantics})",
            evidence=ev,
        )
    why = (
        f"inconsistent replay: sampled error {cert.lower:.6g} > bound, not confirmed exactly"
        if cert.status is Status.REFUTED or cert.lower > bound_up
        else cert.message
    )
    return Outcome(verdict, measured=cert.upper, bound=bound_down, method=cert.method, why=why, evidence=ev)


def _expected_fn(spec):
    if spec == "unique":
        return "unique"
    fn = resolve(spec) if isinstance(spec, str) else spec
    if not callable(fn):
        raise InvalidInput(f"expected={spec!r} must be 'unique' or the dotted path of a function point -> path")
    return fn


@dataclass(frozen=True, kw_only=True)
class RoutingArgs(ClaimArgs):
    """``certified_routing``: the MoE routing is unique (or the expected one) on every box."""

    construction: Construction
    expected: Literal["unique"] | Path = "unique"
    n_paths: Expr | None = None
    paths_relation: Literal["ge", "eq"] = "ge"
    interior: bool = True
    max_boxes: int | None = None  # default: 2^14 boxes (quick), 2^18 (full)
    time_budget: float | None = None  # default: 30 s (quick), 300 s (full)
    method: Method = "crown"


@register_check("certified_routing", args=RoutingArgs)
def certified_routing(claim: Claim, a: RoutingArgs, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    built = _built(a.construction, instance)
    expected = _expected_fn(a.expected)
    cert = _certify_routing(
        built,
        expected=expected,
        max_boxes=_per_profile(a.max_boxes, 1 << 14, 1 << 18, ctx),
        time_budget=_budget(a, ctx, 30.0, 300.0),
        method=a.method,
        device=ctx.device,
        interior=a.interior,
    )
    if cert.status is Status.REFUTED:
        return Outcome(
            verdict_of(cert.status),
            method=cert.method,
            why=cert.message,
            evidence=Evidence(
                point=tuple(str(p) for p in cert.witness),
                replay="exact rational routing",
                replayed_value=(str(cert.witness_path), str(cert.witness_path)),
                seed=ctx.seed,
                extra={"expected": str(cert.expected_path)},
            ),
        )
    part = cert.partition
    ev = Evidence(
        extra={
            "boxes": part.lo.shape[0],
            "ambiguous": part.ambiguous_lo.shape[0],
            "distinct_paths": cert.n_paths,
            "interior": part.interior,
        }
    )
    if a.n_paths is not None:
        want = eval_formula(a.n_paths, instance)
        rel = a.paths_relation
        # closed-domain count (the forward's tie-breaking; routes taken only on faces or at ties count):
        # lower <= number of routes <= upper
        lower, upper = route_count_bounds(built.net, part, device=ctx.device)
        n, top = len(lower), (len(upper) if upper is not None else None)
        ev = dataclasses.replace(
            ev, extra={**ev.extra, "paths_lower": n, "paths_upper": top if top is not None else "unbounded"}
        )
        counted = f"{n} <= distinct paths <= {top if top is not None else 'unbounded'} on the closed domain"
        verdict = verdict_of(_paths_status(n, top, want, rel))
        why = {Verdict.CERTIFIED: f"{counted} ({cert.message})", Verdict.FAIL: f"{counted}: not {rel} {want}"}.get(
            verdict, f"{counted}; {cert.message}"
        )
        measured = top if verdict is Verdict.FAIL and n <= want else n
        return Outcome(
            verdict, measured=measured, bound=float(want), sense=rel, method=cert.method, why=why, evidence=ev
        )
    return Outcome(verdict_of(cert.status), measured=cert.n_paths, method=cert.method, why=cert.message, evidence=ev)


def _paths_status(n: int, top: int | None, want, rel: str) -> Status:
    """Status of 'the number of distinct paths is ``rel`` ``want``' from the closed-domain bounds
    n <= count <= top (top None: no upper bound)."""
    if rel == "ge" and n >= want or rel == "eq" and n == top == want:
        return Status.PROVED
    if top is not None and top < want or rel == "eq" and n > want:
        return Status.REFUTED
    return Status.UNKNOWN


@dataclass(frozen=True, kw_only=True)
class LipschitzArgs(ClaimArgs):
    """``certified_lipschitz_constant``: |f(x) - f(y)| <= L ||x - y|| for a construction's target or a formula."""

    L: Expr
    construction: Construction | None = None
    output: int = 0
    function: str | None = None
    n_in: Expr = 1
    domain: tuple[tuple[Expr, Expr], ...] | None = None
    norm: Literal["2", "1", "inf"] = "2"
    max_boxes: int | None = None  # default: 200,000 boxes (quick), 2,000,000 (full)
    time_budget: float | None = None  # default: 30 s (quick), 300 s (full)

    def validate(self) -> None:
        if self.construction is None and (self.function is None or self.domain is None):
            raise ArgError("construction", "missing: give 'construction', or 'function', 'n_in' and 'domain'")
        if self.construction is not None and self.function is not None:
            raise ArgError("function", "give either 'construction' or 'function', not both")


def _lipschitz_target(a: LipschitzArgs, instance: Mapping[str, Any]):

    if a.construction is not None:
        built = _built(a.construction, instance)
        k = a.output
        return compile_target([built.target[k]], built.variables), np.array(built.domain_lo), np.array(built.domain_hi)
    assert a.function is not None and a.domain is not None  # LipschitzArgs.validate
    n_in = int(eval_formula(a.n_in, instance))
    expr = parse_expression(a.function, n_in)

    dom = [
        (formula_float(lo, instance, rounding="down"), formula_float(hi, instance, rounding="up"))
        for lo, hi in a.domain
    ]
    if len(dom) != n_in:
        raise InvalidInput(f"domain has {len(dom)} sides for n_in={n_in}")
    return compile_target([expr], input_symbols(n_in)), np.array([d[0] for d in dom]), np.array([d[1] for d in dom])


def _pair_violates(target, pair, L: Fraction, norm: str) -> tuple[bool, Fraction]:
    """Whether |f(x) - f(y)| > L ||x - y|| is proved by exact_value, and the proved gap lower bound."""

    f, vs = target.exprs[0], target.variables
    (xl, xh), (yl, yh) = (exact_value(f, vs, list(p)) for p in pair)
    gap = max(mpf_to_fraction(xl) - mpf_to_fraction(yh), mpf_to_fraction(yl) - mpf_to_fraction(xh), Fraction(0))
    diffs = [abs(u - v) for u, v in zip(*pair)]
    if norm == "2":
        return gap * gap > L * L * sum(t * t for t in diffs), gap
    return gap > L * (max(diffs) if norm == "inf" else sum(diffs)), gap


@register_check("certified_lipschitz_constant", args=LipschitzArgs)
def certified_lipschitz_constant(
    claim: Claim, a: LipschitzArgs, instance: Mapping[str, Any], ctx: CheckContext
) -> Outcome:

    target, lo, hi = _lipschitz_target(a, instance)
    L_down = formula_float(a.L, instance, rounding="down")
    L_up = formula_float(a.L, instance, rounding="up")
    norm = a.norm
    res = certified_lipschitz(
        target,
        lo,
        hi,
        L_down,
        norm=norm,
        max_boxes=_per_profile(a.max_boxes, 200_000, 2_000_000, ctx),
        time_budget=_budget(a, ctx, 30.0, 300.0),
    )
    method = f"interval branch and bound on ||grad f|| over {res.boxes:,} boxes"
    ev = Evidence(lower_bound=res.lower, upper_bound=res.upper, seed=ctx.seed, extra={"norm": norm})
    # the check's own re-check: the proved bound against L rounded down, the pair against L rounded up
    ok, gap = (
        _pair_violates(target, res.witness, Fraction(L_up), norm)
        if res.status is Status.REFUTED
        else (res.upper is not None and res.upper <= L_down, None)
    )
    verdict = verdict_of(res.status, confirmed=ok)
    if verdict is Verdict.CERTIFIED:
        return Outcome(
            verdict,
            measured=res.upper,
            bound=L_down,
            method=method,
            why=f"sup ||grad f|| <= {res.upper:.6g} <= L = {L_down:.6g}",
            evidence=ev,
        )
    if verdict is Verdict.FAIL:
        x, y = res.witness
        return Outcome(
            verdict,
            measured=res.lower,
            bound=L_down,
            method=method,
            why=f"|f(x) - f(y)| > L ||x - y||_{norm} at a replayed pair (L = {L_up:.6g})",
            evidence=Evidence(
                point=tuple(str(t) for t in (*x, *y)),
                replay="60-digit mpmath intervals",
                replayed_value=(str(gap), "inf"),
                lower_bound=res.lower,
                upper_bound=res.upper,
                seed=ctx.seed,
                extra={"norm": norm, "pair": "point = x then y"},
            ),
        )
    return Outcome(verdict, measured=res.upper, bound=L_down, method=method, why=res.message, evidence=ev)
