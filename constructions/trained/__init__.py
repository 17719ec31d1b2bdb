"""Trained models. Their results are evidence from samples, never certificates.

Every training runs inside :func:`deterministic_training` (one thread, deterministic kernels) and
records :func:`training_env` (torch version, device) next to its numbers.
"""

from ._determinism import TRAIN_THREADS as TRAIN_THREADS
from ._determinism import deterministic_training as deterministic_training
from ._determinism import training_env as training_env

__all__ = ["TRAIN_THREADS", "deterministic_training", "training_env"]
