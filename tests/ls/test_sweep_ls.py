"""A sweep file in the real server: diagnostics per axis value (the one checker, like
`excore check`), completion of axis key paths, hover with the number of trials."""

from __future__ import annotations

from ls_helpers import Docs, completion_items, ident, item_edit, split_cursor
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

SWEEP = """__base__ = ["main.toml"]

[__sweep__]
name = "lr"
objective = "val_loss"
[__sweep__.axes]
"Optimizer.SGD.lr" = [0.1, "fast", 0.01]
"Optimizer.SGD.momentun" = [0.9]
"Backbone.ResNet.layers" = [[1, 1], [2, 2]]
"&num_clases" = [2, 3]
"""


async def test_sweep_diagnostics_are_the_checkers_at_each_value(docs: Docs) -> None:
    uri = await docs.open("configs/sweep_ls.toml", SWEEP)
    found = await docs.diagnostics(uri)
    got = sorted((d.range.start.line, d.range.start.character, d.code) for d in found)
    assert got == [
        (6, 27, "type-mismatch"),  # "fast" (0-based columns)
        (7, 15, "bad-axis"),  # momentun
        (9, 1, "bad-axis"),  # &num_clases
    ]
    messages = sorted(d.message for d in found if d.code == "bad-axis")
    assert messages == [
        "SGD has no parameter 'momentun' (did you mean 'momentum'?)",
        "the config has no top-level variable 'num_clases' (did you mean 'num_classes'?)",
    ]
    await docs.close(uri)


async def test_axis_keys_complete_to_key_paths_of_the_resolved_config(
    client: LanguageClient, docs: Docs
) -> None:
    marked = SWEEP.replace('"&num_clases" = [2, 3]\n', "Optimizer.SGD.mo<|>\n")
    text, _, pos = split_cursor(marked)
    uri = await docs.open("configs/sweep_ls.toml", text)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=ident(uri), position=pos)
    )
    items = completion_items(result)
    labels = [i.label for i in items]
    assert {
        "Optimizer.SGD.lr",
        "Optimizer.SGD.momentum",
        "Backbone.ResNet.layers",
        "&num_classes",
        "Model.FCN.@backbone",
    } <= set(labels)
    momentum = next(i for i in items if i.label == "Optimizer.SGD.momentum")
    assert "float" in (momentum.detail or "")
    rng, new_text = item_edit(result, momentum)
    assert new_text.startswith('"Optimizer.SGD.momentum" = [')
    assert (rng.start.line, rng.start.character) == (pos.line, 0)
    await docs.close(uri)


async def test_hover_on_an_axis_shows_its_values_and_the_trials(
    client: LanguageClient, docs: Docs
) -> None:
    text = (
        SWEEP.replace('"fast", ', "")
        .replace('"Optimizer.SGD.momentun" = [0.9]\n', "")
        .replace('"&num_clases"', '"&num_classes"')
    )
    uri = await docs.open("configs/sweep_ls.toml", text)
    assert await docs.diagnostics(uri) == []
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=ident(uri), position=lsp.Position(line=6, character=5))
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    value = hover.contents.value
    assert "`Optimizer.SGD.lr`: 0.1, 0.01 (2 value(s))" in value
    assert "grid of 2 × 2 × 2 = **8 trial(s)**" in value
    header = await client.text_document_hover_async(
        lsp.HoverParams(text_document=ident(uri), position=lsp.Position(line=2, character=3))
    )
    assert header is not None and isinstance(header.contents, lsp.MarkupContent)
    assert "**sweep** `lr`: grid of 2 × 2 × 2 = **8 trial(s)**, minimize `val_loss`" in (
        header.contents.value
    )
    await docs.close(uri)
