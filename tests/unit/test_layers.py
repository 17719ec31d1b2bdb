"""The floor plan: imports only go down, no import loops, no reach into another package's private module.

Layers, lowest first: ``proofs`` < ``constructions`` < ``checkers.certify`` < ``checkers.checks`` <
``checkers.run`` < ``checkers.report`` < ``checkers.cli``. Every import counts, also one inside a function.
There is no exemption list.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = (
    "proofs",
    "constructions",
    "checkers.certify",
    "checkers.checks",
    "checkers.run",
    "checkers.report",
    "checkers.cli",
)
PROJECT = ("proofs", "constructions", "checkers", "benchmarks", "tests")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    found = {}
    for top in PROJECT:
        for p in sorted((ROOT / top).rglob("*.py")):
            if "data" not in p.relative_to(ROOT).parts:
                found[module_name(p)] = p
    return found


MODULES = all_modules()


def package_of(mod: str) -> str:
    path = MODULES[mod]
    return mod if path.name == "__init__.py" else mod.rpartition(".")[0]


def imports_of(mod: str) -> list[tuple[str, int]]:
    """(imported module, line) for every project import in ``mod``, relative ones resolved."""
    tree = ast.parse(MODULES[mod].read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] in PROJECT]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = package_of(mod).split(".")
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([node.module] if node.module else []))
            if base.split(".")[0] not in PROJECT:
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub if sub in MODULES else base, node.lineno))
    return out


def layer(mod: str) -> int | None:
    best = None
    for i, name in enumerate(LAYERS):
        if mod == name or mod.startswith(name + "."):
            best = i
    return best


SOURCE = [m for m in MODULES if m.split(".")[0] in ("proofs", "constructions", "checkers")]


@pytest.mark.parametrize("mod", SOURCE)
def test_imports_only_go_down(mod):
    mine = layer(mod)
    for target, line in imports_of(mod):
        theirs = layer(target)
        if mine is not None and theirs is not None:
            assert theirs <= mine, f"{mod}:{line} imports {target}, a higher layer ({LAYERS[theirs]} > {LAYERS[mine]})"


@pytest.mark.parametrize("mod", list(MODULES))
def test_no_private_module_of_another_package(mod):
    here = package_of(mod)
    for target, line in imports_of(mod):
        if target in MODULES and target.rpartition(".")[2].startswith("_") and not target.endswith("__init__"):
            assert package_of(target) == here, f"{mod}:{line} imports {target}, private to {package_of(target)}"


def test_no_import_loops():
    graph = nx.DiGraph()
    for mod in SOURCE:
        for target, _ in imports_of(mod):
            if target != mod and target in MODULES:
                # a package importing its own submodules is how a package exposes them, not a loop
                if MODULES[mod].name == "__init__.py" and target.startswith(mod + "."):
                    continue
                graph.add_edge(mod, target)
    loops = [c for c in nx.simple_cycles(graph)]
    assert not loops, f"import loops: {loops[:5]}"


def test_proofs_never_import_torch():
    for mod, path in MODULES.items():
        if mod.split(".")[0] == "proofs":
            assert "import torch" not in path.read_text(), f"{mod} imports torch"
