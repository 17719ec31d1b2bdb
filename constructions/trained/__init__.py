"""Trained models. Their results are evidence from samples, never certificates.

Every training runs inside :func:`deterministic_training` (one thread, deterministic kernels) and
records :func:`training_env` (torch version, device) next to its numbers.
"""

from ._batched import RunsMoELayer as RunsMoELayer
from ._batched import fit_runs as fit_runs
from ._batched import stack_padded as stack_padded
from ._determinism import TRAIN_THREADS as TRAIN_THREADS
from ._determinism import deterministic_training as deterministic_training
from ._determinism import training_env as training_env
from ._parallel import JobsTimeout as JobsTimeout
from ._parallel import default_workers as default_workers
from ._parallel import run_jobs as run_jobs

__all__ = [
    "RunsMoELayer",
    "fit_runs",
    "stack_padded",
    "TRAIN_THREADS",
    "deterministic_training",
    "training_env",
    "JobsTimeout",
    "default_workers",
    "run_jobs",
]
