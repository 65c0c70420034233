"""The server on the composition forms: computed values (hints, hovers, completion), __delete__
paths and __class__ values."""

from __future__ import annotations

from pathlib import Path

import pytest
from ls_helpers import split_cursor

from excore_ls.analysis.documents import path_to_uri
from excore_ls.analysis.session import Analyzer, FileAnalysis
from excore_ls.features import completion, diagnostics, hover, inlay_hints

BASE = '__base__ = ["../configs/_base_/model.toml"]\n'
EXPR = (
    BASE + "base_lr = 0.1\nbatch_size = 512\n"
    '"&lr" = "base_lr * batch_size / 256"\n'
    '"&total" = "lr * num_classes"\n'
    "[Head.FCNHead]\n"
    '"&in_channels" = "len(Backbone.ResNet.layers) * 16"\n'
)


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


def test_inlay_hints_show_computed_values(analyzer: Analyzer, workspace: Path) -> None:
    fa = open_text(analyzer, workspace / "cases/expr.toml", EXPR)
    hints = {
        EXPR[: h.offset].splitlines()[-1]: h.label
        for h in inlay_hints.inlay_hints(fa, 0, len(EXPR))
    }
    assert hints['"&lr" = "base_lr * batch_size / 256"'] == "= 0.2"
    assert hints['"&total" = "lr * num_classes"'] == "= 0.6000000000000001"
    assert hints['"&in_channels" = "len(Backbone.ResNet.layers) * 16"'] == "= 32"


def test_hover_shows_the_value_and_where_each_operand_came_from(
    analyzer: Analyzer, workspace: Path
) -> None:
    text, offset, _ = split_cursor(EXPR.replace('"&total" = "lr *', '"&total" = "l<|>r *'))
    fa = open_text(analyzer, workspace / "cases/expr.toml", text)
    over_operand = hover.hover(fa, offset)
    assert over_operand is not None
    assert over_operand.markdown == "`lr` = `0.2` (expr.toml:4)"
    whole = hover.hover(fa, text.index("* num_classes") + 1)
    assert whole is not None
    assert whole.markdown.splitlines() == [
        "**= `0.6000000000000001`** (computed)",
        "- `lr` = `0.2` (expr.toml:4)",
        "- `num_classes` = `3` (model.toml:2)",
    ]


def test_diagnostics_of_expressions_are_the_checkers(analyzer: Analyzer, workspace: Path) -> None:
    text = BASE + '"&a" = "b + 1"\n"&b" = "a"\n"&c" = "num_classes + \'x\'"\n"&d" = "1 +"\n'
    fa = open_text(analyzer, workspace / "cases/expr_bad.toml", text)
    found = {
        (p.code, text[p.start : p.end])
        for p in diagnostics.diagnostics(fa, analyzer.documents.read_text, None)
    }
    assert {
        ("variable-cycle", "b"),
        ("variable-cycle", "a"),
        ("type-mismatch", "'x'"),
        ("bad-expression", '"'),
    } <= found


def _labels(fa: FileAnalysis, offset: int) -> list[str]:
    return [c.label for c in completion.complete(fa, offset)]


def test_completion_inside_expressions(analyzer: Analyzer, workspace: Path) -> None:
    text, offset, _ = split_cursor(EXPR + '"&x" = "base_lr * ba<|>"\n')
    fa = open_text(analyzer, workspace / "cases/expr_c.toml", text)
    items = completion.complete(fa, offset)
    labels = [c.label for c in items]
    assert "batch_size" in labels and "num_classes" in labels and "max" in labels
    item = next(c for c in items if c.label == "batch_size")
    assert text[item.start : item.end] == "ba"  # only the word under the cursor is replaced
    text, offset, _ = split_cursor(EXPR + '"&x" = "2 * Backbone.ResNet.<|>"\n')
    fa = open_text(analyzer, workspace / "cases/expr_c.toml", text)
    items = completion.complete(fa, offset)
    # plain values only: "$block" and "!act" name modules, not values
    assert [c.label for c in items] == ["Backbone.ResNet.layers"]
    assert text[items[0].start : items[0].end] == "Backbone.ResNet."


def test_completion_of_delete_paths_and_class_values(analyzer: Analyzer, workspace: Path) -> None:
    text, offset, _ = split_cursor(BASE + '__delete__ = ["<|>"]\n')
    fa = open_text(analyzer, workspace / "cases/del.toml", text)
    labels = _labels(fa, offset)
    assert {"Model", "Model.FCN", "Model.FCN.head", "Backbone.ResNet.layers", "num_classes"} <= set(
        labels
    )
    text, offset, _ = split_cursor('[train_head]\n__class__ = "FCN<|>"\n')
    fa = open_text(analyzer, workspace / "cases/cls.toml", text)
    assert "FCNHead" in _labels(fa, offset)


def test_named_instances_follow_their_class(analyzer: Analyzer, workspace: Path) -> None:
    # keys completed from the class's signature
    text, offset, _ = split_cursor('[wide_head]\n__class__ = "FCNHead"\n<|>\n')
    fa = open_text(analyzer, workspace / "cases/named.toml", text)
    labels = _labels(fa, offset)
    assert any("in_channels" in label for label in labels)
    assert any("num_classes" in label for label in labels)
    # hover over a parameter of the instance: the class's parameter
    text, offset, _ = split_cursor('[wide_head]\n__class__ = "FCNHead"\nin_chan<|>nels = 3\n')
    fa = open_text(analyzer, workspace / "cases/named.toml", text)
    result = hover.hover(fa, offset)
    assert result is not None and "in_channels" in result.markdown
    # diagnostics check the instance's parameters against its class
    text = '[wide_head]\n__class__ = "FCNHead"\nin_chanels = 3\n'
    fa = open_text(analyzer, workspace / "cases/named.toml", text)
    codes = {
        (p.code, text[p.start : p.end])
        for p in diagnostics.diagnostics(fa, analyzer.documents.read_text, None)
    }
    assert ("unknown-param", "in_chanels") in codes


def test_definition_of_names_and_paths_in_expressions(analyzer: Analyzer, workspace: Path) -> None:
    from excore_ls.features import definition

    text, offset, _ = split_cursor(EXPR.replace('"lr * num_classes"', '"lr * num_cl<|>asses"'))
    fa = open_text(analyzer, workspace / "cases/expr.toml", text)
    (place,) = definition.definition(fa, offset)
    model = workspace / "configs/_base_/model.toml"
    assert place.file == str(model)
    assert model.read_text()[place.start : place.end] == "num_classes"
    at_path = text.index("Backbone.ResNet.layers") + len("Backbone.Res")
    (place,) = definition.definition(fa, at_path)
    assert place.file == str(model) and model.read_text()[place.start : place.end] == "layers"
    at_lr = text.index('"lr * ') + 2
    (place,) = definition.definition(fa, at_lr)
    assert place.file == str(workspace / "cases/expr.toml")
    assert text[place.start : place.end] == "&lr"


def test_hover_and_definition_of_a_class_value(analyzer: Analyzer, workspace: Path) -> None:
    from excore_ls.features import definition

    text, offset, _ = split_cursor('[wide_head]\n__class__ = "FCN<|>Head"\nin_channels = 3\n')
    fa = open_text(analyzer, workspace / "cases/named.toml", text)
    result = hover.hover(fa, offset)
    assert result is not None and "FCNHead" in result.markdown
    assert text[result.start : result.end] == '"FCNHead"'
    places = definition.definition(fa, offset)
    assert places and places[0].file.endswith(".py") and places[0].line >= 1
