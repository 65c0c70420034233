"""The one place that converts between the analysis' plain data and lsprotocol types.

Offsets are ``str`` indices; LSP positions are (line, column) in the negotiated encoding
(UTF-16 by default, UTF-8 and UTF-32 when the client prefers them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from lsprotocol import types as lsp

if TYPE_CHECKING:  # only types: the server imports this module before `initialize`
    from excore.problems import Problem
    from excore.syntax.text import LineIndex
    from excore_ls.analysis.index_state import IndexStatus
    from excore_ls.analysis.results import (
        Action,
        Candidate,
        Hint,
        HoverResult,
        Link,
        Place,
        Symbol,
        Token,
        WorkspaceSymbolResult,
    )

# The semantic token legend (features.semantic_tokens uses these names).
TOKEN_TYPES = [
    "namespace",
    "class",
    "function",
    "parameter",
    "variable",
    "property",
    "method",
    "operator",
    "decorator",
    "macro",
    "keyword",
]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary", "readonly"]

UTF16 = "utf-16"


class RawJson:
    """A result already in JSON form (dicts, lists, strings, numbers): pygls' converter sends it
    as it is instead of walking it again (see :func:`make_converter`)."""

    __slots__ = ("data",)

    def __init__(self, data: object) -> None:
        self.data = data


def _dumps(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


def make_converter() -> Any:
    """pygls' converter, plus: :class:`RawJson` results are not walked again."""
    from pygls.protocol import default_converter

    converter = default_converter()
    converter.register_unstructure_hook(RawJson, lambda raw: raw.data)
    return converter


def plain_text(markdown: str) -> str:
    """Markdown → plain text for clients that do not render markdown."""
    out = []
    for line in markdown.splitlines():
        if line.startswith("```"):
            continue
        out.append(line.replace("`", ""))
    return "\n".join(out)


class Codec:
    """Offset <-> position conversion for one text in one encoding."""

    __slots__ = ("encoding", "lines")

    def __init__(self, lines: LineIndex, encoding: str = UTF16) -> None:
        self.lines = lines
        self.encoding = str(encoding)

    def offset(self, pos: lsp.Position) -> int:
        line, column = pos.line, pos.character
        if self.encoding == UTF16:
            return self.lines.offset_utf16(line, column)
        if self.encoding == "utf-32":
            return self.lines.offset(line, column)
        # utf-8: column counts bytes
        if line >= self.lines.line_count:
            return len(self.lines.text)
        start = self.lines.line_start(line)
        end = self.lines.line_end(line)
        units, pos_ = 0, start
        text = self.lines.text
        while pos_ < end and units < column:
            units += len(text[pos_].encode("utf-8", "surrogatepass"))
            pos_ += 1
        return pos_

    def position(self, offset: int) -> lsp.Position:
        if self.encoding == UTF16:
            line, col = self.lines.position_utf16(offset)
        elif self.encoding == "utf-32":
            line, col = self.lines.position(offset)
        else:
            line, col = self.lines.position(offset)
            start = self.lines.line_start(line)
            col = len(self.lines.text[start : start + col].encode("utf-8", "surrogatepass"))
        return lsp.Position(line=line, character=col)

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(max(start, end)))


# -- diagnostics ---------------------------------------------------------------------------------

_SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}


def diagnostic(
    p: Problem, codec: Codec, codec_of: Callable[[str], Codec | None] | None = None
) -> lsp.Diagnostic:
    data: dict[str, Any] = {k: v for k, v in p.data.items() if _jsonable(v)}
    if p.key:
        data["key"] = p.key
    related = []
    for other in p.related:  # the other places a problem involves, when their text is known
        other_codec = codec if other.file == p.file else (codec_of and codec_of(other.file))
        if other_codec:
            related.append(
                lsp.DiagnosticRelatedInformation(
                    lsp.Location(
                        Path(other.file).as_uri(), other_codec.range(other.start, other.end)
                    ),
                    other.message,
                )
            )
    return lsp.Diagnostic(
        range=codec.range(p.start, p.end),
        message=p.message,
        severity=_SEVERITY.get(
            str(getattr(p.severity, "value", p.severity)), lsp.DiagnosticSeverity.Error
        ),
        code=p.code,
        source="excore",
        data=data or None,
        related_information=related or None,
    )


