"""The window of a large document around a position: what a first request needs, read at once.

Parsing a 100,000-line config takes a second or more; a completion or a hover asked before that
parse is ready is answered from the document with everything turned into comments of the same
length except its top-level part (variables, ``__base__``) and the table holding the position.
Offsets are those of the whole document (and its line index is the document's), so every
feature and conversion works unchanged; what lies in other tables is simply not seen until the
whole parse is ready.
"""

from __future__ import annotations

import re

from excore_ls.analysis.config import ConfigFile, _section
from excore_ls.analysis.documents import OpenDocument

WIDEN = 8  # times a window that does not parse cleanly is widened by one table each way

# a table header on a line of its own: [a], [a.b], ["a b".c], [[a]], with a comment after it
_KEY = r"""(?:[A-Za-z0-9_\-]+|"[^"\n]*"|'[^'\n]*')"""
_HEADER = re.compile(
    rf"[ \t]*\[\[?[ \t]*{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*[ \t]*\]\]?[ \t]*(?:#[^\n]*)?\r?(?:\n|\Z)"
)


def _is_header(text: str, line_start: int) -> bool:
    return _HEADER.match(text, line_start) is not None


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _previous_header(text: str, pos: int, floor: int) -> int:
    """The start of the header line at or before the line of ``pos`` (``floor`` if none)."""
    start = _line_start(text, min(pos, len(text)))
    while start > floor and not _is_header(text, start):
        start = _line_start(text, start - 1)
    return max(start, floor)


def _next_header(text: str, pos: int) -> int:
    """The start of the first header line after the line of ``pos`` (the end if none)."""
    end = pos
    while end < len(text):
        nl = text.find("\n", end)
        end = len(text) if nl < 0 else nl + 1
        if end < len(text) and _is_header(text, end):
            break
    return end


def window_bounds(text: str, offset: int) -> tuple[int, int, int]:
    """(end of the top-level part, start and end of the table holding ``offset``): the
    header lines around it, found by stepping line by line from it. A line inside a
    multi-line string or array may look like a header: :func:`window_config` widens the
    window until it parses cleanly."""
    top_end = 0 if _is_header(text, 0) else _next_header(text, 0)
    start = _previous_header(text, offset, top_end)
    return top_end, start, _next_header(text, start)


def _gap(length: int, last: bool) -> str:
    """``length`` characters of nothing: one comment (read in one step), ending a line unless
    it ends the text."""
    if length <= 0:
        return ""
    if last:
        return "#" + " " * (length - 1)
    return ("#" + " " * (length - 2) + "\n") if length >= 2 else "\n"


def window_config(doc: OpenDocument, offset: int) -> ConfigFile:
    """The analysis of the window of ``doc`` around ``offset`` (lines shared with ``doc``).

    The two parts are parsed apart (the top-level part as a text of its own, the table with
    ``parse_tables_from``), so the comment standing for the rest is never read."""
    from excore.problems import Problem
    from excore.syntax.toml import Document, Table, parse_tables_from, parse_toml

    text = doc.text
    top_end, start, end = window_bounds(text, offset)
    top = parse_toml(text[:top_end], doc.key)
    tables: list[Table] = []
    problems: list[Problem] = []
    for _ in range(WIDEN):
        if start >= end:
            break
        try:
            tables, problems = parse_tables_from(text[:end], start, doc.key)
        except ValueError:  # not a table after all: the top-level part only
            tables, problems = [], []
        if not problems or (start <= top_end and end >= len(text)):
            break
        # a cut inside a multi-line value (or a broken table): one header further each way
        start = _previous_header(text, start - 1, top_end) if start > top_end else start
        end = _next_header(text, end)
    window = (
        text[:top_end]
        + _gap(start - top_end, False)
        + text[start:end]
        + _gap(len(text) - end, True)
    )
    parsed = Document(window, doc.key, [top.root, *tables], [*top.problems, *problems])
    return ConfigFile(doc.key, window, parsed, [_section(t) for t in parsed.tables], doc.lines)
