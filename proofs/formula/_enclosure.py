"""Sound enclosures of the *target side* f of a sup-norm claim sup_x |f(x) - Psi(x)| <= eps.

The network side (CROWN) gives, per input box, linear bounds on Psi; this module bounds f and the
residual f(x) - (a.x + c) over the same boxes, soundly and tightly enough for boxes of width 1e-3.

Main statements (each a function returning data that contains the exact real answer):

* ``parse_expression(text, n_in)``: a user's formula in x0..x{n_in-1} as sympy, or ``InvalidInput``.
* ``compile_target(exprs, variables) -> Target``: f, its gradient and Hessian, compiled once.
* ``Target.interval / grad_interval / hessian_interval``: per-box enclosures (B boxes at a time).
* ``affine_residual_bounds``: bounds of f - a.G - c over each box; the best of the naive, mean-value
  and second-order (Taylor) forms, so the overestimation is O(w^3) on boxes of width w.
* ``certified_lipschitz``: branch and bound on sup ||grad f||, or a replayed pair refuting L.
* ``exact_value``: a 60-digit mpmath interval of f at an exact rational point (replays).

Implementation notes [ours]
* Expressions are compiled by the one evaluator (``proofs.formula._evaluate``) into a straight-line
  program (one step per distinct sub-expression, so shared pieces of f, grad f and Hess f are
  computed once) run by three interpreters: outward-rounded
  float64 intervals (``proofs.formula._interval``, its rounding model is stated there), plain floats
  (``Target.eval``, for sampling only) and ``mpmath.iv`` (``exact_value``).
* Variables are replaced by real symbols before differentiating, so d|u| = sign(u) u'. sympy's
  derivative is never trusted across a singularity (d/du atan(tan(u)) "is" 1): the mean-value form
  and the Lipschitz bound are used only on boxes where f is proved locally Lipschitz, the
  second-order form only where f is proved C^2 (the guards of ``proofs.formula._smoothness``: no
  pole of tan, 1/u, no log or fractional power at or below 0, no jump of sign/Heaviside, and for
  C^2 no Abs/Max/Min kink). Elsewhere only the naive enclosure counts.
* CAVEAT: sqrt, log and fractional powers are evaluated on the part of their argument inside the
  domain. A box on which f is nowhere real raises InvalidInput; a box on which f is real only in part
  gets an enclosure of f over that part. Whether f is real on the whole domain is the caller's claim.
"""

# moecheck: long-file the target forms (naive, mean-value, second-order) and the Lipschitz B&B share one audited soundness argument.  # noqa: E501

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import cast

import mpmath
import numpy as np
import numpy.typing as npt
import sympy as sp
from mpmath import iv

from proofs import InvalidInput, Status
from proofs.boxes import BoxBounds, BoxSearch, box_search

from . import _interval as ia
from ._evaluate import compile_program as _compile_program
from ._interval import (
    mpf_to_fraction,  # [review] e.man is unsigned: the signed conversion lives there
)
from ._parse import input_symbols, parse_expression
from ._smoothness import Guard, guard_masks, smoothness_guards

# nodes the evaluator encloses but the target forms do not take: the mean-value and Taylor forms
# differentiate f, and these jump (floor, ceiling), live on the integers (binomial, factorial) or have an
# unbounded derivative at the ends of their domain (asin, acos)
_NOT_TARGETS = (sp.floor, sp.ceiling, sp.binomial, sp.factorial, sp.asin, sp.acos)

__all__ = ["Target", "LipschitzResult", "parse_expression", "input_symbols", "compile_target",
           "affine_residual_bounds", "certified_lipschitz", "exact_value"]  # fmt: skip


# ---------------------------------------------------------------- the compiled target


@dataclass(frozen=True)
class _Programs:
    values: ia.Program
    gradients: ia.Program
    hessians: ia.Program
    first_gradient: ia.Program
    guards: ia.Program | None  # every guard expression of the targets (None: no guard)
    guard_list: tuple[Guard, ...] = ()


