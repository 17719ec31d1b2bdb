"""The runner: select theorems, expand claims x instances, run each check in isolation.

One failing check never stops the others: an exception inside a check becomes an ERROR row carrying
its message, and a check past its time budget becomes UNKNOWN. Each check gets a deterministic seed
derived from the base seed and its node id, so a row replays alone with the same seed.
"""

from __future__ import annotations

import math
import shlex
import signal
import threading
import time
import traceback
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from checkers.checks import (
    CheckContext,
    CheckTimeout,
    Evidence,
    Outcome,
    Verdict,
    as_vacuous,
    derived_seed,
    get_check,
    share_key,
    statement_text,
    validate_theorem,
)
from checkers.run._parallel import available_cores, run_parallel
from checkers.run._results import CheckResult
from proofs import (
    PAPERS,
    PROFILES,
    Claim,
    InvalidInput,
    ResourceLimit,
    Theorem,
    load_user_module,
    lookup,
    registered,
    source_of,
    unregister,
)
from proofs.formula import Unsupported

__all__ = [
    "RunConfig",
    "RunItem",
    "select",
    "run_checks",
    "resolve_device",
    "node_id",
    "make_result",
    "available_cores",
    "share_group",
]

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class RunConfig:
    """What to run (all fields validated by :meth:`validated`)."""

    theorem_ids: tuple[str, ...] = ()
    papers: tuple[str, ...] = ()
    keyword: str | None = None
    profile: str = "quick"
    device: str = "auto"
    seed: int = 0
    timeout: float = 300.0
    out_dir: Path = field(default_factory=lambda: Path("reports"))
    modules: tuple[str, ...] = ()
    jobs: int = 1  # worker processes (``--jobs``); 1 runs the rows in this process

    def validated(self) -> RunConfig:
        if self.profile not in PROFILES:
            raise InvalidInput(f"--profile {self.profile!r}: expected one of {', '.join(PROFILES)}")
        if self.device not in DEVICES:
            raise InvalidInput(f"--device {self.device!r}: expected one of {', '.join(DEVICES)}")
        if not (isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout) and self.timeout > 0):
            raise InvalidInput(f"--timeout {self.timeout!r}: expected a positive number of seconds")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidInput(f"--seed {self.seed!r}: expected a non-negative integer")
        if not isinstance(self.jobs, int) or isinstance(self.jobs, bool) or self.jobs < 1:
            raise InvalidInput(f"--jobs {self.jobs!r}: expected a positive integer")
        return self


@dataclass(frozen=True)
class RunItem:
    theorem: Theorem
    claim: Claim
    instance: Mapping[str, Any]

    @property
    def node_id(self) -> str:
        return node_id(self.theorem, self.claim, self.instance)


