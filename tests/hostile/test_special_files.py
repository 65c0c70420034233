"""FIFOs, devices, huge files and bad encodings: reported, never read, never a hang."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hostile_helpers import run_excore

from excore.cli.main import main
from excore.fileio import MAX_CONFIG_BYTES

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs"),
    pytest.mark.timeout(120),
]


@pytest.mark.timeout(60)
def test_a_fifo_in_the_workspace_does_not_hang_check_of_another_config(ws: Path) -> None:
    os.mkfifo(ws / "pipe.toml")
    (ws / "sub").mkdir()
    os.mkfifo(ws / "sub" / "deep.toml")
    (ws / "exp.toml").write_text("lr = 0.1\n", encoding="utf-8")
    result = run_excore("check", "exp.toml", cwd=ws, timeout=30)
    assert result.code == 0
    assert "0 error(s)" in result.err


@pytest.mark.timeout(60)
def test_a_fifo_named_as_base_or_checked_is_reported(ws: Path) -> None:
    os.mkfifo(ws / "pipe.toml")
    (ws / "exp.toml").write_text('__base__ = ["pipe.toml"]\n', encoding="utf-8")
    result = run_excore("check", "exp.toml", cwd=ws, timeout=30)
    assert result.code == 1
    assert result.out == (
        "exp.toml:1:14: error base-not-found base file 'pipe.toml' cannot be read: it is a "
        "FIFO (named pipe), not a regular file\n"
    )
    result = run_excore("print", "pipe.toml", cwd=ws, timeout=30)
    assert result.code == 1
    assert "pipe.toml" in result.err and "FIFO" in result.err


@pytest.mark.timeout(60)
def test_links_to_dev_zero_are_not_read(ws: Path) -> None:
    (ws / "zero.toml").symlink_to("/dev/zero")
    (ws / "exp.toml").write_text("lr = 0.1\n", encoding="utf-8")
    (ws / "dz.toml").write_text('__base__ = ["/dev/zero"]\n', encoding="utf-8")
    result = run_excore("check", "exp.toml", "dz.toml", "--format", "json", cwd=ws, timeout=30)
    records = json.loads(result.out)
    assert [(r["file"], r["code"], r["line"], r["column"]) for r in records] == [
        ("dz.toml", "base-outside", 1, 14)
    ]
    result = run_excore("check", "zero.toml", cwd=ws, timeout=30)
    assert result.code == 1
    assert "character device, not a regular file" in result.out + result.err


@pytest.mark.timeout(60)
def test_a_file_over_the_size_limit_is_reported_not_read(ws: Path) -> None:
    big = ws / "big.toml"
    with open(big, "wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)  # sparse: no disk used
    (ws / "exp.toml").write_text('__base__ = ["big.toml"]\n', encoding="utf-8")
    result = run_excore("check", "exp.toml", cwd=ws, timeout=30)
    assert result.code == 1
    assert result.out.startswith(
        "exp.toml:1:14: error base-not-found base file 'big.toml' cannot be read: it is larger "
        "than 16 MiB"
    )


def test_invalid_utf8_is_reported_with_the_byte_and_its_position(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ws / "bad.toml").write_bytes(b'lr = 0.1\nname = "caf\xe9"\n')
    assert main(["check", "bad.toml"]) == 1
    out = capsys.readouterr().out
    assert out == (
        "bad.toml:2:12: error toml-syntax not valid UTF-8: byte 0xe9 cannot be decoded "
        "(TOML is UTF-8)\n"
    )
    (ws / "child.toml").write_text('__base__ = ["bad.toml"]\n', encoding="utf-8")
    assert main(["check", "child.toml"]) == 1
    assert "bad.toml:2:12: error toml-syntax not valid UTF-8" in capsys.readouterr().out