@dataclass(frozen=True, eq=False)
class Target:
    """Target functions f_0..f_{n_out-1} of x in R^n_in, with symbolic derivatives, compiled.

    Build with :func:`compile_target`. ``gradients[k][i]`` = d f_k / d x_i and
    ``hessians[k][i][j]`` = d^2 f_k / d x_i d x_j (sympy expressions in ``variables``).

    >>> x0, x1 = input_symbols(2)
    >>> t = compile_target([sp.sin(8 * x0) * x1], [x0, x1])
    >>> lo, hi = t.interval(np.array([[0.0, 1.0]]), np.array([[1.0, 2.0]]))
    >>> float(lo[0, 0]), float(hi[0, 0])  # rounded outward by one ulp
    (-2.0000000000000004, 2.0000000000000004)
    """

    exprs: tuple[sp.Expr, ...]
    variables: tuple[sp.Symbol, ...]
    gradients: tuple[tuple[sp.Expr, ...], ...]
    hessians: tuple[tuple[tuple[sp.Expr, ...], ...], ...]
    _programs: _Programs = field(repr=False)

    @property
    def n_in(self) -> int:
        return len(self.variables)

    @property
    def n_out(self) -> int:
        return len(self.exprs)

    def eval(self, pts: np.ndarray) -> np.ndarray:
        """Plain float64 values (NOT rigorous; for sampling): pts (N, n_in) -> (N, n_out)."""
        pts = np.asarray(pts, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != self.n_in:
            raise InvalidInput(f"points of shape {pts.shape} must have shape (N, n_in={self.n_in})")
        if np.isnan(pts).any():
            raise InvalidInput("points contain NaN")
        return ia.run_points(self._programs.values, pts)

    def interval(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sound enclosures of f over boxes: lo, hi (B, n_in) -> lower, upper (B, n_out).

        Raises InvalidInput if some f_k is not real anywhere on a box (e.g. sqrt of a negative box).
        """
        lo, hi = ia.validated_boxes(self.n_in, lo, hi)
        out_lo, out_hi, undefined = ia.run_intervals(self._programs.values, lo, hi)
        if undefined.any():
            b = int(np.argmax(undefined))
            raise InvalidInput(
                f"target {list(self.exprs)} is not real anywhere on box {b}: lo={lo[b].tolist()}, "
                f"hi={hi[b].tolist()} (an argument of sqrt, log or a power leaves its domain)"
            )
        return out_lo, out_hi

    def grad_interval(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Enclosures of every d f_k / d x_i: lo, hi (B, n_in) -> (B, n_out, n_in) each.

        Where a derivative does not exist on a whole box the enclosure is [-inf, inf].
        """
        out = self._derivative_enclosure(self._programs.gradients, lo, hi)
        return cast(tuple[np.ndarray, np.ndarray], tuple(a.reshape(-1, self.n_out, self.n_in) for a in out))  # a pair

    def hessian_interval(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Enclosures of every d^2 f_k / d x_i d x_j: lo, hi (B, n_in) -> (B, n_out, n_in, n_in) each."""
        out = self._derivative_enclosure(self._programs.hessians, lo, hi)
        return cast(tuple[np.ndarray, np.ndarray], tuple(a.reshape(-1, self.n_out, self.n_in, self.n_in) for a in out))

    def _derivative_enclosure(
        self, program: ia.Program, lo: npt.ArrayLike, hi: npt.ArrayLike
    ) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = ia.validated_boxes(self.n_in, lo, hi)
        out_lo, out_hi, undefined = ia.run_intervals(program, lo, hi)
        return np.where(undefined[:, None], -np.inf, out_lo), np.where(undefined[:, None], np.inf, out_hi)

    def smooth_masks(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lipschitz, c2): (B,) whether every f_k is proved locally Lipschitz / C^2 on each box
        (``proofs.formula._smoothness``); the mean-value and Taylor forms are used only there."""
        lo, hi = ia.validated_boxes(self.n_in, lo, hi)
        # guards is None only with an empty guard_list, where guard_masks does not read the program
        return guard_masks(self._programs.guard_list, cast(ia.Program, self._programs.guards), lo, hi)


def compile_target(exprs: Sequence[sp.Expr], variables: Sequence[sp.Symbol]) -> Target:
    """Compile target expressions f_0..f_{n_out-1} (and their gradients and Hessians) once.

    Arguments:
        exprs: sympy expressions (n_out of them); only the supported functions may occur.
        variables: the n_in input symbols, in input-column order. Symbols without the real
            assumption are replaced by real ones of the same name (so d|u| = sign(u) u').
    Returns:
        a :class:`Target` (memoised: equal inputs give the same object).

    >>> x0, = input_symbols(1)
    >>> compile_target([x0**3 - x0], [x0]).hessians
    (((6*x0,),),)
    """
    if isinstance(exprs, sp.Basic) or not len(exprs):
        raise InvalidInput(f"exprs={exprs!r} must be a non-empty sequence of sympy expressions")
    if not variables or not all(isinstance(v, sp.Symbol) for v in variables):
        raise InvalidInput(f"variables={variables!r} must be a non-empty sequence of sympy Symbols")
    if len({v.name for v in variables}) != len(variables):
        raise InvalidInput(f"variables={variables!r} must have distinct names")
    real = {v: v if v.is_real else sp.Symbol(v.name, real=True) for v in variables}
    real_exprs = []
    for e in exprs:
        try:
            e = sp.sympify(e, strict=True)
        except sp.SympifyError:
            raise InvalidInput(f"target {e!r} is not a sympy expression") from None
        extra = e.free_symbols - set(variables) - set(real.values())
        if extra:
            raise InvalidInput(f"target {e} uses symbols {sorted(map(str, extra))} outside variables {list(variables)}")
        discrete = [f.__name__ for f in _NOT_TARGETS if e.has(f)]
        if discrete:
            raise InvalidInput(f"target {e} uses {', '.join(discrete)}: not supported in a target (its derivative "
                               f"is not bounded where it jumps or at the ends of its domain)")  # fmt: skip
        real_exprs.append(e.xreplace(real))
    return _build_target(tuple(real_exprs), tuple(real[v] for v in variables))


@functools.lru_cache(maxsize=64)
def _build_target(exprs: tuple[sp.Expr, ...], variables: tuple[sp.Symbol, ...]) -> Target:
    for e in exprs:
        _compile_program((e,), variables)  # unsupported functions are named before differentiating
    gradients = tuple(tuple(sp.diff(e, v) for v in variables) for e in exprs)
    n = len(variables)
    hessians = []
    for grad in gradients:
        upper = {(i, j): sp.diff(grad[i], variables[j]) for i in range(n) for j in range(i, n)}
        hessians.append(tuple(tuple(upper[min(i, j), max(i, j)] for j in range(n)) for i in range(n)))
    guards = smoothness_guards(exprs)
    flat_gradients = tuple(g for row in gradients for g in row)
    flat_hessians = tuple(h for mat in hessians for row in mat for h in row)
    programs = _Programs(
        values=_compile_program(exprs, variables),
        gradients=_compile_program(flat_gradients, variables),
        hessians=_compile_program(flat_hessians, variables),
        first_gradient=_compile_program(gradients[0], variables),
        guards=_compile_program(tuple(e for g in guards for e in g.exprs), variables) if guards else None,
        guard_list=guards,
    )
    return Target(exprs, variables, gradients, tuple(hessians), programs)


# ---------------------------------------------------------------- the residual f - a.G - c


def affine_residual_bounds(
    target: Target, lo: npt.ArrayLike, hi: npt.ArrayLike, a: npt.ArrayLike, c: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Sound bounds over each box b of h_b(x) = F(x) - sum_j a[b, j] G_j(x) - c[b].

    F is ``target.exprs[0]``; G_j is ``target.exprs[1 + j]``, or the coordinate x_j when
    ``target.n_out == 1``. The result is the intersection of the naive interval value h(X), the
    mean-value form h(m) + grad h(X).(X - m) and the second-order form
    h(m) + grad h(m).(X - m) + 1/2 (X - m)^T Hess h(X) (X - m), with m the box centre.

    Arguments:
        target: the compiled target; lo, hi: boxes (B, n_in); a: (B, J); c: (B,).
    Returns:
        lower, upper: (B,) with lower <= h_b(x) <= upper for every x in box b.

    >>> x0, = input_symbols(1)
    >>> t = compile_target([x0**2], [x0])
    >>> lower, upper = affine_residual_bounds(t, [[0.5]], [[0.5 + 2**-12]], [[1 + 2**-12]], [-0.25 - 2**-13])
    >>> bool(-2**-26 * 1.01 < lower[0] <= -2**-26 and 0 <= upper[0] < 1e-15)
    True
    """
    lo, hi = ia.validated_boxes(target.n_in, lo, hi)
    n_boxes, n = lo.shape
    n_terms = n if target.n_out == 1 else target.n_out - 1
    a, c = np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64)
    if a.shape != (n_boxes, n_terms) or c.shape != (n_boxes,):
        raise InvalidInput(f"a{a.shape} and c{c.shape} must have shapes ({n_boxes}, {n_terms}) and ({n_boxes},)")
    if not (np.isfinite(a).all() and np.isfinite(c).all()):
        raise InvalidInput("a and c must be finite (no NaN or inf)")
    m = np.minimum(np.maximum(0.5 * lo + 0.5 * hi, lo), hi)  # a float centre inside the box
    d = [(ia.down(lo[:, i] - m[:, i]), ia.up(hi[:, i] - m[:, i])) for i in range(n)]  # X_i - m_i

    def residual_parts(blo: np.ndarray, bhi: np.ndarray, with_hessian: bool) -> _Parts:
        # h, grad h (and Hess h) on the boxes [blo, bhi], as lists of intervals
        f_lo, f_hi = target.interval(blo, bhi)
        g_lo, g_hi = target.grad_interval(blo, bhi)
        h_lo, h_hi = target.hessian_interval(blo, bhi) if with_hessian else (None, None)
        value = ia.add((f_lo[:, 0], f_hi[:, 0]), (-c, -c))
        grad = [(g_lo[:, 0, i], g_hi[:, 0, i]) for i in range(n)]
        hess = [[(h_lo[:, 0, i, j], h_hi[:, 0, i, j]) for j in range(n)] for i in range(n)] if with_hessian else None  # type: ignore[index]  # h_lo, h_hi are set with_hessian
        for j in range(n_terms):
            aj = (a[:, j], a[:, j])
            if target.n_out == 1:  # G_j = x_j: value x_j, gradient e_j, Hessian 0
                value = ia.add(value, ia.neg(ia.mul2(aj, (blo[:, j], bhi[:, j]))))
                grad[j] = ia.add(grad[j], ia.neg(aj))
                continue
            k = 1 + j
            value = ia.add(value, ia.neg(ia.mul2(aj, (f_lo[:, k], f_hi[:, k]))))
            grad = [ia.add(grad[i], ia.neg(ia.mul2(aj, (g_lo[:, k, i], g_hi[:, k, i])))) for i in range(n)]
            if with_hessian:
                hess = [[ia.add(hess[i][jj], ia.neg(ia.mul2(aj, (h_lo[:, k, i, jj], h_hi[:, k, i, jj]))))  # type: ignore[index]  # all set with_hessian
                         for jj in range(n)] for i in range(n)]  # fmt: skip
        return value, grad, hess

    lipschitz, c2 = target.smooth_masks(lo, hi)
    with np.errstate(all="ignore"):  # inf - inf cannot occur; 0 * inf is handled as 0
        return _intersected_forms(residual_parts(lo, hi, True), residual_parts(m, m, False), d, lipschitz, c2)  # type: ignore[arg-type]  # with_hessian=True sets the Hessian


# value, gradient and (when asked for) Hessian of the residual, as intervals
_Parts = tuple[ia.Interval, list[ia.Interval], list[list[ia.Interval]] | None]


def _intersected_forms(
    on_box: tuple[ia.Interval, list[ia.Interval], list[list[ia.Interval]]],
    at_centre: _Parts,
    d: Sequence[ia.Interval],
    lipschitz: npt.NDArray[np.bool_],
    c2: npt.NDArray[np.bool_],
) -> tuple[np.ndarray, np.ndarray]:
    """Intersect the naive, mean-value and second-order enclosures of h over X (d_i = X_i - m_i); the
    mean-value form only where h is proved Lipschitz on the box, the second-order form where C^2."""
    (h_box, grad_box, hess_box), (h_mid, grad_mid, _) = on_box, at_centre
    n = len(d)
    # mean-value form: h(x) in h(m) + sum_i dh/dx_i(X) (X_i - m_i)
    mean_value = ia.add(h_mid, *[ia.mul2(grad_box[i], d[i]) for i in range(n)])
    # Taylor with integral remainder: h(m) + grad h(m).(X-m) + sum_i H_ii/2 d_i^2 + sum_{i<j} H_ij d_i d_j
    half = cast(ia.Interval, (0.5, 0.5))  # a constant interval: numpy broadcasts the floats alike
    quadratic = [ia.mul2(ia.mul2(half, hess_box[i][i]), ia.pow_int(d[i], 2)) for i in range(n)]
    quadratic += [ia.mul(hess_box[i][j], d[i], d[j]) for i in range(n) for j in range(i + 1, n)]
    second_order = ia.add(h_mid, *[ia.mul2(grad_mid[i], d[i]) for i in range(n)], *quadratic)
    mean_value = np.where(lipschitz, mean_value[0], -np.inf), np.where(lipschitz, mean_value[1], np.inf)
    second_order = np.where(c2, second_order[0], -np.inf), np.where(c2, second_order[1], np.inf)
    lower = np.fmax(np.fmax(h_box[0], mean_value[0]), second_order[0])
    upper = np.fmin(np.fmin(h_box[1], mean_value[1]), second_order[1])
    return lower, upper


# ---------------------------------------------------------------- exact replays


def exact_value(
    expr: sp.Expr, variables: Sequence[sp.Symbol], point: Sequence[Fraction], *, digits: int = 60
) -> tuple[mpmath.mpf, mpmath.mpf]:
    """A rigorous enclosure [lo, hi] of ``expr`` at an exact rational point (mpmath.iv at ``digits``).

    Arguments:
        expr: a sympy expression in ``variables``; point: one Fraction (or int) per variable.
    Returns:
        (lo, hi) as mpmath.mpf with lo <= expr(point) <= hi.

    >>> x0, = input_symbols(1)
    >>> lo, hi = exact_value(sp.sqrt(x0), [x0], [Fraction(2)])
    >>> mpmath.nstr(lo, 20), bool(hi - lo < 1e-55)
    ('1.4142135623730950488', True)
    """
    variables = tuple(variables)
    if not isinstance(digits, int) or digits < 1:
        raise InvalidInput(f"digits={digits!r} must be a positive integer")
    if len(point) != len(variables):
        raise InvalidInput(f"point {point!r} must have one coordinate per variable {variables}")
    if not all(isinstance(p, (Fraction, int)) and not isinstance(p, bool) for p in point):
        raise InvalidInput(f"point {point!r} must hold fractions.Fraction (exact) coordinates")
    expr = sp.sympify(expr)
    extra = expr.free_symbols - set(variables)
    if extra:
        raise InvalidInput(f"{expr} uses symbols {sorted(map(str, extra))} outside variables {list(variables)}")
    program = _compile_program((expr,), variables)
    saved = iv.prec
    try:
        iv.prec = int(digits * 3.33) + 16
        inputs = [iv.mpf(Fraction(p).numerator) / iv.mpf(Fraction(p).denominator) for p in point]
        (result,) = ia.run_mp(program, inputs, ia.mp_constant)
        return ia.mp_ends(result)
    except (mpmath.libmp.ComplexResult, ZeroDivisionError, ValueError, ia.Unsupported) as error:
        raise InvalidInput(f"{expr} is not real at the point {[str(p) for p in point]}: {error}") from None
    finally:
        iv.prec = saved


# ---------------------------------------------------------------- Lipschitz constants


@dataclass(frozen=True)
class LipschitzResult:
    """The outcome of :func:`certified_lipschitz` (frozen data).

    status: PROVED (sup ||grad f|| <= upper <= L proved), REFUTED (``witness`` = (x, y) with
    |f(x) - f(y)| > L ||x - y|| replayed exactly) or UNKNOWN. ``lower`` is the largest sampled
    gradient norm (float evaluation, not rigorous); ``boxes`` counts enclosed boxes.
    """

    status: Status
    L: float
    norm: str
    upper: float | None
    lower: float
    witness: tuple[tuple[Fraction, ...], tuple[Fraction, ...]] | None
    boxes: int
    message: str

    def __post_init__(self) -> None:
        Status.checked(self.status)


# the norm of grad f dual to the norm on x - y, as (q, its name)
# a pair of points (x, y), exact
_Pair = tuple[tuple[Fraction, ...], tuple[Fraction, ...]]

_DUAL = {"2": (2, "2"), "1": (np.inf, "inf"), "inf": (1, "1")}


def certified_lipschitz(
    target: Target,
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    L: float,
    *,
    norm: str = "2",
    max_boxes: int = 200_000,
    time_budget: float = 30.0,
) -> LipschitzResult:
    """Prove |f(x) - f(y)| <= L ||x - y|| on the domain box, or refute it with a replayed pair.

    Branch and bound on sup ||grad f||_q (q dual to ``norm``: 2 -> 2, inf -> 1, 1 -> inf) for
    f = ``target.exprs[0]``: each box gets the interval bound of the gradient norm; boxes with bound
    <= L are done, the others are bisected along their widest side. Meanwhile the box centres with
    the largest float gradient norm above L seed a pair x, y a small step apart along the steepest
    direction, kept only if exact_value proves |f(x) - f(y)| > L ||x - y||. A declared L is never
    trusted: REFUTED always carries such a pair. Needs f continuous on the box (true for parsed
    formulas where they are real): an unbounded gradient enclosure never certifies.

    Arguments:
        target: compiled target; lo, hi: the domain box, (n_in,) each; L: the claimed constant.
        norm: "2", "1" or "inf", the norm on x - y; max_boxes, time_budget (s): the search budget.
    Returns:
        a :class:`LipschitzResult`.

    >>> x0, x1 = input_symbols(2)
    >>> t = compile_target([sp.sin(3 * x0) * x1], [x0, x1])
    >>> certified_lipschitz(t, [0, 0], [1, 1], 3.01).status
    <Status.PROVED: 'proved'>
    """
    if norm not in _DUAL:
        raise InvalidInput(f"norm={norm!r} must be one of {sorted(_DUAL)}")
    if not isinstance(L, (int, float)) or isinstance(L, bool) or not math.isfinite(L) or L < 0:
        raise InvalidInput(f"L={L!r} must be a finite number >= 0")
    if not isinstance(max_boxes, int) or max_boxes < 1 or not time_budget > 0:
        raise InvalidInput(f"max_boxes={max_boxes!r} and time_budget={time_budget!r} must be positive")
    dom_lo, dom_hi = ia.validated_boxes(target.n_in, np.atleast_2d(lo), np.atleast_2d(hi))
    if dom_lo.shape[0] != 1:
        raise InvalidInput(f"the domain must be one box of shape (n_in={target.n_in},)")
    program, (q, q_name) = target._programs.first_gradient, _DUAL[norm]
    sampled_max, attempts = [0.0], [0]

    def gradient_bound(b_lo: np.ndarray, b_hi: np.ndarray) -> BoxBounds:
        g_lo, g_hi, undefined = ia.run_intervals(program, b_lo, b_hi)
        lipschitz, _ = target.smooth_masks(b_lo, b_hi)  # the gradient bounds f's slope only there
        return BoxBounds(np.where(undefined | ~lipschitz, np.inf, ia.dual_norm_upper(g_lo, g_hi, q)))

    def pair_at_centres(b_lo: np.ndarray, b_hi: np.ndarray, _bounds: BoxBounds) -> _Pair | None:
        # seed a refuting pair at the box centres with the largest float gradient norm above L
        centres = 0.5 * b_lo + 0.5 * b_hi
        sampled = ia.run_points(program, centres)
        norms = np.linalg.norm(np.nan_to_num(sampled, nan=0.0), ord=q, axis=1)
        sampled_max[0] = max(sampled_max[0], float(norms.max()))
        for k in np.argsort(-norms)[:3]:
            if norms[k] > L and attempts[0] < 200:
                attempts[0] += 1
                pair = _pair_witness(target, centres[k], sampled[k], float(L), norm, dom_lo[0], dom_hi[0])
                if pair is not None:
                    return pair
        lipschitz, _ = target.smooth_masks(b_lo, b_hi)
        jump = _jump_witness(target, b_lo, b_hi, lipschitz, float(L), norm, attempts[0])
        attempts[0] += int(not lipschitz.all())
        return jump  # a pair across a singularity (a pole, a jump) of f, replayed exactly

    s = box_search(
        dom_lo,
        dom_hi,
        gradient_bound,
        goal=float(L),
        max_boxes=max_boxes,
        time_budget=time_budget,
        batch_boxes=1 << 16,
        visit=pair_at_centres,
    )
    return _lipschitz_result(s, float(L), norm, q_name, sampled_max[0])


def _lipschitz_result(s: BoxSearch, L: float, norm: str, q_name: str, best: float) -> LipschitzResult:
    """The :class:`LipschitzResult` of the box search ``s`` on sup ||grad f||_q against L."""
    upper = max(s.upper, 0.0)
    result = functools.partial(
        LipschitzResult, L=L, norm=norm, upper=upper if math.isfinite(upper) else None, lower=best, boxes=s.n_boxes
    )
    if s.witness is not None:
        shown = [tuple(float(v) for v in p) for p in s.witness]
        return result(Status.REFUTED, witness=s.witness, message=f"|f(x) - f(y)| > L ||x - y||_{norm} at x, y = "
                      f"{shown} (replayed exactly); sampled ||grad f|| up to {best:.6g}")  # fmt: skip
    if s.complete:
        return result(Status.PROVED, witness=None, message=f"sup ||grad f||_{q_name} <= {s.upper:.6g} <= L "
                      f"(interval bound over {s.n_boxes} boxes)")  # fmt: skip
    return result(Status.UNKNOWN, witness=None, message=f"budget spent after {s.n_boxes} boxes: {s.open_lo.shape[0]} "
                  f"boxes keep a gradient bound up to {s.open_upper.max():.6g} > L; sampled up to {best:.6g}")  # fmt: skip  # noqa: E501


def _jump_witness(
    target: Target, lo: np.ndarray, hi: np.ndarray, lipschitz: npt.NDArray[np.bool_], L: float, norm: str, attempts: int
) -> _Pair | None:
    """Where f is not proved Lipschitz (a pole, a jump), the opposite corners of the smallest such
    boxes as an exactly replayed pair, or None."""
    if attempts >= 200 or lipschitz.all():
        return None
    rows = np.nonzero(~lipschitz)[0]
    rows = rows[np.argsort((hi - lo)[rows].max(axis=1))[:2]]
    for b in rows:
        pair = tuple(Fraction(float(v)) for v in lo[b]), tuple(Fraction(float(v)) for v in hi[b])
        if pair[0] != pair[1] and _pair_refutes(target, pair, Fraction(L), norm):
            return pair
    return None


def _pair_witness(
    target: Target, centre: np.ndarray, grad: np.ndarray, L: float, norm: str, dom_lo: np.ndarray, dom_hi: np.ndarray
) -> _Pair | None:
    """(x, y) as Fractions near ``centre`` with |f(x) - f(y)| > L ||x - y|| proved exactly, or None."""
    if norm == "2":
        direction = grad / np.linalg.norm(grad)
    elif norm == "inf":
        direction = np.sign(grad)
    else:
        direction = np.where(np.arange(grad.size) == np.argmax(np.abs(grad)), np.sign(grad), 0.0)
    scale = float(np.max(dom_hi - dom_lo))
    for step in (2.0**-12, 2.0**-24, 2.0**-36):
        x = np.clip(centre - 0.5 * step * scale * direction, dom_lo, dom_hi)
        y = np.clip(centre + 0.5 * step * scale * direction, dom_lo, dom_hi)
        pair = tuple(Fraction(float(v)) for v in x), tuple(Fraction(float(v)) for v in y)
        if pair[0] != pair[1] and _pair_refutes(target, pair, Fraction(L), norm):
            return pair
    return None


def _pair_refutes(target: Target, pair: _Pair, L: Fraction, norm: str) -> bool:
    """Whether exact_value proves |f(x) - f(y)| > L ||x - y|| (compared in exact rationals)."""
    f, variables = target.exprs[0], target.variables
    try:
        (fx_lo, fx_hi), (fy_lo, fy_hi) = (exact_value(f, variables, p) for p in pair)
    except InvalidInput:
        return False
    ends = [fx_lo, fx_hi, fy_lo, fy_hi]
    if not all(mpmath.isfinite(e) for e in ends):
        return False
    fx_lo, fx_hi, fy_lo, fy_hi = (mpf_to_fraction(e) for e in ends)
    gap = max(fx_lo - fy_hi, fy_lo - fx_hi)  # a lower bound of |f(x) - f(y)|, exact
    diffs = [abs(u - v) for u, v in zip(*pair)]
    if gap <= 0:
        return False
    if norm == "2":
        return gap * gap > L * L * sum(t * t for t in diffs)
    return gap > L * (max(diffs) if norm == "inf" else sum(diffs))
