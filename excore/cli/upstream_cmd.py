"""Upstream ExCore's commands: each prints the command of this project that replaces it.

``excore auto-register``, ``excore generate-typehints``, ... exist so that a user who types them
learns what to run instead; they exit with status 2 and change nothing.
"""

from __future__ import annotations

import argparse
import sys

REPLACEMENTS: dict[str, str] = {
    "auto-register": (
        "excore schema dump   (the `import` list of excore.toml fills the registries; "
        "the index it writes replaces the registry cache)"
    ),
    "update": "excore schema dump   (after editing `import` / [primary_fields] in excore.toml)",
    "primary-fields": (
        "edit [primary_fields] in excore.toml (field = registry); `excore registry list` shows "
        "the registries"
    ),
    "registries": "excore registry list",
    "generate-registries": (
        "excore init   (then list the modules that create your registries in `import`)"
    ),
    "generate-typehints": (
        "excore schema dump   (the index and JSON Schema give editors every field and parameter)"
    ),
    "config-extension": "excore schema dump --editor-config",
    "cache-list": "excore schema dump   (the index lives in the workspace's index_dir, .excore/)",
    "cache-dir": "excore schema dump   (the index lives in the workspace's index_dir, .excore/)",
    "clear-cache": "excore schema dump   (rewrites .excore/; delete that folder to clear it)",
    "clear-all-cache": "excore schema dump   (rewrites .excore/; delete that folder to clear it)",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name in REPLACEMENTS:
        parser = subparsers.add_parser(
            name, help="(upstream ExCore) prints what replaces it", add_help=False
        )
        parser.set_defaults(upstream_command=name)


def run(args: argparse.Namespace) -> int:
    return explain(args.upstream_command)


def explain(name: str) -> int:
    """Print what replaces upstream's command ``name``; the exit status is 2."""
    print(
        f"excore: `excore {name}` is upstream ExCore's command; in this project use:\n"
        f"  {REPLACEMENTS[name]}",
        file=sys.stderr,
    )
    return 2
