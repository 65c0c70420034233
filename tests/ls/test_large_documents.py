"""A large document is parsed for the features in a worker thread: completion and hover asked
before that are answered from the window around their position (its top-level part and the
table holding it), the other requests wait for the whole parse without blocking the server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from excore.schema.index import RegistryInfo, WorkspaceIndex, index_to_json
from excore.signatures import ModuleInfo, ParamInfo
from excore_ls import background, handlers
from excore_ls.analysis.config import analyse_text
from excore_ls.analysis.documents import DocumentStore, path_to_uri
from excore_ls.analysis.window import window_bounds, window_config

CONFIG = """# top
width = 64
__base__ = []

[Model.Net0]
"!block" = "Conv001"
layers = [
  [1, 2],
  [3],
]
name = "a [b] c"

["Model"."Net1"]  # quoted header
"!block" = "Conv002"
doc = '''
[NotAHeader]
'''

[[Hooks]]
x = 1
[Block.Conv003]
"""


def test_the_window_holds_what_the_whole_parse_has_at_every_offset() -> None:
    docs = DocumentStore()
    doc = docs.open(path_to_uri("/w/c.toml"), CONFIG, 1)
    whole = analyse_text(doc.key, CONFIG)
    for offset in range(len(CONFIG) + 1):
        window = window_config(doc, offset)
        assert len(window.text) == len(CONFIG)
        got, want = window.section_at(offset), whole.section_at(offset)
        assert (got.table.start, got.table.end) == (want.table.start, want.table.end), offset
        assert [p.key.name for p in got.params] == [p.key.name for p in want.params], offset
        assert [p.key.name for p in window.root.params] == ["width", "__base__"]
        _, start, end = window_bounds(CONFIG, offset)
        assert window.text[start:end] == CONFIG[start:end]


def _workspace(root: Path) -> None:
    block = [ParamInfo("block", annotation="Block", annotation_targets=["pkg:Block"])]
    index = WorkspaceIndex(
        registries={
            "Model": RegistryInfo(
                "Model",
                [],
                {
                    f"Net{i}": ModuleInfo(f"Net{i}", "Model", "class", f"pkg:Net{i}", params=block)
                    for i in range(2)
                },
            ),
            "Block": RegistryInfo(
                "Block",
                [],
                {
                    f"Conv{i:03d}": ModuleInfo(
                        f"Conv{i:03d}", "Block", "class", f"pkg:Conv{i:03d}", bases=["pkg:Block"]
                    )
                    for i in range(5)
                },
            ),
        },
        fields={"Model": "Model", "Block": "Block"},
    )
    (root / "excore.toml").write_text('name = "w"\n[primary_fields]\nModel = "Model"\n')
    (root / ".excore").mkdir()
    (root / ".excore" / "index.json").write_text(json.dumps(index_to_json(index)))


async def test_a_large_document_answers_from_its_window_then_from_its_whole_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from excore_ls.server import ExcoreLanguageServer

    monkeypatch.setattr(background, "LARGE", 2_000)
    _workspace(tmp_path)
    sections = "".join(f'[Model.Net{i % 2}]\n"!block" = "Conv00{i % 5}"\n\n' for i in range(200))
    text = "width = 64\n\n" + sections + '[Model.Net1]\n"!block" = ""\n'
    assert len(text) > background.LARGE
    ls = ExcoreLanguageServer()
    uri = path_to_uri(tmp_path / "big.toml")
    doc = ls.documents.open(uri, text, 1)
    line = text.count("\n") - 1
    where = lsp.TextDocumentPositionParams(
        lsp.TextDocumentIdentifier(uri), lsp.Position(line, len('"!block" = "'))
    )

    result = handlers.completion(ls, lsp.CompletionParams(where.text_document, where.position))
    assert not ls.analyzer.parsed(doc)  # answered before the whole text was parsed
    assert result is not None
    labels = [item["label"] for item in result.data["items"]]  # type: ignore[index]
    assert labels[:5] == [f"Conv{i:03d}" for i in range(5)]

    symbols = await handlers.document_symbol(
        ls, lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri))
    )
    assert ls.analyzer.parsed(doc)  # waited for the parse made in the worker thread
    assert symbols is not None and len(symbols) == 201 + 1  # every table and the variable

    hover = handlers.hover(ls, lsp.HoverParams(where.text_document, lsp.Position(2, 9)))
    assert hover is not None and "Net0" in hover.contents.value  # type: ignore[union-attr]
    await asyncio.sleep(0)
