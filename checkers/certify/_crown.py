"""Sound float64 linear bound propagation over a graph of steps (the CROWN backward pass).

:func:`checkers.certify._bounds.bound_net` lowers a network to a list of :class:`Step` s in topological order
(MoE experts become per-box chains of gathered affine layers) and keeps an interval for every step.
:meth:`StepGraph.linear_upper` then bounds rows of coefficients ``lam`` at a step from above by a
linear function of the network input, for every box at once (auto_LiRPA's backward mode: the
coefficients of a step are the sum of what its consumers pass back, in reverse topological order).

Rounding model [ours] (why every bound returned is sound in real arithmetic)
------------------------------------------------------------------------------
The invariant of the backward pass is, for every x in the box, with the computed float tensors
taken as exact real numbers:  lam_0 . z_t(x) <= sum_v lam_v . z_v(x) + bias + slack.  Each step
replaces lam_v . z_v by an exact real inequality in its operand and pays for the float rounding
of what it computes:

* a dot product of n terms computed in float64 (any summation order, with or without FMA) is within
  gamma_n = n u / (1 - n u) of sum |a_k b_k| (u = 2^-53, Higham Thm 3.1); we charge
  ``slack_factor(n) = (n + 2) 2^-51 >= 4 gamma_n``, the surplus covering the rounding of the slack
  itself, plus ``(n + 2) 2^-1000`` absolute for underflow (even with flush-to-zero);
* a rounded coefficient lam' = fl(lam W) differs from lam W by at most gamma |lam| |W|, and the
  operand z satisfies |z| <= zmax (its sound interval), so the term lam W z is covered by
  lam' z + gamma |lam| (|W| zmax): the error is concretised at once, never propagated;
* one elementwise product or sum is within 2^-52 of its (computed) magnitude (the PReLU coefficient
  lam sl + lam^+ (su - sl), up to four roundings, is charged 2^-51);
* ReLU/PReLU upper lines are *checked* lines: the intercept is recomputed from the two endpoints and
  rounded up with a margin, so the float line lies above sigma on [l, u] in real arithmetic;
* a final concretisation over the box adds the same dot-product slack and rounds up by one ulp;
* rows shared by every box (CROWN's first rows through a shared affine step) that meet a (P)ReLU
  whose operand is a narrow shared affine step take the fused step (``StepGraph._fused_prelu_affine``):
  the per-box coefficient L^+ su + L^- sl (boxes x rows x width, the dominant tensor of the old pass)
  is never formed; one GEMM gives its product with [W | b] and its rounding is charged a priori,
  as for an affine step. ``StepGraph.fuse = False`` restores the unfused pass (the tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

__all__ = ["Step", "StepGraph", "slack_factor", "TINY", "concretize_upper", "round_up", "round_down"]

TINY = 2.0**-1000  # absolute underflow allowance per term (covers flush-to-zero: 2^-1022 per product)
_U2 = 2.0**-52  # >= 2u: the error of one rounded elementwise operation, relative to the computed result
_FUSE_MAX_IN = 8  # widest operand of an affine step that the fused prelu-affine product handles


def slack_factor(n: int) -> float:
    """Relative error allowance of an n-term float64 dot product: (n + 2) 2^-51 >= 4 gamma_n."""
    return (n + 2) * 2.0**-51


def round_up(x: torch.Tensor) -> torch.Tensor:
    return torch.nextafter(x, torch.full_like(x, float("inf")))


def round_down(x: torch.Tensor) -> torch.Tensor:
    return torch.nextafter(x, torch.full_like(x, float("-inf")))


def _mv(m: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Per-box matrix-vector product: m (B, r, d) and v (B, d) -> (B, r)."""
    return torch.bmm(m, v.unsqueeze(-1)).squeeze(-1)


