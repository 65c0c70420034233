"""The stdin the server reads: only well-formed JSON-RPC frames get through.

pygls' reader trusts every ``Content-Length``: after one malformed frame (a bad, missing or wrong
length, stray bytes) it waits for bytes that never come or reads the next message as the body
of the broken one, and the server goes deaf. :class:`FrameGuard` sits between stdin and pygls'
own ``start_io``: it reads the raw bytes, finds each frame's header block, checks it and hands
pygls the frame again in its canonical form (``Content-Length: N\\r\\n\\r\\n`` + body). Anything
else is skipped, with a warning in the log, up to the next valid header: the server
resynchronises and answers the next message.

A body can never hold a header: JSON has no bare words outside strings and no raw line breaks
inside them. So when the bytes read for a body contain ``Content-Length: N\\r\\n``, the length
was wrong and the next message starts there.
"""

from __future__ import annotations

import logging
import re
from typing import BinaryIO

log = logging.getLogger("excore_ls")

CHUNK = 1 << 20
MAX_BODY = 256 << 20  # bytes: a bigger Content-Length is taken for garbage
MAX_HEADER_BLOCK = 8 << 10  # bytes from "Content-Length" to the blank line
_LENGTH = re.compile(rb"content-length:", re.IGNORECASE)
_LENGTH_LINE = re.compile(rb"content-length:[ \t]*(\d+)[ \t]*\r\n", re.IGNORECASE)
_FIELD = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*")
_KEEP = len(b"content-length:") - 1  # bytes kept from skipped input: a header may start there


class FrameGuard:
    """A binary stream for ``LanguageServer.start_io(stdin=...)`` yielding only valid frames.

    ``readline`` and ``read`` serve the current frame; when it is used up the next one is read
    from ``raw``. End of input (or a frame cut by it) ends the stream: the server then stops.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self._read_some = getattr(raw, "read1", raw.read)
        self._buf = bytearray()  # bytes read from ``raw`` and not yet framed
        self._frame = b""
        self._pos = 0
        self._eof = False
        self.skipped = 0  # malformed frames or runs of stray bytes dropped so far

    # -- what pygls reads ------------------------------------------------------------------------

    def readline(self) -> bytes:
        if not self._ready():
            return b""
        end = self._frame.find(b"\n", self._pos)
        end = len(self._frame) if end < 0 else end + 1
        line = self._frame[self._pos : end]
        self._pos = end
        return line

    def read(self, n: int = -1) -> bytes:
        if not self._ready():
            return b""
        end = len(self._frame) if n < 0 else min(len(self._frame), self._pos + n)
        data = self._frame[self._pos : end]
        self._pos = end
        return data

    def _ready(self) -> bool:
        if self._pos < len(self._frame):
            return True
        body = self._next_body()
        if body is None:
            self._frame, self._pos = b"", 0
            return False
        self._frame = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        self._pos = 0
        return True

    # -- framing ---------------------------------------------------------------------------------

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._read_some(CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def _skip(self, upto: int, why: str) -> None:
        stray = bytes(self._buf[:upto])
        del self._buf[:upto]
        if not stray.strip():
            return
        self.skipped += 1
        log.warning("excore-ls: skipped %d bytes of input (%s): %r", len(stray), why, stray[:80])

    def _next_body(self) -> bytes | None:
        """The body of the next valid frame, or None at the end of the input."""
        while True:
            found = _LENGTH.search(self._buf)
            if found is None:
                if len(self._buf) > _KEEP:
                    self._skip(len(self._buf) - _KEEP, "no message header")
                if not self._fill():
                    self._skip(len(self._buf), "no message header before the end")
                    return None
                continue
            if found.start():
                start = self._header_start(found.start())
                self._skip(start, "not a message header")
            body_at = self._buf.find(b"\r\n\r\n")
            if body_at < 0 or body_at > MAX_HEADER_BLOCK:
                if len(self._buf) > MAX_HEADER_BLOCK:
                    self._skip(1, "header block without an end")
                    continue
                if not self._fill():
                    self._skip(len(self._buf), "message cut by the end of the input")
                    return None
                continue
            length = self._length(bytes(self._buf[:body_at]))
            if length is None:
                self._skip(1, "malformed message header")
                continue
            body = self._body(body_at + 4, length)
            if body is not None:
                return body

    def _header_start(self, at: int) -> int:
        """Where the header block holding ``Content-Length`` (at ``at``) starts: other fields
        (``Content-Type``) may come first on lines of their own."""
        start = at
        while start >= 2 and self._buf[start - 2 : start] == b"\r\n":
            prev = self._buf.rfind(b"\r\n", 0, start - 2)
            line = bytes(self._buf[prev + 2 if prev >= 0 else 0 : start - 2])
            if not _FIELD.fullmatch(line):
                break
            start = prev + 2 if prev >= 0 else 0
        return start

    @staticmethod
    def _length(block: bytes) -> int | None:
        length = None
        for line in block.split(b"\r\n"):
            if not _FIELD.fullmatch(line):
                return None
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                value = value.strip()
                if not value.isdigit() or length is not None:
                    return None
                length = int(value)
        if length is None or not 0 < length <= MAX_BODY:
            return None
        return length

    def _body(self, at: int, length: int) -> bytes | None:
        """The ``length`` bytes from ``at`` if they are a body; None after skipping a broken
        frame (or at the end of the input)."""
        end = at + length
        scanned = at
        while True:
            header = _LENGTH_LINE.search(self._buf, max(at, scanned - 32), min(end, len(self._buf)))
            if header is not None:  # the next message starts inside this body
                self._skip(header.start(), "body shorter than its Content-Length")
                return None
            if len(self._buf) >= end:
                break
            scanned = len(self._buf)
            if not self._fill():
                self._skip(len(self._buf), "message cut by the end of the input")
                return None
        body = bytes(self._buf[at:end])
        tail = body.rstrip()
        if not tail.endswith((b"}", b"]")):
            # cut short: what follows is the rest of it, up to the next header
            self._skip(end, "body longer than its Content-Length")
            return None
        del self._buf[:end]
        return body
