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
:func:`training_env`. The runs of one setup train together, one model with a run axis
(:func:`train_experiment_i_runs`, :func:`train_experiment_ii_runs`; see
:mod:`constructions.trained._batched`): each run's numbers are its one-run training's to rounding.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from constructions.trained._batched import RunsMoELayer, fit_runs
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
    "train_experiment_i_runs",
    "train_experiment_ii_runs",
    "layer_init",
    "exp2_layers",
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


def layer_init(
    n_in: int, n_out: int, n_experts: int, width: int, generator: torch.Generator, *, init: str = "torch"
) -> dict[str, torch.Tensor]:
    """One MoE layer's initial parameters, drawn from ``generator`` in the order gate, w1, b1, w2, b2.

    Shapes: gate (E, n_in), w1 (E, width, n_in), b1 (E, width), w2 (E, n_out, width), b2 (E, n_out)."""
    shapes = {
        "gate": (n_experts, n_in),
        "w1": (n_experts, width, n_in),
        "b1": (n_experts, width),
        "w2": (n_experts, n_out, width),
        "b2": (n_experts, n_out),
    }
    if init == "torch":  # nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases
        fan = {"gate": n_in, "w1": n_in, "b1": n_in, "w2": width, "b2": width}
        return {k: (torch.rand(s, generator=generator) * 2 - 1) / math.sqrt(fan[k]) for k, s in shapes.items()}
    return {
        "gate": torch.randn(shapes["gate"], generator=generator) * 0.1,
        "w1": torch.randn(shapes["w1"], generator=generator) * math.sqrt(2.0 / n_in),
        "b1": torch.zeros(shapes["b1"]),
        "w2": torch.randn(shapes["w2"], generator=generator) * math.sqrt(1.0 / width),
        "b2": torch.zeros(shapes["b2"]),
    }


class TrainedMoELayer(nn.Module):
    """One run's layer, x (N, n_in) -> (N, n_out): bias-free gate, top-1, E experts n_in -> m -> n_out (ReLU).

    The trainers train many runs at once (:class:`RunsMoELayer`); this is the model of one of them
    (``params``: e.g. ``RunsMoELayer.run_params(r)``; default: drawn by :func:`layer_init`)."""

    def __init__(
        self,
        n_in: int,
        n_out: int,
        n_experts: int,
        width: int,
        generator: torch.Generator | None = None,
        *,
        init: str = "torch",
        gate: str = "frozen",
        params: dict[str, torch.Tensor] | None = None,
    ):
        super().__init__()
        self.gate_mode = gate
        if params is None:
            if generator is None:
                raise InvalidInput("TrainedMoELayer needs a generator or params")
            params = layer_init(n_in, n_out, n_experts, width, generator, init=init)
        for k, v in params.items():
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


#: training batches are drawn this many steps at a time (one call of the run's generator per chunk
#: gives the same numbers as one call per step: torch's CPU generator fills sequentially)
_CHUNK = 250


