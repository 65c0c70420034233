"""The language server: state, document sync, diagnostics publishing and the routing table.

Each handler converts positions to offsets, calls one feature function and converts its plain
result with ``convert``. Nothing here knows the config language.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer

from excore_ls import __version__, convert
from excore_ls.analysis.documents import DocumentStore, uri_to_path
from excore_ls.analysis.index_state import (
    DUMP_COMMAND,
    WORKSPACE_FILE_NAMES,
    IndexState,
    Notice,
    settle_young_objects,
)
from excore_ls.protocol import ExcoreProtocol

if TYPE_CHECKING:
    # The analysis and the features are imported on first use: initialize answers fast.
    from excore.problems import Problem
    from excore_ls.analysis.config import ConfigFile
    from excore_ls.analysis.documents import OpenDocument
    from excore_ls.analysis.fragments import FamilyScanner
    from excore_ls.analysis.session import Analyzer, FileAnalysis
    from excore_ls.startup_helper import StartupHelper

log = logging.getLogger("excore_ls")
DEBOUNCE = 0.08
OTHERS_DEBOUNCE = 0.4
REQUEST_FAILED = -32803
HEADER_LINE_LIMIT = 1 << 20  # bytes in one JSON-RPC header line read from stdin
TRIGGERS = ["[", ".", '"', "$", "@", "&", "{", "/", ":", "!"]


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
        self._analyzer: Analyzer | None = None
        self._families: FamilyScanner | None = None
        self.edit_range_default = False
        self._completion_cache: tuple[object, int, convert.RawJson] | None = None
        self.problems: dict[str, tuple[int, list[Problem]]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.markdown = True
        self.snippets = True
        self.progress_supported = False
        self.dumping = False
        self.published_once = threading.Event()
        self.warm_up_started = False
        # the start-up helper checks the first opened files until the warm-up can
        # (``checks_ready``); ``publish_count`` tells a late answer from a current one
        self.helper: StartupHelper | None = None
        self.checks_ready = False
        self.publish_count: dict[str, int] = {}

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio; the event loop itself watches stdin when it is a pipe or socket of
        its own, so a message costs no hand-off to a reader thread and back for every line."""
        if stdin is not None or stdout is not None or not _stdin_is_own_pipe():
            super().start_io(stdin, stdout)
            return
        stop = self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
        try:
            asyncio.run(self._serve_stdin(stop))
        except BrokenPipeError:
            log.error("the client closed the connection; stopping")
        except ValueError as exc:  # a header line longer than the reader's limit
            log.error("unreadable message header from the client (%s); stopping", exc)
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    async def _serve_stdin(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        stream = asyncio.StreamReader(limit=HEADER_LINE_LIMIT)
        reader: Any = stream
        try:
            await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(stream), sys.stdin.buffer
            )
        except (OSError, ValueError):  # not watchable after all: read in a thread
            reader = StdinAsyncReader(sys.stdin.buffer, self.thread_pool)
        await run_async(
            stop_event=stop,
            reader=reader,
            protocol=self.protocol,
            logger=log,
            error_handler=self.report_server_error,
        )

    # -- helpers ---------------------------------------------------------------------------------

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
        level = {
            "error": lsp.MessageType.Error,
            "warning": lsp.MessageType.Warning,
        }.get(notice.level, lsp.MessageType.Info)
        if notice.level == "info":  # not worth a popup: the output panel / :LspLog
            self.window_log_message(lsp.LogMessageParams(type=level, message=notice.message))
        else:
            self.window_show_message(lsp.ShowMessageParams(type=level, message=notice.message))
        log.info("%s", notice.message)

    def problems_for(self, uri: str) -> list[Problem]:
        doc = self.documents.get(uri)
        if doc is None:
            return []
        cached = self.problems.get(uri)
        if cached is not None and cached[0] == doc.version:
            return cached[1]
        return self.compute_problems(uri)

    def compute_problems(self, uri: str) -> list[Problem]:
        from excore_ls.features import diagnostics

        doc = self.documents.get(uri)
        if doc is None:
            return []
        if doc.path is not None and doc.path.name in WORKSPACE_FILE_NAMES:  # not a config
            return diagnostics.workspace_file_problems(doc.key, doc.text)
        loaded = self.indexes.for_file(doc.path) if doc.path is not None else None
        self.flush_notices()
        root = loaded.root if loaded is not None else None
        family = self.families.family(root) if root is not None else None
        found = diagnostics.problems_of(
            doc.key,
            doc.text,
            loaded,
            self.documents.read_text,
            family,
            lambda: self.analysis(uri),
        )
        self.problems[uri] = (doc.version, found)
        return found

    def publish(self, uri: str, ask_helper: bool = True) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:  # a check scheduled before this one would only repeat it
            timer.cancel()
        doc = self.documents.get(uri)
        if doc is None:
            return
        count = self.publish_count[uri] = self.publish_count.get(uri, 0) + 1
        if ask_helper and self._ask_helper(doc, count):
            return
        try:
            found = self.compute_problems(uri)
        except Exception:
            log.exception("diagnostics failed for %s", uri)
            return
        self._send_diagnostics(doc, found)

    def _ask_helper(self, doc: OpenDocument, count: int) -> bool:
        """Hand the check to the start-up helper while the warm-up cannot do it yet."""
        helper = self.helper
        if helper is None or self.checks_ready:
            return False
        version = doc.version

        def checked(found: list[Problem] | None) -> None:
            if self.publish_count.get(doc.uri) != count or self.documents.get(doc.uri) is not doc:
                return  # a later publish took over, or the document was closed
            if found is None or doc.version != version:
                self.publish(doc.uri, ask_helper=False)
                return
            log.info("diagnostics of %s from the start-up helper", doc.uri)
            self.problems[doc.uri] = (version, found)
            self._send_diagnostics(doc, found)

        docs = [(d.uri, d.version, d.text) for d in self.documents.all()]
        return helper.check(doc.uri, docs, self.indexes.override, checked)

    def _send_diagnostics(self, doc: OpenDocument, found: list[Problem]) -> None:
        codec = self.codec(doc)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=doc.uri,
                version=doc.version,
                diagnostics=[convert.diagnostic(p, codec, self.codec_of) for p in found],
            )
        )
        self.published_once.set()

    def schedule(self, uri: str, delay: float = DEBOUNCE) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.publish(uri)
            return
        self._timers[uri] = loop.call_later(delay, self.publish, uri)

    def schedule_family_of(self, key: str) -> None:
        """Re-check the edited document soon, and every other open document a bit later (a
        change can reach files that include this one, or that it includes)."""
        doc = self.documents.by_path(key)
        if doc is not None:
            self.schedule(doc.uri, DEBOUNCE)
        self.schedule_others(key)

    def schedule_others(self, key: str) -> None:
        """Re-check the open documents other than ``key`` a bit later."""
        for doc in self.documents.all():
            if doc.key != key:
                self.schedule(doc.uri, OTHERS_DEBOUNCE)

    def related_files(self, fa: FileAnalysis) -> list[ConfigFile]:
        """The configs that include ``fa``'s file, with their own families."""
        path = fa.config.path
        if path is None:
            return []
        from excore_ls.analysis.family import load_family

        root = fa.loaded.root if fa.loaded is not None else None
        out: list[ConfigFile] = []
        if root is None:
            return out
        for key in self.families.includers(path, root):
            got = self.analyzer.configs.get(key)
            if got is None:
                continue
            family = load_family(got[0], got[1], self.analyzer.configs)
            out.extend(family.files)
        return out

    def republish_all(self) -> None:
        for doc in self.documents.all():
            self.schedule(doc.uri, 0.0)


