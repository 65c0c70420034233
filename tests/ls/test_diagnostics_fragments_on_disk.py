"""A fragment's diagnostics follow the configs that include it as they change on disk."""

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


async def test_a_fragment_follows_the_configs_that_include_it_on_disk(
    client: LanguageClient, workspace: Path
) -> None:
    folder = workspace / "cases" / "disk_family"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "layers.toml").write_text(FRAGMENT)
    docs = Docs(client, workspace)
    fragment = await docs.open("cases/disk_family/layers.toml")
    # nothing includes it yet: checked on its own, `depth` is undefined
    assert [d.code for d in await docs.diagnostics(fragment)] == ["undefined-variable"]

    root = folder / "root.toml"
    including = '__base__ = ["layers.toml"]\ndepth = [1, 1]\n'
    root.write_text(including)
    assert await files_changed(client, docs, fragment, root) == []

    root.write_text("__base__ = []\ndepth = [1, 1]\n")  # no longer includes it
    assert await files_changed(client, docs, fragment, root) == ["undefined-variable@2"]

    root.write_text(including)
    assert await files_changed(client, docs, fragment, root) == []

    root.unlink()
    assert await files_changed(client, docs, fragment, root) == ["undefined-variable@2"]
    await docs.close(fragment)
