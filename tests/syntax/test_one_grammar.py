"""One grammar: the prefix alphabet of keys (``!@$&``) and the reserved keys (``__base__``,
``__no_call__``, ``__delete__``, ``__class__``) are written only in ``excore/syntax/grammar.py``; every other module imports
them (``PREFIXES``, ``MODULE_PREFIXES``, ``BASE_KEY``, ``NO_CALL_KEY``, ``strip_prefix``)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GRAMMAR = REPO / "excore" / "syntax" / "grammar.py"
ALPHABET = set("!@$&")
RESERVED = {"__base__", "__no_call__", "__delete__", "__class__"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                ids.add(id(value))
    return ids


def _alphabet_run(text: str) -> bool:
    """Two or more different prefix characters in a row (``"!@$"``, ``"[!@$&]"``)."""
    for i in range(len(text) - 1):
        if text[i] in ALPHABET and text[i + 1] in ALPHABET and text[i] != text[i + 1]:
            return True
    return False


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if node.value in RESERVED or _alphabet_run(node.value):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}")
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            chars = [
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value in ALPHABET
            ]
            if len(set(chars)) >= 2:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {chars}")
    return found


def test_the_prefix_alphabet_and_reserved_keys_are_written_only_in_the_grammar() -> None:
    files = sorted((REPO / "excore").rglob("*.py")) + sorted((REPO / "excore_ls").rglob("*.py"))
    found = [o for f in files if f != GRAMMAR for o in offences(f)]
    assert found == [], "written outside excore/syntax/grammar.py:\n" + "\n".join(found)


def test_the_check_sees_an_alphabet_written_elsewhere(tmp_path: Path) -> None:
    sample = REPO / "excore" / "_sample_for_test.py"
    try:
        sample.write_text(
            '"""Doc: !@$& is fine here."""\nP = "!@$"\nQ = ("!", "@")\nB = "__base__"\n'
        )
        assert len(offences(sample)) == 3
    finally:
        sample.unlink()
    assert offences(GRAMMAR)  # the grammar itself writes them
