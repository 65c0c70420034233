"""``excore schema dump``: write ``.excore/index.json`` and ``.excore/config.schema.json``.

``--check`` writes nothing and exits 1 when the files on disk differ from what would be written,
naming what changed (the CI / pre-commit step). ``--editor-config`` also writes or merges
``.taplo.toml`` and ``tombi.toml``. ``--strict`` exits 1 when an entry could not be described.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "main", "run"]


def add_parser(subparsers: Any) -> None:
    schema = subparsers.add_parser(
        "schema",
        help="export the workspace index and the config JSON Schema",
        description="Export what editors need to know about the workspace's registries.",
    )
    commands = schema.add_subparsers(dest="schema_command", metavar="COMMAND")
    dump = commands.add_parser(
        "dump",
        help="write index.json and config.schema.json into the workspace's index folder",
        description="Import the workspace's registries and write index.json (the workspace "
        "index the language server reads) and config.schema.json (a JSON Schema for taplo / "
        "Even Better TOML and tombi) into the index folder (workspace key `index_dir`, "
        "default .excore/).",
    )
    dump.add_argument(
        "--workspace",
        metavar="DIR",
        default=None,
        help="workspace folder or file (default: $EXCORE_WORKSPACE, else found by walking up "
        "from the current folder)",
    )
    dump.add_argument(
        "--out", metavar="DIR", default=None, help="write here instead of the index folder"
    )
    dump.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the files on disk are out of date, naming what changed",
    )
    dump.add_argument(
        "--editor-config",
        action="store_true",
        help="also write/merge .taplo.toml and tombi.toml associating the configs with the schema",
    )
    dump.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when an entry could not be imported or described",
    )


def run(args: argparse.Namespace) -> int:
    if getattr(args, "schema_command", None) != "dump":
        print(
            "usage: excore schema dump [--workspace DIR] [--out DIR] [--check] "
            "[--editor-config] [--strict]",
            file=sys.stderr,
        )
        return 2
    from excore.errors import ExcoreError

    try:
        return _dump(args)
    except ExcoreError as exc:
        print(str(exc) if exc.location else f"excore: error: {exc}", file=sys.stderr)
        return 1


def _dump(args: argparse.Namespace) -> int:
    from excore.schema.dump import TerminalProgress, build_index, compare, render, write_texts
    from excore.workspace import find_workspace

    workspace = find_workspace(Path.cwd(), args.workspace)
    if workspace is None:
        print(
            f"excore: error: no workspace found from {Path.cwd()}: create excore.toml "
            "(`excore init`) or pass --workspace DIR",
            file=sys.stderr,
        )
        return 1
    progress = TerminalProgress()
    try:
        index = build_index(workspace, progress)
    finally:
        progress.close()
    files = render(index)
    folder = Path(args.out).resolve() if args.out else Path(workspace.index_dir)
    for problem in index.problems:
        where = problem.get("file") or str(workspace.file)
        print(
            f"{where}: warning: {problem['registry']}.{problem['name']} could not be described: "
            f"{problem['reason']}",
            file=sys.stderr,
        )
    if args.check:
        status = _check(folder, files.texts, compare, workspace.root)
    else:
        written = write_texts(folder, files.texts, None if args.out else Path(workspace.root))
        entries = sum(len(r.modules) for r in index.registries.values())
        size = sum(len(t.encode("utf-8")) for t in files.texts.values())
        state = "wrote" if written else "up to date:"
        print(
            f"{state} {_shown(folder, workspace.root)}/ ({entries} registered names, "
            f"{len(index.python_modules)} below Python modules, {size / 1024:.0f} KiB)"
        )
        status = 0
    if args.editor_config and not args.check:
        from excore.schema.editor_config import write_editor_configs

        for path in write_editor_configs(workspace):
            print(f"wrote {_shown(path, workspace.root)}")
    if args.strict and index.problems:
        print(
            f"excore: error: {len(index.problems)} entr{'y' if len(index.problems) == 1 else 'ies'}"
            " could not be described (--strict)",
            file=sys.stderr,
        )
        return 1
    return status


def _check(folder: Path, texts: dict[str, str], compare: Any, root: Path) -> int:
    from excore.schema.dump import INDEX_FILE, comparable

    stale = False
    for name, text in sorted(texts.items(), key=lambda item: item[0] != INDEX_FILE):
        path = folder / name
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if name == INDEX_FILE:
            changes = compare(old, text)
        elif old is None:
            changes = ["missing (never dumped)"]
        else:
            try:
                same = comparable(old) == comparable(text)
                changes = [] if same else ["differs from what `excore schema dump` would write"]
            except ValueError:
                changes = ["not valid JSON"]
        if changes:
            stale = True
            print(f"{_shown(path, root)}: out of date:", file=sys.stderr)
            for change in changes:
                print(f"  {change}", file=sys.stderr)
    if stale:
        print("run `excore schema dump` to update it", file=sys.stderr)
        return 1
    print(f"{_shown(folder, root)}/ is up to date")
    return 0


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """``excore schema ...`` on its own (used by tests and the pre-commit hook)."""
    parser = argparse.ArgumentParser(prog="excore")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["schema", *(argv if argv is not None else sys.argv[1:])])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
