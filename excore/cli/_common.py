"""Helpers shared by the subcommands: workspace set-up, file texts, the rich console."""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore.errors import CoreConfigSupportError

if TYPE_CHECKING:
    from excore.config.lazy import LazyConfig
    from excore.workspace import Workspace


def add_workspace_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace",
        metavar="PATH",
        default=None,
        help="workspace file or folder (default: found by walking up; $EXCORE_WORKSPACE wins)",
    )


def prepare_workspace(start: Path | str | None, override: str | None) -> Workspace | None:
    """Find the workspace of ``start`` and import its registries (None: no workspace)."""
    from excore.workspace import find_workspace

    workspace = find_workspace(start, override)
    if workspace is not None:
        workspace.import_registries()
    return workspace


def require_config_file(path: str) -> Path:
    """The config path, checked to be an existing ``.toml`` file."""
    file = Path(path)
    if file.suffix != ".toml":
        raise CoreConfigSupportError(
            f"only .toml configs are supported, got {file.suffix or 'no suffix'!r}", file=path
        )
    if not file.is_file():
        from excore.fileio import unreadable_reason

        reason = unreadable_reason(path)
        shown = "no such config file" if reason == "no such file" else f"cannot read it: {reason}"
        raise CoreConfigSupportError(shown, file=path)
    return file


def require_workspace(config: str | Path, workspace: Workspace | None) -> None:
    """A config with no workspace, in a process that registered nothing, would only give
    ``unknown-field`` for every section: say in one line where a workspace was looked for."""
    if workspace is not None:
        return
    from excore.config import no_workspace_message
    from excore.errors import WorkspaceError
    from excore.registry import Registry

    if not Registry.registries():
        raise WorkspaceError(no_workspace_message(config))


def load_with_overrides(args: argparse.Namespace) -> LazyConfig:
    """``config.load`` of ``args.config`` with the ``-o KEY=VALUE`` overrides applied."""
    from excore import config

    if args.workspace is None:
        from excore.config import resolve_workspace

        require_workspace(args.config, resolve_workspace(require_config_file(args.config), None))
    lazy_cfg = config.load(require_config_file(args.config), workspace=args.workspace)
    if args.override:
        lazy_cfg.apply_text_overrides(args.override)
    return lazy_cfg


@lru_cache(maxsize=256)
def read_text(file: str) -> str | None:
    """The text of ``file`` for locating problems (None when it cannot be read)."""
    from excore.fileio import UnreadableFile, read_config_text

    try:  # as the loader read it: regular files only, bad bytes replaced (offsets agree)
        return read_config_text(file).text
    except UnreadableFile:
        return None


def console(stderr: bool = False) -> Any:
    """A rich console (imported lazily) writing to stdout or stderr."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 160
    return Console(file=stream, soft_wrap=False, width=width)
