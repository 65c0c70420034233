"""The language server: its state, the routing table (LSP method → handler) and the options.

A request goes: pygls reads a frame (through ``transport.FrameGuard``) → ``protocol`` applies the
lifecycle rules → the handler named in ``ROUTES`` (``handlers``) turns positions into offsets,
calls one feature over the file's analysis and converts the plain result with ``convert``.
Diagnostics are published by ``publish``; the warm-up after ``initialize`` is in ``warmup`` and
the index dump command in ``dump``. Nothing here knows the config language.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from excore.syntax.grammar import PREFIXES
from excore_ls import __version__, convert, dump, handlers
from excore_ls.analysis.documents import DocumentStore
from excore_ls.analysis.index_state import DUMP_COMMAND, IndexState, Notice
from excore_ls.background import LargeDocuments
from excore_ls.protocol import ExcoreProtocol
from excore_ls.publish import Publisher
from excore_ls.status import STATUS_REQUEST, StatusSender

if TYPE_CHECKING:
    # The analysis and the features are imported on first use: initialize answers fast.
    from excore.config.loader import LoadedConfig
    from excore_ls.analysis.documents import OpenDocument
    from excore_ls.analysis.fragments import FamilyScanner
    from excore_ls.analysis.session import Analyzer, FileAnalysis

log = logging.getLogger("excore_ls")
TRIGGERS = ["[", ".", '"', *PREFIXES, "{", "/", ":"]


class ExcoreLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "excore-ls",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            protocol_cls=ExcoreProtocol,
            converter_factory=convert.make_converter,
        )
        # The documents and the index are all the diagnostics need; the analysis behind the
        # other features (``analyzer``) is loaded on first use.
        self.documents = DocumentStore()
        self.indexes = IndexState()
        self.publisher = Publisher(self)
        self.statuses = StatusSender(self)
        self.large = LargeDocuments(self)  # large documents: parsed off the request path
        self._analyzer: Analyzer | None = None
        self._families: FamilyScanner | None = None
        self.edit_range_default = False
        self.completion_cache: tuple[object, int, convert.RawJson] | None = None
        self.markdown = True
        self.snippets = True
        self.progress_supported = False
        self.dumping = False
        self.warm_up_started = False

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside a request (a malformed message, a failing notification handler) go to
        the log, never to a popup: the user can do nothing about them."""
        log.warning("excore-ls: %s: %s", getattr(source, "__name__", source), error)

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            from excore_ls.analysis.session import Analyzer

            self._analyzer = Analyzer(documents=self.documents, indexes=self.indexes)
        return self._analyzer

    def forget(self, uri: str) -> None:
        """Drop the cached analysis of ``uri`` (its text was replaced)."""
        if self._analyzer is not None:
            self._analyzer.forget(uri)

    @property
    def families(self) -> FamilyScanner:
        if self._families is None:
            from excore_ls.analysis.fragments import FamilyScanner

            self._families = FamilyScanner(self.documents)
        return self._families

    def families_changed(self) -> None:
        if self._families is not None:
            self._families.invalidate()

    @property
    def encoding(self) -> str:
        try:
            encoding = self.workspace.position_encoding
        except RuntimeError:  # before initialize
            return convert.UTF16
        return str(getattr(encoding, "value", encoding) or convert.UTF16)

    def codec(self, doc: OpenDocument) -> convert.Codec:
        return convert.Codec(doc.lines, self.encoding)

    def codec_of(self, key: str) -> convert.Codec | None:
        doc = self.documents.by_path(key)
        if doc is not None:
            return self.codec(doc)
        cfg = self.analyzer.config_for(key)
        return convert.Codec(cfg.lines, self.encoding) if cfg is not None else None

    def analysis(self, uri: str) -> FileAnalysis | None:
        fa = self.analyzer.analysis(uri)
        self.flush_notices()
        return fa

    def flush_notices(self) -> None:
        for notice in self.indexes.take_notices():
            self.show(notice)

    def show(self, notice: Notice) -> None:
        if notice.level == "info":  # not worth a popup: the output panel / :LspLog
            self.window_log_message(convert.log_message(notice.message, notice.level))
        else:
            self.window_show_message(convert.show_message(notice.message, notice.level))
        log.info("%s", notice.message)

    def related_files(self, fa: FileAnalysis) -> list[LoadedConfig]:
        """The configs that include ``fa``'s file, each as the engine loads it (its family)."""
        path = fa.config.path
        root = fa.loaded.root if fa.loaded is not None else None
        if path is None or root is None:
            return []
        return [self.analyzer.family(key) for key in self.families.includers(path, root)]


