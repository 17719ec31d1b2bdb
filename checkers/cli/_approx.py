"""``moecheck approx``: build the MoMLP of Kratsios et al. for a user's f, certify it, show the sizes.

    moecheck approx --function "sin(3*x0)*x1" --dim 2 --eps 0.05 [--lipschitz L]
                    [--experts constant|cpwl|deep] [--slope A] [--r R] [--device auto|cpu|cuda]
                    [--export FILE.pt] [--json PATH] [--markdown PATH] [--junit PATH] [--time-budget S]
                    [--max-boxes N] [--max-memory SIZE]

``approx`` is K1 (``kratsios2024/k1-uniform-approx``) at the user's instance, run by the same runner as
``verify``: its claims become rows (``lipschitz_constant_valid`` when ``--lipschitz`` is given,
``sup_error_le_eps``, and for constant experts ``params_per_expert_le_c_over_eps`` and, with a certified L,
``routing_path_eq_n_depth``), shown, written and counted exactly as ``verify`` does (same closing line,
exit 1 iff a row FAILs or ERRORs). Before any work: bad text, a function that is undefined somewhere on
[0, 1]^n as written or not proved real there (``x0/x0``, which sympy would rewrite to 1, included), eps <= 0 or
NaN, an output path that cannot be written, or a network whose estimated size is over ``--max-memory`` is one
line and exit 2. A refuted L is
a FAIL row and stops (exit 1); an undecided L is not used (constants are computed soundly instead).
``--time-budget`` covers parsing, building and certifying. ``--export`` writes a TorchScript module,
float64 (batch, n) -> (batch, 1), reloaded and compared, when the sup error is certified.
"""

from __future__ import annotations

import dataclasses
import math
import shlex
import time
from pathlib import Path

import sympy

from checkers import report
from checkers.checks import Outcome, Verdict
from checkers.cli._common import add_budget_option, add_output_options, outputs_of, show_and_write
from checkers.report import check_writable
from checkers.run import CheckResult, RunConfig, RunItem, make_result, resolve_device, run_checks
from proofs import Claim, InvalidInput, Provenance, Status, lookup
from proofs.formula import parse_expression, quote
from proofs.prover import Domain, prove_defined

__all__ = ["add_parser", "run"]

K1 = "kratsios2024/k1-uniform-approx"


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
    p.add_argument(
        "--time-budget",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds for parsing, building and certifying (default 120)",
    )
    p.add_argument(
        "--max-boxes",
        type=int,
        metavar="N",
        help="boxes the certifier may bound (default: as many as its memory budget keeps; the time "
        "budget ends the search)",
    )
    p.add_argument("--export", metavar="FILE.pt", help="write the network as TorchScript (float64 (B, n) -> (B, 1))")
    add_output_options(p)
    add_budget_option(p)
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


def _export(built, path: str, device: str) -> str:
    import torch

    from constructions import compile_net

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


def _instance(args, lipschitz: float | None) -> dict:
    inst = {"function": args.function, "n_in": args.dim, "eps": float(args.eps), "experts": args.experts}
    if lipschitz is not None:
        inst["lipschitz"] = float(lipschitz)
    if args.slope:
        inst["slope"] = float(args.slope)
    if args.r is not None:
        inst["r"] = float(args.r)
    return inst


def _claims(args, budget: float, lipschitz_certified: bool) -> list[Claim]:
    """K1's claims that apply at the user's instance, with the command's budgets."""
    k1 = lookup(K1)
    sup = k1.claim("sup_error_le_eps")
    extra = {"time_budget": budget} | ({"max_boxes": args.max_boxes} if args.max_boxes is not None else {})
    out = [dataclasses.replace(sup, args={**sup.args, **extra})]
    if args.experts == "constant":
        out.append(k1.claim("params_per_expert_le_c_over_eps"))
        if lipschitz_certified:
            out.append(k1.claim("routing_path_eq_n_depth"))
    return out


def _lipschitz_claim(args) -> Claim:
    """|f(x) - f(y)| <= L |x - y|_2 on [0, 1]^n for the parsed formula (never trusted)."""
    L = sympy.Symbol("lipschitz", positive=True)
    return Claim(
        name="lipschitz_constant_valid",
        check="certified_lipschitz_constant",
        statement=f"Lipschitz constant L={args.lipschitz:g}: |f(x) - f(y)| <= L |x - y|_2 on [0,1]^{args.dim}",
        args={
            "function": args.function,
            "n_in": args.dim,
            "domain": ((0, 1),) * args.dim,
            "L": L,
            "norm": "2",
            "time_budget": 30.0,
        },
        provenance=Provenance.OURS,
    )


def _repro(args) -> str:
    parts = [
        "moecheck",
        "approx",
        "--function",
        args.function,
        "--dim",
        str(args.dim),
        "--eps",
        repr(args.eps),
        "--experts",
        args.experts,
        "--time-budget",
        f"{args.time_budget:g}",
    ]
    for flag, v in (
        ("--lipschitz", args.lipschitz),
        ("--slope", args.slope or None),
        ("--r", args.r),
        ("--max-boxes", args.max_boxes),
    ):
        if v is not None:
            parts += [flag, repr(v)]
    return shlex.join(parts)


def _require_fits(args, lipschitz: float | None) -> dict:
    """The levels of the network that would be built, refused (exit 2) when over the memory budget."""
    from constructions import require_memory  # torch loads with the constructions: not when the CLI starts
    from constructions.momlp import momlp_levels

    lv = momlp_levels(args.function, args.dim, float(args.eps), experts=args.experts, lipschitz=lipschitz, r=args.r)
    require_memory(
        lv["bytes"],
        f"--function {args.function[:60]!r} at --eps {args.eps:g}: the MoMLP on [0,1]^{args.dim} "
        f"(router depth D={lv['depth']}: 2^{args.dim * lv['depth']} {args.experts} experts)",
    )
    return lv


