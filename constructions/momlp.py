"""The MoMLP of Kratsios et al. (arXiv 2402.03460): a dyadic tree router with (P)ReLU MLP experts [ours].

Construction (THEOREMS.md, "Our construction for K1/K2"; every constant below is ours):

* Router: ``dyadic_tree_router(n, D)`` on [0, 1]^n, 2^n children per node, child centres
  c +- 2^-(d+2) s; routing to the nearest child centre <=> s_i = sign(x_i - c_i), so after D levels
  the leaf cell (side h = 2^-D) contains x. The routing path reads n D numbers.
* Experts, one architecture per mixture (``StackedExperts``), PReLU slope a:
  ``constant``: F = f(c_k) on cell k (one affine layer, n + 1 parameters);
  ``cpwl``: the Kuhn-triangulation interpolant of f at the cell's 2^n vertices (exact network);
  ``deep``: the interpolant on a 2^k-per-axis sub-grid of the cell (a deep narrow hat-sum network,
  about 2^(n k) times larger), k = round(r log2(1/eps) / n): experts ~ eps^-r (the K2 trade-off).
* Depth from eps, with sound constants from interval enclosures of grad f and Hess f on a dyadic
  grid of boxes (``proofs.formula._enclosure``): A = max_box sum_j sup|d_j f|, S = max_box sum_jk sup|d_jk f|
  (S = inf when f is not C^2, e.g. |x0 - 0.3|). On a cell or sub-cell of side d inside one box,
  constant expert:  |f(x) - f(c)| <= A d / 2  (mean value theorem, |x_j - c_j| <= d/2);
  interpolant:      |f - I f| <= min(A d / 2, S d^2 / 8)   (Taylor at x against the simplex
  vertices v_i: sum_i lambda_i |v_ij - x_j| |v_ik - x_k| <= d^2 / 4).
  A given Lipschitz constant L (2-norm) replaces A by L sqrt(n), which is THEOREMS.md's rule
  D = ceil(log2(L sqrt(n) / (2 eps))). D (or the grid level T = D + k) is the least level whose bound
  is <= eps. The certifier then checks the network that was built, never this bound.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy

from constructions._budget import require_memory
from constructions._cpwl_experts import (
    hat_sum_program,
    line_program,
    lovasz_program,
    moebius,
    stack_program,
)
from constructions.ir import Built, Net, NetBuilder, StackedExperts, dyadic_tree_router
from proofs import InvalidInput
from proofs.formula import compile_target, input_symbols, parse_expression

__all__ = [
    "FAMILIES",
    "TargetBounds",
    "target_bounds",
    "momlp",
    "single_network",
    "momlp_net",
    "expert_level",
    "momlp_levels",
    "momlp_bytes",
]

FAMILIES = ("constant", "cpwl", "deep")
MAX_LEVEL = 30
#: boxes used for the derivative bounds: a dyadic grid of at most 2^BOX_BITS boxes
BOX_BITS = 14


def _target(function, n_in: int) -> tuple[sympy.Expr, tuple[sympy.Symbol, ...]]:

    if not (isinstance(n_in, (int, np.integer)) and not isinstance(n_in, bool) and 1 <= n_in <= 8):
        raise InvalidInput(f"n_in={n_in!r} must be an integer in 1..8")
    n_in = int(n_in)
    variables = input_symbols(n_in)
    if isinstance(function, str):
        return parse_expression(function, n_in), variables
    expr = sympy.sympify(function)
    by_name = {v.name: v for v in variables}
    extra = [s.name for s in expr.free_symbols if s.name not in by_name]
    if extra:
        raise InvalidInput(f"function {expr} uses {sorted(extra)}; expected only x0..x{n_in - 1}")
    return expr.xreplace({s: by_name[s.name] for s in expr.free_symbols}), variables


def _positive(name: str, v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name}={v!r} must be a positive number") from None
    if not (math.isfinite(x) and x > 0):
        raise InvalidInput(f"{name}={v!r} must be a finite number > 0")
    return x


@dataclass(frozen=True)
class TargetBounds:
    """Sound derivative constants of f on [0, 1]^n over the dyadic grid of level ``level`` (valid for
    every cell of level >= ``level``): A = max_box sum_j sup|d_j f|, S = max_box sum_jk sup|d_jk f|."""

    level: int
    A: float
    S: float


@functools.lru_cache(maxsize=256)
def _bounds_cached(expr: sympy.Expr, variables: tuple, level: int) -> TargetBounds:

    n = len(variables)
    t = compile_target([expr], list(variables))
    k = 2**level
    idx = np.array(np.meshgrid(*[np.arange(k)] * n, indexing="ij")).reshape(n, -1).T
    lo, hi = idx / k, (idx + 1) / k  # exact dyadic boxes
    g_lo, g_hi = t.grad_interval(lo, hi)
    h_lo, h_hi = t.hessian_interval(lo, hi)
    # per box: sum of the sups of |entry|; rounded up by a relative 1e-12 (sums of a few floats)
    g = np.maximum(np.abs(g_lo), np.abs(g_hi))[:, 0, :].sum(axis=1)
    h = np.maximum(np.abs(h_lo), np.abs(h_hi))[:, 0].reshape(lo.shape[0], -1).sum(axis=1)
    A = float(np.max(g)) * (1 + 1e-12)
    S = float(np.max(h)) * (1 + 1e-12)
    return TargetBounds(level, A if math.isfinite(A) else math.inf, S if math.isfinite(S) else math.inf)


def target_bounds(function, n_in: int, level: int) -> TargetBounds:
    """:class:`TargetBounds` on the level-``level`` grid (capped so the grid has <= 2^BOX_BITS boxes)."""
    expr, variables = _target(function, n_in)
    level = max(0, min(int(level), BOX_BITS // n_in))
    return _bounds_cached(expr, variables, level)


def _interp_bound(b: TargetBounds, T: int) -> float:
    d = 2.0**-T
    return min(b.A * d / 2, b.S * d * d / 8)


def expert_level(
    function, n_in: int, eps: float, *, experts: str, lipschitz: float | None = None
) -> tuple[int, float, dict]:
    """The least grid level T (cell side 2^-T; for ``deep`` the sub-grid level) whose error bound is
    <= eps, the bound, and the constants used."""
    n = int(n_in)
    for T in range(1, MAX_LEVEL + 1):
        if lipschitz is not None:  # |f(x) - f(y)| <= L |x - y|_2 and |x - c|_2 <= sqrt(n) d / 2
            Lr = lipschitz * math.sqrt(n)
            bound = Lr * 2.0**-T / 2
            consts = {"lipschitz": lipschitz, "A": Lr, "S": None}
            if experts != "constant":
                b = target_bounds(function, n, T)
                bound = min(bound, b.S * 4.0**-T / 8)
                consts["S"] = b.S
        else:
            b = target_bounds(function, n, T)
            bound = b.A * 2.0**-T / 2 if experts == "constant" else _interp_bound(b, T)
            consts = {"lipschitz": None, "A": b.A, "S": b.S, "bounds_level": b.level}
        if bound <= eps:
            return T, bound, consts
    if not math.isfinite(consts["A"]):
        raise InvalidInput(
            f"function {function} has no finite Lipschitz bound on [0, 1]^{n} (its gradient enclosure "
            "is unbounded); expected a Lipschitz function"
        )
    raise InvalidInput(f"eps={eps!r}: no grid level <= {MAX_LEVEL} reaches the error bound (constants {consts})")


def _grid_values(expr, variables, T: int) -> np.ndarray:
    """f at the (2^T + 1)^n nodes j / 2^T (float evaluation; the certifier checks the result)."""

    n = len(variables)
    k = 2**T
    axes = np.arange(k + 1) / k
    pts = np.array(np.meshgrid(*[axes] * n, indexing="ij")).reshape(n, -1).T
    vals = compile_target([expr], list(variables)).eval(pts)[:, 0]
    if not np.all(np.isfinite(vals)):
        raise InvalidInput(f"function {expr} is not finite on the grid of [0, 1]^{n}")
    return vals.reshape((k + 1,) * n)


def _experts(family: str, expr, variables, D: int, k: int, slope: float, cell_lo: np.ndarray) -> StackedExperts:
    """The stacked experts of the cells with lower corners ``cell_lo`` (E, n), side 2^-D."""
    n = len(variables)
    E = cell_lo.shape[0]
    h = 2.0**-D
    if family == "constant":
        vals = compile_target([expr], list(variables)).eval(cell_lo + h / 2)[:, 0]
        return StackedExperts((np.zeros((E, 1, n)),), (vals[:, None],), slope=slope)
    m = 2**k
    grid = _grid_values(expr, variables, D + k)
    base = np.rint(cell_lo * 2 ** (D + k)).astype(np.int64)  # (E, n) grid index of the corner
    offs = np.array(np.meshgrid(*[np.arange(m + 1)] * n, indexing="ij")).reshape(n, -1).T  # product order
    vals = grid[tuple((base[:, None, :] + offs[None, :, :]).transpose(2, 0, 1))]  # (E, (m+1)^n)
    if n == 1:
        prog, U, R = line_program(m, E, slope)
        s = np.diff(vals, axis=1)  # slope per unit of m u
        coef = np.zeros((E, prog.n_prev))
        coef[:, U] = s[:, 0] * m
        for j, q in enumerate(R, start=1):
            coef[:, q] = s[:, j] - s[:, j - 1]
        return stack_program(prog, cell_lo, h, coef, vals[:, 0], slope=slope)
    if m == 1:
        # vertex 1_S in mask order: offs rows are product order (x0 slowest); mask bit i <-> coordinate i
        masks = (offs * (1 << np.arange(n))[None, :]).sum(axis=1)
        g = np.empty((E, 1 << n))
        g[:, masks] = vals
        mu = moebius(g)
        prog, qs = lovasz_program(n, E, slope)
        coef = np.zeros((E, prog.n_prev))
        for s, q in enumerate(qs, start=1):
            coef[:, q] += mu[:, s]
        return stack_program(prog, cell_lo, h, coef, g[:, 0], slope=slope)
    fmin = vals.min(axis=1)
    prog, acc = hat_sum_program(n, m, vals - fmin[:, None], slope)
    coef = np.zeros((E, prog.n_prev))
    for q, c in acc.items():
        coef[:, q] += c
    return stack_program(prog, cell_lo, h, coef, fmin, slope=slope)


def momlp_net(
    function, n_in: int, *, depth: int, experts: str = "constant", sub_level: int = 0, slope: float = 0.0
) -> Net:
    """The MoMLP network for explicit levels: router depth D = ``depth`` (D = 0: one MLP, no router),
    expert family ``experts`` and, for ``deep``, the sub-grid level k = ``sub_level`` (2^k per axis).

    Arguments:
        function: a formula in x0..x{n-1} (str) or a sympy expression; n_in: n.
    Returns:
        Net: x (batch, n) -> (batch, 1).
    """
    expr, variables = _target(function, n_in)
    n = len(variables)
    if experts not in FAMILIES:
        raise InvalidInput(f"experts={experts!r} must be one of {', '.join(FAMILIES)}")
    if not (isinstance(depth, (int, np.integer)) and depth >= 0):
        raise InvalidInput(f"depth={depth!r} must be a non-negative integer")
    slope = float(slope)
    if not (0.0 <= slope <= 1.0):
        raise InvalidInput(f"slope a={slope!r} must lie in [0, 1]")
    k = int(sub_level) if experts == "deep" else 0
    if experts == "deep" and k < 1:
        raise InvalidInput(f"sub_level={sub_level!r}: deep experts need a sub-grid level k >= 1")
    depth = int(depth)
    b = NetBuilder(n)
    if depth == 0:
        ex = _experts(experts, expr, variables, 0, k, slope, np.zeros((1, n)))
        h = b.input
        for i, (w, bias) in enumerate(zip(ex.weights, ex.biases)):
            h = b.affine(h, w[0], bias[0])
            if i < ex.n_layers - 1:
                h = b.prelu(h, slope) if slope else b.relu(h)
        return b.build(h, name=f"mlp-{experts}-k{k}")
    router = dyadic_tree_router(n, depth)
    cell_lo, _ = router.leaf_cells(np.zeros(n), np.ones(n))
    ex = _experts(experts, expr, variables, depth, k, slope, cell_lo)
    out = b.moe(b.input, router, ex)
    return b.build(out, name=f"momlp-{experts}-D{depth}" + (f"-k{k}" if k else ""))


def _validate(n_in, eps, experts, lipschitz, slope, r):
    eps = _positive("eps", eps)
    if experts not in FAMILIES:
        raise InvalidInput(f"experts={experts!r} must be one of {', '.join(FAMILIES)}")
    slope = float(slope)
    if not (0.0 <= slope <= 1.0):
        raise InvalidInput(f"slope a={slope!r} must lie in [0, 1]")
    if experts != "constant" and slope >= 1.0:
        raise InvalidInput(f"slope a={slope!r}: {experts} experts need a < 1 (with a = 1 every unit is linear)")
    L = None if lipschitz is None else _positive("lipschitz", lipschitz)
    if r is not None:
        r = float(r)
        if not (0.0 <= r <= n_in / 2):
            raise InvalidInput(f"r={r!r} must lie in [0, n/2] = [0, {n_in / 2}]")
    return eps, slope, L, r


def momlp_bytes(n: int, depth: int, experts: str, sub_level: int = 0) -> float:
    """An upper estimate of the memory (bytes) that building and certifying the MoMLP takes, computed
    before anything is allocated: 2^(n D) experts, each with its parameters, the router's centres, the
    construction's temporaries and the compiled copy (float64). ``momlp`` refuses a size over the budget."""
    experts_n = float(2) ** (n * depth)
    if experts == "constant":
        per_expert = 8.0 * n + 4  # weights, bias, cell corner and centre, temporaries, compiled copy
    else:
        per_expert = float(2**sub_level + 1) ** n * (n + 6)  # vertex values and program coefficients
    grid = float(2 ** (depth + sub_level) + 1) ** n if experts != "constant" else 0.0
    return 8.0 * (experts_n * per_expert + grid) + (64 << 20)


