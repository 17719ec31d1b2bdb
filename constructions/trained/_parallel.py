"""Independent trainings in parallel worker processes (ours).

Each job is a call ``fn(**kwargs)`` of a module-level function; the results come back in job order.
Workers are *spawned* (never forked: a fork of a process whose torch thread pool has started can
hang), and every training inside them runs under :func:`deterministic_training`, so the numbers do
not depend on the number of workers or on which worker ran a job.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["run_jobs", "default_workers", "JobsTimeout"]


class JobsTimeout(Exception):
    """The deadline passed before every job finished (the unfinished ones are cancelled)."""


def default_workers(cap: int = 2) -> int:
    """min(cap, cores): the machines this runs on are shared; two workers by default. Inside a worker
    process (e.g. a row of ``verify --jobs N``, which already runs rows side by side) it is 1: no
    nested pools oversubscribing the cores."""
    if multiprocessing.parent_process() is not None:
        return 1
    return max(1, min(cap, os.cpu_count() or 1))


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[Mapping[str, Any]],
    *,
    workers: int = 1,
    time_left: Callable[[], float] | None = None,
) -> list[Any]:
    """[fn(**job) for job in jobs], in ``workers`` spawned processes when workers > 1.

    ``time_left()`` (seconds) is polled between jobs; when it reaches 0 :class:`JobsTimeout` is raised.
    """
    if workers <= 1 or len(jobs) <= 1:
        out = []
        for job in jobs:
            if time_left is not None and time_left() <= 0:
                raise JobsTimeout(f"{len(out)} of {len(jobs)} trainings done before the deadline")
            out.append(fn(**job))
        return out
    ctx = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx)
    try:
        futures = [pool.submit(fn, **job) for job in jobs]
        start = time.monotonic()
        budget = time_left() if time_left is not None else None
        done, pending = cf.wait(futures, timeout=None if budget is None else max(budget, 0.0))
        if pending:
            raise JobsTimeout(f"{len(done)} of {len(jobs)} trainings done in {time.monotonic() - start:.0f} s")
        return [f.result() for f in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
