"""Incremental re-parsing: the ``Document`` of an edited text, made from the previous version's.

The tables before the edit are shared with the previous version; the text from the header of
the table the edit is in is parsed again, with the whole text's offsets (nothing is moved or
copied: the parser is fast, copying thousands of moved nodes was slower than parsing them). The
previous version is never changed, and the result always equals ``parse_toml`` of the new text
(a property test checks both): when that cannot be guaranteed (an edit before the first header,
a problem next to the edit, a lone carriage return, ...) the whole text is parsed.
"""

from __future__ import annotations

from excore.syntax.toml import Document, parse_tables_from, parse_toml

INCREMENTAL_MIN = 4096  # characters: smaller texts are parsed whole


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
    ``new_len`` characters; ``None`` when only a full parse gives the right answer.

    The tables that end before the edit's line are shared with ``prev``; the text from the
    header of the table the edit is in is parsed again (offsets are the whole text's, so
    nothing is moved or copied).
    """
    old = prev.text
    delta = new_len - (old_end - start)
    if (
        len(old) + delta != len(text)
        or "\r" in text
        or text.startswith("\ufeff")
        or not (text[:start] == old[:start] and text[start + new_len :] == old[old_end:])
    ):
        return None
    tables = prev.tables
    first = 0
    for i, table in enumerate(tables):
        if table.start < start:
            first = i
        else:
            break
    if first == 0:
        return None  # the edit is in the root table: parse it all
    region_start = tables[first].start
    before = tables[first - 1]
    # the shared tables parsed without looking past their own lines (no problem in them, no
    # problem running up to the re-parsed part)
    if any(p.end > before.start and p.start <= region_start for p in prev.problems):
        return None
    if text[region_start] != "[":
        return None
    try:
        found, problems = parse_tables_from(text, region_start, prev.file)
    except ValueError:
        return None
    kept = [p for p in prev.problems if p.end <= region_start]
    return Document(text, prev.file, [*tables[:first], *found], kept + problems)
