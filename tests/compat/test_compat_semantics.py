"""Upstream ExCore's config constructs, one config each (fixtures/configs/), built here.

Each test asserts the objects built, and that `excore check` (the checker over live registries)
and the checker over the workspace index (what the language server uses) agree.
"""

from __future__ import annotations

import builtins
import importlib
import io
from pathlib import Path

import pytest

from excore import config, errors
from excore.problems import Problem

from .conftest import CONFIGS, FIXTURES, write

compatpkg = importlib.import_module("compatpkg")  # on sys.path through conftest


def build(name: str) -> tuple[config.ModuleDict, dict[str, object]]:
    lazy = config.load(CONFIGS / name, workspace=FIXTURES)
    return config.build_all(lazy)


def errors_of(problems: list[Problem]) -> list[tuple[str, str, int]]:
    return [(p.code, p.message, p.start) for p in problems if p.severity.value == "error"]


def check_both(name: str) -> list[tuple[str, str, int]]:
    """Errors of a config from the live checker; the index-backed checker must agree."""
    from excore.config.check import check_config
    from excore.schema.dump import build_index
    from excore.workspace import find_workspace

    path = CONFIGS / name
    live = errors_of(config.check_file(path, workspace=FIXTURES))
    ws = find_workspace(None, FIXTURES)
    assert ws is not None
    indexed = errors_of(check_config(path, build_index(ws)))
    assert indexed == live
    return live


def test_isolated_tables_are_run_info() -> None:
    modules, run_info = build("isolated.toml")
    assert modules.Model.cls is compatpkg.Plain
    assert run_info == {
        "epochs": 3,
        "run": {"info": {"mode": "train", "save_iter": 10}},
        "Test": {"1": {"data": [0, 1]}, "2": {"data": {"name": "data"}}},
    }
    assert check_both("isolated.toml") == []


def test_misspelt_field_is_unknown_field_with_did_you_mean() -> None:
    problems = check_both("misspelt.toml")
    assert [(code, message) for code, message, _ in problems] == [
        ("unknown-field", "'Modle' is not a primary field or registry (did you mean 'Model'?)")
    ]
    with pytest.raises(errors.CoreConfigParseError):
        build("misspelt.toml")


def test_misspelling_rule() -> None:
    from excore.config.model import misspelling_of

    known = ["Model", "Backbone", "Transform", "CHead", "TrainData"]
    assert misspelling_of("Modle", known) == "Model"
    assert misspelling_of("model", known) == "Model"
    assert misspelling_of("Bakcbone", known) == "Backbone"
    assert misspelling_of("Backbnoe", known) == "Backbone"
    assert misspelling_of("TrainDat", known) is None  # dropped at the end: another name
    for other in ("Transforms", "Head", "Scratch", "Scratch1", "run", "Test", "Sc"):
        assert misspelling_of(other, known) is None, other


def test_free_groups_and_scratchpads() -> None:
    modules, run_info = build("scratchpads.toml")
    holder, loaders = modules.Model, modules.DataModule
    assert set(holder.cls) == {compatpkg.Plain, compatpkg.Tiny}
    assert holder.cls1 == [compatpkg.Plain, compatpkg.Tiny]
    # "$Scratch::*" and "$Extra::*" in one list give one flat list
    assert set(loaders.train) == {compatpkg.Plain, compatpkg.Tiny, compatpkg.Crop}
    assert len(loaders.train) == 3
    assert isinstance(loaders.val, compatpkg.LinearHead) and loaders.val.channels == 2
    assert run_info == {}  # free groups are modules, not data
    assert check_both("scratchpads.toml") == []


def test_free_group_from_a_base() -> None:
    modules, _ = build("group_from_base.toml")
    segmenter = modules.Model
    assert isinstance(segmenter.classifier, compatpkg.LinearHead)
    assert segmenter.classifier.kwargs == {"in_channels": 8, "channels": 3}
    assert isinstance(segmenter.backbone, compatpkg.Tiny)
    assert check_both("group_from_base.toml") == []


def test_ambiguous_free_group_is_a_parse_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.toml", '[Model.Holder]\n"$cls" = "$Scratch"\n[Scratch.Plain]\n[Scratch.Tiny]\n'
    )
    with pytest.raises(errors.CoreConfigParseError, match="ambiguous-name"):
        config.build_all(config.load(path, workspace=FIXTURES))


