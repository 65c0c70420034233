"""The analysis without LSP: completion contexts, hover, definition, references, actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from ls_helpers import CASES, read_case, split_cursor

from excore_ls.analysis.documents import path_to_uri
from excore_ls.analysis.session import Analyzer, FileAnalysis
from excore_ls.features import code_actions, completion, definition, hover, references

CASE_FILES = sorted(p.name for p in CASES.glob("*.toml"))


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def open_text(analyzer: Analyzer, path: Path, text: str) -> FileAnalysis:
    uri = path_to_uri(path)
    analyzer.documents.open(uri, text, 1)
    analyzer.forget(uri)
    fa = analyzer.analysis(uri)
    assert fa is not None
    return fa


def at(analyzer: Analyzer, workspace: Path, rel: str, marked: str) -> tuple[FileAnalysis, int]:
    text, offset, _ = split_cursor(marked)
    return open_text(analyzer, workspace / rel, text), offset


@pytest.mark.parametrize("name", CASE_FILES)
def test_completion_cases(analyzer: Analyzer, workspace: Path, name: str) -> None:
    expect, text, offset = read_case(name)
    fa = open_text(analyzer, workspace / expect.get("at", f"cases/{name}"), text)
    items = completion.complete(fa, offset)
    labels = [c.label for c in items]
    want = expect["complete"]
    if "exact" in want:
        assert labels == want["exact"]
    for label in want.get("includes", []):
        assert label in labels, f"{label!r} not in {labels[:40]}"
    for label in want.get("excludes", []):
        assert label not in labels
    by_label = {c.label: c for c in items}
    for label, insert in want.get("insert", {}).items():
        assert by_label[label].insert == insert
    for label, text in want.get("filter", {}).items():  # what the editor matches typing against
        assert (by_label[label].filter or label) == text
    for label, detail in want.get("detail", {}).items():
        assert detail in by_label[label].detail
    for first, second in want.get("before", []):
        a, b = by_label[first], by_label[second]
        assert (a.sort, labels.index(first)) < (b.sort, labels.index(second)), (a.sort, b.sort)
    for c in items:  # every candidate replaces a range around the cursor
        assert c.start <= offset <= c.end, c


def test_completion_replaces_the_string_content(analyzer: Analyzer, workspace: Path) -> None:
    fa, offset = at(analyzer, workspace, "cases/x.toml", '[Model.FCN]\n"@backbone" = "Res<|>Net"\n')
    item = next(c for c in completion.complete(fa, offset) if c.label == "ResNet")
    assert fa.config.text[item.start : item.end] == "ResNet"
    assert item.insert == "ResNet"


def test_completion_closes_an_unterminated_string(analyzer: Analyzer, workspace: Path) -> None:
    fa, offset = at(analyzer, workspace, "cases/x.toml", '[Model.FCN]\n"@backbone" = "Res<|>\n')
    item = next(c for c in completion.complete(fa, offset) if c.label == "ResNet")
    assert item.insert == 'ResNet"'


def test_key_snippet_has_the_default(analyzer: Analyzer, workspace: Path) -> None:
    fa, offset = at(analyzer, workspace, "cases/x.toml", "[Backbone.ResNet]\nbase<|>\n")
    item = next(c for c in completion.complete(fa, offset) if c.label == "base_channels")
    assert item.snippet and item.insert == "base_channels = ${1:8}"
    assert item.plain_insert == "base_channels = 8"
    assert "int" in item.detail


def test_hover_parameter_shows_its_description(analyzer: Analyzer, workspace: Path) -> None:
    for key in ("layers", '"!layers"', '"@layers"'):
        fa, offset = at(
            analyzer, workspace, "cases/x.toml", f"[Backbone.ResNet]\n{key[:2]}<|>{key[2:]} = 1\n"
        )
        result = hover.hover(fa, offset)
        assert result is not None, key
        assert "Blocks per stage." in result.markdown and "list" in result.markdown


def test_hover_module_name_shows_signature_and_doc(analyzer: Analyzer, workspace: Path) -> None:
    fa, offset = at(analyzer, workspace, "cases/x.toml", '[Model.FCN]\n"@backbone" = "Res<|>Net"\n')
    result = hover.hover(fa, offset)
    assert result is not None
    assert "class ResNet(block, layers, base_channels, act)" in result.markdown
    assert "A small ResNet." in result.markdown
    assert fa.config.text[result.start : result.end] == "ResNet"


def test_hover_variable_shows_value_and_origin(analyzer: Analyzer, workspace: Path) -> None:
    fa, offset = at(
        analyzer,
        workspace,
        "cases/x.toml",
        '__base__ = ["../configs/_base_/model.toml"]\n[Head.FCNHead]\n"&num_classes" = "num_<|>classes"\n',
    )
    result = hover.hover(fa, offset)
    assert result is not None
    assert "num_classes = 3" in result.markdown and "model.toml" in result.markdown


def test_definition_of_a_value_module_is_its_python_source(
    analyzer: Analyzer, workspace: Path
) -> None:
    fa, offset = at(analyzer, workspace, "cases/x.toml", '[Model.FCN]\n"@backbone" = "Res<|>Net"\n')
    places = definition.definition(fa, offset)
    assert len(places) == 1
    source = (workspace / "src/toy/models.py").read_text().splitlines()
    assert places[0].file == str(workspace / "src/toy/models.py")
    assert source[places[0].line - 1].startswith("class ResNet")


def test_definition_of_variable_field_member_and_base(analyzer: Analyzer, workspace: Path) -> None:
    base = workspace / "configs/_base_/model.toml"
    text = base.read_text()
    fa, offset = at(
        analyzer,
        workspace,
        "cases/x.toml",
        '__base__ = ["../configs/_base_/mo<|>del.toml"]\n',
    )
    assert [p.file for p in definition.definition(fa, offset)] == [str(base)]
    fa, offset = at(
        analyzer,
        workspace,
        "cases/x.toml",
        '__base__ = ["../configs/_base_/model.toml"]\n[Head.FCNHead]\n"&num_classes" = "num_cl<|>asses"\n',
    )
    (place,) = definition.definition(fa, offset)
    assert place.file == str(base) and text[place.start : place.end] == "num_classes"
    fa, offset = at(
        analyzer,
        workspace,
        "cases/x.toml",
        '__base__ = ["../configs/_base_/model.toml"]\n[Optimizer.SGD]\n"@params" = "$Model::F<|>CN"\n',
    )
    (place,) = definition.definition(fa, offset)
    assert place.file == str(base) and text[place.start : place.end] == "FCN"


def test_references_and_rename_of_a_variable_across_the_family(
    analyzer: Analyzer, workspace: Path
) -> None:
    fa, offset = at(
        analyzer,
        workspace,
        "cases/x.toml",
        '__base__ = ["../configs/_base_/model.toml"]\n[Backbone.ResNet]\n"&base_channels" = "num_c<|>lasses"\n',
    )
    places = references.references(fa, offset)
    files = sorted({Path(p.file).name for p in places})
    assert files == ["model.toml", "x.toml"]
    edits = references.rename(fa, offset, "classes")
    assert isinstance(edits, list) and len(edits) == len(places) == 3
    refused = references.rename(fa, offset, "not a name")
    assert isinstance(refused, str)


def test_rename_of_a_registered_class_is_refused(analyzer: Analyzer, workspace: Path) -> None:
    fa, offset = at(analyzer, workspace, "cases/x.toml", '[Model.FCN]\n"@backbone" = "Res<|>Net"\n')
    result = references.rename(fa, offset, "Other")
    assert isinstance(result, str) and "registered" in result


def test_code_actions_did_you_mean_and_missing_params(analyzer: Analyzer, workspace: Path) -> None:
    from excore_ls.features import diagnostics

    text = '[Model.FCN]\n"@backbone" = "ResNt"\n"!head" = "SimpleHead"\n\n[Head.SimpleHead]\nin_channels = 2\n'
    fa = open_text(analyzer, workspace / "cases/actions.toml", text)
    problems = diagnostics.diagnostics(fa, analyzer.documents.read_text, None)
    codes = sorted(p.code for p in problems)
    assert codes == ["missing-param", "unknown-module"]
    offset = text.index("ResNt") + 1
    actions = code_actions.code_actions(fa, offset, offset, problems)
    fix = next(a for a in actions if a.title == "Did you mean 'ResNet'?")
    (edit,) = fix.edits
    assert text[: edit.start] + edit.new_text + text[edit.end :] == text.replace("ResNt", "ResNet")
    missing = next(p for p in problems if p.code == "missing-param")
    actions = code_actions.code_actions(fa, missing.start, missing.end, problems)
    add = next(a for a in actions if a.title.startswith("Add missing required parameters"))
    (edit,) = add.edits
    fixed = text[: edit.start] + edit.new_text + text[edit.end :]
    assert fixed == text + "num_classes = 0\n"


def test_quote_prefixed_keys_edits_only_the_keys(analyzer: Analyzer, workspace: Path) -> None:
    from excore_ls.features import diagnostics

    text = '[Model.FCN]  # keep me\n!head = "FCNHead"\n@backbone = "ResNet"   # and me\n'
    fa = open_text(analyzer, workspace / "cases/quote.toml", text)
    problems = diagnostics.diagnostics(fa, analyzer.documents.read_text, None)
    hint = next(p for p in problems if p.code == "unquoted-prefix")
    actions = code_actions.code_actions(fa, hint.start, hint.start, problems)
    quote_all = next(a for a in actions if a.title.startswith("Quote all"))
    fixed = text
    for edit in sorted(quote_all.edits, key=lambda e: -e.start):
        fixed = fixed[: edit.start] + edit.new_text + fixed[edit.end :]
    assert fixed == text.replace("!head", '"!head"').replace("@backbone", '"@backbone"')


# -- incremental re-analysis: always the same as a full parse --------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from excore.syntax.incremental import changed_region  # noqa: E402
from excore_ls.analysis.config import ConfigFile, analyse_text, update  # noqa: E402

_BIG = "\n".join(
    [(CASES.parent / "ws/configs/_base_/model.toml").read_text()]
    + [
        f'[Head.H{i}]\nin_channels = {i}\n"!x" = ["A", "B"]  # c\nname = "n{i}"\n'
        for i in range(80)
    ]
    + ['[Data.D]\nmulti = """\nline\n"""\nlist = [\n  1,\n  2,\n]\n']
)
_TOKENS = [
    "[",
    "]",
    '"',
    "'",
    '"""',
    "=",
    ",",
    "\n",
    "\r\n",
    "[A.B]\n",
    "x = 1",
    "{",
    "}",
    "😀",
    "#",
    " ",
]


