"""The handlers the routing table (``server.ROUTES``) names: a few lines each.

A feature handler goes position → offset (``at``), the file's analysis → the feature function
→ ``convert``. The lifecycle and document-sync handlers update the server's state and ask the
publisher for diagnostics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from excore_ls import convert
from excore_ls.analysis.documents import uri_to_path
from excore_ls.analysis.index_state import Notice
from excore_ls.warmup import start_warm_up, workspace_folders

if TYPE_CHECKING:
    from excore_ls.analysis.session import FileAnalysis
    from excore_ls.server import ExcoreLanguageServer as Server

REQUEST_FAILED = -32803
WATCHED = ["**/.excore/index.json", "**/*.toml", "**/*.py"]  # .py: the index may become stale


# -- lifecycle -----------------------------------------------------------------------------------


def initialize(ls: Server, params: lsp.InitializeParams) -> None:
    read_client_settings(ls, params)
    # right after the answer is written, so the warm-up overlaps the client's turn; without an
    # event loop (a direct call) `initialized` starts it
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop().call_soon(start_warm_up, ls)


def read_client_settings(ls: Server, params: lsp.InitializeParams) -> None:
    caps = params.capabilities
    td = caps.text_document
    if td is not None and td.hover is not None and td.hover.content_format is not None:
        ls.markdown = lsp.MarkupKind.Markdown in td.hover.content_format
    item = td.completion.completion_item if td and td.completion else None
    ls.snippets = bool(item and item.snippet_support)
    ls.progress_supported = bool(caps.window and caps.window.work_done_progress)
    completion_list = td.completion.completion_list if td and td.completion else None
    ls.edit_range_default = bool(
        completion_list and "editRange" in (completion_list.item_defaults or [])
    )
    options = params.initialization_options
    if options is None:
        return
    if not isinstance(options, dict):
        kind = type(options).__name__
        message = f"excore-ls: initializationOptions must be an object, got {kind}; ignored"
        ls.show(Notice("bad-options", message, "error"))
        return
    index_path = options.get("indexPath")
    if index_path is None:
        return
    if not isinstance(index_path, str) or not index_path:
        message = (
            "excore-ls: initializationOptions.indexPath must be a path string, "
            f"got {index_path!r}; ignored"
        )
        ls.show(Notice("bad-index-path", message, "error"))
        return
    path = Path(os.path.expanduser(index_path))
    if path.is_absolute():  # one index for every file
        ls.indexes.override = path.resolve()
    else:  # relative to the root of each workspace
        ls.indexes.relative = path


def initialized(ls: Server, params: lsp.InitializedParams) -> None:
    start_warm_up(ls)
    ws = ls.client_capabilities.workspace
    if ws and ws.did_change_watched_files and ws.did_change_watched_files.dynamic_registration:
        ls.client_register_capability(convert.watch_registration("excore-watch", WATCHED))


# -- document sync -------------------------------------------------------------------------------


def did_open(ls: Server, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    doc = ls.documents.open(item.uri, item.text, item.version)
    ls.families_changed()
    ls.forget(item.uri)
    ls.publisher.publish(item.uri)  # at once; the other open files are checked again later
    ls.publisher.schedule_others(doc.key)


def did_change(ls: Server, params: lsp.DidChangeTextDocumentParams) -> None:
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        return
    for change in params.content_changes:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            codec = ls.codec(doc)
            doc.replace(
                codec.offset(change.range.start), codec.offset(change.range.end), change.text
            )
        else:
            doc.replace(0, len(doc.text), change.text)
    doc.version = params.text_document.version
    ls.publisher.schedule_family_of(doc.key)


def did_close(ls: Server, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    doc = ls.documents.get(uri)
    ls.forget(uri)
    ls.documents.close(uri)
    ls.publisher.closed(uri)
    if doc is not None:
        ls.publisher.schedule_family_of(doc.key)


def did_save(ls: Server, params: lsp.DidSaveTextDocumentParams) -> None:
    doc = ls.documents.get(params.text_document.uri)
    ls.families_changed()
    if doc is not None:
        ls.publisher.schedule_family_of(doc.key)


def did_change_workspace_folders(ls: Server, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
    """pygls' workspace has the new folders already: read the indexes of the added ones (and
    tell the client their status), drop those of the removed ones no open file still uses."""
    located = (ls.indexes.locate(doc.path) for doc in ls.documents.all() if doc.path)
    open_roots = {found[1] for found in located if found is not None}
    for folder in params.event.removed:
        path = uri_to_path(folder.uri)
        for gone in ls.indexes.forget_under(path, open_roots) if path is not None else []:
            ls.statuses.forget(gone.root)
    for folder in params.event.added:
        path = uri_to_path(folder.uri)
        if path is not None and ls.indexes.locate_dir(path) is not None:
            loaded = ls.indexes.for_file(path / "excore.toml")
            if loaded is not None:
                ls.statuses.send(loaded)
    ls.flush_notices()


def status(ls: Server, params: Any) -> dict[str, Any] | None:
    """``excore/status``: the status of the workspace of ``params.uri`` (``excore_ls.status``)."""
    from excore_ls.status import requested_uri, status_of

    uri = requested_uri(params)
    found = status_of(ls, uri) if uri is not None else None
    return convert.index_status(found) if found is not None else None


def did_change_watched_files(ls: Server, params: lsp.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        path = uri_to_path(change.uri)
        if path is not None:
            ls.indexes.invalidate(path.resolve())
    ls.families_changed()
    ls.publisher.republish_all()


# -- features ------------------------------------------------------------------------------------


async def at(ls: Server, uri: str, position: lsp.Position) -> tuple[FileAnalysis, int] | None:
    """The preamble of every positional request: the file's analysis and the offset (a large
    document's whole parse is waited for without holding up other requests: ``background``)."""
    fa = await ls.large.ready(uri)
    if fa is None:
        return None
    return fa, ls.codec(fa.doc).offset(position)


