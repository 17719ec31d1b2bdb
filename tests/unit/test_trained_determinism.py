"""Trained numbers are a function of the seed: two trainings with the same seed agree bit for bit."""

from __future__ import annotations

import pytest
import torch

from constructions.trained import deterministic_training, training_env
from constructions.trained.sparse_moe import train_sparse_moe
from constructions.trained.wang_train import PAPER_I, TrainSetup, train_experiment_i, train_experiment_ii
from proofs import InvalidInput

_ST = TrainSetup("test", steps=40, lr=1e-2, gate="st")


def test_experiment_i_same_seed_same_numbers_other_seed_other_numbers():
    a = train_experiment_i(8, setup=_ST, seed=3, n_test=256)
    b = train_experiment_i(8, setup=_ST, seed=3, n_test=256)
    c = train_experiment_i(8, setup=_ST, seed=4, n_test=256)
    assert a == b
    assert a["test_mse"] != c["test_mse"]  # the seed matters: the equality above is not vacuous


def test_experiment_ii_same_seed_same_numbers():
    for arch in ("2-3", "1-6"):
        a = train_experiment_ii(arch, 8, setup=_ST, seed=1, n_test=256)
        assert a == train_experiment_ii(arch, 8, setup=_ST, seed=1, n_test=256)
        assert a["test_mse"] != train_experiment_ii(arch, 8, setup=_ST, seed=2, n_test=256)["test_mse"]


def test_sparse_moe_same_seed_same_numbers():
    kw = dict(n_in=4, n_experts=4, k=2, width=4, m=40, n_test=200, steps=15, gamma=0.5)
    a, b = train_sparse_moe(seed=5, **kw), train_sparse_moe(seed=5, **kw)
    assert a == b and a.env == b.env and a.env["torch"] == torch.__version__


def test_training_restores_threads_and_determinism_and_records_env():
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    r = train_experiment_i(4, setup=_ST, steps=2, seed=0, n_test=16)
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == (threads, det)
    assert r["env"]["torch"] == torch.__version__ and r["env"]["device"].startswith("cpu")
    assert r["env"]["threads"] == 1 and r["env"]["deterministic"] is True
    with deterministic_training():
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
    assert training_env("cpu")["torch"] == torch.__version__


def test_paper_setup_is_the_reported_one():
    assert (PAPER_I.lr, PAPER_I.batch, PAPER_I.steps, PAPER_I.schedule) == (1e-3, 128, 2000, "constant")


@pytest.mark.parametrize(
    "bad", [dict(steps=0), dict(lr=-1.0), dict(schedule="step"), dict(gate="soft"), dict(init="xavier")]
)
def test_setup_rejects_bad_values(bad):
    with pytest.raises(InvalidInput):
        TrainSetup(**{"name": "x", "steps": 10, **bad})


def test_parallel_jobs_give_the_serial_numbers_and_no_nested_pools():
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from constructions.trained import default_workers, run_jobs

    jobs = [dict(D=4, setup=_ST, steps=5, seed=s, n_test=32) for s in (0, 1)]
    assert run_jobs(train_experiment_i, jobs, workers=2) == run_jobs(train_experiment_i, jobs, workers=1)
    assert default_workers() >= 1
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        assert pool.submit(default_workers).result() == 1  # inside a worker: no nested pool