def momlp_levels(
    function,
    n_in: int,
    eps: float,
    *,
    experts: str = "constant",
    lipschitz: float | None = None,
    r: float | None = None,
) -> dict:
    """The levels ``momlp`` would build (router depth D, sub-grid level k, grid level T, our bound and its
    constants) and the estimated bytes, without building anything."""
    n = int(n_in)
    T, bound, consts = expert_level(function, n, eps, experts=experts, lipschitz=lipschitz)
    k = 0
    if experts == "deep":
        r = n / 4 if r is None else r
        k = int(min(T, max(1, round(r * math.log2(1 / eps) / n)))) if eps < 1 else 1
        T = max(T, k)
    D = T - k
    return {
        "depth": D,
        "sub_level": k,
        "grid_level": T,
        "error_bound": bound,
        "consts": consts,
        "r": r,
        "bytes": momlp_bytes(n, D, experts, k),
    }


def _require_fits(n: int, lv: dict, experts: str) -> None:
    D, k = lv["depth"], lv["sub_level"]
    require_memory(
        lv["bytes"],
        f"the MoMLP on [0,1]^{n} (router depth D={D}: 2^{n * D} {experts} experts"
        + (f", sub-grid 2^{k} per axis" if k else "")
        + ")",
    )


@functools.lru_cache(maxsize=32)
def _momlp_cached(function, n_in, eps, experts, lipschitz, slope, r) -> Built:
    expr, variables = _target(function, n_in)
    n = len(variables)
    lv = momlp_levels(function, n, eps, experts=experts, lipschitz=lipschitz, r=r)
    _require_fits(n, lv, experts)  # before allocating
    T, bound, consts, k, D, r = lv["grid_level"], lv["error_bound"], lv["consts"], lv["sub_level"], lv["depth"], lv["r"]
    net = momlp_net(expr, n, depth=D, experts=experts, sub_level=k, slope=slope)
    meta = {
        "family": experts,
        "depth": D,
        "sub_level": k,
        "grid_level": T,
        "cell_side": 2.0**-D,
        "error_bound": bound,
        "slope": slope,
        "r": r,
        **{f"const_{a}": v for a, v in consts.items()},
    }
    desc = (
        f"MoMLP [ours]: dyadic tree router depth {D} ({2 ** (n * D)} experts), {experts} experts"
        + (f" on a 2^{k}-per-axis sub-grid" if k else "")
        + f"; our error bound {bound:.4g} <= eps={eps:g}"
    )
    return Built(
        net=net,
        target=(expr,),
        variables=variables,
        domain_lo=(0.0,) * n,
        domain_hi=(1.0,) * n,
        description=desc,
        meta=meta,
    )