def _jsonable(value: object) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict, type(None)))


# -- completion ----------------------------------------------------------------------------------

_ITEM_KIND = {
    "field": lsp.CompletionItemKind.Module,
    "registry": lsp.CompletionItemKind.Folder,
    "class": lsp.CompletionItemKind.Class,
    "function": lsp.CompletionItemKind.Function,
    "module": lsp.CompletionItemKind.Module,
    "hook": lsp.CompletionItemKind.Event,
    "param": lsp.CompletionItemKind.Property,
    "keyword": lsp.CompletionItemKind.Keyword,
    "variable": lsp.CompletionItemKind.Variable,
    "value": lsp.CompletionItemKind.Value,
    "file": lsp.CompletionItemKind.File,
    "folder": lsp.CompletionItemKind.Folder,
    "member": lsp.CompletionItemKind.Field,
    "method": lsp.CompletionItemKind.Method,
    "property": lsp.CompletionItemKind.Property,
    "env": lsp.CompletionItemKind.Constant,
    "snippet": lsp.CompletionItemKind.Snippet,
}


_ITEM_KIND_INT = {name: int(kind.value) for name, kind in _ITEM_KIND.items()}


def completion_item(
    c: Candidate, codec: Codec, markdown: bool, snippets: bool, index: int
) -> lsp.CompletionItem:
    use_snippet = c.snippet and snippets
    text = c.insert if c.insert is not None else c.label
    if c.snippet and not snippets:
        text = c.plain_insert if c.plain_insert is not None else c.label
    doc: lsp.MarkupContent | None = None
    if c.doc:
        doc = lsp.MarkupContent(
            kind=lsp.MarkupKind.Markdown if markdown else lsp.MarkupKind.PlainText,
            value=c.doc if markdown else plain_text(c.doc),
        )
    return lsp.CompletionItem(
        label=c.label,
        kind=_ITEM_KIND.get(c.kind, lsp.CompletionItemKind.Text),
        detail=c.detail or None,
        documentation=doc,
        sort_text=f"{c.sort}{index:05d}",
        filter_text=c.filter,
        text_edit=lsp.TextEdit(range=codec.range(c.start, c.end), new_text=text),
        insert_text_format=lsp.InsertTextFormat.Snippet
        if use_snippet
        else lsp.InsertTextFormat.PlainText,
        preselect=c.preselect or None,
    )


def completion_list_json(
    candidates: Sequence[Candidate],
    codec: Codec,
    markdown: bool,
    snippets: bool,
    edit_range_default: bool,
    incomplete: bool = False,
) -> dict[str, Any]:
    """The completion list as JSON data (no per-item protocol objects: lists can hold 1,000s).

    A list the completion feature shares between positions (a :class:`SharedRangeList`: one
    with an ``encoded`` dict) is converted once per set of options; each answer only places it
    at its own range: with the client's ``itemDefaults.editRange`` (LSP 3.17) the items are the
    very same objects every time and the range is said once, else each item gets its own
    ``textEdit``.
    """
    options = (markdown, snippets, edit_range_default)
    if isinstance(getattr(candidates, "encoded", None), dict):
        shared = cast("SharedRangeList", candidates)
        made = shared.encoded.get(options)
        if not isinstance(made, _Converted):
            made = shared.encoded[options] = _Converted(
                shared.unplaced, markdown, snippets, edit_range_default
            )
        return made.placed(_range_json(codec, shared.start, shared.end), incomplete)
    made = _Converted(candidates, markdown, snippets, edit_range_default)
    return made.placed(_range_maker(codec), incomplete)


class SharedRangeList(Protocol):
    """Completion candidates that all replace ``[start, end)`` and are the same list at every
    such range; ``encoded`` keeps the converter's work for all of them, ``unplaced`` are the
    items at some other range (all the same range)."""

    start: int
    end: int
    encoded: dict[object, object]
    unplaced: Sequence[Candidate]


