"""Hostile files in the workspace never make the server deaf (issue 14): a FIFO and a link to
/dev/zero named ``*.toml`` (the fragment scan reads every config), a 25-file ``__base__`` bomb,
and positions after a lone carriage return (a line end in LSP)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from ls_helpers import Docs
from pytest_lsp import LanguageClient

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs"),
    pytest.mark.timeout(120),
]


@pytest.fixture
def hostile(workspace: Path):  # type: ignore[no-untyped-def]
    folder = workspace / "cases" / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "pipe.toml")
    (folder / "zero.toml").symlink_to("/dev/zero")
    for i in range(24):
        (folder / f"f{i}.toml").write_text(
            f'__base__ = ["f{i + 1}.toml", "f{i + 1}.toml"]\nk{i} = {i}\n', encoding="utf-8"
        )
    (folder / "f24.toml").write_text("last = 24\n", encoding="utf-8")
    (folder / "plain.toml").write_text("lr = 0.1\n", encoding="utf-8")
    yield folder
    shutil.rmtree(folder)


async def test_fifo_dev_zero_and_base_bomb_are_answered(
    client: LanguageClient, workspace: Path, hostile: Path
) -> None:
    docs = Docs(client, workspace)
    plain = await docs.open("cases/hostile/plain.toml")
    assert [d.code for d in await docs.diagnostics(plain)] == []
    bomb = await docs.open("cases/hostile/f0.toml")
    found = await docs.diagnostics(bomb)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [
        ("base-repeat", 0, 24)
    ]
    await docs.close(bomb)
    await docs.close(plain)


async def test_ranges_after_a_lone_cr_are_on_lsp_lines(
    client: LanguageClient, workspace: Path, hostile: Path
) -> None:
    docs = Docs(client, workspace)
    uri = await docs.open("cases/hostile/cr.toml", "a = 1\rb = oops\r\nc = 2\n")
    found = sorted(
        (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        for d in await docs.diagnostics(uri)
        if d.code == "toml-syntax"
    )
    assert found == [(0, 5, 1, 0), (1, 4, 1, 8)]
    await docs.close(uri)
