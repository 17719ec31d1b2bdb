"""Rows in worker processes (``moecheck verify --jobs N``), with the same rows, seeds and order as a serial run.

Each worker is a fresh (spawned) interpreter: it selects the rows itself from the same
:class:`~checkers.run._runner.RunConfig` (user modules included) and runs the ones it is sent by node id
through :func:`~checkers.run._runner.run_one`, which derives the seed from the node id alone; so a row gets
the same seed, the same time-out handling and the same isolation as in a serial run. Results come back
in completion order (for progress) and are returned in row order. A row the workers cannot select
(a theorem registered in the parent only) runs in the parent. A worker that fails or dies makes its rows ERROR.
Each worker gets ``cores // jobs`` torch threads, so N workers do not oversubscribe the machine.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from checkers.run._results import CheckResult

__all__ = ["available_cores", "run_parallel"]

_WORKER: dict[str, Any] = {}


class _Row(Protocol):
    """What the workers need of a row: its node id (the runner's ``RunItem``)."""

    @property
    def node_id(self) -> str: ...


_C = TypeVar("_C")
_I = TypeVar("_I", bound=_Row)


def available_cores() -> int:
    """The CPU cores this process may run on (the scheduler affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def _read_only(d: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(d)


def _dumps(obj: object) -> bytes:
    """Pickle, with read-only mappings (``MappingProxyType``, used by results) sent as dicts and re-wrapped."""
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    p.dispatch_table = copyreg.dispatch_table.copy()
    p.dispatch_table[MappingProxyType] = lambda m: (_read_only, (dict(m),))
    p.dump(obj)
    return buf.getvalue()


def _init(
    config: _C,
    threads: int,
    device: str,
    select: Callable[[_C], Sequence[_I]],
    run_one: Callable[[_I, _C, str], CheckResult],
) -> None:
    import torch

    torch.set_num_threads(threads)
    _WORKER.update(config=config, device=device, run_one=run_one, items={it.node_id: it for it in select(config)})


def _run(nid: str) -> bytes | None:
    item = _WORKER["items"].get(nid)
    if item is None:
        return None
    return _dumps(_WORKER["run_one"](item, _WORKER["config"], _WORKER["device"]))


def run_parallel(
    config: _C,
    items: Sequence[_I],
    device: str,
    jobs: int,
    *,
    select: Callable[[_C], Sequence[_I]],
    run_one: Callable[[_I, _C, str], CheckResult],
    died: Callable[[_I, str], CheckResult],
    on_start: Callable[[int, int, _I], None] | None = None,
    on_result: Callable[[int, int, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run ``items`` on ``jobs`` worker processes; the results in item order.

    ``select(config)`` and ``run_one(item, config, device)`` are the runner's (module-level functions, sent
    to the workers by name); ``died(item, message)`` makes the row of an item whose worker died.
    """
    total = len(items)
    results: list[CheckResult | None] = [None] * total
    threads = max(1, available_cores() // jobs)
    local: list[int] = []
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_init,
        initargs=(config, threads, device, select, run_one),
    ) as pool:
        futures: dict[Future[bytes | None], int] = {}
        for i, item in enumerate(items):
            if on_start:
                on_start(i, total, item)
            futures[pool.submit(_run, item.node_id)] = i
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                data = fut.result()
            except Exception as exc:  # a worker killed (memory, signal): its rows are ERROR, the run goes on
                row = died(items[i], f"the worker running this row failed or died: {exc!r}")
            else:
                if data is None:
                    local.append(i)
                    continue
                row = pickle.loads(data)
            results[i] = row
            if on_result:
                on_result(i, total, row)
    for i in local:
        results[i] = row = run_one(items[i], config, device)
        if on_result:
            on_result(i, total, row)
    return results  # type: ignore[return-value]
