"""``excore registry list [NAME] [--filter PATTERN]``: the registries and what they hold."""

from __future__ import annotations

import argparse

from excore.cli._common import add_workspace_option, console, prepare_workspace
from excore.errors import ExcoreError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("registry", help="list registries and registered names")
    actions = parser.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="show registries as tables")
    listing.add_argument("name", nargs="?", default=None, help="one registry (default: all)")
    listing.add_argument(
        "-f",
        "--filter",
        action="append",
        default=None,
        metavar="PATTERN",
        help="fnmatch pattern of names to show (repeatable; patterns are OR-ed)",
    )
    listing.add_argument(
        "-i",
        "--info",
        action="append",
        default=None,
        metavar="FIELD",
        help="extra info field to show as a column (repeatable)",
    )
    add_workspace_option(listing)


def run(args: argparse.Namespace) -> int:
    from excore.registry import Registry

    prepare_workspace(None, args.workspace)
    registries = Registry.registries()
    out = console()
    if args.name is not None:
        registry = registries.get(args.name)
        if registry is None:
            known = ", ".join(sorted(registries)) or "none"
            raise ExcoreError(f"no registry named {args.name!r} (registries: {known})")
        out.print(registry.module_table(select_info=args.info, filter=args.filter))
        return 0
    if not registries:
        out.print("no registries (is there an excore.toml workspace with `import` modules?)")
        return 0
    if args.filter is None and args.info is None:
        out.print(_summary_table(registries))
        return 0
    for name in sorted(registries):
        registry = registries[name]
        if registry.select(args.filter):
            fields = [f for f in args.info or [] if f in registry.extra_field]
            out.print(registry.module_table(select_info=fields, filter=args.filter))
    return 0


def _summary_table(registries: dict) -> object:  # type: ignore[type-arg]
    from rich.table import Table

    table = Table(title="Registries")
    table.add_column("Registry")
    table.add_column("Modules", justify="right")
    table.add_column("Extra fields")
    for name in sorted(registries):
        registry = registries[name]
        table.add_row(name, str(len(registry)), ", ".join(registry.extra_field))
    return table