class _Converted:
    """Completion items as JSON data, but for the range each replaces: ``items`` (without
    ``textEdit``), the text each inserts and its offsets."""

    __slots__ = ("common", "items", "spans", "texts")

    def __init__(
        self, candidates: Sequence[Candidate], markdown: bool, snippets: bool, defaults: bool
    ) -> None:
        spans = [(c.start, c.end) for c in candidates]
        # one range for all items, said once in itemDefaults (when the client takes it)
        self.common = defaults and bool(spans) and spans.count(spans[0]) == len(spans)
        self.spans = spans
        self.items: list[dict[str, Any]] = []
        self.texts: list[str] = []
        doc_kind = "markdown" if markdown else "plaintext"
        for i, c in enumerate(candidates):
            use_snippet = c.snippet and snippets
            text = c.insert if c.insert is not None else c.label
            if c.snippet and not snippets:
                text = c.plain_insert if c.plain_insert is not None else c.label
            item: dict[str, Any] = {
                "label": c.label,
                "kind": _ITEM_KIND_INT.get(c.kind, 1),
                "sortText": f"{c.sort}{i:05d}",
            }
            if c.detail:
                item["detail"] = c.detail
            if c.doc:
                item["documentation"] = {
                    "kind": doc_kind,
                    "value": c.doc if markdown else plain_text(c.doc),
                }
            elif c.resolve is not None:
                item["data"] = _resolve_data(c.label, c.resolve)
            if c.filter is not None and c.filter != c.label:
                item["filterText"] = c.filter
            if self.common and text != c.label:
                item["textEditText"] = text
            if use_snippet:
                item["insertTextFormat"] = 2
            if c.preselect:
                item["preselect"] = True
            self.items.append(item)
            self.texts.append(text)

    def placed(
        self, where: dict[str, Any] | Callable[[int, int], object], incomplete: bool
    ) -> dict[str, Any]:
        """The list answered at one place: ``where`` is the one range all items replace, or
        what makes the range of each item's offsets."""
        if self.common:
            edit_range = where if isinstance(where, dict) else where(*self.spans[0])
            return {
                "isIncomplete": incomplete,
                "itemDefaults": {"editRange": edit_range},
                "items": self.items,
            }
        items = []
        for item, text, span in zip(self.items, self.texts, self.spans):
            edit_range = where if isinstance(where, dict) else where(*span)
            items.append({**item, "textEdit": {"range": edit_range, "newText": text}})
        return {"isIncomplete": incomplete, "items": items}


def _resolve_data(label: str, resolve: dict[str, str]) -> object:
    """What an item carries for ``completionItem/resolve``: just the registry when the item's
    label is the module's name (the common case: a fifth of a module name's item), else all."""
    if set(resolve) == {"module", "registry"} and resolve["module"] == label:
        return resolve["registry"]
    return resolve


def resolve_request(item: lsp.CompletionItem) -> dict[str, str] | None:
    """What a ``completionItem/resolve`` request asks for (see :func:`_resolve_data`)."""
    data = item.data
    if isinstance(data, str):
        return {"module": item.label, "registry": data}
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return data
    return None


def _range_json(codec: Codec, start: int, end: int) -> dict[str, Any]:
    r = codec.range(start, end)
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


def _range_maker(codec: Codec) -> Callable[[int, int], object]:
    """The JSON range of offsets, each made once."""
    made: dict[tuple[int, int], dict[str, Any]] = {}

    def range_of(start: int, end: int) -> object:
        got = made.get((start, end))
        if got is None:
            got = made[(start, end)] = _range_json(codec, start, end)
        return got

    return range_of


# -- hover, places -------------------------------------------------------------------------------


def hover(h: HoverResult, codec: Codec, markdown: bool) -> lsp.Hover:
    return lsp.Hover(
        contents=lsp.MarkupContent(
            kind=lsp.MarkupKind.Markdown if markdown else lsp.MarkupKind.PlainText,
            value=h.markdown if markdown else plain_text(h.markdown),
        ),
        range=codec.range(h.start, h.end),
    )


def location(place: Place, codec_of: Callable[[str], Codec | None]) -> lsp.Location:
    uri = file_uri(place.file)
    if place.line:
        pos = lsp.Position(line=max(place.line - 1, 0), character=0)
        return lsp.Location(uri=uri, range=lsp.Range(start=pos, end=pos))
    codec = codec_of(place.file)
    if codec is None:
        pos = lsp.Position(line=0, character=0)
        return lsp.Location(uri=uri, range=lsp.Range(start=pos, end=pos))
    return lsp.Location(uri=uri, range=codec.range(place.start, place.end))