def node_id(theorem: Theorem, claim: Claim, instance: Mapping[str, Any]) -> str:
    """``paper/label::claim[k=v, ...]``, the string ``-k`` matches against (pytest-style)."""
    inst = ", ".join(f"{k}={v}" for k, v in instance.items())
    return f"{theorem.id}::{claim.name}[{inst}]"


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; 'cuda' without a GPU is an input error."""
    if device not in DEVICES:
        raise InvalidInput(f"--device {device!r}: expected one of {', '.join(DEVICES)}")
    if device == "cpu":
        return "cpu"
    import torch

    has_cuda = torch.cuda.is_available()
    if device == "cuda" and not has_cuda:
        raise InvalidInput(
            "--device 'cuda': no CUDA device is available here (torch.cuda.is_available() is False); expected auto or cpu"  # noqa: E501
        )
    return "cuda" if has_cuda else "cpu"


def select(config: RunConfig) -> list[RunItem]:
    """The (theorem, claim, instance) items selected by ``config``; unknown ids or papers raise."""
    config = config.validated()
    user = [t for m in config.modules for t in load_user_module(m)]
    theorems = list(registered())
    if config.theorem_ids:
        theorems = [lookup(t) for t in dict.fromkeys(config.theorem_ids)]
    if config.papers:
        known = sorted({t.paper for t in registered()} | set(PAPERS))
        for p in config.papers:
            if p not in known:
                raise InvalidInput(f"--paper {p!r}: unknown paper; expected one of: {', '.join(known)}")
        theorems = [t for t in theorems if t.paper in config.papers]
    try:
        for t in {t.id: t for t in [*user, *theorems]}.values():  # typed arguments, paths, statements: up front
            validate_theorem(t, source_of(t.id))
    except InvalidInput:
        for t in user:  # a rejected module leaves nothing registered
            unregister(t.id)
        raise
    items = [RunItem(t, c, inst) for t in theorems for c in t.claims for inst in c.instances(config.profile)]
    if config.keyword:
        items = [it for it in items if config.keyword in it.node_id]
    if not items:
        raise InvalidInput(
            f"the selection (theorems={list(config.theorem_ids) or 'all'}, papers={list(config.papers) or 'all'}, "
            f"-k {config.keyword!r}) matches no check; expected at least one (see `moecheck list`)"
        )
    return items


def _seed_for(base: int, nid: str) -> int:
    return derived_seed(base, nid)


def share_group(item: RunItem) -> Hashable | None:
    """The key of the computation the row shares with others (its check's ``share``), or None."""
    return share_key(item.claim, item.instance)


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`CheckTimeout` in this (main) thread after ``seconds`` (a hard stop for a check)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _on_alarm(signum: int, frame: FrameType | None) -> NoReturn:
        raise CheckTimeout(f"timed out after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def repro_command(item: RunItem, config: RunConfig) -> str:
    parts = ["moecheck", "verify", "-k", item.node_id, "--profile", config.profile, "--seed", str(config.seed)]
    parts += [a for m in config.modules for a in ("--module", m)]
    return " ".join(shlex.quote(p) for p in parts)


def make_result(item: RunItem, outcome: Outcome, seconds: float, device: str, repro: str = "") -> CheckResult:
    """Wrap a check's :class:`Outcome` into the report row."""
    return CheckResult(
        theorem_id=item.theorem.id,
        theorem_label=item.theorem.label,
        paper=item.theorem.paper,
        claim=item.claim.name,
        statement=statement_text(item.claim),
        instance=item.instance,
        outcome=outcome,
        seconds=seconds,
        device=device,
        provenance=item.theorem.provenance_line,
        claim_provenance=item.claim.provenance.value,
        finding=item.claim.finding,
        repro=repro,
    )


def run_one(item: RunItem, config: RunConfig, device: str) -> CheckResult:
    """Run one check; exceptions become ERROR, time-outs UNKNOWN."""
    seed = _seed_for(config.seed, item.node_id)
    ctx = CheckContext(
        profile=config.profile,
        device=device,
        seed=seed,
        timeout=config.timeout,
        out_dir=Path(config.out_dir),
        started=time.monotonic(),
        base_seed=config.seed,
    )
    t0 = time.perf_counter()
    try:
        fn = get_check(item.claim.check)
        with _alarm(config.timeout + max(0.5, 0.05 * config.timeout)):  # hard stop: the budget kept within 5%
            outcome = fn(item.claim, item.instance, ctx)
        if not isinstance(outcome, Outcome):
            raise TypeError(f"check {item.claim.check!r} returned {type(outcome).__name__}, expected Outcome")
        if item.claim.vacuous:  # a claim that cannot fail at any instance is never counted as passed
            outcome = as_vacuous(outcome, item.claim.vacuous)
    except CheckTimeout as exc:
        outcome = Outcome(
            Verdict.UNKNOWN, method="time budget", why=f"not decided: {exc}", evidence=Evidence(seed=seed)
        )
    except ResourceLimit as exc:  # refused before allocating: the claim is not decided at this size
        outcome = Outcome(Verdict.UNKNOWN, method="size guard", why=f"not decided: {exc}", evidence=Evidence(seed=seed))
    except Unsupported as exc:  # the evaluator cannot enclose a node soundly: undecided, never a pass
        outcome = Outcome(
            Verdict.UNKNOWN,
            method="no sound enclosure",
            why=f"not decided: the interval evaluator cannot enclose {exc}",
            evidence=Evidence(seed=seed),
        )
    except MemoryError:
        outcome = Outcome(
            Verdict.UNKNOWN,
            method="size guard",
            evidence=Evidence(seed=seed),
            why="not decided: out of memory (lower --max-memory so the size guard refuses it up front)",
        )
    except Exception as exc:  # a broken check is an ERROR row, never a crash of the run
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        outcome = Outcome(
            Verdict.ERROR, method="exception", why=f"{type(exc).__name__}: {exc}{where}", evidence=Evidence(seed=seed)
        )
    return make_result(item, outcome, time.perf_counter() - t0, device, repro_command(item, config))


def _error_row(item: RunItem, config: RunConfig, device: str, why: str) -> CheckResult:
    outcome = Outcome(
        Verdict.ERROR, method="worker process", why=why, evidence=Evidence(seed=_seed_for(config.seed, item.node_id))
    )
    return make_result(item, outcome, 0.0, device, repro_command(item, config))


def run_checks(
    config: RunConfig,
    *,
    on_start: Callable[[int, int, RunItem], None] | None = None,
    on_result: Callable[[int, int, CheckResult], None] | None = None,
    items: Sequence[RunItem] | None = None,
    cost: Callable[[RunItem], float | None] | None = None,
) -> list[CheckResult]:
    """Run every selected check, in order; callbacks report progress (the runner never prints).

    With ``config.jobs > 1`` the rows run in worker processes (:mod:`checkers.run._parallel`): same rows,
    seeds and order; rows sharing a computation (:func:`share_group`) run in one worker, the longest tasks
    first by ``cost(item)`` (expected seconds, e.g. :func:`~checkers.run.expected_seconds` of the last
    report; it changes only the order rows start in); progress callbacks then come in completion order.
    """
    config = config.validated()
    device = resolve_device(config.device)
    items = list(items) if items is not None else select(config)
    if config.jobs > 1 and len(items) > 1:
        return run_parallel(
            config,
            items,
            device,
            min(config.jobs, len(items)),
            select=select,
            run_one=run_one,
            died=lambda item, why: _error_row(item, config, device, why),
            group=share_group,
            cost=cost,
            on_start=on_start,
            on_result=on_result,
        )
    results = []
    for i, item in enumerate(items):
        if on_start:
            on_start(i, len(items), item)
        r = run_one(item, config, device)
        results.append(r)
        if on_result:
            on_result(i, len(items), r)
    return results
