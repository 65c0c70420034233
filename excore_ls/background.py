"""Large documents: their whole parse is made in a worker thread, never on the request path.

A config larger than ``LARGE`` characters (a 100,000-line one takes a second or more to parse)
is parsed for the features in a worker thread, started by the first request that needs it or
once its first diagnostics are out. Until it is ready:

- completion and hover answer from the window around their position
  (:mod:`excore_ls.analysis.window`): the top-level part and the table holding the position;
- the other requests (definition, references, symbols, tokens, ...) wait for it without
  holding up any other request (their handlers are coroutines).

The parse is of a snapshot of the text; once done it is kept as the document's analysis (a
later version is then re-parsed only where it changed, on the request path as for any file).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from excore_ls.analysis.documents import OpenDocument
    from excore_ls.analysis.session import FileAnalysis
    from excore_ls.server import ExcoreLanguageServer

log = logging.getLogger("excore_ls")
LARGE = 1 << 20  # characters: a larger document is parsed for the features in a worker thread


class LargeDocuments:
    def __init__(self, ls: ExcoreLanguageServer) -> None:
        self.ls = ls
        self._parsing: dict[str, tuple[str, asyncio.Task[None]]] = {}  # uri -> (text, task)

    def pending(self, doc: OpenDocument) -> bool:
        """Whether the analysis of ``doc`` would parse a large text whole on the request path."""
        return len(doc.text) > LARGE and not self.ls.analyzer.parsed(doc)

    def prepare(self, doc: OpenDocument) -> asyncio.Task[None] | None:
        """Start parsing ``doc`` in a worker thread (if it is large and not parsed yet); the
        task doing it, or None without an event loop or when there is nothing to do."""
        if not self.pending(doc):
            return None
        running = self._parsing.get(doc.uri)
        if running is not None and running[0] is doc.text:
            return running[1]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        task = loop.create_task(self._parse(doc, doc.version, doc.text))
        self._parsing[doc.uri] = (doc.text, task)
        return task

    async def _parse(self, doc: OpenDocument, version: int, text: str) -> None:
        from excore_ls.analysis.config import analyse_text

        try:
            config = await asyncio.to_thread(analyse_text, doc.key, text)
        except Exception:
            log.exception("parsing %s failed", doc.uri)
            return
        finally:
            if self._parsing.get(doc.uri, ("", None))[0] is text:
                del self._parsing[doc.uri]
        if self.ls.documents.get(doc.uri) is doc:
            self.ls.analyzer.install(doc, version, text, config)

    def quick(self, uri: str, offset: int) -> FileAnalysis | None:
        """The analysis a completion or a hover at ``offset`` reads: the whole document's when
        it is ready (or small), else its window's."""
        doc = self.ls.documents.get(uri)
        if doc is None or not self.pending(doc):
            return self.ls.analysis(uri)
        self.prepare(doc)
        fa = self.ls.analyzer.window_analysis(uri, offset)
        self.ls.flush_notices()
        return fa

    async def ready(self, uri: str) -> FileAnalysis | None:
        """The whole document's analysis, waiting (without blocking other requests) for the
        parse of a large document."""
        for _ in range(3):  # a parse that failed is not tried for ever: then on the spot
            doc = self.ls.documents.get(uri)
            task = self.prepare(doc) if doc is not None else None
            if task is None:
                break
            await asyncio.shield(task)
        return self.ls.analysis(uri)
