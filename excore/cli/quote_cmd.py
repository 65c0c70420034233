"""``excore quote PATH [--in-place]``: quote bare prefixed keys (``!x = ...`` → ``"!x" = ...``).

Upstream ExCore writes prefixed keys bare, which is not valid TOML. This rewrites exactly the
key spans the tolerant parser reports as ``unquoted-prefix``; every other byte (comments, order,
spacing) is kept. The result is verified with :mod:`tomllib` before anything is written.
"""

from __future__ import annotations

import argparse
import functools
import sys

from excore.errors import CoreConfigParseError, CoreConfigSupportError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "quote",
        help="quote bare prefixed keys (!x, @x, $x, &x) so the file is valid TOML",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="TOML config files")
    parser.add_argument(
        "-i", "--in-place", action="store_true", help="rewrite the files instead of printing"
    )


def quote_text(text: str, file: str = "") -> tuple[str, int]:
    """``text`` with every bare prefixed key quoted, and how many keys were quoted."""
    from excore.syntax.toml import parse_toml

    spans = sorted(
        (p.start, p.end) for p in parse_toml(text, file).problems if p.code == "unquoted-prefix"
    )
    pieces = []
    pos = 0
    for start, end in spans:
        pieces.append(text[pos:start])
        pieces.append(_basic_string(text[start:end]))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), len(spans)


def _basic_string(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def verify_toml(text: str, file: str) -> None:
    """Raise :class:`CoreConfigParseError` (with line and column) when ``text`` is not TOML."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        from excore.syntax.text import LineIndex
        from excore.syntax.toml import parse_toml

        message = str(exc)
        line = column = 0
        syntax = [p for p in parse_toml(text, file).problems if p.code == "toml-syntax"]
        if syntax:
            message = syntax[0].message
            line, column = LineIndex(text).position(syntax[0].start)
            line, column = line + 1, column + 1
        raise CoreConfigParseError(
            f"not valid TOML even with quoted keys: {message}",
            file=file,
            line=line,
            column=column,
            code="toml-syntax",
        ) from None


_BOM = "\ufeff"


def run(args: argparse.Namespace) -> int:
    from excore.fileio import UnreadableFile, atomic_write, read_config_bytes

    for raw in args.paths:
        try:
            original = read_config_bytes(raw)
        except UnreadableFile as exc:
            raise CoreConfigSupportError(f"cannot read the file: {exc.reason}", file=raw) from None
        text = _decode(original, raw)
        bom = _BOM if text.startswith(_BOM) else ""  # kept as it is, like every other byte
        quoted, count = quote_text(text[len(bom) :], raw)
        verify_toml(quoted, raw)
        if args.in_place:
            if count:
                atomic_write(
                    raw,
                    bom + quoted,
                    check_unchanged=functools.partial(_changed_since, raw, original),
                )
            noun = "key" if count == 1 else "keys"
            print(f"{raw}: quoted {count} {noun}", file=sys.stderr)
        else:
            sys.stdout.write(bom + quoted)
    return 0


def _decode(data: bytes, file: str) -> str:
    from excore.fileio import decode_config
    from excore.syntax.text import LineIndex

    read = decode_config(data)
    if read.bad_offset is not None:
        line, column = LineIndex(read.text).position(read.bad_offset)
        raise CoreConfigParseError(
            read.encoding_message(), file=file, line=line + 1, column=column + 1, code="toml-syntax"
        )
    return read.text


def _changed_since(path: str, original: bytes) -> str | None:
    """A refusal when ``path`` no longer holds ``original`` (edited while we worked)."""
    from excore.fileio import UnreadableFile, read_config_bytes

    try:
        now = read_config_bytes(path)
    except UnreadableFile as exc:
        return f"the file changed since it was read ({exc.reason})"
    return None if now == original else "the file changed since it was read"
