"""``excore init``: write a starter ``excore.toml`` workspace file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from excore.errors import WorkspaceError

STARTER = """\
# ExCore workspace: `excore` finds this file by walking up from a config.
name = "{name}"
# Folders put on sys.path (relative to this file).
src_paths = ["{src}"]
# Modules whose import fills the registries (`Registry("Model")` + `@MODELS.register()`).
import = []
# Where `excore schema dump` writes the index the editor reads.
index_dir = ".excore"

# Config field -> registry. `build_all` builds exactly these fields.
[primary_fields]
# Model = "Model"
# TrainData = "Data"
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("init", help="write a starter excore.toml")
    parser.add_argument("folder", nargs="?", default=".", help="where to write it (default: .)")
    parser.add_argument("--name", default=None, help="workspace name (default: the folder name)")
    parser.add_argument("--src", default=".", help="source folder put on sys.path (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing excore.toml")
    parser.add_argument(
        "--from-upstream",
        action="store_true",
        help="write the excore.toml equivalent to upstream ExCore's .excore.toml in FOLDER",
    )


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder).resolve()
    target = folder / "excore.toml"
    if not folder.is_dir():
        raise WorkspaceError("no such folder", file=str(folder))
    if (target.exists() or target.is_symlink()) and not args.force:
        raise WorkspaceError(
            "excore.toml already exists (pass --force to overwrite it)", file=str(target)
        )
    if args.from_upstream:
        return _from_upstream(folder, target)
    name = args.name or folder.name or "workspace"
    from excore.fileio import atomic_write

    atomic_write(target, STARTER.format(name=_escape(name), src=_escape(args.src)))
    print(f"wrote {target}", file=sys.stderr)
    return 0


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _from_upstream(folder: Path, target: Path) -> int:
    """``excore.toml`` from ``.excore.toml``; each key it cannot express is printed with its
    line (``file:line:col: note: ...``)."""
    from excore.workspace import load_workspace
    from excore.workspace_upstream import UPSTREAM_FILE, to_excore_toml

    source = folder / UPSTREAM_FILE
    if not source.is_file():
        raise WorkspaceError(f"no {UPSTREAM_FILE} in this folder", file=str(folder))
    workspace = load_workspace(source)  # validates it (located errors) and finds the modules
    from excore.workspace_upstream import convert

    data = _read_toml(source)
    converted = convert(data, workspace.positions)
    from excore.fileio import atomic_write

    atomic_write(target, to_excore_toml(converted, workspace.imports))
    for note in converted.notes:
        print(f"{source}:{note.line}:{note.column}: note: {note.message}", file=sys.stderr)
    print(f"wrote {target}", file=sys.stderr)
    return 0


def _read_toml(path: Path) -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    return data
