"""Loading the same config again in one process (a sweep planner, a server): the parse of an
unchanged text is reused, and what one load's caller changes never reaches the next load."""

from __future__ import annotations

from pathlib import Path

from engine_paths import CONFIGS

from excore import config
from excore.config.loader import load_config_files
from excore.config.model import ParamDef

TEXT = """\
name = "run"

[Group.inner]
x = 1
y = [1, 2]

[[stages]]
epochs = 3

[[stages]]
epochs = 5
"""


def _write(tmp_path: Path, text: str = TEXT) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_a_caller_that_changes_its_tree_does_not_change_the_next_load(tmp_path: Path) -> None:
    path = _write(tmp_path)
    first = config.load(path, workspace=CONFIGS.parent, overrides=["~Group.inner.x"])
    assert first.to_dict()["Group"] == {"inner": {"y": [1, 2]}}
    second = config.load(path, workspace=CONFIGS.parent, overrides=["Group.inner.x=7"])
    assert second.to_dict()["Group"] == {"inner": {"x": 7, "y": [1, 2]}}
    third = config.load(path, workspace=CONFIGS.parent)
    assert third.to_dict()["Group"] == {"inner": {"x": 1, "y": [1, 2]}}
    (tmp_path / "other").mkdir()
    untouched = config.load(_write(tmp_path / "other"), workspace=CONFIGS.parent)
    assert third.to_dict() == untouched.to_dict()


def test_an_unchanged_text_shares_its_leaves_and_a_changed_one_is_read_again(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path)
    one = load_config_files(path)
    two = load_config_files(path)
    inner_one = one.root.items["Group"].items["inner"]  # type: ignore[union-attr]
    inner_two = two.root.items["Group"].items["inner"]  # type: ignore[union-attr]
    assert inner_one is not inner_two  # each load has tables of its own
    assert inner_one.items["x"] is inner_two.items["x"]  # type: ignore[union-attr]
    assert two.root.arrays is not None
    assert [t.items["epochs"] for t in two.root.arrays["stages"]] == [  # type: ignore[union-attr]
        two.root.items["stages[0]"].items["epochs"],  # type: ignore[union-attr]
        two.root.items["stages[1]"].items["epochs"],  # type: ignore[union-attr]
    ]
    _write(tmp_path, TEXT.replace("x = 1", "x = 2"))
    three = load_config_files(path)
    leaf = three.root.items["Group"].items["inner"].items["x"]  # type: ignore[union-attr]
    assert leaf.value.data == 2  # type: ignore[union-attr]


def test_parameters_are_read_once_per_leaf() -> None:
    path = CONFIGS / "merge" / "child.toml"
    one = config.load(path).model.field_modules("Model")[0].params["head"]
    two = config.load(path).model.field_modules("Model")[0].params["head"]
    assert isinstance(one, ParamDef) and one is two
    assert one.leaf.memo is one