class ClientLogHandler(logging.Handler):
    """Forwards the server's warnings and errors to the client (window/logMessage)."""

    def __init__(self, ls: ExcoreLanguageServer) -> None:
        super().__init__(logging.WARNING)
        self.ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = (
                lsp.MessageType.Error
                if record.levelno >= logging.ERROR
                else lsp.MessageType.Warning
            )
            self.ls.window_log_message(
                lsp.LogMessageParams(type=level, message=self.format(record))
            )
        except Exception:  # never let logging break the server
            pass


server = ExcoreLanguageServer()
log.addHandler(ClientLogHandler(server))


# -- lifecycle -----------------------------------------------------------------------------------


def initialize(ls: ExcoreLanguageServer, params: lsp.InitializeParams) -> None:
    read_client_settings(ls, params)
    # right after the answer is written, so the warm-up overlaps the client's turn; without an
    # event loop (a direct call) `initialized` starts it
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop().call_soon(start_warm_up, ls)


def read_client_settings(ls: ExcoreLanguageServer, params: lsp.InitializeParams) -> None:
    caps = params.capabilities
    td = caps.text_document
    if td is not None and td.hover is not None and td.hover.content_format is not None:
        ls.markdown = lsp.MarkupKind.Markdown in td.hover.content_format
    if td is not None and td.completion is not None and td.completion.completion_item is not None:
        ls.snippets = bool(td.completion.completion_item.snippet_support)
    else:
        ls.snippets = False
    ls.progress_supported = bool(caps.window and caps.window.work_done_progress)
    completion_list = td.completion.completion_list if td and td.completion else None
    ls.edit_range_default = bool(
        completion_list and "editRange" in (completion_list.item_defaults or [])
    )
    options = params.initialization_options
    if options is None:
        return
    if not isinstance(options, dict):
        ls.show(
            Notice(
                "bad-options",
                f"excore-ls: initializationOptions must be an object, got {type(options).__name__}; ignored",
                "error",
            )
        )
        return
    index_path = options.get("indexPath")
    if index_path is None:
        return
    if not isinstance(index_path, str) or not index_path:
        ls.show(
            Notice(
                "bad-index-path",
                f"excore-ls: initializationOptions.indexPath must be a path string, got {index_path!r}; ignored",
                "error",
            )
        )
        return
    path = Path(os.path.expanduser(index_path))
    if not path.is_absolute() and params.root_uri:
        root = uri_to_path(params.root_uri)
        if root is not None:
            path = root / path
    ls.indexes.override = path.resolve()


