"""``excore.logger``: the engine's logger, with the calls upstream ExCore's users make.

Messages go through the standard :mod:`logging` logger called ``"excore"``, so any logging set-up
applies. Arguments are formatted with :meth:`str.format` (``logger.info("lr={}", lr)``), and the
levels upstream code uses exist: ``trace``, ``debug``, ``info``, ``success``, ``warning``,
``error``, ``critical``, ``exception`` and ``ex`` (engine details, shown only when
``EXCORE_DEBUG=1``). :func:`add_logger` / :func:`remove_logger` add and remove named outputs
(a file path or a stream); :func:`debug_only` shows debug messages only.
"""

from __future__ import annotations

import logging as _logging
import os
import sys
from typing import Any, TextIO

__all__ = ["ExcoreLogger", "add_logger", "debug_only", "logger", "remove_logger"]

SUCCESS = 25
TRACE = 5
_logging.addLevelName(SUCCESS, "SUCCESS")
_logging.addLevelName(TRACE, "TRACE")

_FORMAT = "%(asctime)s | %(levelname)-8s | %(message)s"


class ExcoreLogger:
    """A thin adapter over ``logging.getLogger("excore")`` with ``{}``-style arguments."""

    def __init__(self, name: str = "excore") -> None:
        self.std = _logging.getLogger(name)
        self._handlers: dict[str, _logging.Handler] = {}

    def log(self, level: int | str, message: object, *args: Any, **kwargs: Any) -> None:
        number = _logging.getLevelName(level.upper()) if isinstance(level, str) else level
        if not isinstance(number, int):
            raise ValueError(f"unknown log level {level!r}")
        if self.std.isEnabledFor(number):
            text = str(message)
            if args or kwargs:
                try:
                    text = text.format(*args, **kwargs)
                except (IndexError, KeyError, ValueError):
                    text = " ".join([text, *map(str, args)])
            self.std.log(number, text)

    def trace(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(TRACE, message, *args, **kwargs)

    def debug(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(_logging.DEBUG, message, *args, **kwargs)

    def info(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(_logging.INFO, message, *args, **kwargs)

    def success(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(SUCCESS, message, *args, **kwargs)

    def warning(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(_logging.WARNING, message, *args, **kwargs)

    def error(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(_logging.ERROR, message, *args, **kwargs)

    def critical(self, message: object, *args: Any, **kwargs: Any) -> None:
        self.log(_logging.CRITICAL, message, *args, **kwargs)

    def exception(self, message: object, *args: Any, **kwargs: Any) -> None:
        text = str(message).format(*args, **kwargs) if args or kwargs else str(message)
        self.std.exception(text)

    def ex(self, message: object, *args: Any, **kwargs: Any) -> None:
        """Engine details: logged at debug level only when ``EXCORE_DEBUG=1``."""
        if os.environ.get("EXCORE_DEBUG", "0") == "1":
            self.log(_logging.DEBUG, message, *args, **kwargs)

    def add(
        self,
        name: str,
        sink: str | os.PathLike[str] | TextIO,
        level: int | str = _logging.DEBUG,
        format: str = _FORMAT,
    ) -> _logging.Handler:
        """Send messages to ``sink`` (a file path, appended to, or a text stream)."""
        self.remove(name)
        handler: _logging.Handler
        if isinstance(sink, (str, os.PathLike)):
            handler = _logging.FileHandler(os.fspath(sink), encoding="utf-8")
        else:
            handler = _logging.StreamHandler(sink)
        handler.setLevel(level)
        handler.setFormatter(_logging.Formatter(format))
        self.std.addHandler(handler)
        if self.std.level == _logging.NOTSET or self.std.level > handler.level:
            self.std.setLevel(handler.level)
        self._handlers[name] = handler
        return handler

    def remove(self, name: str) -> None:
        handler = self._handlers.pop(name, None)
        if handler is not None:
            self.std.removeHandler(handler)
            handler.close()


logger = ExcoreLogger()


def add_logger(
    name: str,
    sink: str | os.PathLike[str] | TextIO,
    *,
    level: int | str = _logging.DEBUG,
    format: str = _FORMAT,
) -> None:
    """Add an output called ``name``: a file path (appended to) or a text stream."""
    logger.add(name, sink, level, format)


def remove_logger(name: str) -> None:
    """Remove the output added as ``name`` (nothing happens when there is none)."""
    logger.remove(name)


class _OnlyDebug(_logging.Filter):
    def filter(self, record: _logging.LogRecord) -> bool:
        return record.levelno == _logging.DEBUG


def debug_only(stream: TextIO | None = None) -> None:
    """Show debug messages only, on ``stream`` (default: standard error)."""
    handler = logger.add("__debug_only__", stream or sys.stderr, _logging.DEBUG)
    handler.addFilter(_OnlyDebug())
