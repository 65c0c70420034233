"""A helper process that checks the first opened configs while the server is still starting.

The server spends its first few hundred milliseconds importing pygls and lsprotocol, on one
core. Started before those imports, this helper uses the other core to import the engine and
read the workspace index (of the working directory, where editors start their servers, until
``initialize`` names the workspace folders). The first ``didOpen`` then only waits for one check.

The helper runs the server's own diagnostics function (``features.diagnostics.problems_of``)
over the same inputs: the index file, the files on disk and the open buffers, which travel
with each job. It declines (``"declined"``) whatever the server must handle itself: a file
without a path, a missing or broken index, a problem worth a message to the user. It exits
when its stdin closes, which the server does once its own warm-up can check files.

Jobs and answers are JSON, one object per line:

- ``{"op": "prepare", "folders": [...], "override": path | null}``: read these folders' indexes;
- ``{"op": "check", "id": n, "uri": ..., "docs": [[uri, version, text], ...], "override": ...}``
  → ``{"id": n, "problems": [[code, message, file, start, end, key, severity, data, related], ...]}`` or
  ``{"id": n, "declined": reason}``.

Nothing here imports pygls or lsprotocol: the helper is up long before the server is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from excore.problems import Problem
    from excore_ls.analysis.documents import DocumentStore
    from excore_ls.analysis.fragments import FamilyScanner
    from excore_ls.analysis.index_state import IndexState

log = logging.getLogger("excore_ls")

CHECK_TIMEOUT = 5.0  # seconds the server waits for an answer before checking the file itself
READ_CHUNK = 1 << 16
NICENESS = 5

Docs = list[tuple[str, int, str]]  # (uri, version, text) of every open document
OnChecked = Callable[["list[Problem] | None"], None]


# -- the helper process ----------------------------------------------------------------------


@dataclass
class HelperChecker:
    """The helper's state: the indexes it has read and the configs' ``__base__`` links."""

    indexes: IndexState
    families: FamilyScanner
    documents: DocumentStore

    @classmethod
    def create(cls) -> HelperChecker:
        from excore_ls.analysis.documents import DocumentStore
        from excore_ls.analysis.fragments import FamilyScanner
        from excore_ls.analysis.index_state import IndexState

        documents = DocumentStore()
        return cls(IndexState(), FamilyScanner(documents), documents)

    def prepare(self, folders: list[Path], override: str | None) -> None:
        """Read each folder's index and scan its configs' links (the index's entries are built
        by the checks that need them: building all of a large index could delay the first)."""
        self.indexes.override = Path(override) if override else None
        for folder in folders:
            loaded = self.indexes.for_file(folder / "excore.toml")
            if loaded is not None and loaded.index is not None:
                self.families.family(loaded.root)
        self.indexes.take_notices()  # the server shows its own, from its own reading

    def check(self, uri: str, docs: Docs, override: str | None) -> list[Problem] | str:
        """The problems of ``uri`` as the server would publish them, or why it declines."""
        from excore_ls.analysis.index_state import WORKSPACE_FILE_NAMES
        from excore_ls.features.diagnostics import problems_of

        self.indexes.override = Path(override) if override else None
        self._mirror(docs)
        doc = self.documents.get(uri)
        if doc is None or doc.path is None or doc.path.name in WORKSPACE_FILE_NAMES:
            return "not a config file on disk"
        loaded = self.indexes.for_file(doc.path)
        if self.indexes.take_notices():
            return "the index needs a message to the user"
        if loaded is None or loaded.index is None:
            return "no usable index"
        self.families.invalidate()  # the server rescans on every open too
        family = self.families.family(loaded.root)
        return problems_of(
            doc.key, doc.text, loaded, self.documents.read_text, family, lambda: None
        )

    def _mirror(self, docs: Docs) -> None:
        sent = {uri for uri, _, _ in docs}
        for doc in self.documents.all():
            if doc.uri not in sent:
                self.documents.close(doc.uri)
        for uri, version, text in docs:
            known = self.documents.get(uri)
            if known is None or known.version != version or known.text != text:
                self.documents.open(uri, text, version)


def problem_to_json(p: Problem) -> list[Any]:
    related = [[r.file, r.start, r.end, r.message] for r in p.related]
    return [p.code, p.message, p.file, p.start, p.end, p.key, p.severity.value, p.data, related]


def problem_from_json(row: list[Any]) -> Problem:
    from excore.problems import Problem, Related, Severity

    code, message, file, start, end, key, severity, data, related = row
    found = tuple(Related(*r) for r in related)
    return Problem(code, message, file, start, end, key, Severity(severity), data, found)


def answer(checker: HelperChecker, message: dict[str, Any]) -> dict[str, Any] | None:
    op = message.get("op")
    if op == "prepare":
        checker.prepare([Path(f) for f in message.get("folders", [])], message.get("override"))
        return None
    if op != "check":
        return None
    job = message.get("id")
    try:
        found = checker.check(message["uri"], message.get("docs", []), message.get("override"))
    except Exception as exc:  # never guess: the server checks the file itself
        log.exception("the start-up helper failed on %s", message.get("uri"))
        return {"id": job, "declined": f"{type(exc).__name__}: {exc}"}
    if isinstance(found, str):
        return {"id": job, "declined": found}
    rows = [problem_to_json(p) for p in found]
    try:
        same = json.loads(json.dumps(rows)) == rows  # data the server would get back unchanged
    except (TypeError, ValueError):
        same = False
    if not same:
        return {"id": job, "declined": "a problem's data does not survive JSON"}
    return {"id": job, "problems": rows}


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    import gc

    gc.disable()  # a short-lived process: what it builds lives until it exits
    with contextlib.suppress(AttributeError, OSError):
        os.nice(NICENESS)  # where the cores are busy, the server's own start-up goes first
    checker = HelperChecker.create()
    checker.prepare([Path.cwd()], None)  # a guess, until `prepare` names the folders
    for line in stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        reply = answer(checker, message)
        if reply is not None:
            stdout.write(json.dumps(reply).encode() + b"\n")
            stdout.flush()
    return 0


# -- the server's side -----------------------------------------------------------------------


@dataclass
class StartupHelper:
    """The server's end of the helper: jobs out, answers in, through the event loop."""

    process: subprocess.Popen[bytes]
    loop: asyncio.AbstractEventLoop | None = None
    pending: dict[int, tuple[OnChecked, asyncio.TimerHandle]] = field(default_factory=dict)
    retiring: bool = False
    _next_id: int = 0
    _inbox: bytes = b""
    _outbox: bytearray = field(default_factory=bytearray)

    @classmethod
    def spawn(cls) -> StartupHelper | None:
        """Start the helper, or ``None`` where it cannot run (the server then works alone)."""
        if not sys.executable:
            return None
        # `-m` would put the working directory (the user's workspace) first on the path, where
        # a `types.py` or a `json/` could shadow what the helper imports: start from the
        # folder this package lives in instead, as the server's own import did.
        boot = (
            f"import sys; sys.path[0] = {str(Path(__file__).resolve().parent.parent)!r}; "
            "from excore_ls.startup_helper import main; sys.exit(main())"
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", boot], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        except OSError as exc:
            log.info("no start-up helper: %s", exc)
            return None
        return cls(process)

    @property
    def alive(self) -> bool:
        return self.process.returncode is None and self.process.stdin is not None

    def attach(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Watch the helper's pipes from ``loop`` (once). False when the loop cannot."""
        if self.loop is not None:
            return self.alive
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            os.set_blocking(self.process.stdin.fileno(), False)
            os.set_blocking(self.process.stdout.fileno(), False)
            loop.add_reader(self.process.stdout.fileno(), self._read)
        except (NotImplementedError, OSError, ValueError) as exc:
            log.info("the start-up helper cannot be watched here (%s); stopping it", exc)
            self.stop()
            return False
        self.loop = loop
        return True

    def prepare(self, folders: list[Path], override: Path | None) -> None:
        self._send(
            {
                "op": "prepare",
                "folders": [str(f) for f in folders],
                "override": str(override) if override else None,
            }
        )

    def check(self, uri: str, docs: Docs, override: Path | None, on_checked: OnChecked) -> bool:
        """Send one check; ``on_checked`` gets the problems, or ``None`` when the helper
        declined, died or took too long. False when no job could be sent."""
        if self.loop is None or self.retiring or not self.alive:
            return False
        self._next_id += 1
        job = self._next_id
        sent = self._send(
            {
                "op": "check",
                "id": job,
                "uri": uri,
                "docs": docs,
                "override": str(override) if override else None,
            }
        )
        if not sent:
            return False
        timer = self.loop.call_later(CHECK_TIMEOUT, self._time_out, job)
        self.pending[job] = (on_checked, timer)
        return True

    def retire(self) -> None:
        """No more jobs: the helper exits once it has answered those it has."""
        self.retiring = True
        if not self.pending:
            self.stop()

    def stop(self) -> None:
        """Close the helper's pipes (it exits) and hand every job still open back."""
        process = self.process
        for pipe, unwatch in (
            (process.stdin, self.loop.remove_writer if self.loop else None),
            (process.stdout, self.loop.remove_reader if self.loop else None),
        ):
            if pipe is None:
                continue
            try:
                if unwatch is not None:
                    unwatch(pipe.fileno())
                pipe.close()
            except (OSError, ValueError):
                pass
        process.stdin = process.stdout = None
        pending, self.pending = self.pending, {}
        for on_checked, timer in pending.values():
            timer.cancel()
            on_checked(None)
        _reap(process)

    # -- pipes -------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> bool:
        if self.loop is None or not self.alive:
            return False
        self._outbox += json.dumps(message).encode() + b"\n"
        self._flush()
        return self.alive

    def _flush(self) -> None:
        stdin = self.process.stdin
        if stdin is None or self.loop is None:
            return
        try:
            written = os.write(stdin.fileno(), self._outbox)
        except BlockingIOError:
            written = 0
        except OSError:  # the helper is gone
            self.stop()
            return
        del self._outbox[:written]
        if self._outbox:
            self.loop.add_writer(stdin.fileno(), self._flush)
        else:
            self.loop.remove_writer(stdin.fileno())

    def _read(self) -> None:
        stdout = self.process.stdout
        if stdout is None:
            return
        try:
            chunk = os.read(stdout.fileno(), READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:  # the helper exited
            self.stop()
            return
        self._inbox += chunk
        *lines, self._inbox = self._inbox.split(b"\n")
        for line in lines:
            self._deliver(line)

    def _deliver(self, line: bytes) -> None:
        try:
            reply = json.loads(line)
            job = reply["id"]
        except (ValueError, KeyError, TypeError):
            log.warning("the start-up helper wrote something unreadable; stopping it")
            self.stop()
            return
        waiting = self.pending.pop(job, None)
        if waiting is None:
            return
        on_checked, timer = waiting
        timer.cancel()
        rows = reply.get("problems")
        if rows is None:
            log.info("the start-up helper declined %s: %s", job, reply.get("declined"))
            on_checked(None)
        else:
            try:
                found = [problem_from_json(row) for row in rows]
            except (ValueError, TypeError):
                found = None
            on_checked(found)
        if self.retiring and not self.pending:
            self.stop()

    def _time_out(self, job: int) -> None:
        waiting = self.pending.pop(job, None)
        if waiting is not None:
            log.warning("the start-up helper did not answer in %.0f s; stopping it", CHECK_TIMEOUT)
            waiting[0](None)
            self.stop()


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Collect the exit status in the background, so no zombie stays behind."""
    import threading

    threading.Thread(target=process.wait, name="excore-ls-helper-reaper", daemon=True).start()


def main() -> int:
    return serve(sys.stdin.buffer, sys.stdout.buffer)