def _shape(cfg: ConfigFile) -> object:
    def value(v):  # type: ignore[no-untyped-def]
        if v is None:
            return None
        extra = (v.content_start, v.content_end) if v.kind == "string" else ()
        return (v.kind, v.start, v.end, v.closed, repr(v.data), *extra, tuple(value(i) for i in v.items),
                tuple(entry(e) for e in v.entries))  # fmt: skip

    def key(k):  # type: ignore[no-untyped-def]
        return (
            None
            if k is None
            else (k.start, k.end, tuple((p.text, p.start, p.end, p.quoted) for p in k.parts))
        )

    def entry(e):  # type: ignore[no-untyped-def]
        return (key(e.key), e.start, e.end, value(e.value))

    tables = [
        (
            key(t.header),
            t.start,
            t.header_end,
            t.end,
            t.array,
            t.closed,
            tuple(entry(e) for e in t.entries),
        )
        for t in cfg.doc.tables
    ]
    problems = sorted((p.code, p.message, p.start, p.end) for p in cfg.doc.problems)
    sections = [
        (s.header_text, [(p.key.text, p.key.start, [r.text for r in p.refs]) for p in s.params])
        for s in cfg.sections
    ]
    return tables, problems, sections


def test_changed_region() -> None:
    assert changed_region("abcdef", "abXYef") == (2, 4, 2)
    assert changed_region("aaaa", "aaaaa") == (4, 4, 1)
    assert changed_region("abc", "abc") == (3, 3, 0)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 6), st.sampled_from(_TOKENS)),
        min_size=1,
        max_size=6,
    )
)
def test_incremental_reanalysis_equals_full_parse(edits: list[tuple[float, int, str]]) -> None:
    cfg = analyse_text("/x/big.toml", _BIG)
    text = _BIG
    for where, length, token in edits:
        start = int(where * len(text))
        text = text[:start] + token + text[start + length :]
        cfg = update(cfg, text)
        assert _shape(cfg) == _shape(analyse_text("/x/big.toml", text))


