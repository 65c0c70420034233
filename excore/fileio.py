"""Reading config files safely and writing files atomically: the one place ExCore touches disk.

Reading (:func:`read_config_bytes`, :func:`read_config_text`): only *regular* files are read, and
at most :data:`MAX_CONFIG_BYTES` of them. A FIFO, a device (``/dev/zero``), a folder or a socket
is refused without being read (opening never blocks: ``O_NONBLOCK``), so a hostile file in a
workspace can neither hang a check nor exhaust memory. Invalid UTF-8 is decoded with replacement
characters and the position of the first bad byte is returned, so callers report it in place.

Writing (:func:`atomic_write`): the new content goes to a fresh temporary file created
exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``, a random name) in the target's folder, is flushed
to disk, gets the mode of the file it replaces, and is renamed over the target. A planted
symlink is never followed (a link at the target is replaced, not written through), two writers
never share a temporary file, and a failure (full disk, read-only folder) leaves the target as it
was. Failures raise :class:`FileWriteError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

from excore.errors import ExcoreError

__all__ = [
    "MAX_CONFIG_BYTES",
    "ConfigText",
    "FileWriteError",
    "UnreadableFile",
    "atomic_write",
    "decode_config",
    "read_config_bytes",
    "read_config_text",
    "unreadable_reason",
]

#: Config files (and ``__base__`` files) larger than this are not read: 16 MiB, about 400,000
#: lines of typical TOML. Documented in the README.
MAX_CONFIG_BYTES = 16 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnreadableFile(Exception):
    """A config file that is not read; ``reason`` says why in words (never its content)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class FileWriteError(ExcoreError):
    """A file could not be written; the file on disk is unchanged."""


@dataclass(frozen=True, slots=True)
class ConfigText:
    """A decoded config file. ``bad_offset`` is the character offset of the first byte that is
    not UTF-8 (replaced by U+FFFD in ``text``), ``bad_byte`` that byte; ``None`` when valid."""

    text: str
    bad_offset: int | None = None
    bad_byte: int | None = None

    def encoding_message(self) -> str:
        return f"not valid UTF-8: byte 0x{self.bad_byte or 0:02x} cannot be decoded (TOML is UTF-8)"


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _flags(*names: str) -> int:
    flags = 0
    for name in names:
        flags |= getattr(os, name, 0)
    return flags


def read_config_bytes(path: str, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (links are followed to see what they point at).

    Raises :class:`UnreadableFile` for anything else, or when it is larger than ``limit``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _flags("O_NONBLOCK", "O_CLOEXEC", "O_NOCTTY"))
    except FileNotFoundError:
        raise UnreadableFile(path, "no such file") from None
    except NotADirectoryError:
        raise UnreadableFile(path, "no such file (a part of the path is not a folder)") from None
    except IsADirectoryError:
        raise UnreadableFile(path, "it is a folder, not a file") from None
    except PermissionError:
        raise UnreadableFile(path, "permission denied") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise UnreadableFile(path, _os_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, f"it is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise UnreadableFile(path, _too_large(info.st_size, limit))
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while being read
                raise UnreadableFile(path, _too_large(total, limit))
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(path, _os_reason(exc)) from None
    finally:
        os.close(fd)


def _too_large(size: int, limit: int) -> str:
    return f"it is larger than {limit // (1024 * 1024)} MiB ({size:,} bytes), not read"


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    if isinstance(exc, ValueError) and "null" in str(exc).lower():
        return "the path contains a NUL character"
    return "cannot be read"


def decode_config(data: bytes) -> ConfigText:
    """``data`` as UTF-8 text; bad bytes become U+FFFD and the first one is located."""
    try:
        return ConfigText(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        offset = len(data[: exc.start].decode("utf-8", errors="replace"))
        return ConfigText(data.decode("utf-8", errors="replace"), offset, data[exc.start])


def read_config_text(path: str, limit: int = MAX_CONFIG_BYTES) -> ConfigText:
    """The decoded text of the regular file ``path`` (see :func:`read_config_bytes`)."""
    return decode_config(read_config_bytes(path, limit))


def unreadable_reason(path: str) -> str:
    """Why ``path`` cannot be read as a config, from its metadata only (nothing is read)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except (OSError, ValueError) as exc:
        return _os_reason(exc)
    if not stat.S_ISREG(info.st_mode):
        return f"it is {_kind(info.st_mode)}, not a regular file"
    if info.st_size > MAX_CONFIG_BYTES:
        return _too_large(info.st_size, MAX_CONFIG_BYTES)
    if not os.access(path, os.R_OK):
        return "permission denied"
    return "cannot be read"


# ----------------------------------------------------------------------------- writing


def _write_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return _os_reason(exc)


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    encoding: str = "utf-8",
    check_unchanged: Callable[[], str | None] | None = None,
) -> None:
    """Replace ``path`` with ``data`` atomically (see the module docstring).

    Text is written as given (no newline translation). The file keeps the mode of the file it
    replaces (a new file gets the default mode under the umask). An existing file that is not
    writable is refused, as an editor would. ``check_unchanged`` is called once the new text is
    on disk, just before the rename: a message it returns aborts the write (for example "the
    file changed since it was read").
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target)) or "."
    payload = data.encode(encoding) if isinstance(data, str) else data
    mode = _mode_for(target)
    temporary = ""
    try:
        fd, temporary = _create_temporary(folder, os.path.basename(target))
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        if check_unchanged is not None:
            refusal = check_unchanged()
            if refusal:
                raise FileWriteError(f"{refusal}; nothing written", file=target)
        os.replace(temporary, target)
        temporary = ""
    except OSError as exc:
        raise FileWriteError(
            f"cannot write the file: {_write_reason(exc)} (the file was not changed)",
            file=target,
        ) from None
    finally:
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _mode_for(target: str) -> int:
    """The permission bits the new file gets; refuses a read-only or non-regular target."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return _mode_for_new()
    except OSError as exc:
        raise FileWriteError(f"cannot write the file: {_write_reason(exc)}", file=target) from None
    if stat.S_ISLNK(info.st_mode):
        return _mode_for_new()  # the link itself is replaced, never written through
    if not stat.S_ISREG(info.st_mode):
        raise FileWriteError(
            f"cannot write the file: it is {_kind(info.st_mode)}, not a regular file", file=target
        )
    if not os.access(target, os.W_OK) or not info.st_mode & 0o222:  # (root too: no write bit)
        raise FileWriteError("cannot write the file: it is read-only", file=target)
    return stat.S_IMODE(info.st_mode)


def _mode_for_new() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _create_temporary(folder: str, name: str) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _flags("O_NOFOLLOW", "O_CLOEXEC")
    for _ in range(100):
        candidate = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(candidate, flags, 0o600), candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a temporary file", folder)
