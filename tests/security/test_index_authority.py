"""The index is a cache, never an authority.

A tampered ``.excore/index.json`` (a generated file that nobody reviews) may map a registered
name to ``os:system`` or to a module whose import runs code. The engine never imports an
index's target for its own sake: it imports the workspace module that registers the name and
uses that registration; an index entry that disagrees is an error naming the entry. The
language server never imports anything from an index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from excore_ls.analysis.documents import path_to_uri
from excore_ls.analysis.session import Analyzer

WS = Path(__file__).parent / "fixtures" / "ws"
REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], cwd: Path, canary: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXCORE_TEST_CANARY": str(canary), "PYTHONPATH": str(REPO)}
    env.pop("EXCORE_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(WS, root)
    done = run(["-m", "excore.cli.main", "schema", "dump"], root, tmp_path / "unused")
    assert done.returncode == 0, done.stderr
    (root / "configs").mkdir()
    return root


def tamper(root: Path, edit: Any) -> None:
    path = root / ".excore" / "index.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


BUILD = """
import sys
from excore import config
from excore.errors import ExcoreError
try:
    modules, _ = config.build_all(config.load(sys.argv[1]))
except ExcoreError as exc:
    print("ERROR", exc)
else:
    print("BUILT", type(modules.Model).__name__, type(modules.Model.act).__name__)
print("imported", sorted(m for m in sys.modules if m.startswith("victim")))
"""


def build(root: Path, text: str, canary: Path) -> list[str]:
    config_file = root / "configs" / "run.toml"
    config_file.write_text(text)
    done = run(["-c", BUILD, str(config_file)], root, canary)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout.splitlines()


def test_a_fresh_index_builds_importing_only_the_registering_module(ws: Path) -> None:
    canary = ws / "canary"
    out = build(ws, '[Model.Net]\n"!act" = "Head"\n', canary)
    assert out[0] == "BUILT Net Head"
    assert out[1] == "imported ['victim', 'victim.models', 'victim.zoo']"
    assert not canary.exists()


def test_a_name_mapped_to_os_system_is_an_error_naming_the_entry(ws: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        net = data["registries"]["SecModel"]["modules"]["Net"]
        net["target"] = "os:system"
        net["params"] = [{"name": "command", "kind": "positional", "required": True}]

    tamper(ws, edit)
    canary = ws / "canary"
    out = build(ws, f'[Model.Net]\ncommand = "touch {canary}"\n', canary)
    assert out[0].startswith("ERROR ")
    assert "run.toml:1:" in out[0]
    assert "the index entry SecModel.Net of " in out[0] and "index.json" in out[0]
    assert "maps 'Net' to 'os:system', but the workspace registers 'victim.models:Net'" in out[0]
    assert not canary.exists()


def test_a_name_mapped_to_a_module_that_runs_code_on_import_is_never_imported(ws: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["registries"]["SecModule"]["modules"]["Head"]["target"] = "victim.evil:Boom"

    tamper(ws, edit)
    canary = ws / "canary"
    out = build(ws, '[Model.Net]\n"!act" = "Head"\n', canary)
    assert out[0].startswith("ERROR ") and "run.toml:2:" in out[0]
    assert "the index entry SecModule.Head" in out[0]
    assert "maps 'Head' to 'victim.evil:Boom', but the workspace registers" in out[0]
    assert "victim.evil" not in out[1]
    assert not canary.exists()


def test_a_name_the_workspace_does_not_register_is_an_error(ws: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        modules = data["registries"]["SecModule"]["modules"]
        modules["Evil"] = dict(modules["Head"], name="Evil", target="victim.evil:Boom")

    tamper(ws, edit)
    canary = ws / "canary"
    out = build(ws, '[Model.Net]\n"!act" = "Evil"\n', canary)
    assert out[0].startswith("ERROR ") and "run.toml:2:" in out[0]
    assert "the index entry SecModule.Evil" in out[0]
    assert "no module of the workspace registers 'Evil'" in out[0]
    assert not canary.exists()


def test_a_registered_python_module_remapped_is_an_error(ws: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["registries"]["SecModule"]["modules"]["zoo"]["target"] = "victim.evil"

    tamper(ws, edit)
    canary = ws / "canary"
    out = build(ws, '[Model.Net]\n"!act" = "zoo.Safe"\n', canary)
    assert out[0].startswith("ERROR ") and "the index entry SecModule.zoo" in out[0]
    assert "maps 'zoo' to 'victim.evil', but the workspace registers 'victim.zoo'" in out[0]
    assert not canary.exists()


# -- the language server ----------------------------------------------------------------------

CONFIG = """[Model.Net]
"!act" = "Head"
width = 1

