"""Run excore-ls in this process (pygls' ``start_io`` over two pipes, in a thread), edit one
document many times through real JSON-RPC frames and print, as JSON, what stays alive.

Run by ``test_ls_memory.py`` in a subprocess of its own, so that the server's state and the
counts belong to nothing else::

    python tests/ls/memory_harness.py WORKSPACE CONFIG EDITS
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

TIMEOUT = 30.0


class Client:
    def __init__(self, to_server: int, from_server: int) -> None:
        self.out = os.fdopen(to_server, "wb", buffering=0)
        self.inp = os.fdopen(from_server, "rb", buffering=0)
        self.messages: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            length = 0
            while True:
                line = self.inp.readline()
                if not line:
                    return
                if line.strip() == b"":
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = b""
            while len(body) < length:
                chunk = self.inp.read(length - len(body))
                if not chunk:
                    return
                body += chunk
            message = json.loads(body)
            if "id" in message and "method" in message:  # a request of the server: accept it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue
            with self.cond:
                self.messages.append(message)
                self.cond.notify_all()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        found = self.wait(lambda m: m.get("id") == rid)
        assert "error" not in found, found
        return found.get("result")

    def wait(self, pred: Any) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                for i, m in enumerate(self.messages):
                    if pred(m):
                        del self.messages[i]
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no answer from the server")
                self.cond.wait(left)


def alive() -> Counter[str]:
    """Objects still reachable, by type name (after a full collection)."""
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects())


def main() -> None:
    root, config, edits = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    from excore_ls.server import server

    to_server_r, to_server_w = os.pipe()
    from_server_r, from_server_w = os.pipe()
    stdin = os.fdopen(to_server_r, "rb", buffering=0)
    stdout = os.fdopen(from_server_w, "wb", buffering=0)
    threading.Thread(target=server.start_io, args=(stdin, stdout), daemon=True).start()
    client = Client(to_server_w, from_server_r)
    client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
            "capabilities": {},
        },
    )
    client.notify("initialized", {})
    uri = config.as_uri()
    text = config.read_text(encoding="utf-8")
    lines = text.split("\n")
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": text}},
    )
    client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")

    counts: dict[int, Counter[str]] = {}
    version = 1
    for i in range(edits):
        # type one character somewhere, then delete it: the text comes back every two edits
        line = (i // 2) % len(lines)
        col = min(len(lines[line]), (i // 2) % 7)
        at = {"line": line, "character": col}
        if i % 2 == 0:
            change = {"range": {"start": at, "end": at}, "text": "x"}
        else:
            end = {"line": line, "character": col + 1}
            change = {"range": {"start": at, "end": end}, "text": ""}
        version += 1
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at})
        if i % 10 == 9:  # let the debounced check of this version run
            client.wait(
                lambda m, v=version: (
                    m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"].get("version") == v
                )
            )
        if i + 1 in (edits // 5, edits):
            counts[i + 1] = alive()
    first, last = counts[edits // 5], counts[edits]
    names = set(first) | set(last)
    print(json.dumps({name: [first[name], last[name]] for name in sorted(names)}))
    sys.stdout.flush()
    os._exit(0)  # the server thread blocks on its pipe


if __name__ == "__main__":
    main()