def test_create_section_action_appends_a_section_with_required_params(
    analyzer: Analyzer, workspace: Path
) -> None:
    text = '[Model.FCN]\n"@backbone" = "ResNet"\n"!head" = "FCNHead"\n'
    fa = open_text(analyzer, workspace / "cases/create.toml", text)
    offset = text.index("FCNHead") + 2
    actions = code_actions.code_actions(fa, offset, offset, [])
    create = next(a for a in actions if a.title == "Create a [FCNHead] section for this module")
    (edit,) = create.edits
    fixed = text[: edit.start] + edit.new_text + text[edit.end :]
    assert fixed == text + "\n[FCNHead]\nin_channels = 0\nnum_classes = 0\n"


def test_hover_as_plain_text_for_clients_without_markdown(
    analyzer: Analyzer, workspace: Path
) -> None:
    from excore_ls import convert

    fa, offset = at(analyzer, workspace, "cases/x.toml", "[Backbone.ResNet]\nlay<|>ers = [1]\n")
    result = hover.hover(fa, offset)
    assert result is not None
    plain = convert.hover(result, convert.Codec(fa.doc.lines), markdown=False)
    assert plain.contents.kind == "plaintext"  # type: ignore[union-attr]
    assert "```" not in plain.contents.value and "Blocks per stage." in plain.contents.value  # type: ignore[union-attr]