def test_parameter_tables_of_references() -> None:
    modules, _ = build("dict_param.toml")
    holder, loaders = modules.Model, modules.DataModule
    assert holder.cls == {"a": compatpkg.Plain, "b": compatpkg.Tiny}
    assert holder.cls1["a"] is compatpkg.Plain
    assert set(holder.cls1["b"]) == {compatpkg.Tiny, compatpkg.Crop}
    train = loaders.train
    assert set(train) == {"first", "second"}
    assert isinstance(train["first"], compatpkg.Crop) and train["first"] is not train["second"]
    assert isinstance(loaders.val, compatpkg.Flip)
    assert check_both("dict_param.toml") == []


def test_parameter_table_of_an_unknown_reference_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "c.toml", '[Model.Holder."$cls"]\na = "Plian"\n')
    problems = errors_of(config.check_file(path, workspace=FIXTURES))
    assert [code for code, _, _ in problems] == ["unknown-module"]
    assert "did you mean 'Plain'" in problems[0][1]
    assert problems[0][2] == path.read_text().index("Plian")


def test_hooks_on_field_references() -> None:
    modules, _ = build("field_hooks.toml")
    inner = ("tag", "a", ["w", "b"])  # [ConfigHook.Tag] wraps $Model.parameters() first
    assert modules.Optimizer.params == [("tag", "b", inner), ("tag", "b", inner)]
    # "$Optimizer@Tag": the shared optimizer, wrapped by [ConfigHook.Tag]
    assert modules.LRSche.optimizer == ("tag", "a", modules.Optimizer)
    assert check_both("field_hooks.toml") == []


def test_hook_in_a_missing_table_is_reported(tmp_path: Path) -> None:
    text = '[Model.Holder]\n"@cls" = "$Model@$Hooks::Tag"\n"$cls1" = "Plain@$Nowhere::Tag"\n'
    text += "[Hooks.Twice]\n"
    path = write(tmp_path, "c.toml", text)
    problems = errors_of(config.check_file(path, workspace=FIXTURES))
    messages = [m for code, m, _ in problems if code == "unknown-hook"]
    assert messages == [
        "table 'Hooks' defines no module 'Tag'",
        "no table 'Nowhere' of modules in this config",
    ]


def test_class_only_section_is_not_built() -> None:
    modules, _ = build("class_only.toml")
    assert modules.Model.cls is compatpkg.Plain
    assert modules.Backbone is compatpkg.Plain  # as upstream: the field gives the class
    assert check_both("class_only.toml") == []


def test_field_used_as_new_and_shared_is_a_conflict() -> None:
    assert [code for code, _, _ in check_both("field_reuse_conflict.toml")] == ["reuse-conflict"]
    with pytest.raises(errors.CoreConfigParseError, match="reuse-conflict"):
        build("field_reuse_conflict.toml")


# ---------------------------------------------------------------------------------- manual set


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_manual_set_prompts_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def answer(prompt: str = "") -> str:
        asked.append(prompt)
        return "[1, 2, [3]]"

    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.setattr(builtins, "input", answer)
    modules, _ = build("manual_set.toml")
    assert modules.Backbone.x == [1, 2, [3]]
    assert asked and "Backbone.Plain.x" in asked[0]


