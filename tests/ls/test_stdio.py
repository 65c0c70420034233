"""stdio transport: the event loop reads a pipe itself; anything else is read by a thread."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = "from excore_ls.server import _stdin_is_own_pipe; print(_stdin_is_own_pipe())"


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _session() -> bytes:
    return b"".join(
        _frame(m)
        for m in (
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
            {"jsonrpc": "2.0", "method": "exit"},
        )
    )


def _answers(stdout: bytes) -> list[dict[str, object]]:
    out = []
    while stdout:
        head, _, rest = stdout.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        out.append(json.loads(rest[:length]))
        stdout = rest[length:]
    return out


def test_a_pipe_is_watched_by_the_event_loop_and_a_file_is_not(tmp_path: Path) -> None:
    piped = subprocess.run(
        [sys.executable, "-c", PROBE], input=b"", capture_output=True, check=True
    )
    assert piped.stdout.strip() == b"True"
    file = tmp_path / "in"
    file.write_bytes(b"")
    with file.open("rb") as stdin:
        from_file = subprocess.run(
            [sys.executable, "-c", PROBE], stdin=stdin, capture_output=True, check=True
        )
    assert from_file.stdout.strip() == b"False"


def test_a_session_piped_in_and_one_read_from_a_file_get_the_same_answers(
    tmp_path: Path,
) -> None:
    argv = [sys.executable, "-m", "excore_ls", "--stdio"]
    piped = subprocess.run(argv, input=_session(), capture_output=True, timeout=60, cwd=tmp_path)
    file = tmp_path / "session"
    file.write_bytes(_session())
    with file.open("rb") as stdin:
        from_file = subprocess.run(argv, stdin=stdin, capture_output=True, timeout=60, cwd=tmp_path)
    for run in (piped, from_file):
        answers = [a for a in _answers(run.stdout) if "id" in a]
        assert [a["id"] for a in answers] == [1, 2], run.stderr.decode()
        init = answers[0]["result"]
        assert isinstance(init, dict) and init["serverInfo"]["name"] == "excore-ls"
        assert answers[1]["result"] is None
        assert b"Traceback" not in run.stderr


def test_an_endless_header_line_stops_the_server_with_a_message(tmp_path: Path) -> None:
    garbage = b"X" * ((1 << 20) + 10)  # no newline: longer than any header line may be
    run = subprocess.run(
        [sys.executable, "-m", "excore_ls", "--stdio"],
        input=garbage,
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0
    assert b"unreadable message header" in run.stderr
    assert b"Traceback" not in run.stderr
