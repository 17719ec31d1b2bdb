"""Sparse mixtures of experts trained on synthetic binary classification (zhao2024 checks; ours).

The model (Definition 1 of zhao2024, in the usual form): a linear router ``s(x) = W_R x`` picks the
top-k of T experts; their outputs are mixed with a softmax over the *selected* scores. Each expert
is a ReLU MLP ``h_a(x) = A2_a relu(A1_a x)`` without biases (the inputs carry a constant-1
coordinate), as in Bartlett-Foster-Telgarsky's setting. Training minimises the logistic loss (Adam,
full batch); the loss the bound is about is the ramp loss ``clip(1 - y f(x)/gamma, 0, 1)`` in [0, 1].

The data: ``x = (z, 1)``, ``z ~ N(0, I)``, label ``y = sign(t(z))`` from a fixed random piecewise-linear
teacher (a top-1 MoE of 4 linear pieces), then 10% of the labels flipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from constructions.trained._determinism import deterministic_training, training_env

__all__ = ["SparseMoE", "synthetic_binary_task", "ramp_loss", "TrainedSparseMoE", "train_sparse_moe"]


class SparseMoE(torch.nn.Module):
    """Top-k sparse MoE with T ReLU-MLP experts and a linear router.

    Arguments:
        n_in: input dimension (including the constant coordinate).
        n_experts: T.
        k: experts selected per input, 1 <= k <= T.
        width: hidden width of each expert.
    Shapes: ``forward(x: (batch, n_in)) -> (batch,)``.
    """

    def __init__(
        self,
        n_in: int,
        n_experts: int,
        k: int,
        width: int,
        *,
        generator: torch.Generator,
        dtype=torch.float32,
        device="cpu",
    ):
        super().__init__()
        if not (1 <= k <= n_experts):
            raise ValueError(f"k={k} must satisfy 1 <= k <= n_experts={n_experts}")
        self.k = k
        opts = dict(dtype=dtype, device="cpu")
        self.router = torch.nn.Parameter(torch.randn(n_experts, n_in, generator=generator, **opts) / n_in**0.5)
        self.A1 = torch.nn.Parameter(torch.randn(n_experts, width, n_in, generator=generator, **opts) / n_in**0.5)
        self.A2 = torch.nn.Parameter(torch.randn(n_experts, 1, width, generator=generator, **opts) / width**0.5)
        self.to(device)

    def expert_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """All experts on all inputs: ``(batch, n_in) -> (batch, T)`` (dense: the nets are tiny)."""
        h = torch.relu(torch.einsum("twn,bn->btw", self.A1, x))
        return torch.einsum("tw,btw->bt", self.A2[:, 0, :], h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scores = x @ self.router.T
        top, idx = scores.topk(self.k, dim=1)
        gates = torch.softmax(top, dim=1)  # softmax over the selected experts only
        return (gates * self.expert_outputs(x).gather(1, idx)).sum(1)


def synthetic_binary_task(n_in: int, m: int, *, seed: int, noise: float = 0.1, device="cpu"):
    """(x, y) with x: (m, n_in) (last coordinate 1), y: (m,) in {-1, +1}; the teacher depends on ``n_in``
    only (seed 12345), the sample on ``seed``."""
    tg = torch.Generator().manual_seed(12345 + n_in)
    teacher_router = torch.randn(4, n_in - 1, generator=tg, dtype=torch.float64)
    teacher_w = torch.randn(4, n_in - 1, generator=tg, dtype=torch.float64)
    teacher_b = torch.randn(4, generator=tg, dtype=torch.float64) * 0.5
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(m, n_in - 1, generator=g, dtype=torch.float64)
    piece = (z @ teacher_router.T).argmax(1)
    t = (z * teacher_w[piece]).sum(1) + teacher_b[piece]
    y = torch.where(t >= 0, 1.0, -1.0).to(torch.float64)
    flip = torch.rand(m, generator=g, dtype=torch.float64) < noise
    y = torch.where(flip, -y, y)
    x = torch.cat([z, torch.ones(m, 1, dtype=torch.float64)], dim=1)
    return x.to(device), y.to(device)


def ramp_loss(margin: torch.Tensor, gamma: float) -> torch.Tensor:
    """clip(1 - margin/gamma, 0, 1): in [0, 1], (1/gamma)-Lipschitz in the margin y f(x)."""
    return torch.clamp(1 - margin / gamma, 0.0, 1.0)


@dataclass(frozen=True)
class TrainedSparseMoE:
    """Measured losses and the weight norms the bound needs (plain floats; per-expert tuples).

    ``spectral1/2``: spectral norms of A1_a, A2_a; ``dist21_1/2``: ||A_a - A_a^(0)||_{2,1} (sum of the
    row 2-norms of the (out, in) matrix); ``router_rows``: ||w_a||_2; ``x_fro``: ||X||_F of the
    training inputs; ``x_max``: max_i ||x_i||_2; ``w_bar``: the largest layer parameter count.
    """

    n_in: int
    n_experts: int
    k: int
    width: int
    m: int
    seed: int
    train_loss: float
    test_loss: float
    test_loss_se: float
    train_acc: float
    test_acc: float
    spectral1: tuple[float, ...]
    spectral2: tuple[float, ...]
    dist21_1: tuple[float, ...]
    dist21_2: tuple[float, ...]
    router_rows: tuple[float, ...]
    x_fro: float
    x_max: float
    w_bar: int
    env: Mapping[str, Any] = field(default_factory=dict, compare=False)  # torch version, device (training_env)

    def __post_init__(self) -> None:
        T = self.n_experts
        assert all(
            len(v) == T for v in (self.spectral1, self.spectral2, self.dist21_1, self.dist21_2, self.router_rows)
        ), "one norm per expert"
        assert 0.0 <= self.train_loss <= 1.0 and 0.0 <= self.test_loss <= 1.0, "ramp loss lies in [0, 1]"

    @property
    def gap(self) -> float:
        return self.test_loss - self.train_loss


def train_sparse_moe(
    *,
    n_in: int,
    n_experts: int,
    k: int,
    width: int,
    m: int,
    n_test: int,
    steps: int,
    seed: int,
    gamma: float,
    device: str = "cpu",
    lr: float = 0.02,
) -> TrainedSparseMoE:
    """Train one sparse MoE (full-batch Adam on the logistic loss) and measure it, deterministically:
    one thread, deterministic kernels (:func:`deterministic_training`; the settings are restored)."""
    with deterministic_training():
        return _train(
            n_in=n_in,
            n_experts=n_experts,
            k=k,
            width=width,
            m=m,
            n_test=n_test,
            steps=steps,
            seed=seed,
            gamma=gamma,
            device=device,
            lr=lr,
        )


def _train(*, n_in, n_experts, k, width, m, n_test, steps, seed, gamma, device, lr) -> TrainedSparseMoE:
    # float32 for speed; the measured losses and norms are reported as float64 numbers
    x, y = (t.float() for t in synthetic_binary_task(n_in, m, seed=seed, device=device))
    xt, yt = (t.float() for t in synthetic_binary_task(n_in, n_test, seed=seed + 10_000_019, device=device))
    g = torch.Generator().manual_seed(seed * 7919 + 13 * n_experts + k)
    model = SparseMoE(n_in, n_experts, k, width, generator=g, device=device)
    init = {name: p.detach().clone() for name, p in model.named_parameters()}
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.softplus(-y * model(x)).mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        f, ft = model(x), model(xt)
        tr, te = ramp_loss(y * f, gamma), ramp_loss(yt * ft, gamma)
        A1, A2 = model.A1.detach(), model.A2.detach()
        spec1 = torch.linalg.matrix_norm(A1, ord=2)
        spec2 = torch.linalg.matrix_norm(A2, ord=2)
        d1 = (A1 - init["A1"]).norm(dim=2).sum(1)  # rows of the (out, in) matrix
        d2 = (A2 - init["A2"]).norm(dim=2).sum(1)
        rows = model.router.detach().norm(dim=1)
        as_t = lambda v: tuple(float(a) for a in v.cpu())  # noqa: E731
        return TrainedSparseMoE(
            n_in=n_in,
            n_experts=n_experts,
            k=k,
            width=width,
            m=m,
            seed=seed,
            train_loss=float(tr.double().mean()),
            test_loss=float(te.double().mean()),
            test_loss_se=float(te.double().std() / n_test**0.5),
            train_acc=float((y * f > 0).double().mean()),
            test_acc=float((yt * ft > 0).double().mean()),
            spectral1=as_t(spec1),
            spectral2=as_t(spec2),
            dist21_1=as_t(d1),
            dist21_2=as_t(d2),
            router_rows=as_t(rows),
            x_fro=float(x.norm()),
            x_max=float(x.norm(dim=1).max()),
            w_bar=max(width * n_in, width),
            env=training_env(device),
        )