@pytest.mark.parametrize("how", ["env", "switch", "not-a-terminal"])
def test_manual_set_off_gives_missing_param(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    from excore import workspace

    def refuse(prompt: str = "") -> str:
        raise AssertionError("must not prompt")

    monkeypatch.setattr(builtins, "input", refuse)
    if how == "env":
        monkeypatch.setattr("sys.stdin", _Tty())
        monkeypatch.setenv("EXCORE_MANUAL_SET", "0")
    elif how == "switch":
        monkeypatch.setattr("sys.stdin", _Tty())
        workspace.excore_manual_set = False
    else:
        monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(errors.ModuleBuildError, match="missing-param"):
        build("manual_set.toml")


def test_table_inside_a_table_of_references_is_reported(tmp_path: Path) -> None:
    text = '[Model.Holder."$cls"]\na = "Plain"\n[Model.Holder."$cls".deeper]\nb = "Tiny"\n'
    path = write(tmp_path, "c.toml", text)
    problems = errors_of(config.check_file(path, workspace=FIXTURES))
    assert [(code, start) for code, _, start in problems] == [
        ("bad-prefix-value", text.index("deeper"))
    ]
    with pytest.raises(errors.CoreConfigParseError):
        config.build_all(config.load(path, workspace=FIXTURES))


def test_finegrained_value_builds_the_container_from_its_table() -> None:
    modules, run_info = build("finegrained_value.toml")
    chain = modules.Model.cls
    assert isinstance(chain, compatpkg.Chain)  # unpack = true: Chain(*layers)
    assert [(type(layer).__name__, layer.kwargs) for layer in chain.layers] == [
        ("ConvUnit", {"in_channels": 3, "out_channels": 8, "kernel": 3}),
        ("ConvUnit", {"in_channels": 3, "out_channels": 8, "kernel": 3}),
        ("NormUnit", {"channels": 8, "eps": 1e-5}),
        ("ConvUnit", {"in_channels": 8, "out_channels": 16, "kernel": 1}),
    ]
    assert chain.layers[0] is not chain.layers[1]
    pipe = modules.Model.cls1
    assert isinstance(pipe, compatpkg.Pipe)  # unpack left false: Pipe([layers])
    assert [layer.kwargs for layer in pipe.layers] == [
        {"in_channels": 1, "out_channels": 4, "kernel": 5}
    ]
    # as upstream, the layer tables are consumed; other top-level values stay run info
    assert run_info == {"layers": ["ConvUnit", "NormUnit"]}
    assert check_both("finegrained_value.toml") == []


def _line_col(path: Path, offset: int) -> tuple[int, int]:
    from excore.syntax.text import LineIndex

    line, col = LineIndex(path.read_text()).position(offset)
    return line + 1, col + 1


def test_finegrained_value_mistakes_are_located(tmp_path: Path) -> None:
    text = (CONFIGS / "finegrained_value.toml").read_text()
    text = text.replace('"Chain*$Blocks::body"', '"Chain*$Blocks::bodi"')
    text = text.replace('"$class_mapping" = ["ConvUnit"]', '"$class_mapping" = "&layer"')
    path = write(tmp_path, "c.toml", text)
    problems = [
        p for p in config.check_file(path, workspace=FIXTURES) if p.severity.value == "error"
    ]
    assert [
        (p.code, _line_col(path, p.start), _line_col(path, p.end), p.message) for p in problems
    ] == [
        (
            "bad-reference",
            (6, 18),
            (6, 30),  # "Blocks::bodi": the table path
            "'$Blocks::bodi' names no table of this config; a fine-grained value needs the "
            "table [Blocks.bodi] with the hook's parameters (did you mean '$Blocks::body'?)",
        ),
        (
            "undefined-variable",
            (18, 21),
            (18, 27),  # "&layer", in the [stem] table
            "'&layer' names no top-level variable of this config (did you mean 'layers'?)",
        ),
    ]
    with pytest.raises(errors.CoreConfigParseError) as info:
        config.build_all(config.load(path, workspace=FIXTURES))
    assert (info.value.line, info.value.column) == (6, 18)
    assert "(did you mean '$Blocks::body'?)" in str(info.value)


def test_finegrained_table_is_checked_as_the_hook_parameters(tmp_path: Path) -> None:
    text = (CONFIGS / "finegrained_value.toml").read_text()
    text = text.replace("unpack = true", "unpak = true").replace('"NormUnit"]', '"NormUnt"]')
    text = text.replace("info = [[1, 0]]\n", "")
    path = write(tmp_path, "c.toml", text)
    problems = [
        p for p in config.check_file(path, workspace=FIXTURES) if p.severity.value == "error"
    ]
    assert [(p.code, _line_col(path, p.start)) for p in problems] == [
        ("unknown-module", (3, 24)),  # "NormUnt" in the variable the table names
        ("unknown-param", (15, 1)),  # unpak
        ("missing-param", (17, 2)),  # [stem] without info
    ]
    assert problems[2].message == "FinegrainedConfig is missing required parameter 'info'"


def test_finegrained_table_that_does_not_fit_is_located_at_the_table(tmp_path: Path) -> None:
    text = (CONFIGS / "finegrained_value.toml").read_text()
    path = write(
        tmp_path, "c.toml", text.replace("args = [[1], [4, 5]]", "args = [[1, 2], [4, 5]]")
    )
    with pytest.raises(errors.CoreConfigBuildError) as info:
        config.build_all(config.load(path, workspace=FIXTURES))
    assert (info.value.line, info.value.column) == (17, 2)  # [stem]
    assert "fine-grained config of Pipe: row 0 (ConvUnit) receives ['in_channels'] but the " in str(
        info.value
    )