[Model.Boom]
x = 1

[SecModule.Head]
width = 2
"$tool" = "zoo.Safe"
"""


def test_the_server_never_imports_from_a_tampered_index(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every name of the index points at ``victim.evil`` (whose import creates the canary), and
    the workspace's own modules are on sys.path: the analysis features run, nothing is
    imported."""
    from excore_ls.features import (
        code_actions,
        completion,
        definition,
        hover,
        inlay_hints,
        links,
        references,
        semantic_tokens,
        symbols,
    )
    from excore_ls.features.diagnostics import diagnostics

    def edit(data: dict[str, Any]) -> None:
        for registry in data["registries"].values():
            for info in registry["modules"].values():
                info["target"] = "victim.evil" if info["kind"] == "module" else "victim.evil:Boom"
                info["bases"] = ["victim.evil:Boom"]
        data["registries"]["SecModel"]["modules"]["Boom"] = dict(
            data["registries"]["SecModel"]["modules"]["Net"], name="Boom"
        )
        for info in data.get("python_modules", {}).values():
            info["target"] = "victim.evil:Boom"

    tamper(ws, edit)
    canary = ws / "canary"
    monkeypatch.setenv("EXCORE_TEST_CANARY", str(canary))
    monkeypatch.syspath_prepend(str(ws / "src"))
    before = set(sys.modules)
    path = ws / "configs" / "edit.toml"
    path.write_text(CONFIG)
    analyzer = Analyzer()
    uri = path_to_uri(path)
    analyzer.documents.open(uri, CONFIG, 1)
    fa = analyzer.analysis(uri)
    assert fa is not None and fa.index is not None
    assert fa.index.lookup("Head") is not None  # the tampered index is the one in use
    problems = diagnostics(fa, analyzer.documents.read_text, None)
    assert [p for p in problems if p.code == "unknown-module"] == []
    for needle in ("Head", "Boom", "width", "zoo.Safe", "Safe", "tool", "Net"):
        offset = CONFIG.index(needle) + 1
        hover.hover(fa, offset)
        definition.definition(fa, offset)
        definition.declaration(fa, offset)
        completion.complete(fa, offset)
        references.references(fa, offset)
        references.prepare_rename(fa, offset)
    code_actions.code_actions(fa, 0, len(CONFIG), problems)
    semantic_tokens.tokens(fa)
    inlay_hints.inlay_hints(fa, 0, len(CONFIG))
    symbols.document_symbols(fa)
    links.document_links(fa)
    assert not canary.exists()
    assert "victim.evil" not in sys.modules
    assert not {m for m in set(sys.modules) - before if m.startswith("victim")}


# -- the registry's rule, in process ------------------------------------------------------------


class Real:
    """What the workspace's code registers."""


def test_registry_uses_the_registration_never_the_index_target() -> None:
    from excore.errors import ExcoreError
    from excore.registry import IndexOrigin, Registry

    registry = Registry("TSecIndexRule")
    try:
        calls: list[str] = []

        def import_all() -> None:
            calls.append("all")
            registry.register()(Real)

        origin = IndexOrigin("ws/.excore/index.json", ["victim.models"], import_all)
        registry.register_module(f"{__name__}:Real", _is_str=True, name="Real")
        registry.note_index_entry("Real", origin)
        assert registry.get_object("Real") is Real and calls == ["all"]

        registry.register_module("os:system", _is_str=True, name="Shell")
        registry.note_index_entry("Shell", origin)
        with pytest.raises(ExcoreError) as caught:
            registry.get_object("Shell")
        assert "the index entry TSecIndexRule.Shell of ws/.excore/index.json maps 'Shell' to " in (
            caught.value.message
        )
        assert "no module of the workspace registers 'Shell'" in caught.value.message
    finally:
        Registry.remove_registry("TSecIndexRule")


