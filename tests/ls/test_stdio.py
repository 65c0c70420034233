"""stdio transport over a real pipe: malformed frames, the LSP lifecycle rules.

After a malformed frame the server resynchronises on the next valid header and answers the next
request (never stays deaf); requests before ``initialize`` and after ``shutdown`` are answered
with the LSP errors; bad params never pop up "Error in server".
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ARGV = [sys.executable, "-m", "excore_ls", "--stdio"]
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "initialized", "params": {}}


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def probe(msg_id: int) -> dict[str, Any]:
    """A request every initialized server answers (no such document: null)."""
    return {
        "jsonrpc": "2.0",
        "id": msg_id,
        "method": "textDocument/documentSymbol",
        "params": {"textDocument": {"uri": "file:///nowhere/x.toml"}},
    }


class Pipe:
    """excore-ls --stdio over pipes, read with a time bound."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            ARGV, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.buf = b""
        self.seen: list[dict[str, Any]] = []

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _read_message(self, deadline: float) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(rest) >= length:
                    self.buf = rest[length:]
                    message: dict[str, Any] = json.loads(rest[:length])
                    self.seen.append(message)
                    return message
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self.buf += chunk

    def answer(self, msg_id: int, timeout: float = 20.0) -> dict[str, Any] | None:
        """The response to request ``msg_id``, or None when none came within ``timeout``."""
        deadline = time.monotonic() + timeout
        for message in self.seen:
            if message.get("id") == msg_id and "method" not in message:
                return message
        while (message := self._read_message(deadline)) is not None:
            if message.get("id") == msg_id and "method" not in message:
                return message
        return None

    def initialize(self) -> None:
        self.send(frame(INIT))
        assert self.answer(1) is not None, self.stderr()
        self.send(frame(INITIALIZED))

    def stderr(self) -> str:
        self.close()
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def pipe(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = Pipe(tmp_path)
    yield p
    p.close()


BODY = json.dumps(probe(2)).encode()
MALFORMED = {
    "bad length": b"Content-Length: abc\r\n\r\n" + BODY,
    "missing length": b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + BODY,
    "length too small": b"Content-Length: %d\r\n\r\n" % (len(BODY) - 9) + BODY,
    "length too large": b"Content-Length: %d\r\n\r\n" % (len(BODY) + 500) + BODY,
    "negative length": b"Content-Length: -5\r\n\r\n" + BODY,
    "huge length": b"Content-Length: 99999999999999\r\n\r\n" + BODY,
    "garbage without newline": b"\x00\xff garbage \x01",
    "garbage lines": b"hello\r\nworld\n\r\n\r\n",
    "no blank line": b"Content-Length: %d\r\n" % len(BODY) + BODY,
    "invalid json": b"Content-Length: 9\r\n\r\n{not json",
    "json not a message": b"Content-Length: 6\r\n\r\n[1, 2]",
    "a message without jsonrpc": frame({"id": 2, "method": "textDocument/hover"}),
    "long header line": b"X" * ((1 << 20) + 10),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_after_a_malformed_frame_the_next_request_is_answered(pipe: Pipe, case: str) -> None:
    pipe.initialize()
    pipe.send(MALFORMED[case])
    pipe.send(frame(probe(7)))
    started = time.monotonic()
    answer = pipe.answer(7)
    assert answer is not None, f"deaf after {case!r}:\n{pipe.stderr()}"
    assert answer.get("result") is None and "error" not in answer
    assert time.monotonic() - started < 10
    # and it keeps serving
    pipe.send(frame(probe(8)))
    assert pipe.answer(8) is not None
    shows = [m for m in pipe.seen if m.get("method") == "window/showMessage"]
    assert shows == []
    assert "Traceback" not in pipe.stderr()


def test_a_request_before_initialize_gets_server_not_initialized(pipe: Pipe) -> None:
    pipe.send(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {}}))
    pipe.send(frame(probe(3)))
    answer = pipe.answer(3)
    assert answer is not None and answer["error"]["code"] == -32002
    pipe.initialize()  # and initialize still works afterwards
    pipe.send(frame(probe(4)))
    answer = pipe.answer(4)
    assert answer is not None and "error" not in answer


