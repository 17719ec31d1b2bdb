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

from constructions.trained._batched import fit_runs
from constructions.trained._determinism import deterministic_training, training_env

__all__ = [
    "SparseMoE",
    "synthetic_binary_task",
    "ramp_loss",
    "TrainedSparseMoE",
    "train_sparse_moe",
    "train_sparse_moe_runs",
]


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
    one thread, deterministic kernels (:func:`deterministic_training`; the settings are restored).
    The run of :func:`train_sparse_moe_runs` with this one run."""
    kw = dict(n_in=n_in, width=width, m=m, n_test=n_test, steps=steps, gamma=gamma, device=device, lr=lr)
    return train_sparse_moe_runs([(n_experts, k, seed)], **kw)[0]


#: runs per model: at most this many hidden activations (runs x m x T x width) in one tensor. The dense
#: expert layer is bound by memory traffic: past the cache, more runs per model cost more per run
#: (measured on the 2-core machine, T = 32, m = 2000: 3.7 ms per run-step with 2 runs, 8 ms with 20;
#: the full grid per step: 2^19 and 2^18 alike, 2^20 10% and 2^21 20% slower)
_FLOATS_PER_MODEL = 1 << 19


def train_sparse_moe_runs(
    runs,
    *,
    n_in: int,
    width: int,
    m: int,
    n_test: int,
    steps: int,
    gamma: float,
    device: str = "cpu",
    lr: float = 0.02,
    dtype: torch.dtype = torch.float32,
) -> list[TrainedSparseMoE]:
    """Train the sparse MoEs ``runs`` = [(n_experts, k, seed), ...] on ``m`` samples each, as
    :func:`train_sparse_moe` trains one, but together: runs of one expert count T form models with a run
    axis (:mod:`constructions.trained._batched`: the summed loss gives each run its own gradient, Adam is
    elementwise), their k handled exactly by a mask (:func:`_runs_forward`). Consecutive runs share a
    model, as many as ``_FLOATS_PER_MODEL`` allows: a fixed grouping, so a run's numbers depend on
    ``runs`` only. Results in run order. ``dtype``: the training arithmetic (the draws are float32's,
    then cast; float64 serves the tests)."""
    runs = [tuple(int(v) for v in r) for r in runs]
    for T, k, _ in runs:
        if not (1 <= k <= T):
            raise ValueError(f"k={k} must satisfy 1 <= k <= n_experts={T}")
    out: dict[int, TrainedSparseMoE] = {}
    kw = dict(n_in=n_in, width=width, m=m, n_test=n_test, steps=steps, gamma=gamma, device=device, lr=lr)
    with deterministic_training():
        for T in sorted({r[0] for r in runs}):
            same_T = [i for i, r in enumerate(runs) if r[0] == T]
            size = max(1, _FLOATS_PER_MODEL // (m * T * width))
            for c in range(0, len(same_T), size):
                which = same_T[c : c + size]
                out.update(zip(which, _train_same_T([runs[i] for i in which], dtype=dtype, **kw)))
    return [out[i] for i in range(len(runs))]


_PARAMS = ("router", "A1", "A2")  # the order _runs_forward takes them


def _runs_forward(router, A1, A2, k_max, drop, x):
    """R sparse MoEs at once: x (R, N, n_in) -> (R, N).

    ``drop`` (R, 1, k_max) or None: True beyond the first k_r places of run r's top-k_max. A run with
    k_r < k_max takes its k_r best experts (topk is sorted) and gives the others softmax weight exactly
    0 (exp(-inf)), so their term in the mixture and every gradient through them are exactly 0: the
    softmax over its selected k_r scores, as in :class:`SparseMoE`."""
    R, N, n_in = x.shape
    T, w = A1.shape[1], A1.shape[2]
    scores = torch.bmm(x, router.transpose(1, 2))  # (R, N, T)
    h = torch.bmm(x, A1.reshape(R, T * w, n_in).transpose(1, 2)).relu_()  # (R, N, T w)
    outs = (h.view(R, N, T, w) * A2.view(R, 1, T, w)).sum(3)  # every expert on every input: (R, N, T)
    top, idx = scores.topk(k_max, dim=2)  # sorted: the largest first
    # softmax over the selected scores, written out (torch's kernel is slow over a last dimension of k <= 8):
    # exp(s_j - s_max) / sum_j exp(s_j - s_max), with exp(-inf) = 0 at the places beyond k_r
    e = torch.exp(top - top[:, :, :1])
    if drop is not None:
        e = e.masked_fill(drop, 0.0)
    return (e / e.sum(2, keepdim=True) * outs.gather(2, idx)).sum(2)


def _train_same_T(runs, *, n_in, width, m, n_test, steps, gamma, device, lr, dtype) -> list[TrainedSparseMoE]:
    """One model for ``runs`` (all of one T): train, then measure each run on its own."""
    T, to = runs[0][0], dict(device=device, dtype=dtype)
    seeds = sorted({s for _, _, s in runs})
    # each run's data and init as for one run: data from its seed, init from Generator(seed 7919 + 13 T + k);
    # drawn as the float32 training drew them, then cast to the training dtype
    data = {s: synthetic_binary_task(n_in, m, seed=s) for s in seeds}
    x = torch.stack([data[s][0].float() for _, _, s in runs]).to(**to)
    y = torch.stack([data[s][1].float() for _, _, s in runs]).to(**to)
    nets = [
        SparseMoE(n_in, T, k, width, generator=torch.Generator().manual_seed(s * 7919 + 13 * T + k)) for _, k, s in runs
    ]
    model = torch.nn.ParameterDict(
        {n: torch.nn.Parameter(torch.stack([getattr(net, n).detach() for net in nets]).to(**to)) for n in _PARAMS}
    )
    init = {n: p.detach().clone() for n, p in model.items()}
    ks = torch.tensor([k for _, k, _ in runs])
    k_max = int(ks.max())
    drop = (torch.arange(k_max)[None, None, :] >= ks[:, None, None]).to(device) if int(ks.min()) < k_max else None

    def loss_of(mod, xb, yb):  # full batch: each run's mean logistic loss, summed over runs
        return (
            torch.nn.functional.softplus(-yb * _runs_forward(*(mod[n] for n in _PARAMS), k_max, drop, xb)).mean(1).sum()
        )

    fit_runs(model, loss_of, lambda t: (x, y), steps=steps, lr=lr, schedule="constant")
    out = []
    with torch.no_grad():
        for r, (_, k, s) in enumerate(runs):
            one = [model[n][r : r + 1] for n in _PARAMS]
            xt, yt = (v.float().to(**to) for v in synthetic_binary_task(n_in, n_test, seed=s + 10_000_019))
            f, ft = (_runs_forward(*one, k, None, v)[0] for v in (x[r : r + 1], xt[None]))
            trained = {n: p[r] for n, p in model.items()}
            meas = dict(n_in=n_in, width=width, m=m, n_test=n_test, gamma=gamma, device=device)
            out.append(
                _measure(T, k, s, (f, ft), (x[r], y[r], yt), trained, {n: v[r] for n, v in init.items()}, **meas)
            )
    return out


def _measure(T, k, seed, outs, data, p, init, *, n_in, width, m, n_test, gamma, device) -> TrainedSparseMoE:
    """The losses and weight norms of one trained run: ``outs`` = its outputs (f, ft) on the training
    and test inputs, ``data`` = (x, y, y_test), ``p`` and ``init`` its trained and initial weights."""
    (f, ft), (x, y, yt) = outs, data
    tr, te = ramp_loss(y * f, gamma), ramp_loss(yt * ft, gamma)
    A1, A2 = p["A1"], p["A2"]
    as_t = lambda v: tuple(float(a) for a in v.cpu())  # noqa: E731
    return TrainedSparseMoE(
        n_in=n_in,
        n_experts=T,
        k=k,
        width=width,
        m=m,
        seed=seed,
        train_loss=float(tr.double().mean()),
        test_loss=float(te.double().mean()),
        test_loss_se=float(te.double().std() / n_test**0.5),
        train_acc=float((y * f > 0).double().mean()),
        test_acc=float((yt * ft > 0).double().mean()),
        spectral1=as_t(torch.linalg.matrix_norm(A1, ord=2)),
        spectral2=as_t(torch.linalg.matrix_norm(A2, ord=2)),
        dist21_1=as_t((A1 - init["A1"]).norm(dim=2).sum(1)),  # rows of the (out, in) matrix
        dist21_2=as_t((A2 - init["A2"]).norm(dim=2).sum(1)),
        router_rows=as_t(p["router"].norm(dim=1)),
        x_fro=float(x.norm()),
        x_max=float(x.norm(dim=1).max()),
        w_bar=max(width * n_in, width),
        env=training_env(device),
    )
