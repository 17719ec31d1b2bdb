"""Many independent trainings as one model with a leading run axis (ours).

The trained experiments are tiny networks whose training step costs per-op overhead, not flops. So the R
runs of one experiment that share a setup (step count, learning rate, schedule, batch, gate) train as ONE
model whose parameters are stacked ``(R, ...)``: the forward is batched matrix products per run, and the
loss is the SUM over runs of each run's own mean loss. Why each run is trained exactly as if alone:

* gradient: d(sum_r L_r)/d theta_r = dL_r/d theta_r, since L_s does not depend on theta_r for s != r;
* optimiser: Adam's update is elementwise in (parameter, gradient, moments) with one shared step count
  and learning rate, so the stacked Adam is R independent Adams (the schedule is shared: the runs of
  one model have the same setup);
* data: run r keeps its own streams (its batches, its init, its test samples), drawn as before.

Only the order of floating-point additions changes, so results agree with the one-run trainers to
rounding, not bit for bit.

Zero padding of hidden units (runs of widths m_r < M in one model) is exact: a unit with zero input
weights, zero bias and zero output weights outputs relu(0) = 0, so its output weights get the gradient
h * dy = 0 and its input weights and bias the gradient (w2 . dy) relu'(0) = 0; Adam maps a zero gradient
to a zero update (its moments stay 0, the step is 0 / (0 + eps) = 0), so the unit stays zero and never
contributes. Tested in tests/unit/test_batched_training.py.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RunsMoELayer", "fit_runs", "stack_padded"]


def stack_padded(tensors: list[torch.Tensor], shape: tuple[int, ...]) -> torch.Tensor:
    """(R, *shape): each tensor in the leading corner of zeros (zero padding of smaller ones)."""
    out = torch.zeros((len(tensors), *shape), dtype=tensors[0].dtype)
    for r, t in enumerate(tensors):
        out[(r, *(slice(0, n) for n in t.shape))] = t
    return out


class _Hidden(torch.autograd.Function):
    """out = relu(xe @ w) @ w2^T + b2 per run, with a hand-written backward.

    Shapes: xe (R, N, K1), w (R, K1, M), w2 (R, K2, M), b2 (R, 1, K2) -> (R, N, K2). The backward is the
    chain rule of the forward written out so that every product is a fast shape of batched matmul
    (autograd's own takes the weight gradient of a transposed operand as an (M, N) x (N, K2) product,
    several times slower); checked by ``torch.autograd.gradcheck`` in the tests."""

    @staticmethod
    def forward(ctx, xe, w, w2, b2):
        h = torch.bmm(xe, w).relu_()
        ctx.save_for_backward(xe, w, w2, h)
        return torch.baddbmm(b2, h, w2.transpose(1, 2))

    @staticmethod
    def backward(ctx, g):
        xe, w, w2, h = ctx.saved_tensors
        g_pre = torch.ops.aten.threshold_backward(torch.bmm(g, w2), h, 0)  # d out / d h = w2; relu' = [h > 0]
        g_w2 = torch.bmm(g.transpose(1, 2), h)
        g_w = torch.bmm(xe.transpose(1, 2), g_pre)
        g_xe = torch.bmm(g_pre, w.transpose(1, 2)) if ctx.needs_input_grad[0] else None
        return g_xe, g_w, g_w2, g.sum(1, keepdim=True)


class RunsMoELayer(nn.Module):
    """R independent top-1 MoE layers: bias-free linear gate, E ReLU experts n_in -> width -> n_out.

    Arguments:
        inits: one dict per run with ``gate (E, n_in)``, ``w1 (E, m_r, n_in)``, ``b1 (E, m_r)``,
            ``w2 (E, n_out, m_r)``, ``b2 (E, n_out)`` (m_r <= width: zero padded, exactly; see the module).
        width: the common hidden width M.
        gate: 'frozen' (top-1 weight exactly 1, no gate gradient) or 'st' (straight-through p / p.detach()).
    Shapes: ``forward(x: (R, N, n_in)) -> (R, N, n_out)``.

    No per-sample weight copies and no (N, E, width) tensor: the first product meets the input placed in
    the selected expert's slot (zeros elsewhere), the second computes every expert's few outputs on the
    selected expert's hidden vector and a gather keeps the selected expert's. The output is the selected
    expert's and the other experts get exact zero gradients.
    """

    def __init__(self, inits: list[dict[str, torch.Tensor]], width: int, *, gate: str = "frozen"):
        super().__init__()
        E, n_in = inits[0]["gate"].shape
        n_out = inits[0]["b2"].shape[1]
        self.gate_mode = gate
        self.gate = nn.Parameter(stack_padded([p["gate"] for p in inits], (E, n_in)))
        # first layer stored (E, n_in + 1, width), w1 transposed with b1 as its last row: the products below
        # and their gradients are then the fast shapes of batched matmul (an (N, K) x (K, few) product is
        # several times slower than (N, few) x (few, K)), and no concatenation is needed per step
        w1b = [torch.cat([p["w1"].transpose(1, 2), p["b1"].unsqueeze(1)], dim=1) for p in inits]
        self.w1b = nn.Parameter(stack_padded(w1b, (E, n_in + 1, width)))
        self.w2 = nn.Parameter(stack_padded([p["w2"] for p in inits], (E, n_out, width)))
        self.b2 = nn.Parameter(stack_padded([p["b2"] for p in inits], (E, n_out)))

    def run_params(self, r: int, width: int | None = None) -> dict[str, torch.Tensor]:
        """Run r's parameters in the one-run layout (``width``: its own hidden width, default all)."""
        w = self.w1b.shape[3] if width is None else width
        return {
            "gate": self.gate[r].detach().clone(),
            "w1": self.w1b[r, :, :-1, :w].transpose(1, 2).detach().clone(),
            "b1": self.w1b[r, :, -1, :w].detach().clone(),
            "w2": self.w2[r, :, :, :w].detach().clone(),
            "b2": self.b2[r].detach().clone(),
        }

    def forward(self, x: torch.Tensor, return_routes: bool = False):
        R, N, n_in = x.shape
        E, n_out, M = self.w2.shape[1:]
        scores = torch.bmm(x, self.gate.transpose(1, 2))  # (R, N, E)
        idx = torch.argmax(scores, dim=2)  # top-1, ties to the lowest index
        onehot = nn.functional.one_hot(idx, E).to(x.dtype).unsqueeze(3)  # (R, N, E, 1)
        # (x, 1) placed in the selected expert's slot, zeros in the others: one product gives
        # w1[idx] x + b1[idx] (the other experts' weights meet exact zeros and get exact zero gradients)
        xe = torch.cat([x.unsqueeze(2) * onehot, onehot], dim=3).view(R, N, E * (n_in + 1))
        w1b, w2, b2 = self.w1b.view(R, E * (n_in + 1), M), self.w2.view(R, E * n_out, M), self.b2.view(R, 1, E * n_out)
        out = _Hidden.apply(xe, w1b, w2, b2)  # the selected expert's hidden layer, every expert's outputs on it
        y = out.view(R, N, E, n_out).gather(2, idx.view(R, N, 1, 1).expand(R, N, 1, n_out)).view(R, N, n_out)
        if self.gate_mode == "st":
            # softmax at the selected (= largest) score: 1 / sum_e exp(s_e - s_idx), as softmax computes it
            # (torch's softmax kernel is slow over a last dimension of 3 to 6)
            p = 1 / torch.exp(scores - scores.gather(2, idx.unsqueeze(2))).sum(2, keepdim=True)
            y = y * (p / p.detach())  # straight-through: the forward weight is exactly 1
        return (y, idx) if return_routes else y


def fit_runs(model: nn.Module, loss_of, batch_of, *, steps: int, lr: float, schedule: str) -> None:
    """Adam on ``loss_of(model, *batch_of(t))`` (the sum over runs of each run's mean loss) for t < steps.

    ``schedule``: 'constant', or 'cosine' (torch's CosineAnnealingLR to lr/100 at the last step). Adam's
    fused CPU kernel: one elementwise pass per parameter tensor (an independent Adam per element).
    """
    opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    sched = (
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr / 100) if schedule == "cosine" else None
    )
    for t in range(steps):
        loss = loss_of(model, *batch_of(t))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