def _require_defined(args) -> None:
    """``--function`` as written (before sympy rewrites ``x0/x0`` to 1) proved real on [0, 1]^n, else InvalidInput."""
    written: list[sympy.Basic] = []
    parse_expression(args.function, args.dim, written_out=written)  # bounded: a bad or huge formula is one line
    proof = prove_defined(written, Domain.from_args({f"x{i}": (0, 1) for i in range(args.dim)}), budget=2000)
    if proof.status is Status.PROVED:
        return
    where = f"[0, 1]^{args.dim}"
    if proof.status is Status.REFUTED:
        pt = ", ".join(f"{k}={v}" for k, v in (proof.point or {}).items())
        raise InvalidInput(f"--function {quote(args.function)} is not defined at {pt} in {where}: {proof.method}")
    raise InvalidInput(f"--function {quote(args.function)} is not proved real on the whole of {where}: {proof.method}")


def run(args) -> int:
    """The ``approx`` handler: every row shown and counted as ``verify`` does; 2 on bad input (raised)."""
    t_start = time.monotonic()
    _validate(args)
    outputs = outputs_of(args)
    if args.export:
        check_writable(args.export, "--export")
    _require_defined(args)  # bounded parse, then f as written is real on [0, 1]^n: else one line, exit 2
    device = resolve_device(args.device)
    _require_fits(args, args.lipschitz)
    k1 = lookup(K1)

    def left() -> float:
        return args.time_budget - (time.monotonic() - t_start)

    def config(timeout: float) -> RunConfig:
        # a hard stop can land late (a long numpy call): ask for less so the command keeps its budget
        return RunConfig(theorem_ids=(K1,), device=device, timeout=max(0.5, 0.9 * timeout), out_dir=Path("reports"))

    results: list[CheckResult] = []
    L = None
    with report.ProgressReporter(3 + (args.lipschitz is not None)) as progress:
        if args.lipschitz is not None:
            item = RunItem(k1, _lipschitz_claim(args), _instance(args, args.lipschitz))
            results += run_checks(
                config(min(30.0, left())), items=[item], on_start=progress.on_start, on_result=progress.on_result
            )
            if results[-1].verdict is Verdict.FAIL:  # a wrong constant: nothing is built from it
                results = [dataclasses.replace(r, repro=_repro(args)) for r in results]
                return show_and_write(results, args, outputs, meta={"command": "approx", "device": device})
            if results[-1].verdict is Verdict.CERTIFIED:
                L = float(args.lipschitz)
            else:
                _require_fits(args, None)  # the network without L: checked before it is built
        inst = _instance(args, L)
        for item in (RunItem(k1, c, inst) for c in _claims(args, max(0.5, left() - 1.0), L is not None)):
            if left() < 0.5:  # one budget for the whole command: a row it cannot reach is not run
                out = Outcome(
                    Verdict.UNKNOWN, method="time budget", why="not run: --time-budget spent on the rows before"
                )
                results.append(make_result(item, out, 0.0, device))
                continue
            results += run_checks(
                config(left()), items=[item], on_start=progress.on_start, on_result=progress.on_result
            )
    results = [dataclasses.replace(r, repro=_repro(args)) for r in results]
    sup = next(r for r in results if r.claim == "sup_error_le_eps")
    head = []
    if sup.outcome.method not in ("size guard", "time budget", "exception"):  # the network was built (cached)
        from constructions.momlp import momlp

        built = momlp(
            args.function, args.dim, float(args.eps), experts=args.experts, lipschitz=L, slope=args.slope, r=args.r
        )
        head.append(_sizes_table(built, args.dim, float(args.eps)))
    code = show_and_write(results, args, outputs, meta={"command": "approx", "device": device}, head=head)
    if args.export and sup.verdict is Verdict.CERTIFIED:
        report.make_console().print(report.safe_text(_export(built, args.export, device)), markup=False)
    return code


def _sizes_table(built, n: int, eps: float):
    from rich.markup import escape
    from rich.table import Table

    from constructions import count_sizes

    s, m = count_sizes(built.net), built.meta
    D, k = int(m["depth"]), int(m["sub_level"])
    t = Table(
        title=f"MoMLP for f = {report.safe_text(built.target[0])} on [0,1]^{n}, eps = {eps:g} (construction: ours)",
        title_justify="left",
    )
    for col in ("quantity", "counted", "formula (ours)", "value"):
        t.add_column(col)
    t.add_row("router depth D", str(D), "least level with our bound <= eps", f"bound {m['error_bound']:.4g}")
    t.add_row("experts", str(s.n_experts), "2^(n D)", str(2 ** (n * D) if D else 1))
    t.add_row(
        "parameters per expert",
        str(s.params_per_expert),
        "n + 1 <= (n + 1) / eps"
        if m["family"] == "constant"
        else f"{m['family']} expert" + (f", sub-grid 2^{k}" if k else ""),
        f"{(n + 1) / eps:.4g}" if m["family"] == "constant" else "-",
    )
    t.add_row("routing path parameters", str(s.routing_path_params), "n D", str(n * D))
    t.add_row("active parameters", str(s.active_params), "n D + params per expert", str(n * D + s.params_per_expert))
    t.add_row("all parameters", str(s.n_params), "-", "-")
    consts = ", ".join(f"{k[6:]}={v:.4g}" for k, v in m.items() if k.startswith("const_") and isinstance(v, float))
    t.caption = escape(f"constants (sound, [ours]): {consts}") if consts else None
    return t
