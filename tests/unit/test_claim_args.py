"""Typed claim arguments: a bad module is rejected when it is loaded, in one line naming the file, the
theorem, the claim and the key; the built-in theorems and the documented example validate unchanged."""

import ast
from pathlib import Path

import pytest
import sympy

from checkers.checks import (
    ArgError,
    ClaimArgs,
    args_class,
    claim_args,
    registered_checks,
    statement_text,
    validate_theorem,
)
from checkers.cli import main
from proofs import Claim, InvalidInput, registered, source_of, unregister

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

GOOD = """import sympy
from proofs import Claim, Provenance, Theorem
m = sympy.Symbol("m", integer=True, positive=True)
t = Theorem(id="user/t", name="t_width", label="U", title="t", paper="user", statement="s",
    statement_provenance=Provenance.OURS,
    claims=(Claim(name="width_le_four", check="size_formula", statement=STATEMENT,
                  args={"construction": "constructions.yarotsky:sawtooth_square", "quantity": "width",
                        "formula": FORMULA, "relation": "le"}, quick=({"m": 2},)),))
"""


@pytest.fixture(autouse=True)
def _forget_user_theorems():
    yield
    for tid in ("user/t", "mypaper/lemma-2", "user/sawtooth-width"):
        unregister(tid)


def _module(tmp_path, **edits) -> Path:
    text = GOOD.replace("STATEMENT", edits.pop("statement", '"width <= 4"'))
    text = text.replace("FORMULA", edits.pop("formula", "sympy.Integer(4)"))
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    p = tmp_path / "mod.py"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "edit, key",
    [
        ({'"size_formula"': '"size_formul"'}, "size_formul"),  # unknown check key
        ({'"quantity"': '"quantitty"'}, "quantitty"),  # misspelt argument
        ({'"relation": "le"': '"relation": 3'}, "relation"),  # wrong type
        ({'"quantity": "width"': '"quantity": 3.5'}, "quantity"),  # wrong type
        ({"formula": '"x +* 2"'}, "formula"),  # a formula that does not parse
        ({"formula": '"10**10**10"'}, "formula"),  # an exponent tower, refused fast
        ({"yarotsky:sawtooth_square": "yarotsky:no_such"}, "construction"),  # path that does not resolve
        ({"constructions.yarotsky:sawtooth_square": "no_such_pkg.mod:f"}, "construction"),
        ({"constructions.yarotsky:sawtooth_square": "os:system"}, "construction"),  # not a construction
        ({"constructions.yarotsky:sawtooth_square": "42"}, "construction"),
        ({"statement": "sympy.Le(sympy.Symbol('width'), 5)"}, "formula"),  # statement and bound disagree
        ({"statement": "sympy.Eq(sympy.Symbol('width'), 4)"}, "formula"),  # relation disagrees
    ],
)
def test_bad_module_is_exit_2_one_line_naming_file_theorem_claim_key(tmp_path, capsys, edit, key):
    mod = _module(tmp_path, **edit)
    out = tmp_path / "out"
    assert main(["verify", "--module", str(mod), "--out-dir", str(out), "--json", str(out / "r.json")]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(mod) in lines[0] and "'user/t'" in lines[0] and "'width_le_four'" in lines[0] and key in lines[0]
    assert not out.exists()


def test_the_good_module_runs(tmp_path, capsys):
    assert (
        main(["verify", "--module", str(_module(tmp_path)), "--theorem", "user/t", "--out-dir", str(tmp_path / "o")])
        == 0
    )


def test_every_builtin_claim_validates_and_states_its_relation():
    for t in registered():
        validate_theorem(t, source_of(t.id))
        for c in t.claims:
            assert isinstance(claim_args(c), args_class(c.check))
    assert source_of("classical/pl-interpolation").endswith("proofs/classical.py")


def test_every_check_has_an_args_dataclass():
    for name in registered_checks():
        if not name.startswith("_"):
            assert issubclass(args_class(name), ClaimArgs)


def test_defaults_live_in_the_args_class():
    a = claim_args(Claim(name="c", check="certified_sup_error", args={"construction": "x:y", "bound": 1}))
    assert a.tol == 0.01 and a.method == "crown" and a.max_boxes is None
    with pytest.raises(ArgError, match="'tol'"):
        claim_args(Claim(name="c", check="certified_sup_error", args={"construction": "x:y", "bound": 1, "tol": "a"}))
    with pytest.raises(ArgError, match="missing"):
        claim_args(Claim(name="c", check="certified_sup_error", args={"construction": "x:y"}))


def test_statement_derived_when_omitted():
    c = Claim(
        name="c",
        check="size_formula",
        args={
            "construction": "constructions.yarotsky:sawtooth_square",
            "quantity": "width",
            "formula": 4 * sympy.Symbol("m"),
            "relation": "le",
        },
    )
    assert statement_text(c) == "width <= 4*m"


def test_no_check_reads_raw_args():
    """Defaults live in the args classes: no check reads ``claim.args`` or ``a.get(key, default)``."""
    for p in (ROOT / "checkers" / "checks").glob("*.py"):
        if p.name in ("_args.py", "_registry.py"):
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert not (node.value.id == "claim" and node.attr == "args"), f"{p.name}:{node.lineno}"
                assert not (node.value.id in ("a", "args") and node.attr == "get"), f"{p.name}:{node.lineno}"


def test_docs_example_and_user_data_module_run_unchanged(tmp_path):
    block = (ROOT / "docs" / "user-theorems.md").read_text().split("```python", 1)[1].split("```", 1)[0]
    mod = tmp_path / "doc_example.py"
    mod.write_text(block)
    for m, tid in ((mod, "mypaper/lemma-2"), (DATA / "user_theorems.py", "user/sawtooth-width")):
        assert main(["verify", "--module", str(m), "--theorem", tid, "--out-dir", str(tmp_path / "o")]) == 0


def test_arg_error_is_an_input_error():
    assert issubclass(ArgError, InvalidInput)
