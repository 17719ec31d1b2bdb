"""Rows in worker processes (``moecheck verify --jobs N``), with the same rows, seeds and order as a serial run.

Each worker is a fresh (spawned) interpreter: it selects the rows itself from the same
:class:`~checkers.run._runner.RunConfig` (user modules included) and runs the ones it is sent by node id
through :func:`~checkers.run._runner.run_one`, which derives the seed from the node id alone; so a row gets
the same seed, the same time-out handling and the same isolation as in a serial run.

Rows that share an expensive in-process computation (equal ``group(item)`` keys: a trained grid, certified
sup errors kept in a cache of pure results) form one task, run in row order by one worker, so the
computation is done once per run and not once per worker. Tasks are submitted longest first: by the
summed ``cost(item)`` when the caller estimates it, else groups (most rows first) before single rows,
each in row order. Each row's result is sent back as soon as it is done (a queue: progress per row); the
task's return value repeats them, so no row is lost if a message is late. Results are returned in row
order. A row the workers cannot select (a theorem registered in the parent only) runs in the parent. A
worker that fails or dies makes its unfinished rows ERROR. Each worker gets ``cores // jobs`` torch
threads, so N workers do not oversubscribe the machine.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import queue
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from checkers.run._results import CheckResult

__all__ = ["available_cores", "run_parallel", "plan_tasks"]

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
    done: Any,
) -> None:
    import torch

    torch.set_num_threads(threads)
    items = {it.node_id: it for it in select(config)}
    _WORKER.update(config=config, device=device, run_one=run_one, items=items, done=done)


def _run(rows: list[tuple[int, str]]) -> list[tuple[int, bytes | None]]:
    """Run one task's rows in order; each result is also sent at once on the progress queue."""
    out = []
    for i, nid in rows:
        item = _WORKER["items"].get(nid)
        data = None if item is None else _dumps(_WORKER["run_one"](item, _WORKER["config"], _WORKER["device"]))
        if data is not None:
            _WORKER["done"].put((i, data))
        out.append((i, data))
    return out


def plan_tasks(
    items: Sequence[_I],
    group: Callable[[_I], Hashable | None] | None = None,
    cost: Callable[[_I], float | None] | None = None,
) -> list[list[int]]:
    """The tasks (lists of row indices, each in row order) in submission order, longest first.

    Rows with one non-None ``group`` key form one task. Order: by summed ``cost`` (rows without an estimate
    count 0) when ``cost`` is given, then groups before single rows (more rows first), then row order.

    >>> plan_tasks(["a", "b", "c", "d"], group=lambda s: "g" if s in "bd" else None)
    [[1, 3], [0], [2]]
    """
    tasks: dict[Hashable, list[int]] = {}
    for i, item in enumerate(items):
        key = group(item) if group else None
        tasks.setdefault(("row", i) if key is None else ("group", key), []).append(i)

    def est(t: list[int]) -> float:
        return sum(c or 0.0 for c in (cost(items[i]) for i in t)) if cost else 0.0

    return sorted(tasks.values(), key=lambda t: (-est(t), -len(t), t[0]))


def run_parallel(
    config: _C,
    items: Sequence[_I],
    device: str,
    jobs: int,
    *,
    select: Callable[[_C], Sequence[_I]],
    run_one: Callable[[_I, _C, str], CheckResult],
    died: Callable[[_I, str], CheckResult],
    group: Callable[[_I], Hashable | None] | None = None,
    cost: Callable[[_I], float | None] | None = None,
    on_start: Callable[[int, int, _I], None] | None = None,
    on_result: Callable[[int, int, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run ``items`` on ``jobs`` worker processes; the results in item order.

    ``select(config)`` and ``run_one(item, config, device)`` are the runner's (module-level functions, sent
    to the workers by name); ``died(item, message)`` makes the row of an item whose worker died;
    ``group`` and ``cost`` plan the tasks (:func:`plan_tasks`).
    """
    total = len(items)
    results: list[CheckResult | None] = [None] * total
    threads = max(1, available_cores() // jobs)
    local: list[int] = []
    ctx = get_context("spawn")
    done_q = ctx.Queue()

    def finish(i: int, data: bytes | None) -> None:
        if results[i] is not None or i in local:
            return
        if data is None:
            local.append(i)
            return
        results[i] = row = pickle.loads(data)
        if on_result:
            on_result(i, total, row)

    def drain(block: bool) -> None:
        try:
            while True:
                i, data = done_q.get(timeout=0.05) if block else done_q.get_nowait()
                finish(i, data)
                block = False
        except queue.Empty:
            pass

    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=ctx,
        initializer=_init,
        initargs=(config, threads, device, select, run_one, done_q),
    ) as pool:
        futures: dict[Future[list[tuple[int, bytes | None]]], list[int]] = {}
        for task in plan_tasks(items, group, cost):
            for i in task:
                if on_start:
                    on_start(i, total, items[i])
            futures[pool.submit(_run, [(i, items[i].node_id) for i in task])] = task
        pending = set(futures)
        while pending:
            drain(block=True)
            finished, pending = wait(pending, timeout=0, return_when=FIRST_COMPLETED)
            if finished:
                drain(block=False)
            for fut in finished:
                try:
                    for i, data in fut.result():
                        finish(i, data)
                except Exception as exc:  # a worker killed (memory, signal): its rows are ERROR, the run goes on
                    for i in futures[fut]:
                        if results[i] is None and i not in local:
                            results[i] = row = died(items[i], f"the worker running this row failed or died: {exc!r}")
                            if on_result:
                                on_result(i, total, row)
    done_q.close()
    for i in sorted(local):
        results[i] = row = run_one(items[i], config, device)
        if on_result:
            on_result(i, total, row)
    return results  # type: ignore[return-value]