def _circle_sample(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Exp I: (x (n, 2), f (n, 1)): the circle's two non-zero coordinates (cos, sin) and the target."""
    th = torch.rand(n, generator=g) * 2 * math.pi  # uniform angle: the arc-length measure [ours]
    x = torch.stack([torch.cos(th), torch.sin(th)], dim=1)
    return x, torch.sin(5 * x[:, :1]) + torch.cos(3 * x[:, 1:2])


def _square_sample(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Exp II: (x (n, 3) = (x1, x2, 1), f (n, 2)), x uniform on [0,3]^2 [ours]; the 1 stands in for a gate bias."""
    x = torch.rand(n, 2, generator=g) * 3
    return torch.cat([x, torch.ones(n, 1)], dim=1), exp2_target(x)


def _train_runs(model: nn.Module, sample, seeds: list[int], setup: TrainSetup, device: str, dtype) -> None:
    """Train the runs of ``model`` (run r has seed ``seeds[r]``); run r's batches come from
    ``Generator(seeds[r] + 1)``, drawn ``_CHUNK`` steps at a time (runs sharing a seed share its batches)."""
    distinct = sorted(set(seeds))
    gens = {s: torch.Generator().manual_seed(s + 1) for s in distinct}
    which = torch.tensor([distinct.index(s) for s in seeds])
    B, chunk = setup.batch, {}

    def batch_of(t: int):
        if t % _CHUNK == 0:
            c = min(_CHUNK, setup.steps - t)
            xs, ys = zip(*(sample(c * B, gens[s]) for s in distinct))
            # (seed, c*B, .) -> (c, run, B, .), each step's slice contiguous
            to_steps = lambda v: v[which].view(len(seeds), c, B, -1).transpose(0, 1).contiguous().to(device, dtype)  # noqa: E731
            chunk["x"], chunk["y"] = to_steps(torch.stack(xs)), to_steps(setup.target_scale * torch.stack(ys))
        return chunk["x"][t % _CHUNK], chunk["y"][t % _CHUNK]

    def loss_of(m, x, y):
        return ((m(x) - y) ** 2).mean(dim=(1, 2)).sum()  # sum over runs of each run's mean

    fit_runs(model, loss_of, batch_of, steps=setup.steps, lr=setup.lr, schedule=setup.schedule)


def _test_runs(model: nn.Module, sample, seeds: list[int], n_test: int, setup: TrainSetup, device: str, dtype):
    """Per run: squared errors (R, n_test, n_out) on f and the routes of the (last) layer, on
    ``n_test`` samples from ``Generator(TEST_SEED_BASE + seed)``."""
    with torch.no_grad():
        xs, ys = zip(*(sample(n_test, torch.Generator().manual_seed(TEST_SEED_BASE + s)) for s in seeds))
        x, y = torch.stack(xs).to(device, dtype), (setup.target_scale * torch.stack(ys)).to(device, dtype)
        out, idx = model(x, return_routes=True)
        return ((out - y) / setup.target_scale) ** 2, idx


def _check_runs(runs, name: str) -> list[tuple[int, int]]:
    runs = [tuple(r) for r in runs]
    if not runs:
        raise InvalidInput(f"no runs: expected ({name}, seed) pairs")
    for p, seed in runs:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidInput(f"seed={seed!r} must be an integer")
        if not (isinstance(p, int) and p >= (2 if name == "D" else 1)):
            raise InvalidInput(f"{name}={p!r} must be an integer >= {2 if name == 'D' else 1}")
    return runs


def train_experiment_i_runs(
    runs,
    *,
    setup: TrainSetup | None = None,
    width: int = 10,
    n_experts: int = 4,
    n_test: int = 4096,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> list[dict]:
    """Exp I for every (D, seed) in ``runs``, trained together (one model with a run axis; each run
    exactly its own training, see :mod:`constructions.trained._batched`). Returns one dict per run,
    in order, as :func:`train_experiment_i`. ``dtype``: the training arithmetic (every draw is float32,
    then cast; float64 serves the tests that compare with one-run training).

    Only the circle's two coordinates are non-zero, so the weights on coordinates 2..D-1 (gate and first
    layer) get an exact zero gradient, keep their initial values and add exact zeros to every score and
    pre-activation: a run trains the first two columns of its full D-dimensional initialisation (drawn
    at shape (., D) from ``Generator(seed)``, so D still sets the initial values), exactly as the full
    model would (tested against the one-run trainer at D = 16).
    """
    setup = _setup(setup, None, PAPER_I, 0)
    runs = _check_runs(runs, "D")
    seeds = [s for _, s in runs]
    with deterministic_training():
        inits = []
        for D, seed in runs:
            p = layer_init(D, 1, n_experts, width, torch.Generator().manual_seed(seed), init=setup.init)
            inits.append({**p, "gate": p["gate"][:, :2], "w1": p["w1"][:, :, :2]})
        model = RunsMoELayer(inits, width, gate=setup.gate).to(device, dtype)
        _train_runs(model, _circle_sample, seeds, setup, device, dtype)
        err, idx = _test_runs(model, _circle_sample, seeds, n_test, setup, device, dtype)
    env = training_env(device)
    return [
        {
            "test_mse": float(err[r].double().mean()),
            "test_max": float(err[r].max().sqrt()),
            "experts_used": int(torch.unique(idx[r]).numel()),
            "setup": setup.label(),
            "env": env,
        }
        for r in range(len(runs))
    ]


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
    kw = dict(setup=setup, width=width, n_experts=n_experts, n_test=n_test, device=device)
    return train_experiment_i_runs([(D, seed)], **kw)[0]


def exp2_target(x: np.ndarray | torch.Tensor):
    """phi applied per coordinate: phi(z) = i (i-1-z)^2 (z-i)^2 for z in [i-1, i], i = 1, 2, 3."""
    lib = torch if torch.is_tensor(x) else np
    i = lib.clip(lib.ceil(x), 1, 3)
    return i * (i - 1 - x) ** 2 * (x - i) ** 2


def exp2_layers(arch: str, m: int, generator: torch.Generator, *, init: str = "torch") -> list[dict[str, torch.Tensor]]:
    """Exp II's initial layers for one run: '2-3' (3 -> 3 -> 2, 3 experts each) or '1-6' (3 -> 2, 6 experts)."""
    if arch == "2-3":
        return [layer_init(3, 3, 3, m, generator, init=init), layer_init(3, 2, 3, m, generator, init=init)]
    return [layer_init(3, 2, 6, m, generator, init=init)]


class _Stack(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x, return_routes: bool = False):
        for layer in self.layers[:-1]:
            x = layer(x)
        return self.layers[-1](x, return_routes=return_routes)


def train_experiment_ii_runs(
    arch: str,
    runs,
    *,
    setup: TrainSetup | None = None,
    n_test: int = 8192,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> list[dict]:
    """Exp II with architecture ``arch`` for every (m, seed) in ``runs``, trained together (one model
    with a run axis, widths zero-padded to the largest m: exact, see :mod:`constructions.trained._batched`).
    Returns one dict per run, in order, as :func:`train_experiment_ii`; ``dtype`` as in
    :func:`train_experiment_i_runs`."""
    setup = _setup(setup, None, PAPER_II, 0)
    if arch not in ("2-3", "1-6"):
        raise InvalidInput(f"arch={arch!r} must be '2-3' or '1-6'")
    runs = _check_runs(runs, "m")
    seeds, width = [s for _, s in runs], max(m for m, _ in runs)
    with deterministic_training():
        per_run = [exp2_layers(arch, m, torch.Generator().manual_seed(s), init=setup.init) for m, s in runs]
        layers = [RunsMoELayer([p[i] for p in per_run], width, gate=setup.gate) for i in range(len(per_run[0]))]
        model = _Stack(layers).to(device, dtype)
        _train_runs(model, _square_sample, seeds, setup, device, dtype)
        err, _ = _test_runs(model, _square_sample, seeds, n_test, setup, device, dtype)
    env = training_env(device)
    return [
        {"test_mse": float(err[r].double().mean()), "arch": arch, "m": m, "setup": setup.label(), "env": env}
        for r, (m, _) in enumerate(runs)
    ]


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
    return train_experiment_ii_runs(arch, [(m, seed)], setup=setup, n_test=n_test, device=device)[0]
