"""One server, several workspaces: each file gets the index of the ExCore workspace it belongs
to (found by the engine), folders come and go (workspace/didChangeWorkspaceFolders), and the
status the editor clients show (``excore/status``, ``excore/indexStatus``) is the server's.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import ls_fixture_index
import pytest_lsp
from ls_helpers import Docs, ident
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from excore.schema.index import index_to_json

SERVER = [sys.executable, "-m", "excore_ls"]
WORKSPACE = Path(__file__).parent / "fixtures" / "ws"
TYPO = "configs/broken/typo.toml"


def two_workspaces(tmp_path: Path) -> tuple[Path, Path]:
    """``a``: the fixture workspace; ``b``: the same configs, its index registers ``ResNet``
    as ``ResNeX`` (so a config naming ResNet is wrong in b only)."""
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        shutil.copytree(WORKSPACE, root)
        ls_fixture_index.write(root)
    index = ls_fixture_index.build(b)
    modules = index.registries["Backbone"].modules
    info = modules.pop("ResNet")
    info.name = "ResNeX"
    modules["ResNeX"] = info
    (b / ".excore" / "index.json").write_text(json.dumps(index_to_json(index), indent=1))
    return a, b


def folder(root: Path) -> lsp.WorkspaceFolder:
    return lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)


async def start(client: LanguageClient, folders: list[Path], options: object = None) -> None:
    client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    client.statuses = []  # type: ignore[attr-defined]
    client.feature("excore/indexStatus")(lambda params: client.statuses.append(params))  # type: ignore[attr-defined]
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=folders[0].as_uri(),
            workspace_folders=[folder(f) for f in folders],
            initialization_options=options,
        )
    )


def plain(value: Any) -> Any:
    """A notification's params or a custom answer as plain JSON data."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_asdict"):
        return [plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    return value


async def status(client: LanguageClient, path: Path) -> dict[str, Any] | None:
    answer = await client.protocol.send_request_async("excore/status", {"uri": path.as_uri()})
    return plain(answer)  # type: ignore[no-any-return]


async def wait_for(predicate, timeout: float = 20.0) -> Any:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not (found := predicate()):
        if loop.time() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)
    return found


def sent_for(client: LanguageClient, root: Path) -> list[dict[str, Any]]:
    return [plain(s) for s in client.statuses if plain(s)["root"] == str(root)]  # type: ignore[attr-defined]


async def labels_at(client: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    result = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=ident(uri), position=lsp.Position(line=line, character=character)
        )
    )
    assert result is not None
    items = result.items if isinstance(result, lsp.CompletionList) else result
    return [i.label for i in items]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def fresh(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def test_each_file_is_checked_and_completed_with_its_own_workspace_index(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    a, b = two_workspaces(tmp_path)
    await start(fresh, [a, b])
    text = '[Backbone.ResNet]\n"$block" = "BasicBlock"\nlayers = [1, 1]\n\n[Backbone.Res]\n'
    in_a = await Docs(fresh, a).open("configs/probe.toml", text)
    in_b = await Docs(fresh, b).open("configs/probe.toml", text)

    def unknown(uri: str) -> list[str]:
        found = [d.message for d in fresh.diagnostics[uri] if d.code == "unknown-module"]
        return [m for m in found if m.startswith("'ResNet'")]

    assert unknown(in_a) == []
    assert len(unknown(in_b)) == 1 and "did you mean 'ResNeX'" in unknown(in_b)[0]
    # completion of a module name after `[Backbone.`: each workspace's own registry
    labels_a = await labels_at(fresh, in_a, 4, len("[Backbone.Res"))
    labels_b = await labels_at(fresh, in_b, 4, len("[Backbone.Res"))
    assert "ResNet" in labels_a and "ResNeX" not in labels_a
    assert "ResNeX" in labels_b and "ResNet" not in labels_b
    # the client was told the status of both workspaces
    await wait_for(lambda: sent_for(fresh, a) and sent_for(fresh, b))
    assert sent_for(fresh, a)[-1]["state"] == "loaded"
    assert sent_for(fresh, b)[-1]["path"] == str(b / ".excore" / "index.json")


async def test_folders_added_and_removed_bring_and_drop_their_workspace(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    a, b = two_workspaces(tmp_path)
    await start(fresh, [a])

    async def symbols(query: str) -> list[str]:
        found = await fresh.workspace_symbol_async(lsp.WorkspaceSymbolParams(query=query))
        return [s.name for s in found or []]

    assert "ResNet" in await symbols("ResNet")
    assert "ResNeX" not in await symbols("ResNeX")
    fresh.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(added=[folder(b)], removed=[])
        )
    )
    told = await wait_for(lambda: sent_for(fresh, b))
    assert told[-1]["state"] == "loaded" and told[-1]["root"] == str(b)
    assert "ResNeX" in await symbols("ResNeX")  # b's registry, without opening a file of b
    fresh.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(added=[], removed=[folder(b)])
        )
    )
    assert "ResNeX" not in await symbols("ResNeX")
    assert "ResNet" in await symbols("ResNet")  # a stays


