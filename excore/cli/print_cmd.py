"""``excore print CONFIG``: the resolved, inherited config as a table (where each value comes from)."""

from __future__ import annotations

import argparse

from excore.cli._common import add_workspace_option, console, load_with_overrides


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("print", help="show the resolved, inherited config")
    parser.add_argument("config", metavar="CONFIG", help="TOML config file")
    parser.add_argument(
        "--toml", action="store_true", help="print it as TOML (what `dump` writes) instead"
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
    console().print(lazy_cfg.table())
    return 0