def momlp(
    function,
    n_in: int,
    eps: float,
    *,
    experts: str = "constant",
    lipschitz: float | None = None,
    slope: float = 0.0,
    r: float | None = None,
) -> Built:
    """The MoMLP for f on [0, 1]^n with our error bound <= eps (the construction of K1 and K2).

    Arguments:
        function: formula in x0..x{n-1} (str) or sympy expression; n_in: n; eps: target sup error.
        experts: ``constant``, ``cpwl`` or ``deep``; lipschitz: a 2-norm Lipschitz constant of f
            (trusted here: the certifier checks the result; omitted: computed soundly);
        slope: the PReLU slope a; r: for ``deep``, the trade-off exponent (default n/4).
    Returns:
        Built: net x (batch, n) -> (batch, 1), target f, domain [0, 1]^n, meta with the levels,
        constants and our bound.

    >>> b = momlp("2*x0", 1, 0.03, lipschitz=2)
    >>> b.meta["depth"], b.meta["error_bound"]
    (6, 0.015625)
    """
    n = int(n_in) if isinstance(n_in, (int, np.integer)) else n_in
    _target(function, n)
    eps, slope, L, r = _validate(n, eps, experts, lipschitz, slope, r)
    key = function if isinstance(function, str) else sympy.sympify(function)
    return _momlp_cached(key, n, eps, experts, L, slope, r)