# Imported in the background once ``initialize`` is answered: first what the diagnostics of the
# first opened file need, then the other features, after those diagnostics are out (importing
# them meanwhile would only compete with the first check for the interpreter).
DIAGNOSTICS_MODULES = (
    "excore_ls.analysis.fragments",
    "excore_ls.features.diagnostics",
    "excore.config.family",
    "excore.workspace",
    "excore.schema.index",
)
FEATURE_MODULES = (
    "excore_ls.analysis.session",
    "excore_ls.features.completion",
    "excore_ls.features.hover",
    "excore_ls.features.code_actions",
    "excore_ls.features.semantic_tokens",
    "excore_ls.features.definition",
    "excore_ls.features.references",
    "excore_ls.features.symbols",
    "excore_ls.features.links",
    "excore_ls.features.inlay_hints",
)
FEATURES_AFTER = 1.0  # seconds the feature imports wait for a first publishDiagnostics


def _import_all(names: tuple[str, ...]) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional part shows up later, where it is used
            log.exception("warm-up import of %s failed", name)


def _preload(
    ls: ExcoreLanguageServer,
    folders: list[Path],
    collector_was_on: bool,
    loop: asyncio.AbstractEventLoop | None,
) -> None:
    """Warm up while the editor opens its files: the diagnostics' imports and the index of each
    workspace folder, then, once the first diagnostics are published, the other features and
    the index's module entries. Until the first part is done, the start-up helper checks the
    files the editor opens.

    The garbage collector is paused meanwhile (``start_warm_up`` pauses it): what start-up makes
    (modules, the index) lives as long as the server, so collections would only traverse it.
    """
    try:
        _import_all(DIAGNOSTICS_MODULES)
        try:
            for folder in folders:
                ls.indexes.for_file(folder / "excore.toml")
        except Exception:  # the first request reports any problem properly
            log.exception("preloading the index failed")
        ls.checks_ready = True
        if ls.helper is not None and loop is not None:
            loop.call_soon_threadsafe(ls.helper.retire)
        ls.published_once.wait(FEATURES_AFTER)
        _import_all(FEATURE_MODULES)
        for loaded in list(ls.indexes.loaded.values()):
            loaded.build_entries()
    finally:
        settle_young_objects()
        if collector_was_on:
            gc.enable()


