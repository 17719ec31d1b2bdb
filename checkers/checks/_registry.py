"""The check registry and the context a check runs in.

A theorem's claim names a check by key (``Claim.check``); checks register here with
:func:`register_check`. A check never imports a theorem: it receives the claim (static data), the
instance (a parameter point) and a :class:`CheckContext`, and returns an :class:`~checkers.checks._outcome.Outcome`.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import inspect
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkers.checks._args import ArgError, ClaimArgs, NoArgs, statement_disagreement
from checkers.checks._outcome import Outcome
from proofs import Claim, InvalidInput, Theorem
from proofs.formula import quote

__all__ = [
    "CheckContext",
    "CheckFn",
    "ShareFn",
    "register_check",
    "share_key",
    "derived_seed",
    "frozen_instance",
    "get_check",
    "registered_checks",
    "CheckTimeout",
    "IMPORT_ERRORS",
    "args_class",
    "claim_args",
    "validate_theorem",
    "statement_text",
]


class CheckTimeout(Exception):
    """Raised inside a check when its time budget is spent (the row becomes UNKNOWN)."""


def derived_seed(base: int, key: str) -> int:
    """A seed in 0 .. 2^31 - 1 derived from the base seed and a key (a row's node id, a shared computation).

    >>> derived_seed(0, "a") == derived_seed(0, "a") != derived_seed(1, "a")
    True
    """
    return (base * 1_000_003 + int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)) % (2**31)


@dataclass(frozen=True)
class CheckContext:
    """Where and how a check runs.

    Arguments:
        profile: 'quick' or 'full'.
        device: a torch device string ('cpu' or 'cuda').
        seed: the base random seed (checks derive their own from it, deterministically).
        timeout: seconds allowed for one check (the deadline counts from ``started``).
        out_dir: where a check may write figures and tables (next to the report).
        started: ``time.monotonic()`` when the check started.
        base_seed: the run's base seed (``--seed``); a computation shared by several rows derives its
            seed from it and its own key (:meth:`shared_seed`), never from one row's ``seed``.
    """

    profile: str = "quick"
    device: str = "cpu"
    seed: int = 0
    timeout: float = 300.0
    out_dir: Path = field(default_factory=lambda: Path("reports"))
    started: float = field(default_factory=time.monotonic)
    base_seed: int = 0

    def shared_seed(self, key: str) -> int:
        """The seed of a computation several rows share (the same in each of them, so it is done once)."""
        return derived_seed(self.base_seed, key)

    def time_left(self) -> float:
        """Seconds left before this check's deadline (negative when past it)."""
        return self.timeout - (time.monotonic() - self.started)

    def check_deadline(self) -> None:
        """Raise :class:`CheckTimeout` when the deadline has passed (call it in long loops)."""
        if self.time_left() <= 0:
            raise CheckTimeout(f"time budget of {self.timeout:g} s spent")


CheckFn = Callable[[Claim, Mapping[str, Any], CheckContext], Outcome]
#: (parsed arguments, instance) -> the key of an expensive computation the row shares with others, or None
ShareFn = Callable[[Any, Mapping[str, Any]], Hashable | None]

_CHECKS: dict[str, CheckFn] = {}
_ARGS: dict[str, type[ClaimArgs]] = {}
_SHARE: dict[str, ShareFn] = {}


def register_check(
    name: str, args: type[ClaimArgs] = NoArgs, *, share: ShareFn | None = None
) -> Callable[[Callable[..., Outcome]], CheckFn]:
    """Decorator: register ``fn`` as the check called ``name``, taking the arguments dataclass ``args``.

    A check with arguments is written ``fn(claim, a, instance, ctx)`` where ``a`` is the claim's ``args``
    parsed into ``args`` (defaults filled in); the registered :data:`CheckFn` keeps the public signature
    ``(claim, instance, ctx)``. A check without arguments (``args=NoArgs``) is ``fn(claim, instance, ctx)``.

    ``share(a, instance)`` (optional) names the expensive in-process computation the row shares with other
    rows (a trained grid, certified sup errors kept in a cache of pure results): rows with equal keys are
    run by one worker process, so the computation is done once per run (:func:`share_key`). The key
    starts with the computation's name, so that different checks reading one computation agree on it.
    """
    if not (isinstance(args, type) and issubclass(args, ClaimArgs)):
        raise TypeError(f"register_check({name!r}, args=...) takes a ClaimArgs dataclass, got {args!r}")
    if share is not None and not callable(share):
        raise TypeError(f"register_check({name!r}, share=...) takes a function (args, instance) -> key, got {share!r}")

    def deco(fn: Callable[..., Outcome]) -> CheckFn:
        typed = len(inspect.signature(fn).parameters) == 4
        if args is not NoArgs and not typed:
            raise TypeError(f"check {name!r} has arguments {args.__name__}: write it as fn(claim, a, instance, ctx)")
        if typed:

            @functools.wraps(fn)
            def check(claim: Claim, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
                return fn(claim, args.parse(claim.args), instance, ctx)
        else:

            @functools.wraps(fn)
            def check(claim: Claim, instance: Mapping[str, Any], ctx: CheckContext) -> Outcome:
                args.parse(claim.args)
                return fn(claim, instance, ctx)

        old = _CHECKS.get(name)
        same = old is not None and (old.__module__, old.__qualname__) == (check.__module__, check.__qualname__)
        if old is not None and not same:
            raise ValueError(f"check {name!r} registered twice ({old.__module__} and {fn.__module__})")
        _CHECKS[name], _ARGS[name] = check, args
        if share is not None:
            _SHARE[name] = share
        return check

    return deco


#: check modules that failed to import: name -> error (reported on the rows whose check they would register)
IMPORT_ERRORS: dict[str, str] = {}
_LOADED: list[bool] = [False]


def _load_checks() -> None:
    """Import every public module of ``checkers.checks`` once (each registers its checks on import).

    Loaded on first use (``get_check``, ``registered_checks``), not when the package is imported, so that
    importing the runner or the command line does not import torch. A module that fails to import does not
    take the others down: its error is kept in :data:`IMPORT_ERRORS`.
    """
    if _LOADED[0]:
        return
    _LOADED[0] = True
    import importlib

    here = Path(__file__).parent
    for name in sorted(p.stem for p in here.glob("*.py")):
        if not name.startswith("_"):
            try:
                importlib.import_module(f"checkers.checks.{name}")
            except Exception as exc:  # isolate a broken check module; its rows become ERROR with this message
                IMPORT_ERRORS[name] = f"{type(exc).__name__}: {exc}"


def get_check(name: str) -> CheckFn:
    """The check registered as ``name``."""
    _load_checks()
    try:
        return _CHECKS[name]
    except KeyError:
        broken = "; ".join(f"checkers.checks.{m} failed to import ({e})" for m, e in IMPORT_ERRORS.items())
        raise InvalidInput(
            f"unknown check {name!r}; registered checks: {', '.join(sorted(_CHECKS))}"
            + (f"; note: {broken}" if broken else "")
        ) from None


def frozen_instance(instance: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """An instance as a hashable key: its (name, repr(value)) pairs in name order.

    >>> frozen_instance({"m": 4, "sizes": (8, 16)})
    (('m', '4'), ('sizes', '(8, 16)'))
    """
    return tuple(sorted((str(k), repr(v)) for k, v in instance.items()))


def share_key(claim: Claim, instance: Mapping[str, Any]) -> Hashable | None:
    """The key of the computation this row shares with others (``register_check(share=...)``), or None.

    None also when the claim's check or arguments are broken: the row then runs alone and reports why.
    """
    try:
        get_check(claim.check)
        fn = _SHARE.get(claim.check)
        if fn is None:
            return None
        key = fn(claim_args(claim), instance)
        hash(key)
    except Exception:  # a broken claim is reported by its own row, never by the grouping
        return None
    return key


def registered_checks() -> tuple[str, ...]:
    _load_checks()
    return tuple(sorted(_CHECKS))


def args_class(name: str) -> type[ClaimArgs]:
    """The arguments dataclass of the check ``name``."""
    get_check(name)
    return _ARGS[name]


def claim_args(claim: Claim) -> ClaimArgs:
    """``claim.args`` parsed into its check's dataclass (an :class:`ArgError` names a bad key)."""
    return args_class(claim.check).parse(claim.args)


def statement_text(claim: Claim) -> str:
    """The claim's statement as one line: as given, or derived from its arguments' relation and bound."""
    given = claim.statement_text()
    if given:
        return given
    try:
        return claim_args(claim).statement()
    except InvalidInput:
        return ""


def _resolves(path: str, construction: bool) -> str | None:
    """Why the dotted path does not name a callable, or a construction (None when it does)."""
    import importlib

    mod_name, attr = path.split(":", 1)
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        return f"module {mod_name!r} cannot be imported ({type(exc).__name__}: {str(exc)[:120]})"
    obj = getattr(mod, attr, None)
    if obj is None:
        return f"module {mod_name!r} has no attribute {attr!r}"
    if not callable(obj):
        return f"{path!r} is a {type(obj).__name__}, not a function"
    if construction and not _is_construction(mod_name, obj):
        return (
            f"{path!r} is not a construction: expected a function of the constructions package "
            f"or one annotated '-> Built'"
        )
    return None


def _is_construction(mod_name: str, fn: Any) -> bool:
    if mod_name == "constructions" or mod_name.startswith("constructions."):
        return True
    ret = getattr(fn, "__annotations__", {}).get("return")
    return ret is not None and any(t in str(getattr(ret, "__name__", ret)) for t in ("Built", "Net"))


def validate_theorem(theorem: Theorem, source: str) -> None:
    """Reject, before anything runs, a claim whose check key is unknown, whose arguments do not fit the
    check's dataclass, whose dotted paths do not resolve, or whose stated relation disagrees with its
    arguments: one :class:`InvalidInput` line naming the file, the theorem, the claim and the key."""
    for c in theorem.claims:
        where = f"{source}: theorem {theorem.id!r}, claim {c.name!r}"
        if c.check not in registered_checks():
            known = [n for n in registered_checks() if not n.startswith("_")]
            near = difflib.get_close_matches(str(c.check), known, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise InvalidInput(
                f"{where}: unknown check key {quote(c.check)}; {hint}registered checks: {', '.join(known)}"
            )
        try:
            a = claim_args(c)
        except ArgError as exc:
            raise InvalidInput(f"{where}: {exc}") from None
        for key, (path, construction) in a.paths().items():
            why = _resolves(path, construction)
            if why:
                raise InvalidInput(f"{where}: argument {key!r}: {why}")
        bad = statement_disagreement(c.statement, a, c.instances("quick") + c.instances("full"))
        if bad:
            raise InvalidInput(f"{where}: argument {_bound_key(a)!r}: {bad}")


def _bound_key(a: ClaimArgs) -> str:
    return getattr(type(a), "bound_key", "statement")
