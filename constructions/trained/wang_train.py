"""Experiments I and II of Wang & E (Sec. 6) as trained models (measurements, never certificates).

The trained layer is the paper's MoE layer: bias-free linear gate, top-1, ReLU experts with one hidden
layer of width m. With top-1 the softmax over the selected expert is exactly 1, so the paper's formula
gives the gate no gradient: ``gate='frozen'`` trains exactly that (the routing stays at its random
initial sectors). ``gate='st'`` multiplies the expert output by p/p.detach() (p = softmax over all scores
at the selected expert): the forward value is unchanged (= 1) and the gate learns [ours].

How each run is trained is a :class:`TrainSetup`. ``PAPER_I`` / ``PAPER_II`` are the paper's reported setup
[secondary]: Adam, constant lr 1e-3, batch 128, square loss, 2000 / 5000 iterations, a fresh batch of samples
per iteration, torch's default (``nn.Linear``) initialisation. Not stated by the paper, and so our reading:
the sampling (uniform angle on the circle; uniform on [0,3]^2), the gate reading (frozen, the literal formula),
and "test error" = mean squared error on fresh samples.

* Exp I [paper]: circle x1^2 + x2^2 = 1 in R^D (other coordinates 0), f = sin(5 x1) + cos(3 x2), one MoE
  layer of 4 experts of width 10; the paper reports test error ~ 3.4e-4 for D in {16, 32, 64, 128}.
* Exp II [paper; target ours]: the 9-piece function on [0,3]^2, f(x) = (phi(x1), phi(x2)) with
  phi(z) = i (i-1-z)^2 (z-i)^2 on [i-1, i]; "2-3-MoE" (2 layers of 3 experts) against "1-6-MoE" (1 layer
  of 6), width m. Gates have no bias, so the input carries a constant-1 coordinate [ours].

Seeds. A run with seed s initialises from ``Generator(s)``, draws its training batches from
``Generator(s + 1)`` and is tested on ``n_test`` fresh samples from ``Generator(TEST_SEED_BASE + s)``,
a stream never used while the setups were chosen (development used seeds 101.. and validation
samples from 777000 + s). Every run is deterministic (:func:`deterministic_training`) and returns its
:func:`training_env`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from constructions.trained._determinism import deterministic_training, training_env
from proofs import InvalidInput

__all__ = [
    "TrainSetup",
    "PAPER_I",
    "PAPER_II",
    "LONG_I",
    "LONG_II",
    "TEST_SEED_BASE",
    "TrainedMoELayer",
    "train_experiment_i",
    "train_experiment_ii",
    "exp2_target",
]

#: test samples come from Generator(TEST_SEED_BASE + seed): a stream never used in development
TEST_SEED_BASE = 9_000_011


@dataclass(frozen=True)
class TrainSetup:
    """How one experiment is trained.

    Arguments:
        name: shown in the report ('paper', 'long').
        steps: Adam iterations, one fresh batch each.
        lr: Adam learning rate (initial, for the cosine schedule).
        schedule: 'constant', or 'cosine' (to lr/100 at the last step).
        batch: samples per iteration.
        gate: 'frozen' (the paper's top-1 formula: no gate gradient) or 'st' (straight-through, ours).
        init: 'torch' (nn.Linear's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)), gate included) or 'he'
            (normal He weights, zero biases, gate N(0, 0.01): our earlier choice).
        target_scale: train on target_scale * f, report the MSE on f (1.0 = the paper).
    """

    name: str
    steps: int
    lr: float = 1e-3
    schedule: str = "constant"
    batch: int = 128
    gate: str = "frozen"
    init: str = "torch"
    target_scale: float = 1.0

    def __post_init__(self) -> None:
        if not (isinstance(self.steps, int) and self.steps >= 1):
            raise InvalidInput(f"steps={self.steps!r} must be a positive integer")
        if not (isinstance(self.batch, int) and self.batch >= 1):
            raise InvalidInput(f"batch={self.batch!r} must be a positive integer")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise InvalidInput(f"lr={self.lr!r} must be a positive number")
        for field, allowed in (
            ("schedule", ("constant", "cosine")),
            ("gate", ("frozen", "st")),
            ("init", ("torch", "he")),
        ):
            if getattr(self, field) not in allowed:
                raise InvalidInput(f"{field}={getattr(self, field)!r} must be one of {allowed}")

    def label(self) -> str:
        sched = "constant" if self.schedule == "constant" else f"cosine to {self.lr / 100:g}"
        return (
            f"{self.name}: Adam lr {self.lr:g} ({sched}), batch {self.batch}, {self.steps} steps, "
            f"gate {self.gate}, init {self.init}"
            + (f", target x{self.target_scale:g}" if self.target_scale != 1 else "")
        )


#: the paper's reported setup [secondary] (the rest is our reading; see the module docstring)
PAPER_I = TrainSetup("paper", steps=2000)
PAPER_II = TrainSetup("paper", steps=5000)
#: ours: the same model trained 10x longer with a decaying rate, to measure what the architecture reaches
LONG_I = TrainSetup("long", steps=20000, lr=1e-2, schedule="cosine", gate="st")
LONG_II = TrainSetup("long", steps=20000, lr=1e-2, schedule="cosine", gate="st")


class TrainedMoELayer(nn.Module):
    """x (N, n_in) -> (N, n_out): bias-free gate, top-1, E experts n_in -> m -> n_out (ReLU)."""

    def __init__(
        self,
        n_in: int,
        n_out: int,
        n_experts: int,
        width: int,
        generator: torch.Generator,
        *,
        init: str = "torch",
        gate: str = "frozen",
    ):
        super().__init__()
        self.gate_mode = gate
        shapes = {
            "gate": (n_experts, n_in),
            "w1": (n_experts, width, n_in),
            "b1": (n_experts, width),
            "w2": (n_experts, n_out, width),
            "b2": (n_experts, n_out),
        }
        if init == "torch":  # nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases
            fan = {"gate": n_in, "w1": n_in, "b1": n_in, "w2": width, "b2": width}
            vals = {k: (torch.rand(s, generator=generator) * 2 - 1) / math.sqrt(fan[k]) for k, s in shapes.items()}
        else:
            vals = {
                "gate": torch.randn(shapes["gate"], generator=generator) * 0.1,
                "w1": torch.randn(shapes["w1"], generator=generator) * math.sqrt(2.0 / n_in),
                "b1": torch.zeros(shapes["b1"]),
                "w2": torch.randn(shapes["w2"], generator=generator) * math.sqrt(1.0 / width),
                "b2": torch.zeros(shapes["b2"]),
            }
        for k, v in vals.items():
            setattr(self, k, nn.Parameter(v))

    def forward(self, x: torch.Tensor, return_routes: bool = False):
        scores = x @ self.gate.T
        idx = torch.argmax(scores, dim=1)  # top-1, ties to the lowest index
        h = torch.relu(torch.einsum("nmi,ni->nm", self.w1[idx], x) + self.b1[idx])
        y = torch.einsum("nom,nm->no", self.w2[idx], h) + self.b2[idx]
        if self.gate_mode == "st":
            p = torch.softmax(scores, dim=1).gather(1, idx[:, None])
            y = y * (p / p.detach())  # straight-through: the forward weight is exactly 1
        return (y, idx) if return_routes else y


def _train(model: nn.Module, sample, setup: TrainSetup, seed: int) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=setup.lr)
    sched = (
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=setup.steps, eta_min=setup.lr / 100)
        if setup.schedule == "cosine"
        else None
    )
    g = torch.Generator().manual_seed(seed + 1)
    for _ in range(setup.steps):
        x, y = sample(setup.batch, g)
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()


def _setup(setup: TrainSetup | None, steps: int | None, default: TrainSetup, seed) -> TrainSetup:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise InvalidInput(f"seed={seed!r} must be an integer")
    if setup is None:
        setup = default
    if not isinstance(setup, TrainSetup):
        raise InvalidInput(f"setup={setup!r} must be a TrainSetup")
    if steps is not None:
        setup = TrainSetup(**{**asdict(setup), "steps": steps})
    return setup


def train_experiment_i(
    D: int,
    *,
    setup: TrainSetup | None = None,
    steps: int | None = None,
    seed: int = 0,
    width: int = 10,
    n_experts: int = 4,
    n_test: int = 4096,
    device: str = "cpu",
) -> dict:
    """Exp I at ambient dimension D: {'test_mse', 'test_max', 'experts_used', 'setup', 'env'}.

    ``setup`` defaults to :data:`PAPER_I`; ``steps`` overrides its step count.
    """
    setup = _setup(setup, steps, PAPER_I, seed)
    if not (isinstance(D, int) and D >= 2):
        raise InvalidInput(f"D={D!r} must be an integer >= 2")

    def sample(n, g):
        th = torch.rand(n, generator=g) * 2 * math.pi  # uniform angle: the arc-length measure [ours]
        x = torch.zeros(n, D)
        x[:, 0], x[:, 1] = torch.cos(th), torch.sin(th)
        y = torch.sin(5 * x[:, :1]) + torch.cos(3 * x[:, 1:2])
        return x.to(device), (setup.target_scale * y).to(device)

    with deterministic_training():
        model = TrainedMoELayer(
            D, 1, n_experts, width, torch.Generator().manual_seed(seed), init=setup.init, gate=setup.gate
        ).to(device)
        _train(model, sample, setup, seed)
        with torch.no_grad():
            x, y = sample(n_test, torch.Generator().manual_seed(TEST_SEED_BASE + seed))
            out, idx = model(x, return_routes=True)
            err = ((out - y) / setup.target_scale) ** 2
    return {
        "test_mse": float(err.double().mean()),
        "test_max": float(err.max().sqrt()),
        "experts_used": int(torch.unique(idx).numel()),
        "setup": setup.label(),
        "env": training_env(device),
    }


def exp2_target(x: np.ndarray | torch.Tensor):
    """phi applied per coordinate: phi(z) = i (i-1-z)^2 (z-i)^2 for z in [i-1, i], i = 1, 2, 3."""
    lib = torch if torch.is_tensor(x) else np
    i = lib.clip(lib.ceil(x), 1, 3)
    return i * (i - 1 - x) ** 2 * (x - i) ** 2


class _Stack(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def train_experiment_ii(
    arch: str,
    m: int,
    *,
    setup: TrainSetup | None = None,
    steps: int | None = None,
    seed: int = 0,
    n_test: int = 8192,
    device: str = "cpu",
) -> dict:
    """Exp II: arch '2-3' (2 layers x 3 experts) or '1-6' (1 layer x 6 experts), expert width m.

    Returns {'test_mse', 'arch', 'm', 'setup', 'env'}; ``setup`` defaults to :data:`PAPER_II`.
    """
    setup = _setup(setup, steps, PAPER_II, seed)
    if arch not in ("2-3", "1-6"):
        raise InvalidInput(f"arch={arch!r} must be '2-3' or '1-6'")
    if not (isinstance(m, int) and m >= 1):
        raise InvalidInput(f"m={m!r} must be a positive integer")

    def sample(n, g):
        x = torch.rand(n, 2, generator=g) * 3  # uniform on [0,3]^2 [ours]
        xin = torch.cat([x, torch.ones(n, 1)], dim=1)  # the constant-1 coordinate (no gate bias)
        return xin.to(device), (setup.target_scale * exp2_target(x)).to(device)

    with deterministic_training():
        gen = torch.Generator().manual_seed(seed)
        kw = dict(init=setup.init, gate=setup.gate)
        if arch == "2-3":
            model = _Stack([TrainedMoELayer(3, 3, 3, m, gen, **kw), TrainedMoELayer(3, 2, 3, m, gen, **kw)])
        else:
            model = _Stack([TrainedMoELayer(3, 2, 6, m, gen, **kw)])
        model = model.to(device)
        _train(model, sample, setup, seed)
        with torch.no_grad():
            x, y = sample(n_test, torch.Generator().manual_seed(TEST_SEED_BASE + seed))
            err = ((model(x) - y) / setup.target_scale) ** 2
    return {
        "test_mse": float(err.double().mean()),
        "arch": arch,
        "m": m,
        "setup": setup.label(),
        "env": training_env(device),
    }
