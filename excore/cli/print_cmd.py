"""``excore print CONFIG``: the resolved, inherited config as a table (where each value comes from)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from excore.cli._common import add_workspace_option, console, load_with_overrides


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("print", help="show the resolved, inherited config")
    parser.add_argument("config", metavar="CONFIG", help="TOML config file")
    parser.add_argument(
        "--toml", action="store_true", help="print it as TOML (what `dump` writes) instead"
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="one `key = value  # file:line` line per value instead of a table (the default "
        "past 2,000 values)",
    )
    parser.add_argument(
        "-o",
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a value first (as in `excore build`)",
    )
    add_workspace_option(parser)


def run(args: argparse.Namespace) -> int:
    lazy_cfg = load_with_overrides(args)
    if args.toml:
        import sys

        sys.stdout.write(lazy_cfg.dumps())
        return 0
    from excore.config.lazy import PLAIN_OUTPUT_VALUES

    if args.plain or lazy_cfg.value_count() > PLAIN_OUTPUT_VALUES:
        write_lines(lazy_cfg.plain_lines())
        return 0
    console().print(lazy_cfg.table())
    return 0


def write_lines(lines: Iterable[str]) -> None:
    """Plain lines to stdout, written in large chunks."""
    import sys

    out = sys.stdout
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= 4096:
            out.write("\n".join(chunk) + "\n")
            chunk = []
    if chunk:
        out.write("\n".join(chunk) + "\n")
