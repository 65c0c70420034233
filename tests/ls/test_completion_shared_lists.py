"""Lists of module names are shared between positions: each answer still replaces its own range,
and follows the index, the annotation, what is typed and the document's sections."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import pytest_lsp
from ls_helpers import Docs, ident, item_edit, split_cursor
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from excore.schema.index import RegistryInfo, WorkspaceIndex, index_to_json
from excore.signatures import ModuleInfo, ParamInfo
from excore_ls.analysis.documents import path_to_uri
from excore_ls.analysis.session import Analyzer, FileAnalysis
from excore_ls.features import completion

SERVER = [sys.executable, "-m", "excore_ls"]
BLOCK_BASE = "pkg.blocks:Block"
MODEL_BASE = "pkg.models:Model"


def write_index(root: Path, models: list[str], blocks: list[str]) -> Path:
    """A workspace whose ``Model`` registry holds ``models`` (each with a parameter ``block``
    annotated with the blocks' base class, and ``inner`` with the models' one) and ``Block``
    ``blocks``."""
    params = [
        ParamInfo("block", annotation="Block", annotation_targets=[BLOCK_BASE]),
        ParamInfo("inner", annotation="Model", annotation_targets=[MODEL_BASE]),
    ]
    registries = {
        "Model": RegistryInfo(
            "Model",
            [],
            {
                n: ModuleInfo(
                    n, "Model", "class", f"pkg.models:{n}", params=params, bases=[MODEL_BASE]
                )
                for n in models
            },
        ),
        "Block": RegistryInfo(
            "Block",
            [],
            {
                n: ModuleInfo(n, "Block", "class", f"pkg.blocks:{n}", bases=[BLOCK_BASE])
                for n in blocks
            },
        ),
    }
    index = WorkspaceIndex(registries=registries, fields={"Model": "Model", "Block": "Block"})
    (root / "excore.toml").write_text(
        'name = "shared"\n[primary_fields]\nModel = "Model"\nBlock = "Block"\n'
    )
    path = root / ".excore" / "index.json"
    path.parent.mkdir(exist_ok=True)
    stamp = path.stat().st_mtime if path.exists() else None
    path.write_text(json.dumps(index_to_json(index)))
    if stamp is not None:  # a re-written index is seen as changed even within one clock tick
        os.utime(path, (stamp + 10, stamp + 10))
    return path


def open_text(analyzer: Analyzer, path: Path, text: str, version: int = 1) -> FileAnalysis:
    uri = path_to_uri(path)
    analyzer.documents.open(uri, text, version)
    analyzer.forget(uri)
    fa = analyzer.analysis(uri)
    assert fa is not None
    return fa


def labels_at(analyzer: Analyzer, path: Path, marked: str) -> list[str]:
    text, offset, _ = split_cursor(marked)
    items, _ = completion.complete_list(open_text(analyzer, path, text), offset)
    return [c.label for c in items]


TWO_SECTIONS = '[Model.Net0]\n"!block" = "{first}"\n\n[Model.Net1]\n"!block" = "{second}"\n'


def test_the_same_list_at_two_positions_replaces_each_range(tmp_path: Path) -> None:
    write_index(tmp_path, ["Net0", "Net1"], [f"Conv{i:03d}" for i in range(300)])
    analyzer = Analyzer()
    path = tmp_path / "c.toml"
    text = TWO_SECTIONS.format(first="Conv001", second="Conv002")
    fa = open_text(analyzer, path, text)
    answers = []
    for value in ("Conv001", "Conv002"):
        offset = text.index(value)  # right after the opening quote
        items, incomplete = completion.complete_list(fa, offset)
        assert incomplete and len(items) == completion.LIMIT
        assert {(c.start, c.end) for c in items} == {(offset, offset + len(value))}
        answers.append([(c.label, c.sort, c.insert) for c in items])
    assert answers[0] == answers[1]
    assert answers[0][0][0] == "Conv000"


def test_the_list_follows_the_index_when_it_is_re_read(tmp_path: Path) -> None:
    index = write_index(tmp_path, ["Net0"], ["Conv0", "Conv1"])
    analyzer = Analyzer()
    marked = '[Model.Net0]\n"!block" = "<|>"\n'
    before = labels_at(analyzer, tmp_path / "c.toml", marked)
    assert before[:2] == ["Conv0", "Conv1"]
    write_index(tmp_path, ["Net0"], ["Dense0"])
    analyzer.indexes.invalidate(index)
    after = labels_at(analyzer, tmp_path / "c.toml", marked)
    assert after[0] == "Dense0" and "Conv0" not in after


def test_a_section_name_registered_by_a_re_read_index_is_no_longer_a_section(
    tmp_path: Path,
) -> None:
    index = write_index(tmp_path, ["Net0"], ["Conv0"])
    analyzer = Analyzer()
    text, offset, _ = split_cursor('[Model.Net0]\n"!block" = "<|>"\n\n[Block.Local]\n')
    fa = open_text(analyzer, tmp_path / "c.toml", text)
    items, _ = completion.complete_list(fa, offset)
    assert (items[0].label, items[0].detail) == ("Local", "section [Block.Local]")
    write_index(tmp_path, ["Net0"], ["Conv0", "Local"])
    analyzer.indexes.invalidate(index)
    fa = analyzer.analysis(fa.doc.uri)  # the same version of the document
    assert fa is not None
    items, _ = completion.complete_list(fa, offset)
    local = [c for c in items if c.label == "Local"]
    assert len(local) == 1 and "section" not in local[0].detail


def test_the_list_follows_the_annotation_and_what_is_typed(tmp_path: Path) -> None:
    write_index(tmp_path, ["Net0"], [f"Conv{i:03d}" for i in range(300)])
    analyzer = Analyzer()
    path = tmp_path / "c.toml"
    blocks_first = labels_at(analyzer, path, '[Model.Net0]\n"!block" = "<|>"\n')
    models_first = labels_at(analyzer, path, '[Model.Net0]\n"!inner" = "<|>"\n')
    assert blocks_first[0] == "Conv000"  # what matches the annotation is ranked first
    assert models_first[0] == "Net0"
    typed = labels_at(analyzer, path, '[Model.Net0]\n"!block" = "Conv29<|>"\n')
    assert typed[:10] == [f"Conv{i}" for i in range(290, 300)]


def test_the_list_follows_the_sections_of_the_document(tmp_path: Path) -> None:
    write_index(tmp_path, ["Net0"], ["Conv0"])
    analyzer = Analyzer()
    path = tmp_path / "c.toml"
    marked = '[Model.Net0]\n"!block" = "<|>"\n'
    assert "Local" not in labels_at(analyzer, path, marked)
    with_section = labels_at(analyzer, path, marked + '\n[Block.Local]\n"!inner" = "Conv0"\n')
    assert with_section[0] == "Local"  # a module defined in a section of the file comes first


def test_a_placed_list_reads_like_a_list(tmp_path: Path) -> None:
    write_index(tmp_path, ["Net0"], ["Conv0", "Conv1", "Conv2"])
    analyzer = Analyzer()
    text, offset, _ = split_cursor('[Model.Net0]\n"!block" = "<|>"\n')
    items, _ = completion.complete_list(open_text(analyzer, tmp_path / "c.toml", text), offset)
    assert [c.label for c in items[:2]] == [items[0].label, items[1].label] == ["Conv0", "Conv1"]
    items[0].label = "changed"  # the caller's copy: the shared list stays as it was
    again, _ = completion.complete_list(open_text(analyzer, tmp_path / "c.toml", text), offset)
    assert again[0].label == "Conv0"


# -- through the server --------------------------------------------------------------------------


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER), params=["visual-studio-code", "neovim"]
)
async def fresh(lsp_client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    write_index(tmp_path, ["Net0", "Net1"], ["Conv0", "Conv1"])
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(_accept)
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities(request.param), root_uri=tmp_path.as_uri()
        )
    )
    yield
    await lsp_client.shutdown_session()


def _accept(params: lsp.RegistrationParams) -> None:
    return None


async def complete(client: LanguageClient, uri: str, pos: lsp.Position) -> object:
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=ident(uri), position=pos)
    )
    assert isinstance(result, lsp.CompletionList)
    return result


async def test_the_server_answers_each_position_and_follows_the_index(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    docs = Docs(fresh, tmp_path)
    text = TWO_SECTIONS.format(first="Conv0", second="Conv1")
    uri = await docs.open("c.toml", text)
    lines = text.splitlines()
    answers = []
    for line in (1, 4):
        pos = lsp.Position(line=line, character=lines[line].index("Conv"))
        result = await complete(fresh, uri, pos)
        assert isinstance(result, lsp.CompletionList)
        edits = [item_edit(result, item) for item in result.items]
        end = lsp.Position(line=line, character=pos.character + len("Conv0"))
        assert all(r == lsp.Range(start=pos, end=end) for r, _ in edits)
        answers.append([(i.label, i.sort_text, text) for i, (_, text) in zip(result.items, edits)])
    assert answers[0] == answers[1] and answers[0][0][0] == "Conv0"

    index = write_index(tmp_path, ["Net0", "Net1"], ["Dense0"])
    fresh.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=index.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    for line in (4, 1):  # the position asked last before the index changed, then another
        pos = lsp.Position(line=line, character=lines[line].index("Conv"))
        result = await complete(fresh, uri, pos)
        assert isinstance(result, lsp.CompletionList)
        labels = [i.label for i in result.items]
        assert labels[0] == "Dense0" and "Conv0" not in labels, (line, labels)


async def test_a_module_name_is_documented_when_the_editor_resolves_it(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    docs = Docs(fresh, tmp_path)
    text = TWO_SECTIONS.format(first="", second="Conv1")
    uri = await docs.open("c.toml", text)
    result = await complete(fresh, uri, lsp.Position(line=1, character=len('"!block" = "')))
    assert isinstance(result, lsp.CompletionList)
    item = next(i for i in result.items if i.label == "Conv1")
    assert item.documentation is None and item.data is not None  # sent on demand
    assert item.detail is not None and "Block" in item.detail
    resolved = await fresh.completion_item_resolve_async(item)
    doc = resolved.documentation
    assert isinstance(doc, lsp.MarkupContent) and "Conv1" in doc.value
    assert "pkg.blocks" in doc.value  # the module's own description, from the index
