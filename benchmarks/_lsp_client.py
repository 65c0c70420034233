"""A small synchronous JSON-RPC-over-stdio LSP client for benchmarking language servers.

One thread, no asyncio: the caller writes a message and reads the server's output (with
``select``) until the answer arrives, so the measured latency holds as little client overhead as
possible and is the same for every server. Server-to-client requests
(``workspace/configuration``, ``client/registerCapability``, ``window/workDoneProgress/create``,
...) are answered on the fly; notifications are kept with their arrival time.

Every wait has a timeout; :meth:`LspClient.close` always ends the process (shutdown/exit, then
terminate, then kill).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HEADER_END = b"\r\n\r\n"


class LspError(Exception):
    """The server answered a request with an error, or the session broke."""


class LspTimeout(LspError):
    """No answer within the timeout."""


@dataclass(slots=True)
class Notification:
    method: str
    params: Any
    received: float  # time.perf_counter() when the message was parsed


class LspClient:
    """A language server process spoken to over its stdin/stdout."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | Path | None = None,
        env: dict[str, str] | None = None,
        stderr_path: str | Path | None = None,
        configuration: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        self.argv = list(argv)
        self._stderr_file = open(stderr_path, "wb") if stderr_path else None  # noqa: SIM115
        stderr = self._stderr_file if self._stderr_file is not None else subprocess.DEVNULL
        self.spawned_at = time.perf_counter()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=cwd,
                env=env,
                bufsize=0,
            )
        except OSError as exc:
            if self._stderr_file is not None:
                self._stderr_file.close()
            raise LspError(f"cannot start {self.argv[0]}: {exc.strerror}") from exc
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in_fd = self.proc.stdin.fileno()
        self._out_fd = self.proc.stdout.fileno()
        os.set_blocking(self._in_fd, False)
        self._buffer = bytearray()
        self._next_id = 0
        # id -> (response, when its last byte was read, its size in bytes)
        self._responses: dict[int, tuple[dict[str, Any], float, int]] = {}
        self.last_message_size = 0
        self.last_response_size = 0  # bytes of the last answer ``request`` returned
        self.notifications: list[Notification] = []
        self.server_requests: list[str] = []  # methods of requests the server sent us
        self._configuration = configuration
        self._replies: list[dict[str, Any]] = []  # answers to server requests, not sent yet
        self._writing = False
        self.closed = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    # -- wire --------------------------------------------------------------------------------

    def _write(self, message: dict[str, Any], deadline: float) -> None:
        self._writing = True
        try:
            self._write_bytes(message, deadline)
        finally:
            self._writing = False
        self._send_replies(deadline)

    def _send_replies(self, deadline: float) -> None:
        while self._replies and not self._writing:
            self._write(self._replies.pop(0), max(deadline, time.perf_counter() + 5))

    def _write_bytes(self, message: dict[str, Any], deadline: float) -> None:
        body = json.dumps(message, separators=(",", ":")).encode("utf-8")
        data = memoryview(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        while data:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise LspTimeout("timed out writing to the server")
            # read while writing: a server blocked on its own full stdout would never drain ours
            readable, writable, _ = select.select([self._out_fd], [self._in_fd], [], remaining)
            if readable:
                self._read_available()
            if writable:
                try:
                    sent = os.write(self._in_fd, data)
                except BlockingIOError:
                    continue
                except (BrokenPipeError, OSError) as exc:
                    raise LspError(f"the server closed its input: {exc}") from exc
                data = data[sent:]

    def _read_available(self) -> None:
        chunk = os.read(self._out_fd, 1 << 20)
        if not chunk:
            try:
                code = self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                code = None
            raise LspError(f"the server closed its output (exit code {code})")
        self._buffer += chunk
        self._parse_messages()

    def _parse_messages(self) -> None:
        while True:
            end = self._buffer.find(_HEADER_END)
            if end < 0:
                return
            length = -1
            for line in bytes(self._buffer[:end]).split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length < 0:
                raise LspError("a message without Content-Length")
            start = end + len(_HEADER_END)
            if len(self._buffer) < start + length:
                return
            received = time.perf_counter()  # before decoding: the client's JSON work is not timed
            body = bytes(self._buffer[start : start + length])
            del self._buffer[: start + length]
            self.last_message_size = length
            self._dispatch(json.loads(body), received)

    def _dispatch(self, message: dict[str, Any], received: float) -> None:
        method = message.get("method")
        if method is None:
            if isinstance(message.get("id"), int):
                self._responses[message["id"]] = (message, received, self.last_message_size)
            return
        if "id" in message:  # a request from the server: answer it right away
            self.server_requests.append(method)
            result: Any = None
            if method == "workspace/configuration":
                items = (message.get("params") or {}).get("items", [])
                result = [
                    self._configuration(item) if self._configuration else None for item in items
                ]
            elif method == "workspace/workspaceFolders":
                result = []
            # sent once the message being written (if any) is complete
            self._replies.append({"jsonrpc": "2.0", "id": message["id"], "result": result})
            return
        self.notifications.append(Notification(method, message.get("params"), received))

    def _pump(self, deadline: float) -> None:
        """Wait until some output arrives (or the deadline passes) and parse it."""
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise LspTimeout("timed out")
        readable, _, _ = select.select([self._out_fd], [], [], remaining)
        if readable:
            self._read_available()
            self._send_replies(deadline)

    # -- API ---------------------------------------------------------------------------------

    def send_request(self, method: str, params: Any, timeout: float = 10.0) -> int:
        self._next_id += 1
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        self._write(message, time.perf_counter() + timeout)
        return self._next_id

    def wait_response(self, request_id: int, timeout: float = 10.0) -> tuple[Any, float, int]:
        """(result, when its last byte arrived, its size in bytes) of an earlier request."""
        deadline = time.perf_counter() + timeout
        while request_id not in self._responses:
            try:
                self._pump(deadline)
            except LspTimeout:
                raise LspTimeout(f"no answer to request {request_id} in {timeout:g} s") from None
        response, received, size = self._responses.pop(request_id)
        if "error" in response:
            error = response["error"]
            raise LspError(f"{error.get('code')}: {error.get('message')}")
        return response.get("result"), received, size

    def request(self, method: str, params: Any, timeout: float = 10.0) -> tuple[Any, float]:
        """Send a request and wait for its result; returns (result, seconds from just before
        the request was written to the arrival of the answer's last byte)."""
        started = time.perf_counter()
        request_id = self.send_request(method, params, timeout)
        try:
            result, received, self.last_response_size = self.wait_response(request_id, timeout)
        except LspTimeout:
            raise LspTimeout(f"{method}: no answer in {timeout:g} s") from None
        except LspError as exc:
            raise LspError(f"{method}: {exc}") from None
        return result, received - started

    def notify(self, method: str, params: Any, timeout: float = 10.0) -> None:
        self._write(
            {"jsonrpc": "2.0", "method": method, "params": params}, time.perf_counter() + timeout
        )

    def wait_notification(
        self,
        method: str,
        predicate: Callable[[Any], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = 10.0,
    ) -> Notification:
        """The first notification ``method`` (matching ``predicate``) at index >= ``after``."""
        deadline = time.perf_counter() + timeout
        index = after
        while True:
            while index < len(self.notifications):
                note = self.notifications[index]
                index += 1
                if note.method == method and (predicate is None or predicate(note.params)):
                    return note
            try:
                self._pump(deadline)
            except LspTimeout:
                raise LspTimeout(f"no {method} notification in {timeout:g} s") from None

    def drain(self, seconds: float) -> None:
        """Read (and answer) whatever the server sends during ``seconds``."""
        deadline = time.perf_counter() + seconds
        while True:
            try:
                self._pump(deadline)
            except LspTimeout:
                return

    def rss_bytes(self) -> int | None:
        """Resident set size of the server process and its child processes (Linux ``/proc``),
        or None."""
        total = 0
        pending = [self.proc.pid]
        while pending:
            pid = pending.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                tasks = list(Path(f"/proc/{pid}/task").iterdir())
            except OSError:
                if pid == self.proc.pid:
                    return None
                continue
            for task in tasks:
                with contextlib.suppress(OSError):
                    pending.extend(int(c) for c in (task / "children").read_text().split())
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def close(self, timeout: float = 3.0) -> None:
        """shutdown + exit when the server is alive, then make sure the process is gone."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit", None, timeout=timeout)
                self.proc.wait(timeout=timeout)
        except (LspError, OSError, subprocess.TimeoutExpired, ValueError):
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            if self._stderr_file is not None:
                self._stderr_file.close()

    def __enter__(self) -> LspClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
