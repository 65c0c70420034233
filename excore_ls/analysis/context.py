"""What the cursor is on: the completion context at an offset of a config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from excore.syntax.grammar import PREFIX_CLASS
from excore.syntax.toml import Entry, Value
from excore_ls.analysis.config import ConfigFile, Param, Section

ContextKind = Literal["header", "key", "value", "string", "array", "none"]

_HEADER_LINE = re.compile(r"[ \t]*(\[\[?)([^\]=#]*)\Z")
_KEY_LINE = re.compile(r"[ \t]*([\"']?" + PREFIX_CLASS + r"?[\w\-]*)\Z")
_WORD_RIGHT = re.compile(r"[\w\-*]*")


@dataclass(slots=True)
class Context:
    kind: ContextKind
    section: Section
    offset: int
    start: int = 0  # the range completions replace
    end: int = 0
    typed: str = ""  # text from ``start`` to the cursor
    header_parts: list[str] = field(default_factory=list)  # completed header parts
    header_closed: bool = True
    quote: str = ""  # key context: the quote the key started with
    has_value: bool = False  # key context: "=" already follows the key
    entry: Entry | None = None
    param: Param | None = None
    string: Value | None = None
    string_index: int = -1
    in_array: bool = False
    filtered: bool = False  # completion: a long list was already filtered by what is typed


def _in_comment(before: str) -> bool:
    quote = ""
    for ch in before:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return True
    return False


def context_at(cfg: ConfigFile, offset: int) -> Context:
    text = cfg.text
    offset = max(0, min(offset, len(text)))
    section = cfg.section_at(offset)
    line = cfg.lines.position(offset)[0]  # lines end as LSP says: \n, \r\n or a lone \r
    line_start = cfg.lines.line_start(line)
    line_end = cfg.lines.line_end(line)
    before = text[line_start:offset]
    after = text[offset:line_end]
    if _in_comment(before):
        return Context("none", section, offset)
    table = section.table
    m = _HEADER_LINE.match(before)
    if m and table.header is not None and table.start >= line_start:
        return _header_context(section, offset, m, after)
    entry = _entry_at(section, offset)
    if entry is not None:
        if entry.key.start <= offset <= entry.key.end:
            return _key_context(section, offset, before, after, entry)
        return _value_context(cfg, section, offset, entry)
    km = _KEY_LINE.match(before)
    if km:
        return _key_context(section, offset, before, after, None)
    return Context("none", section, offset)


def _header_context(section: Section, offset: int, m: re.Match[str], after: str) -> Context:
    inner = m.group(2)
    pieces = inner.split(".")
    typed = pieces[-1].lstrip()
    start = offset - len(typed)
    if typed[:1] and typed[0] in "\"'":
        typed = typed[1:]
        start += 1
    right = _WORD_RIGHT.match(after)
    end = offset + (right.end() if right else 0)
    parts = [p.strip().strip("\"'") for p in pieces[:-1]]
    closed = "]" in after
    return Context(
        "header",
        section,
        offset,
        start,
        end,
        typed,
        header_parts=parts,
        header_closed=closed,
    )


def _entry_at(section: Section, offset: int) -> Entry | None:
    for entry in section.table.entries:
        if entry.start <= offset <= max(entry.end, entry.key.end):
            return entry
        if entry.start > offset:
            break
    return None


def _key_context(
    section: Section, offset: int, before: str, after: str, entry: Entry | None
) -> Context:
    if entry is not None:
        start = entry.key.start
        end = entry.key.end
        typed_raw = before[len(before) - (offset - start) :] if offset >= start else ""
        has_value = entry.value is not None or "=" in after
    else:
        km = _KEY_LINE.match(before)
        typed_raw = km.group(1) if km else ""
        start = offset - len(typed_raw)
        right = re.match(r"[\w\-]*[\"']?", after)
        end = offset + (right.end() if right else 0)
        has_value = "=" in after
    quote = typed_raw[:1] if typed_raw[:1] in "\"'" else ""
    typed = typed_raw[1:] if quote else typed_raw
    param = section.param(typed) if entry is not None else None
    return Context(
        "key",
        section,
        offset,
        start,
        end,
        typed,
        quote=quote,
        has_value=has_value,
        entry=entry,
        param=param,
    )


def _param_of(section: Section, entry: Entry) -> Param | None:
    for p in section.params:
        if p.entry is entry:
            return p
    return None


def _value_context(cfg: ConfigFile, section: Section, offset: int, entry: Entry) -> Context:
    param = _param_of(section, entry)
    value = entry.value
    ctx = Context("value", section, offset, offset, offset, "", entry=entry, param=param)
    if value is None:
        return ctx
    if value.kind == "string":
        return _string_context(cfg, ctx, value, 0, False)
    if value.kind == "array":
        ctx.in_array = True
        for i, item in enumerate(value.items):
            if item.kind == "string" and item.content_start <= offset <= item.content_end:
                index = _identity_index(param.strings, item) if param else i
                return _string_context(cfg, ctx, item, index, True)
            if item.start <= offset <= item.end and item.kind != "string":
                ctx.start, ctx.end = item.start, item.end
                ctx.typed = cfg.text[item.start : offset]
                return ctx
        ctx.kind = "array"
        return ctx
    if value.start <= offset <= value.end:
        ctx.start, ctx.end = value.start, value.end
        ctx.typed = cfg.text[value.start : offset]
    return ctx


def _string_context(
    cfg: ConfigFile, ctx: Context, value: Value, index: int, in_array: bool
) -> Context:
    if not value.content_start <= ctx.offset <= value.content_end:
        ctx.kind = "none"
        return ctx
    ctx.kind = "string"
    ctx.string = value
    ctx.string_index = index
    ctx.in_array = in_array
    ctx.start, ctx.end = value.content_start, value.content_end
    ctx.typed = cfg.text[value.content_start : ctx.offset]
    return ctx


def _identity_index(values: list[Value], item: Value) -> int:
    for i, value in enumerate(values):
        if value is item:
            return i
    return -1
