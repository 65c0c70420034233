"""A root's diagnostics follow the fragments it includes as they change on disk; a fragment's
diagnostics never depend on who includes it."""

from __future__ import annotations

from pathlib import Path

from ls_helpers import Docs
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

FRAGMENT = '[Backbone.ResNet]\n"$block" = "BasicBlock"\n"&layers" = "depth"\n'


async def files_changed(client: LanguageClient, docs: Docs, uri: str, *paths: Path) -> list[str]:
    """Tell the server ``paths`` changed on disk; the codes it then publishes for ``uri``."""
    client.diagnostics.pop(uri, None)
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[
                lsp.FileEvent(uri=path.as_uri(), type=lsp.FileChangeType.Changed) for path in paths
            ]
        )
    )
    return [f"{d.code}@{d.range.start.line}" for d in await docs.diagnostics(uri)]


async def test_a_root_follows_its_fragment_on_disk(client: LanguageClient, workspace: Path) -> None:
    folder = workspace / "cases" / "disk_family"
    folder.mkdir(parents=True, exist_ok=True)
    fragment_path = folder / "_layers.toml"
    fragment_path.write_text(FRAGMENT)
    root_path = folder / "root.toml"
    root_path.write_text('__base__ = ["_layers.toml"]\ndepth = [1, 1]\n')
    docs = Docs(client, workspace)
    fragment = await docs.open("cases/disk_family/_layers.toml")
    # `depth` is not defined in the fragment: that is for the configs including it to do
    assert [d.code for d in await docs.diagnostics(fragment)] == []
    root = await docs.open("cases/disk_family/root.toml")
    assert [d.code for d in await docs.diagnostics(root)] == []
    await docs.close(fragment)

    fragment_path.write_text(FRAGMENT.replace('"depth"', '"depht"'))
    assert await files_changed(client, docs, root, fragment_path) == ["undefined-variable@0"]

    fragment_path.write_text(FRAGMENT)
    assert await files_changed(client, docs, root, fragment_path) == []
    await docs.close(root)
