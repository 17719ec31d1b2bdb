"""Batched training (many runs as one model with a run axis) is each run's own training.

The reference below is the one-run trainer the batched one replaced (one model per run, a fresh batch per
step from ``Generator(seed + 1)``, Adam), kept here verbatim apart from a dtype: in float64 the batched
runs must agree with it to rounding.
"""

from __future__ import annotations

import math

import pytest
import torch

from constructions.trained import RunsMoELayer, deterministic_training
from constructions.trained.sparse_moe import (
    SparseMoE,
    ramp_loss,
    synthetic_binary_task,
    train_sparse_moe,
    train_sparse_moe_runs,
)
from constructions.trained.wang_train import (
    TEST_SEED_BASE,
    TrainedMoELayer,
    TrainSetup,
    exp2_layers,
    exp2_target,
    layer_init,
    train_experiment_i,
    train_experiment_i_runs,
    train_experiment_ii,
    train_experiment_ii_runs,
)

_F64 = torch.float64


# ------------------------------------------------------------------ the one-run reference (old trainer)
class _Stack(torch.nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = torch.nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def _ref_train(model, sample, setup, seed):
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


def _ref_experiment_i(D, setup, seed, n_test, width=10, n_experts=4):
    def sample(n, g):
        th = torch.rand(n, generator=g) * 2 * math.pi
        x = torch.zeros(n, D)
        x[:, 0], x[:, 1] = torch.cos(th), torch.sin(th)
        y = torch.sin(5 * x[:, :1]) + torch.cos(3 * x[:, 1:2])
        return x.to(_F64), (setup.target_scale * y).to(_F64)

    with deterministic_training():
        gen = torch.Generator().manual_seed(seed)
        model = TrainedMoELayer(D, 1, n_experts, width, gen, init=setup.init, gate=setup.gate).to(_F64)
        init = {k: v.detach().clone() for k, v in model.named_parameters()}
        _ref_train(model, sample, setup, seed)
        with torch.no_grad():
            x, y = sample(n_test, torch.Generator().manual_seed(TEST_SEED_BASE + seed))
            out, idx = model(x, return_routes=True)
            err = ((out - y) / setup.target_scale) ** 2
    return float(err.mean()), model, init


def _ref_experiment_ii(arch, m, setup, seed, n_test):
    def sample(n, g):
        x = torch.rand(n, 2, generator=g) * 3
        xin = torch.cat([x, torch.ones(n, 1)], dim=1)
        return xin.to(_F64), (setup.target_scale * exp2_target(x)).to(_F64)

    with deterministic_training():
        gen = torch.Generator().manual_seed(seed)
        kw = dict(init=setup.init, gate=setup.gate)
        if arch == "2-3":
            model = _Stack([TrainedMoELayer(3, 3, 3, m, gen, **kw), TrainedMoELayer(3, 2, 3, m, gen, **kw)])
        else:
            model = _Stack([TrainedMoELayer(3, 2, 6, m, gen, **kw)])
        model = model.to(_F64)
        _ref_train(model, sample, setup, seed)
        with torch.no_grad():
            x, y = sample(n_test, torch.Generator().manual_seed(TEST_SEED_BASE + seed))
            err = ((model(x) - y) / setup.target_scale) ** 2
    return float(err.mean())


_PAPER = TrainSetup("t", steps=30, lr=1e-2)
_LONG = TrainSetup("t", steps=30, lr=1e-2, schedule="cosine", gate="st", target_scale=2.0)


# ------------------------------------------------------------------ batched == one run at a time
@pytest.mark.parametrize("setup", [_PAPER, _LONG], ids=["frozen-constant", "st-cosine-scaled"])
def test_experiment_i_batched_equals_separate_one_run_trainings(setup):
    runs = [(4, 0), (16, 0), (4, 1), (9, 2)]
    got = train_experiment_i_runs(runs, setup=setup, n_test=512, dtype=_F64)
    for (D, seed), r in zip(runs, got):
        ref, _, _ = _ref_experiment_i(D, setup, seed, 512)
        assert r["test_mse"] == pytest.approx(ref, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("arch", ["2-3", "1-6"])
@pytest.mark.parametrize("setup", [_PAPER, _LONG], ids=["frozen-constant", "st-cosine-scaled"])
def test_experiment_ii_batched_and_padded_equals_separate_one_run_trainings(arch, setup):
    runs = [(3, 0), (8, 0), (5, 1)]  # widths 3 and 5 are zero padded to 8
    got = train_experiment_ii_runs(arch, runs, setup=setup, n_test=512, dtype=_F64)
    for (m, seed), r in zip(runs, got):
        assert r["test_mse"] == pytest.approx(_ref_experiment_ii(arch, m, setup, seed, 512), rel=1e-12, abs=1e-15)


def test_experiment_i_weights_off_the_circle_plane_never_move():
    # the batched trainer trains only the first two input columns: the others stay at their initial values
    _, model, init = _ref_experiment_i(16, _LONG, 3, 64)
    for name in ("gate", "w1"):
        assert torch.equal(getattr(model, name)[..., 2:], init[name][..., 2:])
        assert not torch.equal(getattr(model, name)[..., :2], init[name][..., :2])


def test_zero_padded_hidden_units_stay_exactly_zero_and_silent():
    gen = torch.Generator().manual_seed(0)
    inits = [layer_init(3, 2, 3, m, gen) for m in (2, 5)]
    layer = RunsMoELayer(inits, 5, gate="st")
    opt = torch.optim.Adam(layer.parameters(), lr=0.1, fused=True)
    x = torch.rand(2, 64, 3, generator=gen)
    for _ in range(20):
        opt.zero_grad(set_to_none=True)
        (layer(x) ** 2).mean(dim=(1, 2)).sum().backward()
        assert layer.w1b.grad[0, :, :, 2:].abs().max() == 0 and layer.w2.grad[0, :, :, 2:].abs().max() == 0
        opt.step()
    assert layer.w1b[0, :, :, 2:].abs().max() == 0  # w1 and b1
    assert layer.w2[0, :, :, 2:].abs().max() == 0
    # run 0 computes what its unpadded one-run layer computes
    one = TrainedMoELayer(3, 2, 3, 2, params=layer.run_params(0, 2), gate="st")
    assert torch.allclose(layer(x)[0], one(x[0]), atol=1e-6)


def test_runs_layer_forward_is_each_runs_one_run_layer():
    gen = torch.Generator().manual_seed(1)
    inits = [layer_init(4, 3, 5, 6, gen) for _ in range(3)]
    layer = RunsMoELayer(inits, 6)
    x = torch.randn(3, 50, 4, generator=gen)
    y, idx = layer(x, return_routes=True)
    for r in range(3):
        yr, ir = TrainedMoELayer(4, 3, 5, 6, params=inits[r])(x[r], return_routes=True)
        assert torch.equal(ir, idx[r]) and torch.allclose(y[r], yr, atol=1e-6)


# ------------------------------------------------------------------ determinism and streams
def test_batched_runs_are_deterministic_and_one_run_is_the_batch_of_one():
    runs = [(8, 0), (8, 1)]
    a = train_experiment_i_runs(runs, setup=_LONG, n_test=256)
    assert a == train_experiment_i_runs(runs, setup=_LONG, n_test=256)
    assert a[0]["test_mse"] != a[1]["test_mse"]
    one = train_experiment_i(8, setup=_LONG, seed=1, n_test=256)
    assert one["test_mse"] == pytest.approx(a[1]["test_mse"], rel=1e-5)
    b = train_experiment_ii_runs("1-6", [(4, 0)], setup=_PAPER, n_test=256)
    assert b[0] == train_experiment_ii("1-6", 4, setup=_PAPER, seed=0, n_test=256)


def test_drawing_a_chunk_of_batches_at_once_reproduces_the_per_step_stream():
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    per_step = torch.cat([torch.rand(128, 2, generator=g1) for _ in range(5)])
    assert torch.equal(per_step, torch.rand(5 * 128, 2, generator=g2))


def test_exp2_layers_draw_in_the_one_run_order():
    a = exp2_layers("2-3", 4, torch.Generator().manual_seed(3))
    gen = torch.Generator().manual_seed(3)
    b = [TrainedMoELayer(3, 3, 3, 4, gen), TrainedMoELayer(3, 2, 3, 4, gen)]
    for pa, lb in zip(a, b):
        assert all(torch.equal(pa[k], getattr(lb, k)) for k in pa)


# ------------------------------------------------------------------ the sparse MoE grid (zhao2024)
def _ref_sparse(*, n_in, n_experts, k, width, m, n_test, steps, seed, gamma, lr=0.02):
    """The old one-run trainer in float64 (draws as in float32 training): (train loss, test loss, A1)."""
    x, y = (t.float().double() for t in synthetic_binary_task(n_in, m, seed=seed))
    xt, yt = (t.float().double() for t in synthetic_binary_task(n_in, n_test, seed=seed + 10_000_019))
    g = torch.Generator().manual_seed(seed * 7919 + 13 * n_experts + k)
    with deterministic_training():
        model = SparseMoE(n_in, n_experts, k, width, generator=g).double()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.softplus(-y * model(x)).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            tr = ramp_loss(y * model(x), gamma).mean()
            te = ramp_loss(yt * model(xt), gamma).mean()
    return float(tr), float(te), model.A1.detach()


def test_sparse_moe_batched_with_mixed_k_and_T_equals_separate_one_run_trainings(monkeypatch):
    import constructions.trained.sparse_moe as sm

    monkeypatch.setattr(sm, "_FLOATS_PER_MODEL", 2 * 30 * 4 * 5)  # models of 2 runs at T = 4: chunking exercised
    kw = dict(n_in=4, width=5, m=30, n_test=200, steps=25, gamma=0.5)
    runs = [(4, 1, 0), (4, 3, 0), (2, 2, 1), (4, 4, 1), (4, 2, 2)]
    got = train_sparse_moe_runs(runs, dtype=_F64, **kw)
    for (T, k, s), r in zip(runs, got):
        tr, te, A1 = _ref_sparse(n_experts=T, k=k, seed=s, **kw)
        assert (r.n_experts, r.k, r.seed) == (T, k, s)
        assert r.train_loss == pytest.approx(tr, rel=1e-12, abs=1e-15)
        assert r.test_loss == pytest.approx(te, rel=1e-12, abs=1e-15)
        spec = torch.linalg.matrix_norm(A1, ord=2)
        assert r.spectral1 == pytest.approx(tuple(spec.tolist()), rel=1e-12)


def test_sparse_moe_runs_are_deterministic_and_one_run_agrees():
    kw = dict(n_in=4, width=4, m=40, n_test=200, steps=15, gamma=0.5)
    runs = [(4, 1, 5), (4, 2, 5), (4, 2, 6)]
    a = train_sparse_moe_runs(runs, **kw)
    assert a == train_sparse_moe_runs(runs, **kw)
    one = train_sparse_moe(n_experts=4, k=2, seed=6, **kw)
    assert one.train_loss == pytest.approx(a[2].train_loss, abs=1e-5)
    with pytest.raises(ValueError, match="k=5"):
        train_sparse_moe_runs([(4, 5, 0)], **kw)


def test_runs_layer_hand_written_backward_is_the_chain_rule():
    g = torch.Generator().manual_seed(2)
    layer = RunsMoELayer([layer_init(3, 2, 3, 4, g) for _ in range(2)], 4).double()  # frozen: st is not a derivative
    names = ("gate", "w1b", "w2", "b2")

    def f(x, *params):
        return torch.func.functional_call(layer, dict(zip(names, params)), (x,))

    params = [getattr(layer, n).detach().clone().requires_grad_() for n in names]
    x = torch.randn(2, 9, 3, generator=g, dtype=_F64)
    assert torch.autograd.gradcheck(f, (x.requires_grad_(), *params))  # a second layer's input: its gradient too
    assert torch.autograd.gradcheck(f, (x.detach(), *params))  # a first layer's input: none asked for
