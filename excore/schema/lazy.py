"""Lazy registries from the workspace index: import only what a config references.

``excore schema dump`` records, for every registered name, its import target (``"pkg.mod:Name"``)
and the hash of every workspace Python file the registries were read from. While those files are
unchanged the index is *fresh*, and the registries can be filled from it with import-target
strings — nothing is imported until a module is built (``Registry.get_object`` imports its target
then). A config that uses no torch module therefore never imports torch.

When the index is missing or stale, :func:`prepare_registries` falls back to importing the
workspace (``Workspace.import_registries``) and says so once, in one log line.

This module imports nothing heavy (``hashlib``, ``json`` and the registry only).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from excore.registry import IndexOrigin
    from excore.schema.index import WorkspaceIndex
    from excore.signatures import ModuleInfo
    from excore.workspace import Workspace

__all__ = [
    "import_targets_for",
    "index_staleness",
    "load_fresh_index",
    "prepare_registries",
    "register_from_index",
    "source_hash",
    "workspace_sources",
]

logger = logging.getLogger("excore")
_said: set[str] = set()  # fallback messages already logged (once per process and workspace)
_loaded: dict[tuple[str, int, int, str], WorkspaceIndex] = {}  # the last index read, by file state


# ----------------------------------------------------------------------------- source hashes


def source_hash(path: str | os.PathLike[str]) -> str:
    """sha256 of a text file with ``\\r\\n`` normalized to ``\\n`` (same on every OS)."""
    data = Path(path).read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(data).hexdigest()


def workspace_sources(workspace: Workspace) -> dict[str, str]:
    """Workspace-relative POSIX path → hash of the workspace file and of every imported Python
    module inside the workspace root (installed packages and the index folder excluded)."""
    root = os.path.abspath(workspace.root)
    index_dir = os.path.abspath(workspace.index_dir)
    found: dict[str, str] = {}
    files = [str(workspace.file)]
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and file.endswith(".py"):
            files.append(file)
    for file in files:
        path = os.path.abspath(file)
        inside = path.startswith(root.rstrip(os.sep) + os.sep)
        if not inside or path.startswith(index_dir + os.sep) or _installed(path):
            continue
        try:
            found[Path(os.path.relpath(path, root)).as_posix()] = source_hash(path)
        except OSError:
            continue
    return dict(sorted(found.items()))


def _installed(path: str) -> bool:
    parts = Path(path).parts
    return "site-packages" in parts or "dist-packages" in parts


# ----------------------------------------------------------------------------- freshness


def index_staleness(index: WorkspaceIndex, workspace: Workspace) -> str:
    """Why the index does not describe the workspace as it is now; ``""`` when it is fresh."""
    if not index.sources:
        return "it records no source files (written by an older excore?)"
    workspace_file = Path(os.path.relpath(workspace.file, workspace.root)).as_posix()
    if workspace_file not in index.sources:
        return f"it was not written for {workspace_file}"
    for relative, digest in index.sources.items():
        path = Path(workspace.root) / relative
        try:
            current = source_hash(path)
        except OSError:
            return f"{relative} no longer exists"
        if current != digest:
            return f"{relative} changed since the last `excore schema dump`"
    return ""


def load_fresh_index(workspace: Workspace) -> tuple[WorkspaceIndex | None, str]:
    """(index, "") when the workspace's index exists and is fresh, else (None, the reason)."""
    from excore.schema.index import IndexError_, load_index

    path = Path(workspace.index_dir) / "index.json"
    try:
        stat = path.stat()
    except OSError:
        return None, f"no index at {path}"
    key = (str(path), stat.st_mtime_ns, stat.st_size, str(workspace.root))
    index = _loaded.get(key)
    if index is None:
        try:
            index = load_index(path, root=workspace.root)
        except IndexError_ as exc:
            return None, str(exc)
        _loaded.clear()  # one index per process is the common case; keep memory bounded
        _loaded[key] = index
    reason = index_staleness(index, workspace)  # hashes the sources again: they may change
    if reason:
        return None, f"{path} is stale: {reason}"
    return index, ""