def file_uri(key: str) -> str:
    return key if "://" in key else Path(key).absolute().as_uri()


# -- edits and actions ---------------------------------------------------------------------------


def workspace_edit(edits: list[Any], codec_of: Callable[[str], Codec | None]) -> lsp.WorkspaceEdit:
    changes: dict[str, list[lsp.TextEdit]] = {}
    for e in edits:
        codec = codec_of(e.file)
        if codec is None:
            continue
        changes.setdefault(file_uri(e.file), []).append(
            lsp.TextEdit(range=codec.range(e.start, e.end), new_text=e.new_text)
        )
    return lsp.WorkspaceEdit(changes=changes)


_ACTION_KIND = {
    "quickfix": lsp.CodeActionKind.QuickFix,
    "refactor": lsp.CodeActionKind.Refactor,
    "source": lsp.CodeActionKind.Source,
}


def action_kinds(only: Sequence[lsp.CodeActionKind | str] | None) -> list[str] | None:
    """The kinds of a request's ``context.only`` as plain values (``"quickfix"``): the client
    may send kinds this server does not know, which arrive as plain strings."""
    if only is None:
        return None
    return [str(getattr(k, "value", k)) for k in only]


def code_action(
    a: Action,
    codec_of: Callable[[str], Codec | None],
    diagnostics: Sequence[lsp.Diagnostic],
) -> lsp.CodeAction:
    matched = [d for d in diagnostics if any(d.code == code for code, _, _ in a.diagnostic_codes)]
    command = (
        lsp.Command(title=a.title, command=a.command, arguments=a.arguments or None)
        if a.command
        else None
    )
    return lsp.CodeAction(
        title=a.title,
        kind=_ACTION_KIND[a.kind],
        diagnostics=matched or None,
        edit=workspace_edit(a.edits, codec_of) if a.edits else None,
        command=command,
        is_preferred=a.preferred or None,
    )


# -- symbols, tokens, hints, links ---------------------------------------------------------------

_SYMBOL_KIND = {
    "namespace": lsp.SymbolKind.Namespace,
    "class": lsp.SymbolKind.Class,
    "function": lsp.SymbolKind.Function,
    "field": lsp.SymbolKind.Field,
    "variable": lsp.SymbolKind.Variable,
    "property": lsp.SymbolKind.Property,
    "module": lsp.SymbolKind.Module,
    "event": lsp.SymbolKind.Event,
}


def document_symbol(s: Symbol, codec: Codec) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=s.name or " ",
        kind=_SYMBOL_KIND[s.kind],
        range=codec.range(s.start, s.end),
        selection_range=codec.range(s.select_start, s.select_end),
        detail=s.detail or None,
        children=[document_symbol(c, codec) for c in s.children] or None,
    )


def workspace_symbol(
    s: WorkspaceSymbolResult, codec_of: Callable[[str], Codec | None]
) -> lsp.WorkspaceSymbol:
    return lsp.WorkspaceSymbol(
        name=s.name,
        kind=_SYMBOL_KIND[s.kind],
        location=location(s.place, codec_of),
        container_name=s.container or None,
    )


def semantic_tokens(tokens: list[Token], codec: Codec) -> lsp.SemanticTokens:
    data: list[int] = []
    prev_line = 0
    prev_col = 0
    type_ids = {t: i for i, t in enumerate(TOKEN_TYPES)}
    mod_bits = {m: 1 << i for i, m in enumerate(TOKEN_MODIFIERS)}
    for tok in sorted(tokens, key=lambda t: t.start):
        start = codec.position(tok.start)
        end = codec.position(tok.end)
        if end.line != start.line or end.character <= start.character:
            continue
        delta_line = start.line - prev_line
        delta_col = start.character - prev_col if delta_line == 0 else start.character
        if delta_line == 0 and delta_col < 0:
            continue
        mods = 0
        for m in tok.modifiers:
            mods |= mod_bits.get(m, 0)
        data.extend(
            [delta_line, delta_col, end.character - start.character, type_ids[tok.type], mods]
        )
        prev_line, prev_col = start.line, start.character
    return lsp.SemanticTokens(data=data)


