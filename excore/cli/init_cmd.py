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


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder).resolve()
    target = folder / "excore.toml"
    if not folder.is_dir():
        raise WorkspaceError("no such folder", file=str(folder))
    if target.exists() and not args.force:
        raise WorkspaceError(
            "excore.toml already exists (pass --force to overwrite it)", file=str(target)
        )
    name = args.name or folder.name or "workspace"
    target.write_text(STARTER.format(name=_escape(name), src=_escape(args.src)), encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
    return 0


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
