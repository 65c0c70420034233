"""Open documents: text, version and a cached line index; incremental edits by offsets."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from excore.syntax.text import LineIndex

Stamp = tuple[object, ...]


def uri_to_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI, ``None`` for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if len(path) >= 3 and path[0] == "/" and path[2] == ":":  # file:///C:/x on Windows
        path = path[1:]
    return Path(path)


def normalize(path: str | Path) -> Path:
    """Absolute and normalised like the engine does (no symlink resolution)."""
    return Path(os.path.normpath(os.path.abspath(os.fspath(path))))


def path_to_uri(path: str | Path) -> str:
    return Path(path).absolute().as_uri()


@dataclass(slots=True)
class OpenDocument:
    """A document the editor has open: its text and version, as the editor last sent them."""

    uri: str
    text: str
    version: int
    path: Path | None = None
    _lines: LineIndex | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """The identity used by the analysis: the absolute path, or the URI when not a file."""
        return str(self.path) if self.path is not None else self.uri

    @property
    def lines(self) -> LineIndex:
        if self._lines is None or self._lines.text is not self.text:
            self._lines = LineIndex(self.text)
        return self._lines

    def replace(self, start: int, end: int, new_text: str) -> None:
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        self.text = self.text[:start] + new_text + self.text[end:]
        self._lines = None


class DocumentStore:
    """The documents the editor has open, by URI and by path."""

    def __init__(self) -> None:
        self._by_uri: dict[str, OpenDocument] = {}
        self._by_key: dict[str, OpenDocument] = {}

    def open(self, uri: str, text: str, version: int) -> OpenDocument:
        path = uri_to_path(uri)
        doc = OpenDocument(uri, text, version, normalize(path) if path is not None else None)
        self._by_uri[uri] = doc
        self._by_key[doc.key] = doc
        return doc

    def close(self, uri: str) -> None:
        doc = self._by_uri.pop(uri, None)
        if doc is not None:
            self._by_key.pop(doc.key, None)

    def get(self, uri: str) -> OpenDocument | None:
        return self._by_uri.get(uri)

    def by_path(self, path: str | Path) -> OpenDocument | None:
        return self._by_key.get(str(path))

    def all(self) -> list[OpenDocument]:
        return list(self._by_uri.values())

    def stamp(self, path: str | Path) -> Stamp | None:
        """What identifies the current text of ``path``: the open buffer's version, else the
        file's modification time and size; ``None`` when there is neither."""
        doc = self._by_key.get(str(path))
        if doc is not None:
            return ("buffer", doc.version, id(doc.text))
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        return ("disk", st.st_mtime_ns, st.st_size)

    def buffer_text(self, path: str) -> str | None:
        """The text of the open buffer of ``path``; ``None`` when it is not open: the engine
        then reads the file itself (see ``excore.config.loader.ReadText``), with the same
        problems as ``excore check`` (invalid UTF-8 is located, never silently replaced)."""
        doc = self._by_key.get(path)
        return doc.text if doc is not None else None

    def read_text(self, path: str | Path) -> str | None:
        """The text of ``path``: the open buffer when there is one, else the file on disk."""
        doc = self._by_key.get(str(path))
        if doc is not None:
            return doc.text
        return read_file(Path(path))


def read_file(path: Path) -> str | None:
    """The text of a regular file of at most ``excore.fileio.MAX_CONFIG_BYTES`` (bad UTF-8
    replaced); ``None`` for anything else: a FIFO or a device is never opened for reading."""
    from excore.fileio import UnreadableFile, read_config_text

    try:
        return read_config_text(str(path)).text
    except UnreadableFile:
        return None
