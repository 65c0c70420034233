"""``excore``: check, build, print and quote configs; list registries; start a workspace.

Every subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Errors a user can cause are printed as ``file:line:col: message`` (exit code 1), never as a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from excore import __version__
from excore.cli.upstream_cmd import REPLACEMENTS as UPSTREAM_COMMANDS
from excore.errors import ExcoreError

# Subcommand modules, imported when the parser is built (they import nothing heavy themselves).
_COMMANDS = (
    "excore.cli.check_cmd",
    "excore.cli.build_cmd",
    "excore.cli.print_cmd",
    "excore.cli.diff_cmd",
    "excore.cli.registry_cmd",
    "excore.cli.quote_cmd",
    "excore.cli.init_cmd",
    "excore.cli.schema_cmd",
    "excore.cli.upstream_cmd",
    "excore.cli.sweep_cmd",
    "excore.cli.run_cmd",
)


def _command_modules() -> list[ModuleType]:
    modules = []
    for name in _COMMANDS:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a missing dependency inside it: a real error
                raise
    return modules


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The parser, and which module runs each subcommand name."""
    parser = argparse.ArgumentParser(
        prog="excore",
        description="Checkable, navigable TOML configs for deep learning.",
    )
    parser.add_argument("--version", action="version", version=f"excore {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    runners: dict[str, ModuleType] = {}
    for module in _command_modules():
        module.add_parser(subparsers)
        for name in subparsers.choices:
            runners.setdefault(name, module)
    return parser, runners


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``excore`` with ``argv`` (default: the process arguments); returns the exit code.

    Called without ``argv`` it is the ``excore`` process itself and sets the process's garbage
    collector policy; called with ``argv`` (from Python) it leaves the caller's collector alone.
    """
    if argv is None and not (set(sys.argv[1:2]) & LONG_RUNNING):
        _collector_policy()
    words = list(argv) if argv is not None else sys.argv[1:]
    if words and words[0] in UPSTREAM_COMMANDS:  # whatever options upstream's command took
        from excore.cli.upstream_cmd import explain

        return explain(words[0])
    parser, runners = build_parser()
    # `excore run CONFIG -- CMD ...`, `excore sweep run SWEEP -- CMD ...`: what follows the first
    # `--` is the command to run, never options of ours
    command: list[str] | None = None
    if "--" in words:
        cut = words.index("--")
        words, command = words[:cut], words[cut + 1 :]
    try:
        args = parser.parse_args(words)
        if command is not None:
            if not hasattr(args, "cmd"):
                parser.parse_args([*words, "--", *command])  # argparse's own usage error
            args.cmd = command
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    module = runners.get(args.command or "")
    if module is None:
        parser.print_help()
        return 2
    try:
        return int(module.run(args) or 0)
    except ExcoreError as exc:
        print(str(exc) if exc.location else f"excore: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


# commands that supervise other processes for as long as they run: the collector stays on
LONG_RUNNING = {"run", "sweep"}


def _collector_policy() -> None:
    """The ``excore`` process is short-lived and what it makes (config nodes, the index,
    descriptions) holds no reference cycles: the cyclic collector would only traverse it (a
    third of a schema dump; loads growing faster than linearly). It is off for the command,
    and the interpreter's final collection at exit is skipped (``gc.freeze``)."""
    import atexit
    import gc

    gc.disable()
    atexit.register(gc.freeze)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
