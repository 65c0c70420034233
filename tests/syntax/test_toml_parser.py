"""The tolerant TOML parser: same data as tomllib on valid TOML, never an exception on any text."""

from __future__ import annotations

import pytest
import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st

from excore.syntax.toml import parse_toml, tree_to_python

VALID = [
    'a = 1\nb = "x"\nc = \'lit\'\nd = [1, 2, [3, "4"],]\n',
    'e = { x = 1, y.z = "w" }\nf = 1.5e3\ng = true\nh = 1979-05-27T07:32:00Z\n',
    "i = \"\"\"\nmulti \\\n  line\"\"\"\nj = '''raw\\n'''\nk = 0x1F\nl = -inf\n",
    '"q.k" = 3\nm.n.o = 4\n[Model.FCN]\n"@backbone" = "ResNet"\n"!t" = ["A", "B"] # c\n',
    "[[arr]]\nx = 1\n[[arr]]\nx = 2\n[a1.b]\nc = 1\n[a1]\nd = 2\n",
    'x = "esc \\t \\u00e9 \\" end"\ny = 1_000\nz = +3.0\nd = 1979-05-27\nt = 07:32:00\n',
    "# only a comment\n\n\n",
    'a = [\n  1, # one\n  2,\n]\n\n[ b ]\n"c d" = { e = [ { f = 1 } ] }\n',
    'emoji = "😀 中文"\n"中文" = 1\n',
    "crlf = 1\r\n[t]\r\nx = 'y'\r\n",
    'q = """two "" quotes"""\nr = \'\'\'one \' quote\'\'\'\n',
]


@pytest.mark.parametrize("text", VALID)
def test_same_data_as_tomllib(text: str) -> None:
    doc = parse_toml(text)
    tree, problems = doc.to_tree()
    assert doc.problems == [] and problems == []
    assert tree_to_python(tree) == tomllib.loads(text)


def test_offsets_point_at_keys_and_values() -> None:
    text = '[Model.FCN]\n"@backbone" = "ResNet"\n'
    doc = parse_toml(text)
    entry = doc.tables[1].entries[0]
    assert text[entry.key.start : entry.key.end] == '"@backbone"'
    assert entry.value is not None
    assert text[entry.value.start : entry.value.end] == '"ResNet"'
    assert text[entry.value.content_start : entry.value.content_end] == "ResNet"
    header = doc.tables[1].header
    assert header is not None
    assert [text[p.start : p.end] for p in header.parts] == ["Model", "FCN"]


def test_bare_prefixed_keys_are_read_and_hinted() -> None:
    doc = parse_toml('!transforms = ["Resize", "Pad"]\n@backbone = "ResNet"\n')
    assert [p.code for p in doc.problems] == ["unquoted-prefix", "unquoted-prefix"]
    tree, _ = doc.to_tree()
    assert tree_to_python(tree) == {"!transforms": ["Resize", "Pad"], "@backbone": "ResNet"}


def test_half_typed_text_keeps_what_it_can() -> None:
    text = '[Model.FCN]\n"@head" = "Res\n[Model.\nx = [1, 2\n[ResNet]\ndepth = 18\n"key"\n'
    doc = parse_toml(text)
    headers = [t.header.dotted if t.header else None for t in doc.tables]
    assert headers == [None, "Model.FCN", "Model", "ResNet"]
    assert doc.tables[1].entries[0].value is not None
    assert doc.tables[1].entries[0].value.data == "Res"
    assert doc.tables[1].entries[0].value.closed is False
    assert doc.tables[2].closed is False
    assert [e.key.dotted for e in doc.tables[3].entries] == ["depth", "key"]
    assert all(p.code == "toml-syntax" for p in doc.problems)
    assert len(doc.problems) == 4


def test_duplicate_keys_and_tables_are_problems() -> None:
    doc = parse_toml("a = 1\na = 2\n[t]\n[t]\n")
    _, problems = doc.to_tree()
    assert sorted(p.message for p in problems) == [
        "duplicate key 'a'",
        "table 't' is defined twice",
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]{}\"'=.,#\n\r\t !@$&abc123_-\\u😀")), max_size=200))
def test_never_raises_on_any_text(text: str) -> None:
    doc = parse_toml(text)
    doc.to_tree()
    for problem in doc.problems:
        assert 0 <= problem.start <= problem.end <= len(doc.text)
