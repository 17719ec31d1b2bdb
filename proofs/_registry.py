"""The theorem registry: built-in paper modules and user modules register :class:`Theorem` values."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from proofs._core import Theorem
from proofs._errors import InvalidInput

__all__ = ["register", "registered", "lookup", "load_builtin", "load_user_module", "unregister", "source_of"]

_THEOREMS: dict[str, Theorem] = {}
_SOURCES: dict[str, str] = {}  # theorem id -> the file that declares it (as the user named it)
#: the modules whose theorems ship with moecheck, in report order
BUILTIN_MODULES = ("proofs.classical", "proofs.kratsios2024", "proofs.zhao2024", "proofs.wang_e2025")


def register(theorem: Theorem) -> Theorem:
    """Add ``theorem`` to the registry (idempotent for the same value) and return it."""
    if not isinstance(theorem, Theorem):
        raise InvalidInput(f"register() takes a Theorem, got {type(theorem).__name__}")
    old = _THEOREMS.get(theorem.id)
    if old is not None and old is not theorem and old != theorem:  # a re-import re-registers an equal value
        raise InvalidInput(f"theorem id {theorem.id!r} is registered twice with different content")
    _THEOREMS[theorem.id] = theorem
    if theorem.id not in _SOURCES:
        caller = sys._getframe(1).f_globals.get("__file__")
        if caller:
            _SOURCES[theorem.id] = _shown(caller)
    return theorem


def _shown(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def source_of(theorem_id: str) -> str:
    """The file that declares the theorem (for error lines); ``'<unknown>'`` when it was registered from code."""
    return _SOURCES.get(theorem_id, "<unknown>")


def unregister(theorem_id: str) -> None:
    """Remove a theorem (tests use this to clean up planted claims)."""
    _THEOREMS.pop(theorem_id, None)
    _SOURCES.pop(theorem_id, None)


def load_builtin() -> None:
    """Import the built-in paper modules (each registers its theorems on import)."""
    for name in BUILTIN_MODULES:
        importlib.import_module(name)


def registered() -> tuple[Theorem, ...]:
    """Every registered theorem, built-in modules first, in registration order."""
    load_builtin()
    return tuple(_THEOREMS.values())


def lookup(theorem_id: str) -> Theorem:
    """The theorem with this id; an unknown id is an :class:`InvalidInput` naming the known ones."""
    load_builtin()
    try:
        return _THEOREMS[theorem_id]
    except KeyError:
        known = ", ".join(sorted(_THEOREMS)) or "none"
        raise InvalidInput(f"unknown theorem id {theorem_id!r}; expected one of: {known}") from None


def load_user_module(path: str | Path) -> tuple[Theorem, ...]:
    """Import a user's ``FILE.py`` and register every module-level :class:`Theorem` in it.

    A missing file, a file that fails to import, or one that declares no theorem is an
    :class:`InvalidInput` (exit 2 at the command line), with the reason in one line.
    """
    p = Path(path)
    if p.suffix != ".py" or not p.is_file():
        raise InvalidInput(f"--module {str(path)!r}: expected an existing .py file")
    load_builtin()
    mod_name = f"moecheck_user_{abs(hash(str(p.resolve())))}"
    spec = importlib.util.spec_from_file_location(mod_name, p)
    if spec is None or spec.loader is None:
        raise InvalidInput(f"--module {str(path)!r}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except InvalidInput as exc:
        raise InvalidInput(f"--module {str(path)!r}: {exc}") from None
    except BaseException as exc:  # a user's broken module: any error is reported in one line
        if isinstance(exc, KeyboardInterrupt):
            raise
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise InvalidInput(f"--module {str(path)!r} failed to import{where}: {type(exc).__name__}: {exc}") from None
    found = [v for v in vars(module).values() if isinstance(v, Theorem)]
    if not found:
        raise InvalidInput(f"--module {str(path)!r} declares no Theorem at module level")
    for t in found:
        if _THEOREMS.get(t.id) is not t:
            register(t)
        _SOURCES[t.id] = str(path)
    return tuple(found)
