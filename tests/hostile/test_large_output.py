"""Huge configs are printed as plain lines, not a rich table (which costs ~0.5 ms a row)."""

from __future__ import annotations

from pathlib import Path

import pytest

from excore.cli.main import main
from excore.config.lazy import PLAIN_OUTPUT_VALUES

pytestmark = pytest.mark.timeout(120)  # a generous bound: a hang fails, not a slow run


def _huge(ws: Path, count: int) -> Path:
    lines = [f"key_{i} = {i}" for i in range(count)]
    lines += ["[group]", 'name = "g"', "[group.inner]", "depth = 2.5", "[empty]"]
    path = ws / "huge.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.timeout(60)
def test_print_past_the_size_is_plain_with_origins(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _huge(ws, PLAIN_OUTPUT_VALUES + 1)
    assert main(["print", "huge.toml"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "key_0 = 0  # huge.toml:1"
    assert lines[-3:] == [
        "group.name = 'g'  # huge.toml:2003",
        "group.inner.depth = 2.5  # huge.toml:2005",
        "empty = {}  # huge.toml:2006",
    ]
    assert len(lines) == PLAIN_OUTPUT_VALUES + 4
    assert not any("│" in line for line in lines)


@pytest.mark.timeout(60)
def test_build_past_the_size_is_plain(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _huge(ws, PLAIN_OUTPUT_VALUES + 1)
    assert main(["build", "huge.toml"]) == 0
    out = capsys.readouterr().out
    assert "key_0 = 0\n" in out and f"key_{PLAIN_OUTPUT_VALUES} = {PLAIN_OUTPUT_VALUES}\n" in out
    assert "│" not in out


def test_small_config_keeps_the_table_unless_plain_is_asked(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _huge(ws, 3)
    assert main(["print", "huge.toml"]) == 0
    assert "│" in capsys.readouterr().out
    assert main(["print", "huge.toml", "--plain"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "key_0 = 0  # huge.toml:1",
        "key_1 = 1  # huge.toml:2",
    ]
