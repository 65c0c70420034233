"""Incremental re-parsing is a syntax-layer service: after any edit, ``reparse`` equals a fresh
``parse_toml`` of the new text, and the previous version's document is left exactly as it was."""

from __future__ import annotations

from dataclasses import asdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excore.syntax.incremental import changed_region, reparse
from excore.syntax.toml import Document, parse_toml

BASE = "\n".join(
    ['__base__ = ["_base_/model.toml"]', "size = 3", ""]
    + [
        f'[Head.H{i}]\nin_channels = {i}\n"!x" = ["A", "B"]  # c\nname = "n{i}"\nt = {{a = 1}}\n'
        for i in range(12)
    ]
    + ['[Data.D]\nmulti = """\nline\n"""\nlist = [\n  1,\n  2,\n]\n']
)
TOKENS = ["[", "]", '"', "'", '"""', "=", ",", "\n", "[A.B]\n", "x = 1", "{", "}", "😀", "#", " "]


def snapshot(doc: Document) -> object:
    """Everything a document holds, as plain data (compares by value, not identity)."""
    return (
        doc.text,
        [asdict(t) for t in doc.tables],
        sorted((p.code, p.message, p.start, p.end) for p in doc.problems),
    )


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    text = BASE
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        new = "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=4)))
        before, text = text, text[:start] + new + text[end:]
    return before, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited())
def test_incremental_equals_fresh_and_never_changes_the_previous_version(
    case: tuple[str, str],
) -> None:
    before, after = case
    prev = parse_toml(before, "f.toml")
    kept = snapshot(prev)
    got = reparse(prev, after, min_size=0)
    assert snapshot(prev) == kept  # the previous version is untouched
    fresh = parse_toml(after, "f.toml")
    assert snapshot(got) == snapshot(fresh)


def test_an_edit_in_one_table_re_parses_only_that_table() -> None:
    prev = parse_toml(BASE, "f.toml")
    at = BASE.index("in_channels = 5") + len("in_channels = ")
    text = BASE[:at] + "55" + BASE[at + 1 :]
    got = reparse(prev, text, min_size=0)
    changed = [i for i, (a, b) in enumerate(zip(prev.tables, got.tables)) if a is not b]
    edited_table = next(
        i for i, t in enumerate(prev.tables) if t.start <= at < t.end + 1 and t.header
    )
    assert changed[0] == edited_table  # the tables before it are shared
    assert snapshot(got) == snapshot(parse_toml(text, "f.toml"))


def test_changed_region() -> None:
    assert changed_region("abcdef", "abXYef") == (2, 4, 2)
    assert changed_region("aaaa", "aaaaa") == (4, 4, 1)
    assert changed_region("abc", "abc") == (3, 3, 0)