def single_network(function, n_in: int, eps: float, *, slope: float = 0.0) -> Built:
    """The K5 baseline [ours]: one (P)ReLU MLP, the interpolant of f on the whole grid of level T
    (the r = n/2 end of the trade-off; no router), T chosen as for ``cpwl`` experts.

    >>> single_network("x0**2", 1, 0.01).meta["grid_level"]  # (1/8)^2 max|f''| / 8 <= 0.01
    3
    """
    expr, variables = _target(function, n_in)
    n = len(variables)
    eps, slope, _, _ = _validate(n, eps, "deep", None, slope, None)
    T, bound, consts = expert_level(expr, n, eps, experts="cpwl")
    require_memory(momlp_bytes(n, 0, "deep", T), f"the single network on [0,1]^{n} (a 2^{T}-per-axis grid)")
    net = momlp_net(expr, n, depth=0, experts="deep", sub_level=T, slope=slope)
    meta = {
        "family": "single",
        "depth": 0,
        "sub_level": T,
        "grid_level": T,
        "error_bound": bound,
        "slope": slope,
        **{f"const_{a}": v for a, v in consts.items()},
    }
    return Built(
        net=net,
        target=(expr,),
        variables=variables,
        domain_lo=(0.0,) * n,
        domain_hi=(1.0,) * n,
        description=f"one MLP [ours]: interpolant on the 2^{T}-per-axis grid; bound {bound:.4g}",
        meta=meta,
    )
