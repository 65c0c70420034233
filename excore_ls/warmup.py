"""The warm-up: once ``initialize`` is answered, a background thread imports what the first
check needs and reads the index of each workspace folder, then (after the first diagnostics are
out, or a second later) imports the other features and builds the index's per-module entries.
The editor opens its first file meanwhile; nothing waits for the warm-up.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from excore_ls.analysis.documents import uri_to_path

if TYPE_CHECKING:
    from excore_ls.server import ExcoreLanguageServer

log = logging.getLogger("excore_ls")

# what the diagnostics of the first opened file need, then the other features (importing them
# before those diagnostics are out would only compete with the first check for the interpreter)
DIAGNOSTICS_MODULES = (
    "excore_ls.analysis.fragments",
    "excore_ls.features.diagnostics",
    "excore.config.family",
    "excore.workspace",
    "excore.schema.index",
)
FEATURE_MODULES = (
    "excore_ls.analysis.session",
    "excore_ls.features.completion",
    "excore_ls.features.hover",
    "excore_ls.features.code_actions",
    "excore_ls.features.semantic_tokens",
    "excore_ls.features.definition",
    "excore_ls.features.references",
    "excore_ls.features.symbols",
    "excore_ls.features.links",
    "excore_ls.features.inlay_hints",
)
FEATURES_AFTER = 1.0  # seconds the feature imports wait for a first publishDiagnostics


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional part shows up later, where it is used
            log.exception("warm-up import of %s failed", name)


def _preload(ls: ExcoreLanguageServer, folders: list[Path]) -> None:
    _import_all(DIAGNOSTICS_MODULES)
    try:
        for folder in folders:
            ls.indexes.for_file(folder / "excore.toml")
    except Exception:  # the first request reports any problem properly
        log.exception("preloading the index failed")
    ls.publisher.published_once.wait(FEATURES_AFTER)
    _import_all(FEATURE_MODULES)
    for loaded in list(ls.indexes.loaded.values()):
        loaded.build_entries()


def workspace_folders(ls: ExcoreLanguageServer) -> list[Path]:
    """The editor's workspace folders (or its root), as paths."""
    folders = [uri_to_path(f.uri) for f in ls.workspace.folders.values()]
    if not folders and ls.workspace.root_path:
        folders = [Path(ls.workspace.root_path)]
    return [f for f in folders if f is not None]


def start_warm_up(ls: ExcoreLanguageServer) -> None:
    if ls.warm_up_started:
        return
    ls.warm_up_started = True
    threading.Thread(
        target=_preload, args=(ls, workspace_folders(ls)), name="excore-ls-warm-up", daemon=True
    ).start()
