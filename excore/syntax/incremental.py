"""Incremental re-parsing: the ``Document`` of an edited text, made from the previous version's.

Only the tables one edit touched are parsed again (from the header before the edit to the
header after it); the tables before them are shared with the previous version, the tables after
them are *copies* moved by the edit's length. The previous version is never changed, and the
result always equals ``parse_toml`` of the new text (a property test checks both): when that
cannot be guaranteed (a header was removed, an unterminated multi-line string, ...) the whole
text is parsed.
"""

from __future__ import annotations

from dataclasses import replace

from excore.problems import Problem
from excore.syntax.toml import Document, Entry, Key, Table, Value, parse_toml

INCREMENTAL_MIN = 4096  # characters: smaller texts are parsed whole
_RUNS_ON = ("unterminated multi-line", "unterminated array")


def changed_region(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_len): the one edit that turns ``old`` into ``new``.

    Binary searches over slice comparisons (memcmp), so it stays fast on megabytes.
    """
    limit = min(len(old), len(new))
    lo, hi = 0, limit
    while lo < hi:  # longest common prefix
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    while lo < hi:  # longest common suffix not overlapping the prefix
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    suffix = lo
    return prefix, len(old) - suffix, len(new) - suffix - prefix


def reparse(prev: Document, text: str, min_size: int = INCREMENTAL_MIN) -> Document:
    """The document of ``text``, re-using ``prev`` (an earlier version) where the edit allows."""
    if len(text) >= min_size and prev.text is not text:
        start, old_end, new_len = changed_region(prev.text, text)
        found = reparse_edit(prev, text, start, old_end, new_len)
        if found is not None:
            return found
    return parse_toml(text, prev.file)


def reparse_edit(
    prev: Document, text: str, start: int, old_end: int, new_len: int
) -> Document | None:
    """The document after one edit that replaced ``[start, old_end)`` of ``prev.text`` by
    ``new_len`` characters; ``None`` when only a full parse gives the right answer."""
    old = prev.text
    delta = new_len - (old_end - start)
    if len(old) + delta != len(text) or not (
        text[:start] == old[:start] and text[start + new_len :] == old[old_end:]
    ):
        return None
    tables = prev.tables
    first = 0
    for i, table in enumerate(tables):
        if table.start < start:
            first = i
        else:
            break
    last = first
    for j in range(first, len(tables)):
        if tables[j].start <= old_end:
            last = j
        else:
            break
    region_start = tables[first].start if first > 0 else 0
    following = tables[last + 1 :]
    region_end_old = following[0].start if following else len(old)
    region_end = region_end_old + delta
    if following and region_end > 0 and text[region_end - 1] != "\n":
        return None
    region = parse_toml(text[region_start:region_end], prev.file)
    if first > 0:
        root = region.tables[0]
        if root.entries or len(region.tables) < 2 or region.tables[1].start != 0:
            return None
    if following and any(p.message.startswith(_RUNS_ON) for p in region.problems):
        return None  # in the whole text it would run into (or stop at) the next section
    new_tables = list(tables[:first])
    new_tables += [
        moved_table(t, region_start) for t in (region.tables if first == 0 else region.tables[1:])
    ]
    new_tables += [moved_table(t, delta) for t in following]
    problems = [p for p in prev.problems if p.end <= region_start]
    problems += [_moved(p, region_start) for p in region.problems]
    problems += [_moved(p, delta) for p in prev.problems if p.start >= region_end_old]
    return Document(text, prev.file, new_tables, problems)


def _moved(problem: Problem, d: int) -> Problem:
    return replace(problem, start=problem.start + d, end=problem.end + d) if d else problem


def moved_table(table: Table, d: int) -> Table:
    """A copy of ``table`` with every offset moved by ``d`` (``table`` itself when ``d`` is 0)."""
    if not d:
        return table
    return replace(
        table,
        header=_moved_key(table.header, d) if table.header is not None else None,
        start=table.start + d,
        header_end=table.header_end + d,
        end=table.end + d,
        entries=[_moved_entry(e, d) for e in table.entries],
    )


def _moved_key(key: Key, d: int) -> Key:
    parts = [replace(p, start=p.start + d, end=p.end + d) for p in key.parts]
    return replace(key, parts=parts, start=key.start + d, end=key.end + d)


def _moved_entry(entry: Entry, d: int) -> Entry:
    return replace(
        entry,
        key=_moved_key(entry.key, d),
        value=_moved_value(entry.value, d) if entry.value is not None else None,
        start=entry.start + d,
        end=entry.end + d,
    )


def _moved_value(value: Value, d: int) -> Value:
    string = value.kind == "string"
    return replace(
        value,
        start=value.start + d,
        end=value.end + d,
        items=[_moved_value(v, d) for v in value.items] if value.items else value.items,
        entries=[_moved_entry(e, d) for e in value.entries] if value.entries else value.entries,
        content_start=value.content_start + d if string else value.content_start,
        content_end=value.content_end + d if string else value.content_end,
    )
