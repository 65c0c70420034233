"""The index is read again whenever the file changed, not only when its modification time did,
and always after the editor reports it changed (workspace/didChangeWatchedFiles)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import ls_fixture_index
import pytest
import pytest_lsp
from ls_helpers import Docs, initialize_in
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from excore.schema.index import index_to_json
from excore_ls.analysis.index_state import IndexState

WORKSPACE = Path(__file__).parent / "fixtures" / "ws"


def workspace(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    return root, ls_fixture_index.write(root)


def index_text(root: Path, renamed: str) -> str:
    """The fixture index with the module ``ResNet`` registered as ``renamed`` instead."""
    index = ls_fixture_index.build(root)
    modules = index.registries["Backbone"].modules
    info = modules.pop("ResNet")
    info.name = renamed
    modules[renamed] = info
    return json.dumps(index_to_json(index), indent=1)  # as ls_fixture_index.write


def backbones(state: IndexState, config: Path) -> set[str]:
    loaded = state.for_file(config)
    assert loaded is not None and loaded.index is not None
    return set(loaded.index.registries["Backbone"].modules)


def same_times(path: Path, like: os.stat_result) -> None:
    os.utime(path, ns=(like.st_atime_ns, like.st_mtime_ns))


@pytest.mark.parametrize("how", ["renamed-over", "rewritten-in-place"])
def test_an_index_replaced_with_the_same_modification_time_is_read_again(
    tmp_path: Path, how: str
) -> None:
    root, index = workspace(tmp_path)
    config = root / "configs" / "main.toml"
    state = IndexState(clock=0.0)  # stat on every request
    assert "ResNet" in backbones(state, config)
    before = index.stat()

    # the same length ("ResNet" -> "ResNeX"): only the content and the change time differ
    new_text = index_text(root, "ResNeX")
    if how == "renamed-over":
        fresh = index.with_name("index.json.new")
        fresh.write_text(new_text, encoding="utf-8")
        same_times(fresh, before)
        os.replace(fresh, index)
    else:
        index.write_text(new_text, encoding="utf-8")
        same_times(index, before)
    assert index.stat().st_mtime_ns == before.st_mtime_ns
    assert index.stat().st_size == before.st_size

    assert backbones(state, config) >= {"ResNeX"}
    assert "ResNet" not in backbones(state, config)


def test_an_unchanged_index_is_not_read_again(tmp_path: Path) -> None:
    root, _ = workspace(tmp_path)
    config = root / "configs" / "main.toml"
    state = IndexState(clock=0.0)
    first = state.for_file(config)
    assert first is not None and first.index is not None
    index = first.index
    again = state.for_file(config)
    assert again is not None and again.index is index


def test_a_watched_files_notice_for_the_index_always_reads_it_again(tmp_path: Path) -> None:
    root, index = workspace(tmp_path)
    config = root / "configs" / "main.toml"
    state = IndexState()  # the default clock: no stat within a second of the last one
    first = state.for_file(config)
    assert first is not None and first.index is not None
    read = first.index

    state.invalidate(index.resolve())  # what didChangeWatchedFiles does for the index
    loaded = state.for_file(config)
    assert loaded is not None and loaded.index is not read  # read again, stat or no stat

    state.invalidate(root.resolve() / "src" / "toy" / "models.py")  # a source, not the index
    again = state.for_file(config)
    assert again is not None and again.index is loaded.index


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "excore_ls"]))
async def fresh(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def test_the_server_follows_an_index_replaced_with_the_same_time(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    root, index = workspace(tmp_path)
    await initialize_in(fresh, root)
    docs = Docs(fresh, root)
    text = '[Model.FCN]\n"@backbone" = "ResNeX"\n"!head" = "FCNHead"\n[Head.FCNHead]\nin_channels = 1\nnum_classes = 2\n'
    uri = await docs.open("configs/x.toml", text)
    assert [d.code for d in await docs.diagnostics(uri)] == ["unknown-module"]

    before = index.stat()
    index.write_text(index_text(root, "ResNeX"), encoding="utf-8")  # `git checkout`, say
    same_times(index, before)
    fresh.diagnostics.pop(uri, None)
    fresh.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=index.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    # ResNeX is known now: what is left is its missing parameters
    assert [d.code for d in await docs.diagnostics(uri)] == ["missing-param"]