class ClientLogHandler(logging.Handler):
    """Forwards the server's warnings and errors to the client (window/logMessage)."""

    def __init__(self, ls: ExcoreLanguageServer) -> None:
        super().__init__(logging.WARNING)
        self.ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        level = "error" if record.levelno >= logging.ERROR else "warning"
        with contextlib.suppress(Exception):  # never let logging break the server
            self.ls.window_log_message(convert.log_message(self.format(record), level))


server = ExcoreLanguageServer()
log.addHandler(ClientLogHandler(server))
OPTIONS = convert.ServerOptions(TRIGGERS)

# The routing table: LSP method -> handler (and its options).
ROUTES: list[tuple[str, Callable[..., Any], Any]] = [
    (lsp.INITIALIZE, handlers.initialize, None),
    (lsp.INITIALIZED, handlers.initialized, None),
    (lsp.TEXT_DOCUMENT_DID_OPEN, handlers.did_open, None),
    (lsp.TEXT_DOCUMENT_DID_CHANGE, handlers.did_change, None),
    (lsp.TEXT_DOCUMENT_DID_CLOSE, handlers.did_close, None),
    (lsp.TEXT_DOCUMENT_DID_SAVE, handlers.did_save, None),
    (lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, handlers.did_change_watched_files, None),
    (lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, handlers.did_change_workspace_folders, None),
    (STATUS_REQUEST, handlers.status, None),
    (lsp.TEXT_DOCUMENT_COMPLETION, handlers.completion, OPTIONS.completion),
    (lsp.COMPLETION_ITEM_RESOLVE, handlers.completion_resolve, None),
    (lsp.TEXT_DOCUMENT_HOVER, handlers.hover, None),
    (lsp.TEXT_DOCUMENT_DEFINITION, handlers.definition, None),
    (lsp.TEXT_DOCUMENT_DECLARATION, handlers.declaration, None),
    (lsp.TEXT_DOCUMENT_REFERENCES, handlers.references, None),
    (lsp.TEXT_DOCUMENT_PREPARE_RENAME, handlers.prepare_rename, None),
    (lsp.TEXT_DOCUMENT_RENAME, handlers.rename, OPTIONS.rename),
    (lsp.TEXT_DOCUMENT_CODE_ACTION, handlers.code_action, OPTIONS.actions),
    (lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL, handlers.document_symbol, None),
    (lsp.WORKSPACE_SYMBOL, handlers.workspace_symbol, None),
    (lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, handlers.semantic_tokens, OPTIONS.tokens),
    (lsp.TEXT_DOCUMENT_DOCUMENT_LINK, handlers.document_link, None),
    (lsp.TEXT_DOCUMENT_INLAY_HINT, handlers.inlay_hint, None),
]

for _method, _handler, _options in ROUTES:
    if _options is None:
        server.feature(_method)(_handler)
    else:
        server.feature(_method, _options)(_handler)


async def dump_index(ls: ExcoreLanguageServer, *args: Any) -> dict[str, Any]:
    """The dump command. Registered from here: pygls reads a command's annotations to convert
    its arguments, and ``ExcoreLanguageServer`` resolves only in this module."""
    return await dump.dump_index(ls, *args)


server.command(DUMP_COMMAND)(dump_index)
