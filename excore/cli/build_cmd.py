"""``excore build CONFIG [-o KEY=VALUE ...]``: validate, build every primary field, show them."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from excore.cli._common import add_workspace_option, console, load_with_overrides


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("build", help="validate and build a config, show the objects")
    parser.add_argument("config", metavar="CONFIG", help="TOML config file")
    parser.add_argument(
        "-o",
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override: KEY=VALUE (a TOML literal or a bare word), +KEY=VALUE (add a key), "
        "~KEY (delete), Field=Name (swap a module: -o Model=SmallCNN); prefixed keys as they "
        "are: -o 'Model.ResNet.$block=Bottleneck'",
    )
    parser.add_argument(
        "--field", action="append", default=None, help="build only this field (repeatable)"
    )
    add_workspace_option(parser)


def run(args: argparse.Namespace) -> int:
    from excore import config

    lazy_cfg = load_with_overrides(args)
    if args.field:
        modules = {name: lazy_cfg[name]() for name in args.field}
        run_info = lazy_cfg.run_info()
    else:
        modules, run_info = config.build_all(lazy_cfg)
    from excore.cli.print_cmd import write_lines
    from excore.config.lazy import PLAIN_OUTPUT_VALUES

    rows = sum(len(v) if isinstance(v, dict) else 1 for v in modules.values())
    if rows + len(run_info) > PLAIN_OUTPUT_VALUES:  # a table costs ~0.5 ms a row
        write_lines(_plain_built(modules, run_info))
        return 0
    out = console()
    out.print(built_table(modules))
    if run_info:
        out.print(values_table(run_info))
    return 0


def _plain_built(modules: dict[str, Any], run_info: dict[str, Any]) -> Iterator[str]:
    """The built modules and the run info, one plain line each (large configs)."""
    for field, value in modules.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for name, obj in items:
            label = f"{field}.{name}" if name else field
            yield f"{label}: {_type_name(obj)}  {summary(obj)}"
    for key, value in run_info.items():
        yield f"{key} = {value!r}"


def built_table(modules: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Built modules")
    table.add_column("Field", style="bold")
    table.add_column("Module")
    table.add_column("Type")
    table.add_column("Summary")
    for field, value in modules.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for name, obj in items:
            table.add_row(field, name or type(obj).__name__, _type_name(obj), summary(obj))
    return table


def values_table(values: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Run info (plain values)")
    table.add_column("Key", style="bold")
    table.add_column("Value")
    for key, value in values.items():
        table.add_row(key, repr(value))
    return table


def _type_name(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"class {cls.__qualname__}" if isinstance(obj, type) else cls.__qualname__


def summary(obj: Any) -> str:
    """A one-line description: parameter count for torch modules, else the repr's first line."""
    parameters = getattr(obj, "parameters", None)
    if callable(parameters) and not isinstance(obj, type):
        try:
            count = sum(int(p.numel()) for p in parameters())
        except Exception:
            count = -1
        if count >= 0:
            return f"{count:,} parameters"
    lines = repr(obj).splitlines()
    text = lines[0] if lines else ""
    if " object at 0x" in text:
        return ""
    return text if len(text) <= 60 else text[:57] + "..."
