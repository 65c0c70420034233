"""The one checker over fixture configs: every problem with its code, file, line and column.

Expected results live beside each fixture as ``<name>.expected``; run with
``EXCORE_UPDATE_SNAPSHOTS=1`` to rewrite them after an intended change.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from excore.config.check import check_config
from excore.problems import Problem
from excore.schema.index import WorkspaceIndex
from excore.syntax.text import LineIndex

FIXTURES = Path(__file__).parent / "fixtures"
CONFIGS = sorted(p for p in FIXTURES.rglob("*.toml"))


def render(problems: list[Problem], root: Path) -> str:
    lines = []
    for p in problems:
        text = Path(p.file).read_text(encoding="utf-8")
        line, col = LineIndex(text).position(p.start)
        rel = os.path.relpath(p.file, root)
        message = p.message.replace(str(root), "<fixtures>")  # no machine paths in snapshots
        lines.append(f"{rel}:{line + 1}:{col + 1}: {p.severity.value} {p.code} {message}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_problems_match_snapshot(config: Path, index: WorkspaceIndex) -> None:
    problems = check_config(config, index, env={"HOME": "/home/user"})
    got = render(problems, FIXTURES)
    expected_file = config.with_suffix(".expected")
    if os.environ.get("EXCORE_UPDATE_SNAPSHOTS") == "1" or not expected_file.exists():
        expected_file.write_text(got, encoding="utf-8")
    assert got == expected_file.read_text(encoding="utf-8")


def test_valid_config_has_no_problems(index: WorkspaceIndex) -> None:
    assert check_config(FIXTURES / "valid.toml", index, env={}) == []


def test_inherited_value_is_reported_where_written(index: WorkspaceIndex) -> None:
    problems = check_config(FIXTURES / "inherit" / "child.toml", index, env={})
    mismatch = [p for p in problems if p.code == "type-mismatch"]
    assert len(mismatch) == 1
    grand = FIXTURES / "inherit" / "grand.toml"
    assert mismatch[0].file == str(grand)
    line, col = LineIndex(grand.read_text()).position(mismatch[0].start)
    assert (line + 1, col + 1) == (5, 9)
    assert mismatch[0].key == "Backbone.ResNet.depth"


def test_cycle_is_reported_in_every_file_of_it_and_terminates(index: WorkspaceIndex) -> None:
    problems = check_config(FIXTURES / "inherit" / "cycle_a.toml", index, env={})
    assert [(p.code, Path(p.file).name) for p in problems] == [
        ("base-cycle", "cycle_a.toml"),
        ("base-cycle", "cycle_b.toml"),
    ]
    assert problems[0].message == "__base__ cycle: cycle_a.toml -> cycle_b.toml -> cycle_a.toml"


def test_missing_params_can_be_silenced_for_fragments(index: WorkspaceIndex) -> None:
    path = FIXTURES / "inherit" / "parent.toml"
    codes = {p.code for p in check_config(path, index, env={}, report_missing=False)}
    assert "missing-param" not in codes


def _shuffled_sections(text: str, seed: int) -> str:
    blocks = text.split("\n\n")
    head, rest = blocks[0], blocks[1:]
    random.Random(seed).shuffle(rest)
    return "\n\n".join([head, *rest])


@pytest.mark.parametrize("seed", range(20))
def test_results_do_not_depend_on_section_order(
    seed: int, index: WorkspaceIndex, tmp_path: Path
) -> None:
    source = (FIXTURES / "errors.toml").read_text()
    baseline = {(p.code, p.message) for p in check_config(FIXTURES / "errors.toml", index, env={})}
    shuffled = tmp_path / "errors.toml"
    shuffled.write_text(_shuffled_sections(source, seed))
    assert {
        (p.code, p.message.replace(str(tmp_path), str(FIXTURES)))
        for p in check_config(shuffled, index, env={})
    } == baseline
