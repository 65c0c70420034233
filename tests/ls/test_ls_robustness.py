"""Bad options, a corrupt or missing index, the dump command, huge files and base cycles."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import ls_fixture_index
import pytest_lsp
from ls_helpers import Docs, ident
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "excore_ls"]
WORKSPACE = Path(__file__).parent / "fixtures" / "ws"


def _accept(params: lsp.RegistrationParams) -> None:
    return None


async def start(client: LanguageClient, root: Path, options: object = None) -> None:
    client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(_accept)
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options=options,
        )
    )


def copy_workspace(tmp_path: Path, with_torch: bool = True) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    if not with_torch:  # keeps `excore schema dump` fast: nothing below torch to describe
        models = root / "src/toy/models.py"
        text = models.read_text().replace('MODULE.register_module("torch", _is_str=True)\n', "")
        models.write_text(text)
        model = root / "configs/_base_/model.toml"
        model.write_text(model.read_text().replace('"!act" = "torch.nn.ReLU"\n', ""))
    return root


async def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def messages(client: LanguageClient) -> str:
    return "\n".join(m.message for m in client.messages)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def fresh(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def test_bad_initialization_options_are_reported_and_ignored(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    root = copy_workspace(tmp_path)
    ls_fixture_index.write(root)
    await start(fresh, root, {"indexPath": 42})
    assert "indexPath must be a path string" in messages(fresh)
    docs = Docs(fresh, root)
    uri = await docs.open("configs/broken/typo.toml")
    codes = {d.code for d in await docs.diagnostics(uri)}
    assert "unknown-module" in codes  # the index was still found the normal way


async def test_index_path_option_wins(fresh: LanguageClient, tmp_path: Path) -> None:
    root = copy_workspace(tmp_path)
    elsewhere = tmp_path / "elsewhere" / ".excore"
    ls_fixture_index.write(root)
    elsewhere.mkdir(parents=True)
    shutil.move(str(root / ".excore" / "index.json"), elsewhere / "index.json")
    await start(fresh, root, {"indexPath": str(elsewhere / "index.json")})
    docs = Docs(fresh, root)
    uri = await docs.open("configs/broken/typo.toml")
    assert "unknown-module" in {d.code for d in await docs.diagnostics(uri)}


async def test_corrupt_index_then_fixed(fresh: LanguageClient, tmp_path: Path) -> None:
    root = copy_workspace(tmp_path)
    index = root / ".excore" / "index.json"
    index.parent.mkdir()
    index.write_text('{"version": 1, "registries": ', encoding="utf-8")
    await start(fresh, root)
    docs = Docs(fresh, root)
    uri = await docs.open("configs/broken/typo.toml")
    found = await docs.diagnostics(uri)
    text = messages(fresh)
    assert "cannot use the workspace index" in text and f"{index}:1:" in text
    codes = {d.code for d in found}
    assert "undefined-variable" in codes and "unknown-module" not in codes
    # the server keeps working
    result = await fresh.text_document_hover_async(
        lsp.HoverParams(text_document=ident(uri), position=lsp.Position(line=10, character=22))
    )
    assert result is None or isinstance(result, lsp.Hover)
    ls_fixture_index.write(root)
    fresh.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=index.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    await wait_for(lambda: "unknown-module" in {d.code for d in fresh.diagnostics.get(uri, [])})


async def test_missing_index_message_and_dump_command(
    fresh: LanguageClient, tmp_path: Path
) -> None:
    root = copy_workspace(tmp_path, with_torch=False)
    await start(fresh, root)
    docs = Docs(fresh, root)
    uri = await docs.open("configs/broken/typo.toml")
    found = await docs.diagnostics(uri)
    assert "excore schema dump" in messages(fresh)
    assert {d.code for d in found} == {"undefined-variable"}
    # completion of variables works without an index
    result = await fresh.text_document_completion_async(
        lsp.CompletionParams(text_document=ident(uri), position=lsp.Position(line=10, character=19))
    )
    assert result is not None
    items = result.items if isinstance(result, lsp.CompletionList) else result
    assert "num_classes" in [i.label for i in items]
    # with an argument list, as Neovim and VS Code send it (pygls then reads the annotations)
    answer = await fresh.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="excore.dumpIndex", arguments=[])
    )
    assert isinstance(answer, dict) and answer["ok"] is True, answer  # {ok, output, statuses}
    assert (root / ".excore" / "index.json").is_file()
    await wait_for(lambda: "unknown-module" in {d.code for d in fresh.diagnostics.get(uri, [])})
    kinds = [type(v).__name__ for reports in fresh.progress_reports.values() for v in reports]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


async def test_huge_file_and_base_cycle_never_hang(client: LanguageClient, workspace: Path) -> None:
    docs = Docs(client, workspace)
    lines = ["[Backbone.ResNet]", '"$block" = "BasicBlock"', "layers = [1, 1]"]
    filler = [f"# {'x' * 70} {i}" for i in range(70_000)]
    text = "\n".join([*lines, *filler, "base_channels = 8", ""])
    assert len(text) > 5_000_000
    uri = await asyncio.wait_for(docs.open("cases/huge.toml", text), 60)
    assert await docs.diagnostics(uri) == []
    result = await asyncio.wait_for(
        client.text_document_completion_async(
            lsp.CompletionParams(
                text_document=ident(uri), position=lsp.Position(line=3, character=0)
            )
        ),
        30,
    )
    assert result is not None
    await docs.close(uri)
    uri = await asyncio.wait_for(docs.open("configs/broken/cycle_a.toml"), 20)
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            lsp.HoverParams(text_document=ident(uri), position=lsp.Position(line=0, character=15))
        ),
        20,
    )
    assert hover is not None and "cycle_b.toml" in str(hover.contents)
    await docs.close(uri)


def test_version_and_help() -> None:
    import subprocess

    out = subprocess.run([*SERVER, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("excore-ls ")
    bad = subprocess.run([*SERVER, "--port", "x"], capture_output=True, text=True, timeout=60)
    assert (
        bad.returncode == 2 and "invalid int value" in bad.stderr and "Traceback" not in bad.stderr
    )


async def test_stale_index_warning_with_refresh_fix(fresh: LanguageClient, tmp_path: Path) -> None:
    import os
    import time

    root = copy_workspace(tmp_path)
    index = ls_fixture_index.write(root)
    source = root / "src/toy/models.py"
    later = time.time() + 60
    os.utime(source, (later, later))
    assert source.stat().st_mtime > index.stat().st_mtime
    await start(fresh, root)
    docs = Docs(fresh, root)
    uri = await docs.open("configs/main.toml")
    found = await docs.diagnostics(uri)
    stale = [d for d in found if d.code == "stale-index"]
    assert len(stale) == 1 and stale[0].severity == lsp.DiagnosticSeverity.Warning
    assert "models.py" in stale[0].message
    actions = await fresh.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=ident(uri),
            range=stale[0].range,
            context=lsp.CodeActionContext(diagnostics=stale),
        )
    )
    assert actions
    # lsprotocol structures any code action that has a "command" as a Command (its union hook
    # looks for the key only), so the CodeAction{title, kind, command} arrives as a Command here.
    fix = next(a for a in actions if a.title == "Refresh the excore index (excore schema dump)")
    command = fix.command if isinstance(fix, lsp.Command) else fix.command.command  # type: ignore[union-attr]
    assert "excore.dumpIndex" in str(command)
    # it dumps the workspace of this file, the root the server found for it
    assert f"'arguments': ['{root}']" in str(fix)


def test_tcp_mode_answers_initialize(tmp_path: Path) -> None:
    import re
    import socket
    import subprocess
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*SERVER, "--tcp", "--host", "127.0.0.1", "--port", str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with conn:
            body = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                }
            ).encode()
            conn.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                assert chunk, "connection closed"
                data += chunk
            header, _, data = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", header).group(1))  # type: ignore[union-attr]
            while len(data) < length:
                chunk = conn.recv(65536)
                assert chunk, "connection closed"
                data += chunk
            reply = json.loads(data[:length])
            assert reply["result"]["serverInfo"]["name"] == "excore-ls"
            assert reply["result"]["capabilities"]["completionProvider"]["resolveProvider"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)