# -- the real server process -----------------------------------------------------------------------


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _read_until(proc: subprocess.Popen[bytes], want: Any, timeout: float = 60.0) -> list[dict]:
    """Messages from the server until ``want(message)`` holds (or the time runs out)."""
    import select
    import time

    assert proc.stdout is not None
    fd, buf, seen = proc.stdout.fileno(), b"", []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if sep:
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            if len(rest) >= length:
                buf = rest[length:]
                seen.append(json.loads(rest[:length]))
                if want(seen[-1]):
                    return seen
                continue
        if not select.select([fd], [], [], max(deadline - time.monotonic(), 0))[0]:
            break
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        buf += chunk
    return seen


def test_the_server_process_never_imports_from_a_tampered_index(ws: Path) -> None:
    """excore-ls over stdio, with the workspace's code importable and every index target
    pointing at ``victim.evil``: opening, hovering, completing and going to definition create
    no canary."""

    def edit(data: dict[str, Any]) -> None:
        for registry in data["registries"].values():
            for info in registry["modules"].values():
                info["target"] = "victim.evil" if info["kind"] == "module" else "victim.evil:Boom"
        for info in data.get("python_modules", {}).values():
            info["target"] = "victim.evil:Boom"

    tamper(ws, edit)
    canary = ws / "canary"
    path = ws / "configs" / "edit.toml"
    path.write_text(CONFIG)
    env = {
        **os.environ,
        "EXCORE_TEST_CANARY": str(canary),
        "PYTHONPATH": os.pathsep.join([str(REPO), str(ws / "src")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "excore_ls", "--stdio"],
        cwd=ws,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdin is not None
        uri = path.as_uri()

        def send(message: dict[str, Any]) -> None:
            assert proc.stdin is not None
            proc.stdin.write(_frame({"jsonrpc": "2.0", **message}))
            proc.stdin.flush()

        send(
            {
                "id": 1,
                "method": "initialize",
                "params": {
                    "capabilities": {},
                    "rootUri": ws.as_uri(),
                    "workspaceFolders": [{"uri": ws.as_uri(), "name": "ws"}],
                },
            }
        )
        assert _read_until(proc, lambda m: m.get("id") == 1)
        send({"method": "initialized", "params": {}})
        send(
            {
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": CONFIG}
                },
            }
        )
        published = _read_until(
            proc, lambda m: m.get("method") == "textDocument/publishDiagnostics"
        )
        assert published and published[-1]["params"]["uri"] == uri
        lines = CONFIG.splitlines()
        requests = []
        for line_no, needle in ((1, "Head"), (0, "Net"), (9, "Safe"), (2, "width")):
            character = lines[line_no].index(needle) + 1
            position = {"line": line_no, "character": character}
            for method in ("textDocument/hover", "textDocument/definition"):
                requests.append((method, position))
            requests.append(("textDocument/completion", position))
        for msg_id, (method, position) in enumerate(requests, start=10):
            send(
                {
                    "id": msg_id,
                    "method": method,
                    "params": {"textDocument": {"uri": uri}, "position": position},
                }
            )
        last = 10 + len(requests) - 1
        answers = _read_until(proc, lambda m: m.get("id") == last)
        assert any(m.get("id") == last for m in answers)
        hovers = [m for m in answers if m.get("id") == 10]
        assert hovers and hovers[0].get("result")  # the tampered index is the one read
        send({"id": 99, "method": "shutdown"})
        _read_until(proc, lambda m: m.get("id") == 99)
        send({"method": "exit"})
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert not canary.exists()