def test_long_completion_lists_are_cut_to_the_best_matches(tmp_path: Path) -> None:
    import json

    from excore.schema.index import RegistryInfo, WorkspaceIndex, index_to_json
    from excore.signatures import ModuleInfo

    (tmp_path / "excore.toml").write_text('name = "big"\n[primary_fields]\nModel = "Model"\n')
    modules = {
        f"Net{i:03d}": ModuleInfo(f"Net{i:03d}", "Model", "class", f"m:Net{i:03d}")
        for i in range(500)
    }
    index = WorkspaceIndex(
        registries={"Model": RegistryInfo("Model", [], modules)}, fields={"Model": "Model"}
    )
    (tmp_path / ".excore").mkdir()
    (tmp_path / ".excore/index.json").write_text(json.dumps(index_to_json(index)))
    big = Analyzer()
    fa, offset = at(big, tmp_path, "c.toml", '[Model.Net000]\n"!x" = "<|>"\n')
    items, incomplete = completion.complete_list(fa, offset)
    assert incomplete and len(items) == completion.LIMIT
    fa, offset = at(big, tmp_path, "c.toml", '[Model.Net000]\n"!x" = "Net49<|>"\n')
    items, incomplete = completion.complete_list(fa, offset)
    labels = [c.label for c in items]
    assert incomplete and labels[:10] == [
        f"Net{i}" for i in range(490, 500)
    ]  # prefix matches first
    assert "Net049" in labels and "Net123" not in labels  # then the fuzzy ones


def test_declaration_goes_to_the_section(analyzer: Analyzer, workspace: Path) -> None:
    base = workspace / "configs/_base_/model.toml"
    text = base.read_text()
    fa = open_text(analyzer, base, text)
    offset = text.index('"ResNet"') + 2
    (place,) = definition.declaration(fa, offset)
    assert place.file == str(base) and text[place.start : place.end] == "ResNet"
    assert text.rfind("[Backbone.", 0, place.start) != -1  # the header, not the value


def test_inlay_hints_and_semantic_tokens(
    analyzer: Analyzer, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from excore_ls.features import inlay_hints, semantic_tokens

    monkeypatch.setenv("EXCORE_LS_TEST_ROOT", "/data")
    text = '__base__ = ["../configs/_base_/model.toml"]\n[TrainData.Synthetic]\n"&root" = "${EXCORE_LS_TEST_ROOT}/x"\n"&size" = "num_classes"\n"@params" = "$Model.parameters()@BnWeightDecayHook"\n'
    fa = open_text(analyzer, workspace / "cases/hints.toml", text)
    labels = [h.label for h in inlay_hints.inlay_hints(fa, 0, len(text))]
    assert labels == ["= /data/x", "= 3"]
    tokens = {(text[t.start : t.end], t.type) for t in semantic_tokens.tokens(fa)}
    assert {("TrainData", "namespace"), ("Synthetic", "class"), ("Model", "namespace"), ("parameters", "method"),
            ("@BnWeightDecayHook", "decorator"), ("num_classes", "variable"), ("&", "operator")} <= tokens  # fmt: skip