# ----------------------------------------------------------------------------- registries


def register_from_index(index: WorkspaceIndex, origin: IndexOrigin | None = None) -> int:
    """Fill the registries with the index's import targets, importing nothing.

    Names already registered are left alone. Returns how many names were added. With
    ``origin``, each name is noted as coming from the index: when it is first built, the
    registry imports the workspace module that registers it and uses that registration, never
    the index's target (see :meth:`excore.registry.Registry.note_index_entry`).
    """
    from excore.registry import Registry

    added = 0
    for registry_name in index.registry_names():
        entry = index.registries[registry_name]
        registry = Registry.get_registry(registry_name) or Registry(
            registry_name, entry.extra_field or None
        )
        for name in sorted(entry.modules):
            if name in registry:
                continue
            info = entry.modules[name]
            extra = {k: v for k, v in info.extra_info.items() if k in registry.extra_field}
            registry.register_module(info.target, _is_str=True, name=name, **extra)
            if origin is not None:
                registry.note_index_entry(name, origin)
            added += 1
    return added


def import_targets_for(names: Iterable[str], index: WorkspaceIndex) -> list[str]:
    """The Python modules to import so that the given config names can be built.

    ``names`` are the names a config references (section names, reference heads, dotted names
    below a registered Python module). Returns the sorted module part of each one's import
    target (``"seg.models"`` for ``FCN``; ``"torch.nn"`` for ``torch.nn.ReLU`` below a
    registered ``torch``). Names the index does not know are skipped (the checker reports them).
    """
    modules: set[str] = set()
    for name in names:
        info = index.lookup(name)
        if info is None:
            continue
        if info.kind == "module" or ":" not in info.target:
            # a registered Python module, or a dotted name below one: its longest module prefix
            modules.add(_module_prefix(name if "." in name else info.target, index))
        else:
            modules.add(info.target.partition(":")[0])
    return sorted(m for m in modules if m)


def _module_prefix(dotted: str, index: WorkspaceIndex) -> str:
    current = dotted
    while current:
        info = index.python_modules.get(current) or _registered_module(current, index)
        if info is not None and info.kind == "module":
            return current
        if "." not in current:
            break
        current = current.rpartition(".")[0]
    return dotted.partition(".")[0]


def _registered_module(name: str, index: WorkspaceIndex) -> ModuleInfo | None:
    for registry in index.registries.values():
        info = registry.modules.get(name)
        if info is not None:
            return info
    return None


def prepare_registries(workspace: Workspace, *, use_index: bool = True) -> str:
    """Make the workspace's registered names available; returns ``"index"`` or ``"import"``.

    With a fresh index (and ``use_index``), the registries are filled from it without importing
    anything but ``src_paths`` is put on ``sys.path`` so that targets import on demand. Otherwise
    the workspace is imported (``Workspace.import_registries``) and, once per workspace, one log
    line says why.
    """
    if use_index:
        index, reason = load_fresh_index(workspace)
        if index is not None:
            from excore.registry import IndexOrigin

            _add_src_paths(workspace)
            path = Path(workspace.index_dir) / "index.json"
            register_from_index(
                index, IndexOrigin(str(path), workspace.imports, workspace.import_registries)
            )
            return "index"
        key = str(workspace.file)
        if key not in _said:
            _said.add(key)
            level = logging.INFO if index_missing(reason) else logging.WARNING
            logger.log(level, "excore: importing the whole workspace (%s)", reason)
    workspace.import_registries()
    return "import"


def index_missing(reason: str) -> bool:
    return reason.startswith("no index at ")


def _add_src_paths(workspace: Workspace) -> None:
    for path in reversed(workspace.src_paths):
        entry = str(path)
        if entry not in sys.path:
            sys.path.insert(0, entry)
