"""Document symbols (sections with their keys) and workspace symbols (the registered modules)."""

from __future__ import annotations

from typing import Literal

from excore_ls.analysis.index_state import LoadedIndex
from excore_ls.analysis.resolve import section_module
from excore_ls.analysis.results import Place, Symbol, SymbolKind, WorkspaceSymbolResult
from excore_ls.analysis.session import FileAnalysis

MAX_WORKSPACE_SYMBOLS = 500
_WS_KIND: dict[str, Literal["class", "function", "module", "event"]] = {
    "function": "function",
    "module": "module",
    "hook": "event",
}


def document_symbols(fa: FileAnalysis) -> list[Symbol]:
    cfg = fa.config
    out: list[Symbol] = []
    for section in cfg.sections:
        children = []
        for p in section.params:
            entry = p.entry
            end = max(entry.end, entry.key.end)
            detail = (
                cfg.text[entry.value.start : entry.value.end] if entry.value is not None else ""
            )
            if len(detail) > 60:
                detail = detail[:57] + "..."
            kind: SymbolKind = "variable" if section.is_root and not p.key.prefix else "property"
            children.append(
                Symbol(p.key.text, kind, entry.start, end, entry.key.start, entry.key.end, detail)
            )
        if section.is_root:
            out.extend(children)
            continue
        table = section.table
        header = table.header
        assert header is not None
        info = section_module(fa.index, section)
        section_kind: SymbolKind = "class"
        if info is not None and info.kind == "function":
            section_kind = "function"
        elif section.module is None:
            section_kind = "namespace"
        detail = f"{info.registry} · {info.kind}" if info is not None else ""
        out.append(
            Symbol(
                header.dotted,
                section_kind,
                table.start,
                max(table.end, table.header_end),
                header.start,
                max(header.end, header.start),
                detail,
                children,
            )
        )
    return out


def workspace_symbols(indexes: list[LoadedIndex], query: str) -> list[WorkspaceSymbolResult]:
    q = query.lower()
    out: list[WorkspaceSymbolResult] = []
    for loaded in indexes:
        index = loaded.index
        if index is None:
            continue
        for info in index.modules():
            if q and not _fuzzy(q, info.name.lower()):
                continue
            path = loaded.source_path(info)
            if path is None:
                continue
            kind = _WS_KIND.get(info.kind, "class")
            out.append(
                WorkspaceSymbolResult(
                    info.name,
                    kind,
                    info.registry,
                    Place(str(path), line=max(info.line, 1)),
                )
            )
            if len(out) >= MAX_WORKSPACE_SYMBOLS:
                return out
    return out


def _fuzzy(query: str, name: str) -> bool:
    pos = 0
    for ch in query:
        pos = name.find(ch, pos)
        if pos == -1:
            return False
        pos += 1
    return True