def start_warm_up(ls: ExcoreLanguageServer) -> None:
    if ls.warm_up_started:
        return
    ls.warm_up_started = True
    folders = [uri_to_path(f.uri) for f in ls.workspace.folders.values()]
    if not folders and ls.workspace.root_path:
        folders = [Path(ls.workspace.root_path)]
    found = [f for f in folders if f is not None]
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if ls.helper is not None:
        if loop is not None and ls.helper.attach(loop):
            ls.helper.prepare(found, ls.indexes.override)
        else:
            ls.helper.stop()
    collector_was_on = gc.isenabled()
    gc.disable()  # until the warm-up is done (see _preload)
    threading.Thread(
        target=_preload,
        args=(ls, found, collector_was_on, loop),
        name="excore-ls-preload",
        daemon=True,
    ).start()


def initialized(ls: ExcoreLanguageServer, params: lsp.InitializedParams) -> None:
    start_warm_up(ls)
    caps = ls.client_capabilities
    ws = caps.workspace
    if ws and ws.did_change_watched_files and ws.did_change_watched_files.dynamic_registration:
        watchers = [
            lsp.FileSystemWatcher(glob_pattern="**/.excore/index.json"),
            lsp.FileSystemWatcher(glob_pattern="**/*.toml"),
            lsp.FileSystemWatcher(glob_pattern="**/*.py"),  # the index may become stale
        ]
        ls.client_register_capability(
            lsp.RegistrationParams(
                registrations=[
                    lsp.Registration(
                        id="excore-watch",
                        method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                            watchers=watchers
                        ),
                    )
                ]
            )
        )