async def test_a_removed_folder_keeps_the_index_its_open_files_use(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    a, b = two_workspaces(tmp_path)
    await start(fresh, [a, b])
    uri = await Docs(fresh, b).open(TYPO)
    fresh.workspace_did_change_workspace_folders(
        lsp.DidChangeWorkspaceFoldersParams(
            event=lsp.WorkspaceFoldersChangeEvent(added=[], removed=[folder(b)])
        )
    )
    labels = await labels_at(fresh, uri, 0, 0)  # any request after the removal
    assert labels is not None
    found = await fresh.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="ResNeX"))
    assert "ResNeX" in [s.name for s in found or []]


async def test_status_names_the_workspace_of_a_file_or_none(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    """What the clients show and whether they attach: the engine's workspace search, so an
    upstream `.excore.toml` workspace counts and a Python project without [tool.excore] does
    not; a file need not be open to be asked about."""
    a, _ = two_workspaces(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    (other / "settings.toml").write_text("[Model.ResNt]\ndepth = 1\n")
    upstream = tmp_path / "upstream"
    (upstream / "configs").mkdir(parents=True)
    (upstream / ".excore.toml").write_text('src_dir = "src"\n')
    (upstream / "configs" / "x.toml").write_text("[Model.X]\n")
    await start(fresh, [a, other, upstream])

    got = await status(fresh, a / "configs" / "main.toml")
    assert got == {
        "root": str(a),
        "uri": a.as_uri(),
        "workspaceFile": str(a / "excore.toml"),
        "state": "loaded",
        "path": str(a / ".excore" / "index.json"),
        "message": "",
        "command": {
            "title": "Dump the index (excore schema dump)",
            "command": "excore.dumpIndex",
            "arguments": [str(a)],
        },
    }
    assert await status(fresh, a / "configs") == got  # a folder: the workspace holding it
    assert await status(fresh, other / "settings.toml") is None
    assert await status(fresh, other) is None
    up = await status(fresh, upstream / "configs" / "x.toml")
    assert up is not None and up["root"] == str(upstream)
    assert up["workspaceFile"] == str(upstream / ".excore.toml")
    assert up["state"] == "missing"
    untitled = {"textDocument": {"uri": "untitled:Untitled-1"}}
    assert await fresh.protocol.send_request_async("excore/status", untitled) is None
    # a source of the index changed after it was written: stale, naming the file
    source = a / "src" / "toy" / "models.py"
    later = (a / ".excore" / "index.json").stat().st_mtime + 10
    os.utime(source, (later, later))
    fresh.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=source.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    stale = await status(fresh, a / "configs" / "main.toml")
    assert stale is not None and stale["state"] == "stale"
    assert str(source) in stale["message"]


async def test_the_offered_command_dumps_that_workspace_and_reports_its_status(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    models = root / "src/toy/models.py"  # no torch below: `excore schema dump` stays fast
    models.write_text(
        models.read_text().replace('MODULE.register_module("torch", _is_str=True)\n', "")
    )
    await start(fresh, [root])
    uri = await Docs(fresh, root).open(TYPO)
    missing = await status(fresh, root / TYPO)
    assert missing is not None and missing["state"] == "missing"
    told = await wait_for(lambda: sent_for(fresh, root))
    assert told[-1]["state"] == "missing"
    command = missing["command"]
    answer = plain(
        await fresh.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
        )
    )
    assert answer["ok"] is True, answer
    assert [s["state"] for s in answer["statuses"]] == ["loaded"]
    assert (root / ".excore" / "index.json").is_file()
    await wait_for(lambda: sent_for(fresh, root)[-1]["state"] == "loaded")
    await wait_for(lambda: "unknown-module" in {d.code for d in fresh.diagnostics.get(uri, [])})


async def test_a_relative_index_path_option_is_read_in_each_workspace(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    a, b = two_workspaces(tmp_path)
    for root in (a, b):
        (root / "custom").mkdir()
        (root / ".excore" / "index.json").rename(root / "custom" / "index.json")
    await start(fresh, [a, b], {"indexPath": "custom/index.json"})
    got_a = await status(fresh, a / TYPO)
    got_b = await status(fresh, b / TYPO)
    assert got_a is not None and got_a["path"] == str(a / "custom" / "index.json")
    assert got_b is not None and got_b["path"] == str(b / "custom" / "index.json")
    assert got_a["state"] == got_b["state"] == "loaded"


async def test_dumping_a_folder_outside_every_workspace_says_so(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    a, _ = two_workspaces(tmp_path)
    await start(fresh, [a])
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    answer = plain(
        await fresh.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="excore.dumpIndex", arguments=[str(nowhere)])
        )
    )
    assert answer["ok"] is False and "no workspace to dump" in answer["output"]
    assert str(nowhere) in answer["output"]
