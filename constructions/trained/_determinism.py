"""Deterministic CPU training: one thread, deterministic kernels, explicit generators (ours).

Two trainings with the same seed give bit-identical numbers on the same machine and torch build:
every random draw comes from an explicit ``torch.Generator``, the intra-op thread count is fixed (a
reduction split over a different number of threads adds in a different order), and
``torch.use_deterministic_algorithms(True)`` makes torch refuse kernels without a deterministic
implementation instead of running them. Both settings are restored on exit, so a check that trains
leaves the process as it found it. Every trained result records :func:`training_env`.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator

import torch

__all__ = ["deterministic_training", "training_env", "TRAIN_THREADS"]

#: intra-op threads used inside every training (the machine is shared; tiny nets gain nothing from more)
TRAIN_THREADS = 1


@contextlib.contextmanager
def deterministic_training(threads: int = TRAIN_THREADS) -> Iterator[None]:
    """Run the body with ``threads`` intra-op threads and deterministic algorithms; restore both after."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
        torch.set_num_threads(old_threads)


def training_env(device: str = "cpu", threads: int = TRAIN_THREADS) -> dict[str, str | int | bool]:
    """What a trained number depends on besides its seed: torch build, device, threads, determinism."""
    dev = str(device)
    if dev.startswith("cuda") and torch.cuda.is_available():
        dev = f"{dev} ({torch.cuda.get_device_name(torch.device(dev))})"
    else:
        dev = f"{dev} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    return {"torch": torch.__version__, "device": dev, "threads": threads, "deterministic": True}