def did_open(ls: ExcoreLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    doc = ls.documents.open(item.uri, item.text, item.version)
    if ls._families is not None:
        ls._families.invalidate()
    ls.forget(item.uri)
    ls.publish(item.uri)  # at once, and once: the other open files are checked again later
    ls.schedule_others(doc.key)


def did_change(ls: ExcoreLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        return
    for change in params.content_changes:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            codec = ls.codec(doc)
            start = codec.offset(change.range.start)
            end = codec.offset(change.range.end)
            doc.replace(start, end, change.text)
        else:
            doc.replace(0, len(doc.text), change.text)
    doc.version = params.text_document.version
    ls.schedule_family_of(doc.key)


def did_close(ls: ExcoreLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    doc = ls.documents.get(uri)
    ls.forget(uri)
    ls.documents.close(uri)
    ls.problems.pop(uri, None)
    ls.publish_count.pop(uri, None)
    timer = ls._timers.pop(uri, None)
    if timer is not None:
        timer.cancel()
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    if doc is not None:
        ls.schedule_family_of(doc.key)


def did_save(ls: ExcoreLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
    doc = ls.documents.get(params.text_document.uri)
    if ls._families is not None:
        ls._families.invalidate()
    if doc is not None:
        ls.schedule_family_of(doc.key)


def did_change_watched_files(
    ls: ExcoreLanguageServer, params: lsp.DidChangeWatchedFilesParams
) -> None:
    if ls.helper is not None:  # its copy of the index may be out of date: check here from now
        ls.helper.retire()
    for change in params.changes:
        path = uri_to_path(change.uri)
        if path is None:
            continue
        ls.indexes.invalidate(path.resolve())
    if ls._families is not None:
        ls._families.invalidate()
    ls.republish_all()


# -- features ------------------------------------------------------------------------------------


def _at(
    ls: ExcoreLanguageServer, uri: str, position: lsp.Position
) -> tuple[FileAnalysis, int] | None:
    fa = ls.analysis(uri)
    if fa is None:
        return None
    return fa, ls.codec(fa.doc).offset(position)


def on_completion(ls: ExcoreLanguageServer, params: lsp.CompletionParams) -> convert.RawJson | None:
    from excore_ls.features import completion

    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    fa, offset = found
    cached = ls._completion_cache
    if cached is not None and cached[0] is fa and cached[1] == offset:
        return cached[2]
    items, incomplete = completion.complete_list(fa, offset, ls.snippets)
    result = convert.RawJson(
        convert.completion_list_json(
            items, ls.codec(fa.doc), ls.markdown, ls.snippets, ls.edit_range_default, incomplete
        )
    )
    ls._completion_cache = (fa, offset, result)
    return result


def on_completion_resolve(ls: ExcoreLanguageServer, item: lsp.CompletionItem) -> lsp.CompletionItem:
    from excore_ls.features import completion

    if item.documentation is not None or not isinstance(item.data, dict):
        return item
    for state in ls.indexes.loaded.values():
        doc = completion.resolve_documentation(state.index, item.data)
        if doc:
            item.documentation = lsp.MarkupContent(
                kind=lsp.MarkupKind.Markdown if ls.markdown else lsp.MarkupKind.PlainText,
                value=doc if ls.markdown else convert.plain_text(doc),
            )
            break
    return item


def on_hover(ls: ExcoreLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    from excore_ls.features import hover

    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    fa, offset = found
    result = hover.hover(fa, offset)
    return convert.hover(result, ls.codec(fa.doc), ls.markdown) if result else None


def _places_at(
    ls: ExcoreLanguageServer,
    params: lsp.DefinitionParams | lsp.DeclarationParams,
    find: Callable[[FileAnalysis, int], list[Any]],
) -> list[lsp.Location] | None:
    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    return [convert.location(p, ls.codec_of) for p in find(*found)] or None


def on_definition(
    ls: ExcoreLanguageServer, params: lsp.DefinitionParams
) -> list[lsp.Location] | None:
    from excore_ls.features import definition

    return _places_at(ls, params, definition.definition)


def on_declaration(
    ls: ExcoreLanguageServer, params: lsp.DeclarationParams
) -> list[lsp.Location] | None:
    from excore_ls.features import definition

    return _places_at(ls, params, definition.declaration)


def on_references(
    ls: ExcoreLanguageServer, params: lsp.ReferenceParams
) -> list[lsp.Location] | None:
    from excore_ls.features import references

    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    fa, offset = found
    places = references.references(
        fa, offset, params.context.include_declaration, related=ls.related_files
    )
    return [convert.location(p, ls.codec_of) for p in places] or None


def on_prepare_rename(
    ls: ExcoreLanguageServer, params: lsp.PrepareRenameParams
) -> lsp.PrepareRenamePlaceholder | None:
    from excore_ls.features import references

    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    fa, offset = found
    result = references.prepare_rename(fa, offset)
    if isinstance(result, str):
        raise JsonRpcException(result, code=REQUEST_FAILED)
    if result is None:
        return None
    start, end, name = result
    return lsp.PrepareRenamePlaceholder(range=ls.codec(fa.doc).range(start, end), placeholder=name)


def on_rename(ls: ExcoreLanguageServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    from excore_ls.features import references

    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    fa, offset = found
    result = references.rename(fa, offset, params.new_name, related=ls.related_files)
    if isinstance(result, str):
        raise JsonRpcException(result, code=REQUEST_FAILED)
    return convert.workspace_edit(result, ls.codec_of)


def on_code_action(
    ls: ExcoreLanguageServer, params: lsp.CodeActionParams
) -> list[lsp.CodeAction] | None:
    from excore_ls.features import code_actions

    fa = ls.analysis(params.text_document.uri)
    if fa is None:
        return None
    codec = ls.codec(fa.doc)
    start = codec.offset(params.range.start)
    end = codec.offset(params.range.end)
    problems = ls.problems_for(params.text_document.uri)
    only = convert.action_kinds(params.context.only)
    actions = code_actions.code_actions(fa, start, end, problems, only)
    return [convert.code_action(a, ls.codec_of, params.context.diagnostics) for a in actions]


def on_document_symbol(
    ls: ExcoreLanguageServer, params: lsp.DocumentSymbolParams
) -> list[lsp.DocumentSymbol] | None:
    from excore_ls.features import symbols

    fa = ls.analysis(params.text_document.uri)
    if fa is None:
        return None
    codec = ls.codec(fa.doc)
    return [convert.document_symbol(s, codec) for s in symbols.document_symbols(fa)]


def on_workspace_symbol(
    ls: ExcoreLanguageServer, params: lsp.WorkspaceSymbolParams
) -> list[lsp.WorkspaceSymbol] | None:
    from excore_ls.features import symbols

    indexes = [s for s in ls.indexes.loaded.values() if s.index is not None]
    if not indexes:  # nothing opened yet: the index of the editor's workspace folder
        roots = [uri_to_path(f.uri) for f in ls.workspace.folders.values()]
        if ls.workspace.root_path:
            roots.append(Path(ls.workspace.root_path))
        for root in roots:
            if root is not None:
                ls.indexes.for_file(root / "excore.toml")
        ls.flush_notices()
        indexes = [s for s in ls.indexes.loaded.values() if s.index is not None]
    found = symbols.workspace_symbols(indexes, params.query)
    return [convert.workspace_symbol(s, ls.codec_of) for s in found]


def on_semantic_tokens(
    ls: ExcoreLanguageServer, params: lsp.SemanticTokensParams
) -> lsp.SemanticTokens | None:
    from excore_ls.features import semantic_tokens

    fa = ls.analysis(params.text_document.uri)
    if fa is None:
        return None
    return convert.semantic_tokens(semantic_tokens.tokens(fa), ls.codec(fa.doc))


def on_document_link(
    ls: ExcoreLanguageServer, params: lsp.DocumentLinkParams
) -> list[lsp.DocumentLink] | None:
    from excore_ls.features import links

    fa = ls.analysis(params.text_document.uri)
    if fa is None:
        return None
    codec = ls.codec(fa.doc)
    td = ls.client_capabilities.text_document
    tooltips = bool(td and td.document_link and td.document_link.tooltip_support)
    return [convert.document_link(link, codec, tooltips) for link in links.document_links(fa)]


def on_inlay_hint(
    ls: ExcoreLanguageServer, params: lsp.InlayHintParams
) -> list[lsp.InlayHint] | None:
    from excore_ls.features import inlay_hints

    fa = ls.analysis(params.text_document.uri)
    if fa is None:
        return None
    codec = ls.codec(fa.doc)
    start = codec.offset(params.range.start)
    end = codec.offset(params.range.end)
    return [convert.inlay_hint(h, codec) for h in inlay_hints.inlay_hints(fa, start, end)]


async def dump_index(ls: ExcoreLanguageServer, *args: Any) -> str:
    """Run `excore schema dump` for the workspace of the open configs, then reload the index."""
    roots = {s.root for s in ls.indexes.loaded.values()}
    if not roots:
        for doc in ls.documents.all():
            located = ls.indexes.locate(doc.path)
            if located is not None:
                roots.add(located[1])
    if not roots:
        message = "excore: no workspace to dump (open a config inside an ExCore workspace)"
        ls.show(Notice(f"dump:{message}", message, "error"))
        return message
    if ls.dumping:
        return "excore: a dump is already running"
    ls.dumping = True
    token = f"excore-dump-{id(roots)}"
    try:
        if ls.progress_supported:
            try:
                await ls.work_done_progress.create_async(token)
                ls.work_done_progress.begin(
                    token,
                    lsp.WorkDoneProgressBegin(title="excore: dumping the index", percentage=0),
                )
            except Exception:
                ls.progress_supported = False
        messages = []
        for i, root in enumerate(sorted(roots)):
            ok, output = await _run_dump(root)
            messages.append(output)
            if ls.progress_supported:
                ls.work_done_progress.report(
                    token,
                    lsp.WorkDoneProgressReport(
                        message=str(root), percentage=int(100 * (i + 1) / len(roots))
                    ),
                )
            if not ok:
                ls.window_show_message(
                    lsp.ShowMessageParams(
                        type=lsp.MessageType.Error,
                        message=f"excore schema dump failed in {root}:\n{output}",
                    )
                )
        for state in ls.indexes.loaded.values():
            ls.indexes.reload(state)
        ls.flush_notices()
        ls.republish_all()
        return "\n".join(messages)
    finally:
        ls.dumping = False
        if ls.progress_supported:
            ls.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message="done"))


def _stdin_is_own_pipe() -> bool:
    """stdin is a pipe or socket (what editors give) that stdout does not share: making it
    non-blocking for the event loop then cannot affect the writes to stdout."""
    if os.name != "posix":
        return False
    try:
        fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
        st_in, st_out = os.fstat(fd_in), os.fstat(fd_out)
    except (AttributeError, OSError, ValueError):
        return False
    if not (stat.S_ISFIFO(st_in.st_mode) or stat.S_ISSOCK(st_in.st_mode)):
        return False
    return (st_in.st_dev, st_in.st_ino) != (st_out.st_dev, st_out.st_ino)


def dump_command(root: Path) -> list[str]:
    exe = shutil.which("excore", path=str(Path(sys.executable).parent))
    base = [exe] if exe else [sys.executable, "-m", "excore.cli.main"]
    return [*base, "schema", "dump", "--workspace", str(root)]


async def _run_dump(root: Path) -> tuple[bool, str]:
    try:
        proc = await asyncio.create_subprocess_exec(
            *dump_command(root),
            cwd=str(root),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=600)
    except (OSError, asyncio.TimeoutError) as exc:
        return False, f"cannot run excore schema dump: {exc}"
    return proc.returncode == 0, out.decode("utf-8", "replace").strip()


class _Options:
    completion = lsp.CompletionOptions(trigger_characters=TRIGGERS, resolve_provider=True)
    tokens = convert.semantic_legend()
    actions = lsp.CodeActionOptions(
        code_action_kinds=[
            lsp.CodeActionKind.QuickFix,
            lsp.CodeActionKind.Refactor,
            lsp.CodeActionKind.Source,
        ]
    )
    rename = lsp.RenameOptions(prepare_provider=True)
    symbols = lsp.WorkspaceSymbolOptions()


# The routing table: LSP method -> handler (and its options).
ROUTES: list[tuple[str, Callable[..., Any], Any]] = [
    (lsp.INITIALIZE, initialize, None),
    (lsp.INITIALIZED, initialized, None),
    (lsp.TEXT_DOCUMENT_DID_OPEN, did_open, None),
    (lsp.TEXT_DOCUMENT_DID_CHANGE, did_change, None),
    (lsp.TEXT_DOCUMENT_DID_CLOSE, did_close, None),
    (lsp.TEXT_DOCUMENT_DID_SAVE, did_save, None),
    (lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files, None),
    (lsp.TEXT_DOCUMENT_COMPLETION, on_completion, _Options.completion),
    (lsp.COMPLETION_ITEM_RESOLVE, on_completion_resolve, None),
    (lsp.TEXT_DOCUMENT_HOVER, on_hover, None),
    (lsp.TEXT_DOCUMENT_DEFINITION, on_definition, None),
    (lsp.TEXT_DOCUMENT_DECLARATION, on_declaration, None),
    (lsp.TEXT_DOCUMENT_REFERENCES, on_references, None),
    (lsp.TEXT_DOCUMENT_PREPARE_RENAME, on_prepare_rename, None),
    (lsp.TEXT_DOCUMENT_RENAME, on_rename, _Options.rename),
    (lsp.TEXT_DOCUMENT_CODE_ACTION, on_code_action, _Options.actions),
    (lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL, on_document_symbol, None),
    (lsp.WORKSPACE_SYMBOL, on_workspace_symbol, None),
    (lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, on_semantic_tokens, _Options.tokens),
    (lsp.TEXT_DOCUMENT_DOCUMENT_LINK, on_document_link, None),
    (lsp.TEXT_DOCUMENT_INLAY_HINT, on_inlay_hint, None),
]

for _method, _handler, _options in ROUTES:
    if _options is None:
        server.feature(_method)(_handler)
    else:
        server.feature(_method, _options)(_handler)
server.command(DUMP_COMMAND)(dump_index)
