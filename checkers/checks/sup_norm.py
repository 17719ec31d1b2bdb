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

from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from checkers.certify import certified_routing as _certify_routing
from checkers.certify import certified_sup_error as _certify_sup
from checkers.checks._construct import (
    build_construction,
    eval_formula,
    formula_float,
    resolve,
)
from checkers.checks._outcome import Evidence, Outcome, Verdict, verdict_of
from checkers.checks._registry import CheckContext, register_check
from constructions import Built
from proofs import Status
from proofs import Claim, InvalidInput
from proofs.formula import (
    certified_lipschitz,
    compile_target,
    exact_value,
    input_symbols,
    mpf_to_fraction,
    parse_expression,
)


def _budget(a: Mapping[str, Any], ctx: CheckContext, default: float) -> float:
    left = ctx.time_left() - 2.0
    return max(0.5, min(float(a.get("time_budget", default)), left))


def _built(a: Mapping[str, Any], instance: Mapping[str, Any]) -> Built:
    built = build_construction(a["construction"], instance)
    if not isinstance(built, Built):
        raise InvalidInput(f"construction {a['construction']!r} returned {type(built).__name__}; expected a Built")
    return built


@register_check("certified_sup_error")
def certified_sup_error(claim: Claim, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    a = claim.args
    built = _built(a, instance)
    bound_down = formula_float(a["bound"], instance, rounding="down")
    bound_up = formula_float(a["bound"], instance, rounding="up")
    quick = ctx.profile == "quick"
    cert = _certify_sup(built, bound=bound_down, tol=float(a.get("tol", 0.01)),
                        max_boxes=int(a.get("max_boxes", 1 << 16 if quick else 1 << 20)),
                        time_budget=_budget(a, ctx, 60.0 if quick else 600.0), device=ctx.device, seed=ctx.seed,
                        method=a.get("method", "crown"))
    box = cert.worst_box
    # the check's own re-check: a refutation beats the bound rounded up, a proof meets it rounded down
    confirmed = (cert.witness_error[0] > Fraction(bound_up) if cert.status is Status.REFUTED
                 else cert.upper <= bound_down)
    verdict = verdict_of(cert.status, confirmed=confirmed)
    if verdict is Verdict.FAIL:
        lo, hi = cert.witness_error
        return Outcome(
            verdict, measured=float(lo), bound=bound_down, method=cert.method,
            why=f"error {float(lo):.6g} > bound {bound_up:.6g} at a replayed witness",
            evidence=Evidence(point=tuple(str(p) for p in cert.witness), replay=cert.replay,
                              replayed_value=(str(lo), str(hi)), lower_bound=cert.lower, upper_bound=cert.upper,
                              box=box, seed=ctx.seed, shrunk_from=cert.shrunk_from))
    ev = Evidence(lower_bound=cert.lower, upper_bound=cert.upper, box=box, seed=ctx.seed,
                  point=tuple(repr(p) for p in cert.lower_point), replay="sampled in float64 (not rigorous)",
                  extra={"boxes": cert.n_boxes, "single_route": cert.boxes_single_route,
                         "several_routes": cert.boxes_several_routes, "seconds": round(cert.seconds, 3)})
    if verdict is Verdict.CERTIFIED:
        return Outcome(verdict, measured=cert.upper, bound=bound_down, method=cert.method,
                       why=f"sup error in [{cert.lower:.6g}, {cert.upper:.6g}] <= {bound_down:.6g}", evidence=ev)
    why = (f"inconsistent replay: sampled error {cert.lower:.6g} > bound, not confirmed exactly"
           if cert.status is Status.REFUTED or cert.lower > bound_up else cert.message)
    return Outcome(verdict, measured=cert.upper, bound=bound_down, method=cert.method, why=why, evidence=ev)


def _expected_fn(spec):
    if spec == "unique":
        return "unique"
    fn = resolve(spec) if isinstance(spec, str) else spec
    if not callable(fn):
        raise InvalidInput(f"expected={spec!r} must be 'unique' or the dotted path of a function point -> path")
    return fn


@register_check("certified_routing")
def certified_routing(claim: Claim, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    a = claim.args
    built = _built(a, instance)
    expected = _expected_fn(a.get("expected", "unique"))
    quick = ctx.profile == "quick"
    cert = _certify_routing(built, expected=expected, max_boxes=int(a.get("max_boxes", 1 << 14 if quick else 1 << 18)),
                            time_budget=_budget(a, ctx, 30.0 if quick else 300.0), method=a.get("method", "crown"),
                            device=ctx.device, interior=bool(a.get("interior", True)))
    if cert.status is Status.REFUTED:
        return Outcome(verdict_of(cert.status), method=cert.method, why=cert.message,
                       evidence=Evidence(point=tuple(str(p) for p in cert.witness), replay="exact rational routing",
                                         replayed_value=(str(cert.witness_path), str(cert.witness_path)),
                                         seed=ctx.seed, extra={"expected": str(cert.expected_path)}))
    part = cert.partition
    ev = Evidence(extra={"boxes": part.lo.shape[0], "ambiguous": part.ambiguous_lo.shape[0],
                         "distinct_paths": cert.n_paths, "interior": part.interior})
    if "n_paths" in a:
        want = eval_formula(a["n_paths"], instance)
        rel = a.get("paths_relation", "ge")
        if rel not in ("ge", "eq"):
            raise InvalidInput(f"paths_relation={rel!r} must be 'ge' or 'eq'")
        n = cert.n_paths  # a certified lower bound on the number of distinct paths (exact when complete)
        verdict = verdict_of(_paths_status(cert.status, n, want, rel))
        why = {Verdict.CERTIFIED: f"{n} distinct expert paths certified ({cert.message})",
               Verdict.FAIL: f"the certified partition has {n} distinct paths, not {rel} {want}"}.get(
            verdict, f"{n} distinct paths on the certified boxes so far; {cert.message}")
        return Outcome(verdict, measured=n, bound=float(want), sense=rel, method=cert.method, why=why, evidence=ev)
    return Outcome(verdict_of(cert.status), measured=cert.n_paths, method=cert.method, why=cert.message, evidence=ev)


def _paths_status(routing: Status, n: int, want, rel: str) -> Status:
    """Status of 'the number of distinct paths is ``rel`` ``want``' given the routing certificate's status:
    the n paths found are a lower bound, exact only when the partition is complete (routing PROVED)."""
    if rel == "ge" and n >= want:
        return Status.PROVED
    if routing is not Status.PROVED:
        return Status.UNKNOWN
    holds = n >= want if rel == "ge" else n == want
    return Status.PROVED if holds else Status.REFUTED


def _lipschitz_target(a: Mapping[str, Any], instance: Mapping[str, Any]):

    if "construction" in a:
        built = _built(a, instance)
        k = int(a.get("output", 0))
        return compile_target([built.target[k]], built.variables), np.array(built.domain_lo), np.array(built.domain_hi)
    if "function" not in a or "domain" not in a:
        raise InvalidInput("certified_lipschitz_constant needs 'construction', or 'function', 'n_in' and 'domain'")
    n_in = int(eval_formula(a.get("n_in", 1), instance))
    expr = parse_expression(str(a["function"]), n_in)

    dom = [(formula_float(lo, instance, rounding="down"), formula_float(hi, instance, rounding="up"))
           for lo, hi in a["domain"]]
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


@register_check("certified_lipschitz_constant")
def certified_lipschitz_constant(claim: Claim, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:

    a = claim.args
    target, lo, hi = _lipschitz_target(a, instance)
    L_down = formula_float(a["L"], instance, rounding="down")
    L_up = formula_float(a["L"], instance, rounding="up")
    norm = str(a.get("norm", "2"))
    quick = ctx.profile == "quick"
    res = certified_lipschitz(target, lo, hi, L_down, norm=norm,
                              max_boxes=int(a.get("max_boxes", 200_000 if quick else 2_000_000)),
                              time_budget=_budget(a, ctx, 30.0 if quick else 300.0))
    method = f"interval branch and bound on ||grad f|| over {res.boxes:,} boxes"
    ev = Evidence(lower_bound=res.lower, upper_bound=res.upper, seed=ctx.seed, extra={"norm": norm})
    # the check's own re-check: the proved bound against L rounded down, the pair against L rounded up
    ok, gap = _pair_violates(target, res.witness, Fraction(L_up), norm) if res.status is Status.REFUTED else \
        (res.upper is not None and res.upper <= L_down, None)
    verdict = verdict_of(res.status, confirmed=ok)
    if verdict is Verdict.CERTIFIED:
        return Outcome(verdict, measured=res.upper, bound=L_down, method=method,
                       why=f"sup ||grad f|| <= {res.upper:.6g} <= L = {L_down:.6g}", evidence=ev)
    if verdict is Verdict.FAIL:
        x, y = res.witness
        return Outcome(verdict, measured=res.lower, bound=L_down, method=method,
                       why=f"|f(x) - f(y)| > L ||x - y||_{norm} at a replayed pair (L = {L_up:.6g})",
                       evidence=Evidence(point=tuple(str(t) for t in (*x, *y)), replay="60-digit mpmath intervals",
                                         replayed_value=(str(gap), "inf"), lower_bound=res.lower,
                                         upper_bound=res.upper, seed=ctx.seed,
                                         extra={"norm": norm, "pair": "point = x then y"}))
    return Outcome(verdict, measured=res.upper, bound=L_down, method=method, why=res.message, evidence=ev)