def test_a_request_after_shutdown_gets_invalid_request_and_exit_stops(pipe: Pipe) -> None:
    pipe.initialize()
    pipe.send(frame({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}))
    assert pipe.answer(5) == {"jsonrpc": "2.0", "id": 5, "result": None}
    pipe.send(frame(probe(6)))
    answer = pipe.answer(6)
    assert answer is not None and answer["error"]["code"] == -32600
    pipe.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert pipe.proc.wait(20) == 0


def test_bad_params_never_pop_up_an_error(pipe: Pipe) -> None:
    pipe.initialize()
    bad_open = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 5}}
    pipe.send(frame(bad_open))
    bad_hover = {"jsonrpc": "2.0", "id": 9, "method": "textDocument/hover", "params": {"x": 1}}
    pipe.send(frame(bad_hover))
    answer = pipe.answer(9)
    assert answer is not None and answer["error"]["code"] == -32602
    pipe.send(frame(probe(10)))
    assert pipe.answer(10) is not None
    assert [m for m in pipe.seen if m.get("method") == "window/showMessage"] == []


def _session() -> bytes:
    return b"".join(
        frame(m)
        for m in (
            INIT,
            INITIALIZED,
            {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
            {"jsonrpc": "2.0", "method": "exit"},
        )
    )


def _answers(stdout: bytes) -> list[dict[str, Any]]:
    out = []
    while stdout:
        head, _, rest = stdout.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        out.append(json.loads(rest[:length]))
        stdout = rest[length:]
    return out


def test_a_session_piped_in_and_one_read_from_a_file_get_the_same_answers(
    tmp_path: Path,
) -> None:
    piped = subprocess.run(ARGV, input=_session(), capture_output=True, timeout=60, cwd=tmp_path)
    file = tmp_path / "session"
    file.write_bytes(_session())
    with file.open("rb") as stdin:
        from_file = subprocess.run(ARGV, stdin=stdin, capture_output=True, timeout=60, cwd=tmp_path)
    for run in (piped, from_file):
        answers = [a for a in _answers(run.stdout) if "id" in a]
        assert [a["id"] for a in answers] == [1, 2], run.stderr.decode()
        init = answers[0]["result"]
        assert isinstance(init, dict) and init["serverInfo"]["name"] == "excore-ls"
        assert answers[1]["result"] is None
        assert b"Traceback" not in run.stderr
        assert run.returncode == 0


def test_the_end_of_the_input_stops_the_server(tmp_path: Path) -> None:
    run = subprocess.run(
        ARGV, input=frame(INIT) + b"Content-Length: 50\r\n\r\n{", capture_output=True, timeout=60
    )
    assert [a["id"] for a in _answers(run.stdout) if "id" in a] == [1]
    assert b"Traceback" not in run.stderr


def _until(pipe: Pipe, found: Any, timeout: float = 20.0) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    for message in pipe.seen:
        if found(message):
            return message
    while (message := pipe._read_message(deadline)) is not None:
        if found(message):
            return message
    return None


def test_the_server_tells_the_client_the_index_status(pipe: Pipe, workspace: Path) -> None:
    """``excore/indexStatus``, which the VS Code client shows in its status bar."""
    pipe.send(frame({**INIT, "params": {"capabilities": {}, "rootUri": workspace.as_uri()}}))
    assert pipe.answer(1) is not None
    pipe.send(frame(INITIALIZED))
    config = workspace / "configs" / "main.toml"
    item = {"uri": config.as_uri(), "languageId": "toml", "version": 1, "text": config.read_text()}
    pipe.send(
        frame(
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}}
        )
    )
    status = _until(pipe, lambda m: m.get("method") == "excore/indexStatus")
    assert status is not None, pipe.stderr()
    params = status["params"]
    assert params["state"] == "loaded"
    assert params["root"] == str(workspace.resolve())
    assert params["path"] == str(workspace.resolve() / ".excore" / "index.json")
