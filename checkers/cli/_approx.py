"""``moecheck approx``: build the MoMLP of Kratsios et al. for a user's f, certify it, show the sizes.

    moecheck approx --function "sin(3*x0)*x1" --dim 2 --eps 0.05 [--lipschitz L]
                    [--experts constant|cpwl|deep] [--slope A] [--r R] [--device auto|cpu|cuda]
                    [--export FILE.pt] [--json PATH] [--time-budget S] [--max-boxes N]

Steps: parse f (bad text, eps <= 0 or NaN: one line, exit 2); if ``--lipschitz L`` is given, prove or
refute |f(x) - f(y)| <= L |x - y|_2 on [0,1]^n (a refuted L is a FAIL naming the constant, exit 1; an
undecided L is not used); build the MoMLP (``constructions.momlp.momlp``; without a proved L the
constants are computed soundly); certify sup |f - F| <= eps by CROWN branch and bound; print the
sizes counted from the network next to K1's formulas; exit 0 when certified, 1 otherwise.
``--export`` writes a TorchScript module, float64 (batch, n) -> (batch, 1), reloaded and compared.
``--json`` writes the same records as ``verify --json``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from checkers import report
from checkers.certify import certified_sup_error
from checkers.checks import Evidence, Outcome, Verdict, verdict_of
from checkers.report import check_writable, run_meta, write_json
from checkers.run import CheckResult, resolve_device
from constructions import compile_net, count_sizes
from constructions.momlp import momlp
from proofs import InvalidInput
from proofs.formula import (
    certified_lipschitz,
    compile_target,
    input_symbols,
    parse_expression,
)

__all__ = ["add_parser", "run"]

_THEOREM = ("kratsios2024/k1-uniform-approx", "K1", "kratsios2024")
_PROVENANCE = "statement: paper; construction: ours"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("approx", help="build and certify the MoMLP for a function (Kratsios et al. K1)")
    p.add_argument("--function", required=True, metavar="EXPR", help='f in x0..x{n-1}, e.g. "sin(3*x0)*x1"')
    p.add_argument("--dim", required=True, type=int, metavar="N", help="input dimension n (domain [0,1]^n)")
    p.add_argument("--eps", required=True, type=float, metavar="E", help="target sup error (> 0)")
    p.add_argument("--lipschitz", type=float, metavar="L", help="a claimed 2-norm Lipschitz constant (checked)")
    p.add_argument("--experts", default="constant", choices=["constant", "cpwl", "deep"], help="expert family")
    p.add_argument("--slope", type=float, default=0.0, metavar="A", help="PReLU slope a in [0, 1] (default 0: ReLU)")
    p.add_argument("--r", type=float, metavar="R", help="deep experts: trade-off exponent r in [0, n/2] (default n/4)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="torch device (default auto)")
    p.add_argument("--time-budget", type=float, default=120.0, metavar="S", help="certifier seconds (default 120)")
    p.add_argument("--max-boxes", type=int, metavar="N",
                   help="boxes the certifier may bound (default: as many as its memory budget keeps; the time "
                        "budget ends the search)")
    p.add_argument("--export", metavar="FILE.pt", help="write the network as TorchScript (float64 (B, n) -> (B, 1))")
    p.add_argument("--json", metavar="PATH", help="write the result records (same schema as verify --json)")
    p.set_defaults(handler=run)


def _validate(args) -> None:
    if not (isinstance(args.dim, int) and 1 <= args.dim <= 8):
        raise InvalidInput(f"--dim {args.dim!r}: expected an integer in 1..8")
    if not (math.isfinite(args.eps) and args.eps > 0):
        raise InvalidInput(f"--eps {args.eps!r}: expected a finite number > 0")
    if args.lipschitz is not None and not (math.isfinite(args.lipschitz) and args.lipschitz > 0):
        raise InvalidInput(f"--lipschitz {args.lipschitz!r}: expected a finite number > 0")
    if not (0.0 <= args.slope <= 1.0):
        raise InvalidInput(f"--slope {args.slope!r}: expected a PReLU slope in [0, 1]")
    if not (math.isfinite(args.time_budget) and args.time_budget > 0):
        raise InvalidInput(f"--time-budget {args.time_budget!r}: expected a positive number of seconds")
    if args.max_boxes is not None and args.max_boxes < 1:
        raise InvalidInput(f"--max-boxes {args.max_boxes!r}: expected a positive integer")


def _row(claim: str, statement: str, instance: dict, outcome: Outcome, seconds: float, device: str,
         claim_provenance: str = "ours") -> CheckResult:
    tid, label, paper = _THEOREM
    return CheckResult(theorem_id=tid, theorem_label=label, paper=paper, claim=claim, statement=statement,
                       instance=instance, outcome=outcome, seconds=seconds, device=device, provenance=_PROVENANCE,
                       claim_provenance=claim_provenance, repro="moecheck approx " + " ".join(
                           f"--{k.replace('_', '-')} {v!r}" for k, v in instance.items()))


def _check_lipschitz(expr, variables, n: int, L: float, budget: float):

    t = compile_target([expr], list(variables))
    res = certified_lipschitz(t, [0.0] * n, [1.0] * n, float(L), norm="2", time_budget=min(30.0, budget))
    verdict = verdict_of(res.status)
    witness = None
    if res.witness is not None:
        witness = tuple(f"{p}" for pt in res.witness for p in pt)
    why = (f"the Lipschitz constant L={L:g} is wrong: {res.message}" if verdict is Verdict.FAIL else
           f"Lipschitz constant L={L:g}: {res.message}")
    return res, Outcome(verdict, measured=res.upper if res.upper is not None else res.lower, bound=L, sense="le",
                        method=f"interval branch and bound on ||grad f||_2 over {res.boxes} boxes", why=why,
                        evidence=Evidence(point=witness, lower_bound=res.lower, upper_bound=res.upper,
                                          replay="exact (mpmath, 60 digits)" if witness else None))


def _sizes_rows(built, n: int, eps: float, instance: dict, device: str) -> list[CheckResult]:

    s, D = count_sizes(built.net), int(built.meta["depth"])
    rows = []

    def size_row(name, statement, measured, bound, sense):
        holds = {"le": measured <= bound, "eq": measured == bound}[sense]
        out = Outcome(Verdict.CERTIFIED if holds else Verdict.FAIL, measured=measured, bound=bound, sense=sense,
                      method="counted from the built network", why=f"{statement}: {measured} vs {bound:g}")
        rows.append(_row(name, statement, instance, out, 0.0, device))

    size_row("routing_path_eq_n_depth", "routing_path_params == n D", s.routing_path_params, n * D, "eq")
    if built.meta["family"] == "constant":
        size_row("params_per_expert_le_c_over_eps", "params_per_expert <= (n + 1) / eps", s.params_per_expert,
                 (n + 1) / eps, "le")
    return rows


def _export(built, path: str, device: str) -> str:
    import torch


    module = compile_net(built.net, dtype=torch.float64, device=device, mode="gather").eval()
    n = built.net.n_in
    example = torch.rand(7, n, dtype=torch.float64, device=device)
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    traced.save(str(p))
    loaded = torch.jit.load(str(p), map_location=device)
    x = torch.rand(1000, n, dtype=torch.float64, device=device)
    with torch.no_grad():
        a, b = loaded(x), module(x)
    if a.shape != (1000, 1) or not torch.equal(a, b):
        raise RuntimeError(f"exported module does not reproduce the network (shape {tuple(a.shape)})")
    return f"wrote {p} (TorchScript, float64 (batch, {n}) -> (batch, 1); reloaded and matched on 1000 points)"


def run(args) -> int:
    """The ``approx`` handler: exit 0 certified, 1 FAIL or not certified, 2 bad input (raised)."""


    _validate(args)
    n, eps = args.dim, float(args.eps)
    expr = parse_expression(args.function, n)
    if args.json:
        check_writable(args.json, "--json")
    if args.export:
        check_writable(args.export, "--export")
    device = resolve_device(args.device)


    console = report.make_console()
    instance = {"function": args.function, "dim": n, "eps": eps, "experts": args.experts}
    if args.lipschitz is not None:
        instance["lipschitz"] = args.lipschitz
    results: list[CheckResult] = []
    L = None
    if args.lipschitz is not None:
        t0 = time.perf_counter()
        res, out = _check_lipschitz(expr, input_symbols(n), n, args.lipschitz, args.time_budget)
        results.append(_row("lipschitz_constant_valid", f"|f(x) - f(y)| <= {args.lipschitz:g} |x - y|_2", instance,
                            out, time.perf_counter() - t0, device))
        if out.verdict is Verdict.FAIL:
            console.print(f"FAIL     Lipschitz constant L={args.lipschitz:g} of f = {expr} on [0,1]^{n}")
            console.print(f"values   {res.message}")
            return _finish(args, results, console, device, run_meta, 1)
        if out.verdict is Verdict.CERTIFIED:
            L = float(args.lipschitz)
            console.print(f"Lipschitz constant L={L:g} certified ({res.message})")
        else:
            console.print(f"UNKNOWN  Lipschitz constant L={args.lipschitz:g} not decided ({res.message}); "
                          "it is not used: constants are computed instead")
    t0 = time.perf_counter()
    built = momlp(expr, n, eps, experts=args.experts, lipschitz=L, slope=args.slope, r=args.r)
    cert = certified_sup_error(built, bound=eps, tol=0.02, time_budget=args.time_budget, device=device,
                               max_boxes=args.max_boxes)
    seconds = time.perf_counter() - t0
    verdict = verdict_of(cert.status)
    witness = tuple(str(v) for v in cert.witness) if cert.witness is not None else None
    measured = float(cert.witness_error[0]) if verdict is Verdict.FAIL and cert.witness_error else cert.upper
    why = f"{cert.message} (semantics: {cert.semantics})" if verdict is Verdict.CERTIFIED else cert.message
    out = Outcome(verdict, measured=measured, bound=eps, sense="le", method=cert.method, why=why,
                  evidence=Evidence(point=witness, lower_bound=cert.lower, upper_bound=cert.upper,
                                    box=cert.worst_box, replay=cert.replay or None,
                                    replayed_value=tuple(str(v) for v in cert.witness_error) if cert.witness_error else None,
                                    shrunk_from=cert.shrunk_from or None, extra=dict(built.meta)))
    results.append(_row("sup_error_le_eps", f"sup_[0,1]^{n} |f - F| <= eps", instance, out, seconds, device,
                        claim_provenance="paper"))
    results += _sizes_rows(built, n, eps, instance, device)
    _print(console, built, expr, n, eps, cert, verdict)
    if args.export and verdict is Verdict.CERTIFIED:
        console.print(_export(built, args.export, device))
    failed = any(r.verdict.is_failure for r in results) or verdict is not Verdict.CERTIFIED
    return _finish(args, results, console, device, run_meta, 1 if failed else 0)


def _finish(args, results, console, device, run_meta, code: int) -> int:

    if args.json:
        write_json(results, args.json, run_meta(command="approx", device=device))
        console.print(f"wrote {args.json}")
    return code


def _print(console, built, expr, n: int, eps: float, cert, verdict: Verdict) -> None:
    from rich.markup import escape
    from rich.table import Table


    s, m = count_sizes(built.net), built.meta
    D, k = int(m["depth"]), int(m["sub_level"])
    t = Table(title=f"MoMLP for f = {expr} on [0,1]^{n}, eps = {eps:g} (construction: ours)", title_justify="left")
    for col in ("quantity", "counted", "formula (ours)", "value"):
        t.add_column(col)
    t.add_row("router depth D", str(D), "least level with our bound <= eps", f"bound {m['error_bound']:.4g}")
    t.add_row("experts", str(s.n_experts), "2^(n D)", str(2 ** (n * D) if D else 1))
    t.add_row("parameters per expert", str(s.params_per_expert),
              "n + 1 <= (n + 1) / eps" if m["family"] == "constant" else f"{m['family']} expert" +
              (f", sub-grid 2^{k}" if k else ""), f"{(n + 1) / eps:.4g}" if m["family"] == "constant" else "-")
    t.add_row("routing path parameters", str(s.routing_path_params), "n D", str(n * D))
    t.add_row("active parameters", str(s.active_params), "n D + params per expert", str(n * D + s.params_per_expert))
    t.add_row("all parameters", str(s.n_params), "-", "-")
    consts = ", ".join(f"{k[6:]}={v:.4g}" for k, v in m.items() if k.startswith("const_") and isinstance(v, float))
    t.caption = escape(f"constants (sound, [ours]): {consts}") if consts else None
    console.print(t)
    label = {Verdict.CERTIFIED: "CERTIFIED", Verdict.FAIL: "FAIL", Verdict.UNKNOWN: "UNKNOWN"}[verdict] + " "
    console.print(f"{label:<9}K1 momlp_uniform_approx  (construction: ours)", markup=False)
    console.print(f"claim    sup_[0,1]^{n} |f-F| <= eps   eps={eps:g} n={n} D={D} experts={m['family']}")
    console.print(f"values   sup error in [{cert.lower:.6g}, {cert.upper:.6g}] (lower: a sampled point replayed exactly, upper: certified; "
                  f"margin {eps - cert.upper:+.3g})")
    if cert.witness is not None:
        console.print(f"witness  x=({', '.join(str(float(v)) for v in cert.witness)})  {cert.shrunk_from}; {cert.replay}")
    console.print(f"method   {cert.method}; {cert.seconds:.1f} s")
    console.print(f"covers   {cert.semantics}")

