"""Project structure rules: proofs/ stays torch-free, docstrings list the registered theorems, no god files."""

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from proofs import BUILTIN_MODULES, Theorem

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 600
LONG_FILE_MARKER = "# moecheck: long-file"


def test_importing_proofs_does_not_import_torch():
    code = "import sys, proofs; proofs.registered(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _main_statement_names(doc: str) -> set[str]:
    """Names listed under the 'Main statements' heading of a module docstring (up to the next heading)."""
    m = re.search(r"Main statements\s*\n[-=~]*\n?(.*?)(?:\n[A-Z][A-Za-z ]+\n[-=~]{3,}|\Z)", doc, re.S)
    assert m, "module docstring has no 'Main statements' section"
    names = set()
    for line in m.group(1).splitlines():
        hit = re.match(r"\s*[*-]\s+``?([a-z_][a-z0-9_]*)``?", line)
        if hit:
            names.add(hit.group(1))
    return names


@pytest.mark.parametrize("module_name", BUILTIN_MODULES)
def test_main_statements_equal_registered_theorems(module_name):
    mod = importlib.import_module(module_name)
    declared = {v.name for v in vars(mod).values() if isinstance(v, Theorem)}
    assert declared, f"{module_name} registers no theorem"
    assert _main_statement_names(mod.__doc__ or "") == declared
    for name in declared:
        assert getattr(mod, name).name == name, "the Python name must equal Theorem.name"


def _python_files():
    for folder in ("proofs", "constructions", "checkers"):
        yield from sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", list(_python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_god_files(path):
    text = path.read_text()
    n = text.count("\n")
    assert n <= MAX_LINES or LONG_FILE_MARKER in text, f"{path.name} has {n} lines (cap {MAX_LINES})"


_DECIDING = ("certify", "checks", "run")


@pytest.mark.parametrize(
    "path",
    [p for p in _python_files() if p.parts[-3:-1] in [("checkers", d) for d in _DECIDING]],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_checkers_never_import_rich_or_theorems(path):
    """certify/, checks/ and run/ return data (rendering lives in report/ and cli/); none imports a paper module."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                assert not name.startswith("rich"), f"{path.name} imports rich"
                assert name not in {m for m in BUILTIN_MODULES}, f"{path.name} imports a theorem module {name}"
                if isinstance(node, ast.ImportFrom) and node.module == "proofs":
                    imported = {a.name for a in node.names}
                    assert not imported & {"classical", "kratsios2024", "zhao2024", "wang_e2025"}
