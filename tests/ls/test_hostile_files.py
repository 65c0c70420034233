"""Hostile files in the workspace never make the server deaf (issue 14): a FIFO and a link to
/dev/zero named ``*.toml`` (the fragment scan reads every config), a 25-file ``__base__`` bomb,
and positions after a lone carriage return (a line end in LSP)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


def _excore_check(workspace: Path, rel: str) -> list[dict]:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, "-c", _CHECK, rel],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


_CHECK = (
    "import sys\nfrom excore.cli.main import main\n"
    "raise SystemExit(main(['check', '--format', 'json', sys.argv[1]]))"
)


async def test_a_base_with_invalid_utf8_is_reported_as_excore_check_does(
    client: LanguageClient, workspace: Path, hostile: Path
) -> None:
    raw = b'lr = 0.1\nname = "caf\xe9"\n'
    (hostile / "latin1.toml").write_bytes(raw)
    (hostile / "child.toml").write_text('__base__ = ["latin1.toml"]\nk = 1\n', encoding="utf-8")
    cli = _excore_check(workspace, "cases/hostile/child.toml")
    assert [(Path(p["file"]).name, p["line"], p["column"], p["code"]) for p in cli] == [
        ("latin1.toml", 2, 12, "toml-syntax")
    ]
    assert "byte 0xe9" in cli[0]["message"]
    docs = Docs(client, workspace)
    child = await docs.open("cases/hostile/child.toml")
    assert [d.code for d in await docs.diagnostics(child)] == []  # shown in the base, as the CLI
    # the editor shows the base as it decoded it (the bad byte replaced): the server reports
    # what `excore check` reports, where it reports it
    base = await docs.open("cases/hostile/latin1.toml", raw.decode("utf-8", errors="replace"))
    found = await docs.diagnostics(base)
    assert [
        (d.range.start.line + 1, d.range.start.character + 1, d.code, d.message) for d in found
    ] == [(p["line"], p["column"], p["code"], p["message"]) for p in cli]
    # once the user fixes the text in the buffer, the buffer is the truth
    docs.change(base, found[0].range.start, found[0].range.end, "e")
    assert [d.code for d in await docs.diagnostics(base)] == []
    await docs.close(base)
    await docs.close(child)