def semantic_legend() -> lsp.SemanticTokensLegend:
    return lsp.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)


def inlay_hint(h: Hint, codec: Codec) -> lsp.InlayHint:
    return lsp.InlayHint(
        position=codec.position(h.offset),
        label=h.label,
        padding_left=True,
        tooltip=h.tooltip or None,
    )


def document_link(link: Link, codec: Codec, tooltips: bool = True) -> lsp.DocumentLink:
    return lsp.DocumentLink(
        range=codec.range(link.start, link.end),
        target=file_uri(link.file),
        tooltip=(link.tooltip or None) if tooltips else None,
    )


# -- messages, options and lifecycle -------------------------------------------------------------

_MESSAGE_TYPE = {"error": lsp.MessageType.Error, "warning": lsp.MessageType.Warning}


def log_message(message: str, level: str = "info") -> lsp.LogMessageParams:
    return lsp.LogMessageParams(
        type=_MESSAGE_TYPE.get(level, lsp.MessageType.Info), message=message
    )


def show_message(message: str, level: str = "info") -> lsp.ShowMessageParams:
    return lsp.ShowMessageParams(
        type=_MESSAGE_TYPE.get(level, lsp.MessageType.Info), message=message
    )


def publish_diagnostics(
    uri: str,
    version: int | None,
    problems: Sequence[Problem],
    codec: Codec | None,
    codec_of: Callable[[str], Codec | None] | None = None,
) -> lsp.PublishDiagnosticsParams:
    found = [diagnostic(p, codec, codec_of) for p in problems] if codec is not None else []
    return lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=found)


def markup(text: str, markdown: bool) -> lsp.MarkupContent:
    return lsp.MarkupContent(
        kind=lsp.MarkupKind.Markdown if markdown else lsp.MarkupKind.PlainText,
        value=text if markdown else plain_text(text),
    )


def rename_placeholder(
    start: int, end: int, name: str, codec: Codec
) -> lsp.PrepareRenamePlaceholder:
    return lsp.PrepareRenamePlaceholder(range=codec.range(start, end), placeholder=name)


def watch_registration(registration_id: str, globs: Sequence[str]) -> lsp.RegistrationParams:
    """Ask the client to report changes of files matching ``globs``."""
    watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in globs]
    return lsp.RegistrationParams(
        registrations=[
            lsp.Registration(
                id=registration_id,
                method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
        ]
    )


def progress_begin(title: str) -> lsp.WorkDoneProgressBegin:
    return lsp.WorkDoneProgressBegin(title=title, percentage=0)


def progress_report(message: str, percentage: int) -> lsp.WorkDoneProgressReport:
    return lsp.WorkDoneProgressReport(message=message, percentage=percentage)


def progress_end(message: str) -> lsp.WorkDoneProgressEnd:
    return lsp.WorkDoneProgressEnd(message=message)


def error_frame(msg_id: object, code: int, message: str) -> bytes:
    """A framed JSON-RPC error response (the protocol answers some requests itself)."""
    body = _dumps(
        {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
    ).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class ServerOptions:
    """The options the server announces with its features."""

    def __init__(self, triggers: Sequence[str]) -> None:
        self.completion = lsp.CompletionOptions(
            trigger_characters=list(triggers), resolve_provider=True
        )
        self.tokens = semantic_legend()
        self.actions = lsp.CodeActionOptions(
            code_action_kinds=[
                lsp.CodeActionKind.QuickFix,
                lsp.CodeActionKind.Refactor,
                lsp.CodeActionKind.Source,
            ]
        )
        self.rename = lsp.RenameOptions(prepare_provider=True)


def index_status(status: IndexStatus) -> dict[str, Any]:
    """The object of ``excore/status`` and ``excore/indexStatus`` (see ``excore_ls.status``)."""
    root = str(status.root)
    return {
        "root": root,
        "uri": Path(root).as_uri(),
        "workspaceFile": str(status.workspace_file) if status.workspace_file else None,
        "state": status.state,
        "path": str(status.index_path),
        "message": status.message,
        "command": {
            "title": "Dump the index (excore schema dump)",
            "command": status.command,
            "arguments": [root],
        },
    }
