"""Opening files: the diagnostics an editor gets at start-up, and how often it gets them."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import ls_fixture_index
import pytest_lsp
from ls_helpers import Docs, initialize_in
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = [sys.executable, "-m", "excore_ls"]
WORKSPACE = Path(__file__).parent / "fixtures" / "ws"
SETTLE = 0.8  # seconds: longer than any re-check the server schedules after an open
TYPO_CODES = ["undefined-variable", "unknown-module", "unknown-param"]


class PublishLog(dict[str, Sequence[lsp.Diagnostic]]):
    """The client's diagnostics by URI, also remembering every publish in order."""

    def __init__(self) -> None:
        super().__init__()
        self.publishes: list[tuple[str, list[str]]] = []

    def __setitem__(self, uri: str, diagnostics: Sequence[lsp.Diagnostic]) -> None:
        self.publishes.append((uri, sorted(str(d.code) for d in diagnostics)))
        super().__setitem__(uri, diagnostics)

    def of(self, uri: str) -> list[list[str]]:
        return [codes for published, codes in self.publishes if published == uri]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def fresh(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def start(client: LanguageClient, tmp_path: Path) -> tuple[Path, PublishLog]:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    ls_fixture_index.write(root)
    log = PublishLog()
    client.diagnostics = log
    await initialize_in(client, root)
    return root, log


async def test_a_file_opened_at_start_up_gets_all_its_diagnostics_in_one_publish(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    # the editor restores its session: the file opens right after `initialized`, while the
    # server is still warming up
    root, log = await start(fresh, tmp_path)
    docs = Docs(fresh, root)
    uri = await docs.open("configs/broken/typo.toml")
    await asyncio.sleep(SETTLE)
    assert log.of(uri) == [TYPO_CODES]


async def test_opening_a_file_checks_the_other_open_files_again(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    root, log = await start(fresh, tmp_path)
    docs = Docs(fresh, root)
    typo = await docs.open("configs/broken/typo.toml")
    await asyncio.sleep(SETTLE)
    main = await docs.open("configs/main.toml")
    await asyncio.sleep(SETTLE)
    assert log.of(main) == [[]]
    assert log.of(typo) == [TYPO_CODES, TYPO_CODES]
