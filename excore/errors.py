"""Exceptions raised by ExCore for errors a user can cause.

Every exception carries where the problem was written: ``file``, ``line`` and ``column``
(1-based; 0 when unknown) and the dotted ``key`` path, and renders as ``file:line:col: message``.
"""

from __future__ import annotations


class ExcoreError(Exception):
    """Base class of every error ExCore reports to its users."""

    def __init__(
        self, message: str, *, file: str = "", line: int = 0, column: int = 0, key: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.key = key

    @property
    def location(self) -> str:
        """``file:line:col`` (only the known parts); empty when nothing is known."""
        if not self.file:
            return ""
        parts = [self.file]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        location = self.location
        return f"{location}: {self.message}" if location else self.message


class WorkspaceError(ExcoreError):
    """A workspace file (``excore.toml`` / ``[tool.excore]``) is invalid or cannot be used."""
