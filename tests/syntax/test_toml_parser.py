"""The tolerant TOML parser: same data as tomllib on valid TOML, never an exception on any text."""

from __future__ import annotations

import pytest
import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st

from excore.syntax.toml import TreeLeaf, TreeTable, parse_toml, parse_tree, tree_to_python

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
    "# ## banner ## # #\n  \t\n#x\na = 1 # ## # after\n\n## ##\n[t] # c\nb = 'two' ## #\n",
    'q = """two "" quotes"""\nr = \'\'\'one \' quote\'\'\'\n',
    's = ["a", "", """t""", "b\\"c", \'lit\', "", "z"]\n',
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


def test_offsets_of_array_items() -> None:
    text = '"!t" = ["A", "", """B""", "C\\"D", \'E\']\n'
    value = parse_toml(text).tables[0].entries[0].value
    assert value is not None
    raw = [text[i.start : i.end] for i in value.items]
    assert raw == ['"A"', '""', '"""B"""', '"C\\"D"', "'E'"]
    inside = [text[i.content_start : i.content_end] for i in value.items]
    assert inside == ["A", "", "B", 'C\\"D', "E"]
    assert [i.data for i in value.items] == ["A", "", "B", 'C"D', "E"]


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


def _shape(node: TreeLeaf | TreeTable) -> object:
    """Everything a tree says: data, key paths, offsets and files."""
    if isinstance(node, TreeLeaf):
        key = node.key
        return (node.path, node.file, key.prefix, key.name, key.start, key.end, node.value)
    return (
        node.path,
        node.file,
        node.start,
        node.end,
        node.explicit,
        node.inline,
        node.dotted,
        {k: _shape(v) for k, v in node.items.items()},
    )


def _tree_via_document(text: str) -> tuple[object, list[object]]:
    doc = parse_toml(text, "f.toml")
    tree, problems = doc.to_tree()
    return _shape(tree), [*doc.problems, *problems]


@pytest.mark.parametrize(
    "text",
    [
        *VALID,
        'a = 1\na = 2\n"a" = 3\n[t]\n[t]\nx.y = 1\nx = 2\n[[t]]\n',
        '[Model.FCN]\n"@backbone" = "ResNet"\n!head = "H"\n[Model.FCN.sub]\nk = {a = 1}\n',
        '[Model.\nx = [1, 2\n[ResNet]\ndepth = 18\n"key"\n',
    ],
)
def test_the_direct_tree_is_the_documents_tree(text: str) -> None:
    tree, problems = parse_tree(text, "f.toml")
    assert (_shape(tree), problems) == _tree_via_document(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]{}\"'=.,#\n\r\t !@$&abc123_-\\u😀")), max_size=200))
def test_the_direct_tree_is_the_documents_tree_on_any_text(text: str) -> None:
    tree, problems = parse_tree(text, "f.toml")
    assert (_shape(tree), problems) == _tree_via_document(text)


TOML_LINES = [
    "[a]",
    "[b]",
    "[a.b]",
    "[b.a]",
    "[a.c] # note",
    "[[a]]",
    "[[b.c]]",
    "[[c]]",
    "[ a ]",
    "[Model.FCN]",
    "[Model]",
    "a = 1",
    "b = 'x'",
    "c = true",
    "a.b = 2",
    "c.d = 1.5",
    "b = { c = 1 }",
    '"@b" = "Name"',
    "!c = [1, 2]",
    "",
    "# comment",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOML_LINES), max_size=14))
def test_the_direct_tree_is_the_documents_tree_on_tables_and_keys(lines: list[str]) -> None:
    text = "\n".join(lines)
    tree, problems = parse_tree(text, "f.toml")
    assert (_shape(tree), problems) == _tree_via_document(text)


def test_leaf_paths_follow_their_tables() -> None:
    tree, _ = parse_tree('top = 1\n[Model.FCN]\n"@backbone" = "R"\nx.y = 2\n', "f.toml")
    model = tree.items["Model"]
    assert isinstance(model, TreeTable)
    fcn = model.items["FCN"]
    assert isinstance(fcn, TreeTable)
    dotted = fcn.items["x"]
    assert isinstance(dotted, TreeTable)
    assert [tree.items["top"].path, fcn.items["@backbone"].path, dotted.items["y"].path] == [
        "top",
        "Model.FCN.@backbone",
        "Model.FCN.x.y",
    ]