def concretize_upper(A: torch.Tensor, c: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Sound max over the box [lo, hi] (B, n) of A x + c, A (B, r, n), c (B, r): -> (B, r).

    max_x A x = A^+ hi + A^- lo exactly; the float sum is widened by the dot-product slack.
    """
    n = A.shape[-1]
    xmax = torch.maximum(lo.abs(), hi.abs())
    val = _mv(A.clamp(min=0), hi) + _mv(A.clamp(max=0), lo) + c
    slack = slack_factor(2 * n + 1) * (_mv(A.abs(), xmax) + c.abs()) + (2 * n + 3) * TINY
    return round_up(val + slack)


def _no_nan(lower: torch.Tensor, upper: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An interval with its NaN ends replaced by -inf (lower) and +inf (upper): sound, and comparable."""
    inf = float("inf")
    # a NaN makes its tensor's sum NaN: two reductions (no write) decide whether the rewriting passes are needed
    if not bool(torch.isnan(lower.sum() + upper.sum())):
        return lower, upper
    return (
        torch.nan_to_num(lower, nan=-inf, posinf=inf, neginf=-inf),
        torch.nan_to_num(upper, nan=inf, posinf=inf, neginf=-inf),
    )


@dataclass(eq=False)
class Step:
    """One node of the lowered graph (static for one call of ``bound_net``).

    kind: 'input' | 'affine' | 'prelu' | 'concat' | 'slice' | 'join'.
    affine: ``weight`` (out, in) shared or (B, out, in) per box, ``bias`` (out,) or (B, out).
    join (an MoE node): ``operands`` are the output steps of the candidate slots; on boxes where
    ``through`` holds (top-1, one candidate) the node *is* slot 0's expert; elsewhere it is
    concretised to its interval (the hull over candidates).
    """

    kind: str
    operands: tuple[int, ...]
    dim: int
    weight: torch.Tensor | None = None
    bias: torch.Tensor | None = None
    slope: float = 0.0
    start: int = 0
    stop: int = 0
    through: torch.Tensor | None = None


@dataclass(eq=False)
class StepGraph:
    """Steps in topological order with their sound intervals ``lower[i]``, ``upper[i]`` (B, dim)."""

    n_boxes: int
    steps: list[Step] = field(default_factory=list)
    lower: list[torch.Tensor] = field(default_factory=list)
    upper: list[torch.Tensor] = field(default_factory=list)
    _relax: dict[int, tuple[torch.Tensor, ...]] = field(default_factory=dict)
    fuse = True  # shared rows through a prelu and a narrow shared affine step in one product (class switch)

    def add(self, step: Step, lower: torch.Tensor, upper: torch.Tensor) -> int:
        # [review] an overflow (inf - inf) makes NaN ends; NaN compares False everywhere, so a tree router
        # reading it found *no* candidate and the box was dropped as infeasible (a false CERTIFIED).
        # A NaN end means "no information": it becomes -inf / +inf.
        lower, upper = _no_nan(lower, upper)
        self.steps.append(step)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.steps) - 1

    def tighten(self, i: int, lower: torch.Tensor, upper: torch.Tensor) -> None:
        """Intersect step i's interval with another sound enclosure (a NaN end of either says nothing)."""
        lower, upper = _no_nan(lower, upper)
        self.lower[i] = torch.maximum(self.lower[i], lower)
        self.upper[i] = torch.minimum(self.upper[i], upper)

    def absmax(self, i: int) -> torch.Tensor:
        return torch.maximum(self.lower[i].abs(), self.upper[i].abs())

    # --- relaxations -------------------------------------------------------------------------------------

    def relaxation(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Lines of sigma_a at prelu step i: sl x <= sigma_a(x) <= su x + bu on [l, u], and max(su, sl)."""
        if i in self._relax:
            return self._relax[i]
        st = self.steps[i]
        a = st.slope
        l, u = self.lower[st.operands[0]], self.upper[st.operands[0]]
        active, inactive = l >= 0, u <= 0
        unstable = ~(active | inactive)
        one = torch.ones_like(l)
        # chord through (l, a l) and (u, u): slope s = (u - a l) / (u - l) in [a, 1]
        denom = torch.where(unstable, u - l, one)
        s = torch.where(unstable, (u - a * l) / denom, one).clamp(min=a, max=1.0)
        # checked intercept: the line s x + b must lie above both endpoints (sigma is convex)
        t_lo, t_hi = a * l - s * l, u - s * u
        margin = 4 * _U2 * ((a * l).abs() + (s * l).abs() + u.abs() + (s * u).abs()) + 4 * TINY
        b = round_up(torch.maximum(t_lo, t_hi) + margin)
        # the adaptive lower line through the origin: slope 1 when u >= -l, else a (CROWN-Ada)
        lam = torch.where(u >= -l, one, one * a)
        su = torch.where(active, one, torch.where(inactive, one * a, s))
        sl = torch.where(active, one, torch.where(inactive, one * a, lam))
        bu = torch.where(unstable, b, torch.zeros_like(l)).clamp(min=0)  # the chord lies above 0 here
        self._relax[i] = (sl, su, bu, torch.maximum(su, sl))
        return self._relax[i]

    # --- the backward pass -------------------------------------------------------------------------------

    def _push(self, pending: dict, i: int, lam: torch.Tensor, slack: torch.Tensor) -> torch.Tensor:
        if i in pending:
            total = pending[i] + lam
            pending[i] = total
            return slack + _U2 * _mv(total.abs(), self.absmax(i))
        pending[i] = lam
        return slack

    def _fusable(self, i: int) -> bool:
        """Whether prelu step i reads a shared affine step with a narrow operand (the fused path pays)."""
        if not self.fuse:
            return False
        op = self.steps[self.steps[i].operands[0]]
        return op.kind == "affine" and op.weight.dim() == 2 and op.weight.shape[1] <= _FUSE_MAX_IN

    def _fused_prelu_affine(self, i: int, L: torch.Tensor, bias: torch.Tensor, slack: torch.Tensor, pending: dict):
        """Shared rows L (r, d) through prelu step i and its shared affine operand z = W y + b, in one product.

        In real arithmetic, with the float relaxation (sl, su, bu) of step i taken as exact:
        L . sigma(z) <= L^+ (su z + bu) + L^- (sl z) = K G* [y; 1] + L^+ bu, where K = [L^+ | L^-] (r, 2d)
        and G* = [su [W | b]; sl [W | b]] (2d, n + 1) per box. The per-box coefficient L^+ su + L^- sl
        (B, r, d) is never formed: G = fl(G*) (one rounding an entry) and fl(K G) is one GEMM of 2d-term dot
        products, so |fl(K G) - K G*| <= (u + gamma_2d (1 + u)) |K| |G*| <= (2d + 2) u |L| (smax |[W | b]|)
        elementwise, and its effect on the bound, summed against |[y; 1]| <= [ymax; 1], is at most
        (2d + 2) u |L| (smax (|W| ymax + |b|)): charged ``slack_factor(2d + 2)`` (4x that, covering the
        rounding of the charge itself). Underflow: each entry of G and each product of K G loses at most
        2^-1074, so the bound moves by at most (sum_j |L_ij| + 2d) 2^-1074 (1 + sum_k ymax_k): charged with
        TINY = 2^-1000. The bias L^+ bu and the sums into ``bias`` are charged as in the unfused steps.
        """
        st = self.steps[i]
        op = st.operands[0]
        aff = self.steps[op]
        q = aff.operands[0]
        sl, su, bu, _ = self.relaxation(i)
        W, b = aff.weight, aff.bias
        d, n = W.shape
        B, r = self.n_boxes, L.shape[0]
        Wb = torch.cat([W, b[:, None]], dim=1)
        Lp = L.clamp(min=0)
        K = torch.cat([Lp, L.clamp(max=0)], dim=1)
        G = torch.cat([su, sl], dim=1).T.unsqueeze(-1) * torch.cat([Wb, Wb]).unsqueeze(1)  # (2d, B, n + 1)
        out = (K @ G.reshape(2 * d, B * (n + 1))).reshape(r, B, n + 1).permute(1, 0, 2)
        new = out[:, :, :n].contiguous()
        ymax = self.absmax(q)
        wz = torch.addmm(b.abs(), ymax, W.abs().T)  # (B, d): |W| ymax + |b|
        smax = torch.maximum(su.abs(), sl.abs())
        La = L.abs()
        under = (La.sum(dim=1) + (2 * d + 2))[None, :] * (1 + ymax.sum(dim=1, keepdim=True))
        bias = bias + out[:, :, n]
        slack = slack + slack_factor(2 * d + 2) * ((smax * wz) @ La.T) + TINY * under + _U2 * bias.abs()
        bias_u = bu @ Lp.T  # L^+ bu, (B, r)
        bias = bias + bias_u
        slack = slack + slack_factor(d) * bias_u + (d + 2) * TINY + _U2 * bias.abs()
        return bias, self._push(pending, q, new, slack)

    def linear_upper(self, t: int, lam0: torch.Tensor, bias0: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """Sound linear upper bounds of the rows lam0 (B, r, dim_t) applied to step t (plus ``bias0`` (B, r)).

        lam0 may be shared by every box: (r, dim_t). Returns (A (B, r, n_in), c (B, r)) with
        lam0 . z_t(x) + bias0 <= A x + c for every x in each box.
        """
        B, r = self.n_boxes, lam0.shape[-2]
        pending: dict[int, torch.Tensor] = {t: lam0}
        bias = lam0.new_zeros((B, r)) if bias0 is None else bias0
        slack = lam0.new_zeros((B, r))
        A_in = None
        for i in range(t, -1, -1):
            lam = pending.pop(i, None)
            if lam is None:
                continue
            st = self.steps[i]
            if lam.dim() == 2:
                if st.kind == "prelu" and self._fusable(i):
                    bias, slack = self._fused_prelu_affine(i, lam, bias, slack, pending)
                    continue
                lam = lam.unsqueeze(0).expand(B, *lam.shape)
            if st.kind == "input":
                A_in = lam
            elif st.kind == "affine":
                (op,) = st.operands
                W, b = st.weight, st.bias
                zmax = self.absmax(op)
                if W.dim() == 2:
                    new = lam @ W
                    wz = (zmax @ W.abs().T + b.abs()).add_(TINY)  # TINY: underflow in |W| zmax, scaled by |lam|
                    bias = bias + lam @ b
                else:
                    new = torch.bmm(lam, W)
                    wz = (_mv(W.abs(), zmax) + b.abs()).add_(TINY)
                    bias = bias + _mv(lam, b)
                n = W.shape[-2]
                slack = slack + slack_factor(n) * _mv(lam.abs(), wz) + (n + 2) * TINY + _U2 * bias.abs()
                slack = self._push(pending, op, new, slack)
            elif st.kind == "prelu":
                (op,) = st.operands
                sl, su, bu, smax = self.relaxation(i)
                # lam . sigma(x) <= lam^+ (su x + bu) + lam^- (sl x) = (lam sl + lam^+ (su - sl)) x + lam^+ bu
                pos = lam.clamp(min=0)
                new = lam * sl.unsqueeze(1)
                new.addcmul_(pos, (su - sl).unsqueeze(1))
                bias = bias + _mv(pos, bu)
                d = st.dim
                # |new| <= |lam| smax and |lam| = 2 lam^+ - lam. [review] new = fl(fl(lam sl) + fl(lam^+ fl(su - sl)))
                # is up to four roundings, |new - lam su| <= u |lam| (3 su - sl) < 3 u |lam| smax (2.49 u seen
                # by search, above the former 2u = _U2): charge 2 _U2 = 4u
                v = smax * self.absmax(op)
                slack = (
                    slack
                    + 2 * _U2 * (2 * _mv(pos, v) - _mv(lam, v)).clamp(min=0)
                    + slack_factor(d) * _mv(pos, bu)
                    + (d + 2) * TINY
                    + _U2 * bias.abs()
                )
                slack = self._push(pending, op, new, slack)
            elif st.kind == "concat":
                off = 0
                for op in st.operands:
                    d = self.steps[op].dim
                    slack = self._push(pending, op, lam[:, :, off : off + d], slack)
                    off += d
            elif st.kind == "slice":
                (op,) = st.operands
                new = lam.new_zeros((B, r, self.steps[op].dim))
                new[:, :, st.start : st.stop] = lam
                slack = self._push(pending, op, new, slack)
            elif st.kind == "join":
                thr = st.through[:, None, None]
                conc = torch.where(thr, torch.zeros_like(lam), lam)
                # lam . y <= lam^+ u + lam^- l for y in the join's interval (the hull over candidates)
                bias = bias + _mv(conc.clamp(min=0), self.upper[i]) + _mv(conc.clamp(max=0), self.lower[i])
                d = st.dim
                slack = (
                    slack
                    + slack_factor(2 * d) * _mv(conc.abs(), self.absmax(i))
                    + (2 * d + 2) * TINY
                    + _U2 * bias.abs()
                )
                if bool(st.through.any()):
                    slack = self._push(pending, st.operands[0], torch.where(thr, lam, torch.zeros_like(lam)), slack)
            else:  # pragma: no cover - steps are built by bound_net only
                raise AssertionError(f"unknown step kind {st.kind!r}")
        n_in = self.steps[0].dim
        if A_in is None:
            A_in = lam0.new_zeros((B, r, n_in))
        c = round_up(bias + slack * (1 + 2.0**-40))
        return A_in, c

    def crown_interval(self, t: int) -> tuple[torch.Tensor, ...]:
        """CROWN bounds of step t: (lower, upper, A_l, c_l, A_u, c_u), linear bounds in the input."""
        st = self.steps[t]
        d, B = st.dim, self.n_boxes
        if st.kind == "affine" and st.weight.dim() == 2:
            # rows +-e_i through a shared affine step are exactly +-W_i (no rounding): start at its operand
            rows = torch.cat([st.weight, -st.weight], dim=0)
            bias0 = torch.cat([st.bias, -st.bias]).unsqueeze(0).expand(B, 2 * d).clone()
            A, c = self.linear_upper(st.operands[0], rows, bias0)
        else:
            eye = torch.eye(d, dtype=self.lower[0].dtype, device=self.lower[0].device)
            rows = torch.cat([eye, -eye], dim=0)
            A, c = self.linear_upper(t, rows)
        ub = concretize_upper(A, c, self.lower[0], self.upper[0])
        # the lower bound of z is minus the upper bound of -z
        return -ub[:, d:], ub[:, :d], -A[:, d:], -c[:, d:], A[:, :d], c[:, :d]