def at_quick(ls: Server, uri: str, position: lsp.Position) -> tuple[FileAnalysis, int] | None:
    """``at`` for completion and hover: before a large document's whole parse is ready, the
    analysis of the window around the position."""
    doc = ls.documents.get(uri)
    if doc is None:
        return None
    offset = ls.codec(doc).offset(position)
    fa = ls.large.quick(uri, offset)
    return (fa, offset) if fa is not None else None


async def span(ls: Server, uri: str, range: lsp.Range) -> tuple[FileAnalysis, int, int] | None:
    """The preamble of a range request: the file's analysis and the range's offsets."""
    fa = await ls.large.ready(uri)
    if fa is None:
        return None
    codec = ls.codec(fa.doc)
    return fa, codec.offset(range.start), codec.offset(range.end)


def completion(ls: Server, params: lsp.CompletionParams) -> convert.RawJson | None:
    from excore_ls.features import completion

    found = at_quick(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    fa, offset = found
    cached = ls.completion_cache
    if cached is not None and cached[0] is fa and cached[1] == offset:
        return cached[2]
    items, incomplete = completion.complete_list(fa, offset, ls.snippets)
    codec = ls.codec(fa.doc)
    data = convert.completion_list_json(
        items, codec, ls.markdown, ls.snippets, ls.edit_range_default, incomplete
    )
    result = convert.RawJson(data)
    ls.completion_cache = (fa, offset, result)
    return result


def completion_resolve(ls: Server, item: lsp.CompletionItem) -> lsp.CompletionItem:
    from excore_ls.features import completion

    asked = convert.resolve_request(item)
    if item.documentation is not None or asked is None:
        return item
    for state in ls.indexes.loaded.values():
        doc = completion.resolve_documentation(state.index, asked)
        if doc:
            item.documentation = convert.markup(doc, ls.markdown)
            break
    return item


def hover(ls: Server, params: lsp.HoverParams) -> lsp.Hover | None:
    from excore_ls.features import hover

    found = at_quick(ls, params.text_document.uri, params.position)
    result = hover.hover(*found) if found is not None else None
    return convert.hover(result, ls.codec(found[0].doc), ls.markdown) if found and result else None


async def _places(
    ls: Server, uri: str, position: lsp.Position, find: Callable[[FileAnalysis, int], Any]
) -> list[lsp.Location] | None:
    found = await at(ls, uri, position)
    if found is None:
        return None
    return [convert.location(p, ls.codec_of) for p in find(*found)] or None


async def definition(ls: Server, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    from excore_ls.features import definition

    return await _places(ls, params.text_document.uri, params.position, definition.definition)


async def declaration(ls: Server, params: lsp.DeclarationParams) -> list[lsp.Location] | None:
    from excore_ls.features import definition

    return await _places(ls, params.text_document.uri, params.position, definition.declaration)


async def references(ls: Server, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    from excore_ls.features import references

    def find(fa: FileAnalysis, offset: int) -> Any:
        include = params.context.include_declaration
        return references.references(fa, offset, include, related=ls.related_files)

    return await _places(ls, params.text_document.uri, params.position, find)


async def prepare_rename(
    ls: Server, params: lsp.PrepareRenameParams
) -> lsp.PrepareRenamePlaceholder | None:
    from excore_ls.features import references

    found = await at(ls, params.text_document.uri, params.position)
    result = references.prepare_rename(*found) if found is not None else None
    if isinstance(result, str):
        raise JsonRpcException(result, code=REQUEST_FAILED)
    if found is None or result is None:
        return None
    return convert.rename_placeholder(*result, ls.codec(found[0].doc))


async def rename(ls: Server, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    from excore_ls.features import references

    found = await at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    result = references.rename(*found, params.new_name, related=ls.related_files)
    if isinstance(result, str):
        raise JsonRpcException(result, code=REQUEST_FAILED)
    return convert.workspace_edit(result, ls.codec_of)


async def code_action(ls: Server, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    from excore_ls.features import code_actions

    found = await span(ls, params.text_document.uri, params.range)
    if found is None:
        return None
    problems = ls.publisher.problems_for(params.text_document.uri)
    only = convert.action_kinds(params.context.only)
    actions = code_actions.code_actions(*found, problems, only)
    return [convert.code_action(a, ls.codec_of, params.context.diagnostics) for a in actions]


async def document_symbol(
    ls: Server, params: lsp.DocumentSymbolParams
) -> list[lsp.DocumentSymbol] | None:
    from excore_ls.features import symbols

    fa = await ls.large.ready(params.text_document.uri)
    if fa is None:
        return None
    codec = ls.codec(fa.doc)
    return [convert.document_symbol(s, codec) for s in symbols.document_symbols(fa)]


def workspace_symbol(
    ls: Server, params: lsp.WorkspaceSymbolParams
) -> list[lsp.WorkspaceSymbol] | None:
    from excore_ls.features import symbols

    if not any(s.index is not None for s in ls.indexes.loaded.values()):
        for root in workspace_folders(ls):  # nothing opened yet: the folders' indexes
            ls.indexes.for_file(root / "excore.toml")
        ls.flush_notices()
    indexes = [s for s in ls.indexes.loaded.values() if s.index is not None]
    found = symbols.workspace_symbols(indexes, params.query)
    return [convert.workspace_symbol(s, ls.codec_of) for s in found]


async def semantic_tokens(
    ls: Server, params: lsp.SemanticTokensParams
) -> lsp.SemanticTokens | None:
    from excore_ls.features import semantic_tokens

    fa = await ls.large.ready(params.text_document.uri)
    if fa is None:
        return None
    return convert.semantic_tokens(semantic_tokens.tokens(fa), ls.codec(fa.doc))


async def document_link(
    ls: Server, params: lsp.DocumentLinkParams
) -> list[lsp.DocumentLink] | None:
    from excore_ls.features import links

    fa = await ls.large.ready(params.text_document.uri)
    if fa is None:
        return None
    codec = ls.codec(fa.doc)
    td = ls.client_capabilities.text_document
    tooltips = bool(td and td.document_link and td.document_link.tooltip_support)
    return [convert.document_link(link, codec, tooltips) for link in links.document_links(fa)]


async def inlay_hint(ls: Server, params: lsp.InlayHintParams) -> list[lsp.InlayHint] | None:
    from excore_ls.features import inlay_hints

    found = await span(ls, params.text_document.uri, params.range)
    if found is None:
        return None
    codec = ls.codec(found[0].doc)
    return [convert.inlay_hint(h, codec) for h in inlay_hints.inlay_hints(*found)]
