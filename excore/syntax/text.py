"""Offsets, lines and columns.

Offsets are indices into a Python ``str``. Lines and columns are 0-based here; the CLI and the
exceptions add one. ``utf16`` columns are what LSP uses by default.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_LINE_END = re.compile(r"\r\n?|\n")


class LineIndex:
    """Maps offsets of one text to (line, column) and back.

    Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as the Language Server Protocol counts them
    (TOML itself rejects a lone ``\r``; the parser reports it, but positions must still agree
    with the editor's).
    """

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        if "\r" in text:
            starts.extend(m.end() for m in _LINE_END.finditer(text))
        else:
            find = text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
        self._starts = starts

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_start(self, line: int) -> int:
        if line >= len(self._starts):
            return len(self.text)
        return self._starts[max(line, 0)]

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``, before its ``\\r\\n``, ``\\n`` or ``\\r``."""
        if line + 1 < len(self._starts):
            end = self._starts[line + 1]
            if self.text[end - 1 : end] == "\n":
                end -= 1
                if end > 0 and self.text[end - 1 : end] == "\r":
                    end -= 1
                return end
            return end - 1  # a lone "\r"
        return len(self.text)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column in characters), both 0-based."""
        offset = min(max(offset, 0), len(self.text))
        line = bisect_right(self._starts, offset) - 1
        return line, offset - self._starts[line]

    def position_utf16(self, offset: int) -> tuple[int, int]:
        """(line, column in UTF-16 code units), both 0-based."""
        line, col = self.position(offset)
        start = self._starts[line]
        segment = self.text[start : start + col]
        return line, col + sum(1 for ch in segment if ord(ch) > 0xFFFF)

    def offset(self, line: int, column: int) -> int:
        """Offset of a (line, character column); clamps to the line's end."""
        if line >= len(self._starts):
            return len(self.text)
        start = self._starts[max(line, 0)]
        return min(start + max(column, 0), self.line_end(line))

    def offset_utf16(self, line: int, column: int) -> int:
        """Offset of a (line, UTF-16 column); clamps to the line's end."""
        if line >= len(self._starts):
            return len(self.text)
        start = self._starts[max(line, 0)]
        end = self.line_end(line)
        units = 0
        pos = start
        while pos < end and units < column:
            units += 2 if ord(self.text[pos]) > 0xFFFF else 1
            pos += 1
        return pos
