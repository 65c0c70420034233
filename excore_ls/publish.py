"""Publishing diagnostics: when (at once on open, debounced after edits) and off the request path.

The check of a file runs in a worker thread (``asyncio.to_thread``) over a snapshot of the texts,
so requests are answered while a long check runs (a 100,000-line config takes seconds; such a
large document is then parsed for the features, off the request path too: ``background``). One
check per document runs at a time; an edit made meanwhile marks it superseded: its result is
dropped (the document's version moved on) and the check runs again on the newest text.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from excore_ls import convert
from excore_ls.analysis.index_state import WORKSPACE_FILE_NAMES

if TYPE_CHECKING:
    from excore.problems import Problem
    from excore_ls.analysis.documents import OpenDocument
    from excore_ls.server import ExcoreLanguageServer

log = logging.getLogger("excore_ls")
DEBOUNCE = 0.08  # seconds after the last edit of a document before it is checked again
OTHERS_DEBOUNCE = 0.4  # ... before the other open documents (they may include it) are


class Publisher:
    def __init__(self, ls: ExcoreLanguageServer) -> None:
        self.ls = ls
        self.problems: dict[str, tuple[int, list[Problem]]] = {}  # uri -> (version, problems)
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._superseded: set[str] = set()
        self.published_once = threading.Event()

    # -- what the handlers call ------------------------------------------------------------------

    def publish(self, uri: str) -> None:
        """Check ``uri`` now (in the background) and publish its diagnostics."""
        self._cancel_timer(uri)
        if self.ls.documents.get(uri) is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a direct call): check in place
            self._publish_now(uri)
            return
        if uri in self._running:
            self._superseded.add(uri)
            return
        self._running[uri] = loop.create_task(self._check(uri))

    def schedule(self, uri: str, delay: float = DEBOUNCE) -> None:
        self._cancel_timer(uri)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.publish(uri)
            return
        self._timers[uri] = loop.call_later(delay, self.publish, uri)

    def schedule_family_of(self, key: str) -> None:
        """Re-check the edited document soon, and every other open document a bit later (a
        change can reach files that include this one, or that it includes)."""
        doc = self.ls.documents.by_path(key)
        if doc is not None:
            self.schedule(doc.uri, DEBOUNCE)
        self.schedule_others(key)

    def schedule_others(self, key: str) -> None:
        for doc in self.ls.documents.all():
            if doc.key != key:
                self.schedule(doc.uri, OTHERS_DEBOUNCE)

    def republish_all(self) -> None:
        for doc in self.ls.documents.all():
            self.schedule(doc.uri, 0.0)

    def closed(self, uri: str) -> None:
        self._cancel_timer(uri)
        self.problems.pop(uri, None)
        self._superseded.discard(uri)
        self.ls.text_document_publish_diagnostics(convert.publish_diagnostics(uri, None, [], None))

    def problems_for(self, uri: str) -> list[Problem]:
        """The current problems of ``uri`` (checked now if its version has none yet)."""
        doc = self.ls.documents.get(uri)
        if doc is None:
            return []
        cached = self.problems.get(uri)
        if cached is not None and cached[0] == doc.version:
            return cached[1]
        found = self.job(doc)()
        self.problems[uri] = (doc.version, found)
        return found

    # -- checking --------------------------------------------------------------------------------

    def job(self, doc: OpenDocument) -> Callable[[], list[Problem]]:
        """What checking ``doc`` takes, prepared on the event loop's thread: a function of a
        snapshot of the texts that may run in another thread."""
        from excore_ls.features import diagnostics

        ls = self.ls
        key, text, uri = doc.key, doc.text, doc.uri
        if doc.path is not None and doc.path.name in WORKSPACE_FILE_NAMES:  # not a config
            return lambda: diagnostics.workspace_file_problems(key, text)
        loaded = ls.indexes.for_file(doc.path) if doc.path is not None else None
        ls.flush_notices()
        if loaded is not None:
            ls.statuses.send(loaded)  # excore/indexStatus, when it changed
        root = loaded.root if loaded is not None else None
        family = ls.families.family(root) if root is not None else None
        if loaded is None or loaded.index is None or "://" in key:
            # the server's own analysis is needed (it is not shared with other threads): now
            found = diagnostics.problems_of(
                key, text, loaded, ls.documents.buffer_text, family, lambda: ls.analysis(uri)
            )
            return lambda: found
        texts = {d.key: d.text for d in ls.documents.all()}

        def read(path: str) -> str | None:
            return texts.get(path)  # None: the engine reads the file from disk

        return lambda: diagnostics.problems_of(key, text, loaded, read, family, lambda: None)

    async def _check(self, uri: str) -> None:
        try:
            while True:
                self._superseded.discard(uri)
                doc = self.ls.documents.get(uri)
                if doc is None:
                    return
                version = doc.version
                if doc.path is not None:  # a large index is read off the request path too
                    await asyncio.to_thread(self.ls.indexes.for_file, doc.path)
                try:
                    found = await asyncio.to_thread(self.job(doc))
                except Exception:
                    log.exception("diagnostics failed for %s", uri)
                    found = None
                current = self.ls.documents.get(uri) is doc and doc.version == version
                if found is not None and current:
                    self.problems[uri] = (version, found)
                    self._send(doc, found)
                    self.ls.large.prepare(doc)  # a large document's parse for the features
                if uri not in self._superseded:
                    return
        finally:
            self._running.pop(uri, None)

    def _publish_now(self, uri: str) -> None:
        doc = self.ls.documents.get(uri)
        if doc is None:
            return
        try:
            found = self.job(doc)()
        except Exception:
            log.exception("diagnostics failed for %s", uri)
            return
        self.problems[uri] = (doc.version, found)
        self._send(doc, found)

    def _send(self, doc: OpenDocument, found: list[Problem]) -> None:
        codec = self.ls.codec(doc)
        params = convert.publish_diagnostics(doc.uri, doc.version, found, codec, self.ls.codec_of)
        self.ls.text_document_publish_diagnostics(params)
        self.published_once.set()

    def _cancel_timer(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
