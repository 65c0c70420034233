"""``excore schema dump``: write the workspace index and the config JSON Schema.

:func:`build_index` imports the workspace's registries and describes every registered name
(:func:`excore.describe.describe`); one entry that cannot be imported or described is recorded in
``WorkspaceIndex.problems`` and the rest is kept. :func:`render` turns the index into the exact
bytes of ``index.json`` and ``config.schema.json`` — sorted keys, no timestamps, paths inside the
workspace relative — so that the same workspace gives the same files on every machine.
:func:`compare` says what changed between two index texts (for ``--check``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore.schema.index import (
    RegistryInfo,
    WorkspaceIndex,
    index_from_json,
    index_to_json,
)
from excore.signatures import ModuleInfo

if TYPE_CHECKING:
    from excore.workspace import Workspace

__all__ = [
    "CONFIG_SCHEMA_FILE",
    "INDEX_FILE",
    "DumpFiles",
    "build_index",
    "compare",
    "render",
]

INDEX_FILE = "index.json"
CONFIG_SCHEMA_FILE = "config.schema.json"

Progress = Callable[[int, int, str], None]  # (done, total, what) after each described entry


@dataclass(slots=True)
class DumpFiles:
    """What ``excore schema dump`` writes: file name (inside the index folder) → text."""

    texts: dict[str, str] = field(default_factory=dict)
    index: WorkspaceIndex = field(default_factory=WorkspaceIndex)


# ----------------------------------------------------------------------------- building


def build_index(workspace: Workspace, progress: Progress | None = None) -> WorkspaceIndex:
    """Import the workspace's registries and describe every registered name."""
    workspace.import_registries()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation proxies warn when they are looked at
        return _describe_workspace(workspace, progress)


def _describe_workspace(workspace: Workspace, progress: Progress | None) -> WorkspaceIndex:
    from excore.describe import describe, describe_module_tree
    from excore.registry import Registry
    from excore.schema.lazy import workspace_sources

    root = str(workspace.root)
    index = WorkspaceIndex(
        fields=dict(workspace.primary_fields) or None,
        workspace_name=workspace.name,
        index_dir=_index_dir(workspace),
        root=root,
    )
    registries = Registry.registries()
    total = sum(len(registry) for registry in registries.values())
    done = 0
    for registry_name in sorted(registries):
        registry = registries[registry_name]
        entry = RegistryInfo(registry_name, list(registry.extra_field))
        index.registries[registry_name] = entry
        for name in sorted(registry):
            target = dict.__getitem__(registry, name)
            try:
                obj = registry.get_object(name)
                info = describe(
                    obj,
                    name,
                    registry_name,
                    root=root,
                    target=target,
                    extra_info=registry.extra_info.get(name),
                )
                entry.modules[name] = info
                if info.kind == "module":
                    tree = describe_module_tree(
                        obj, name, registry_name, root=root, problems=index.problems
                    )
                    for dotted, below in tree.items():
                        index.python_modules.setdefault(dotted, below)
            except Exception as exc:  # one bad entry never stops the dump
                index.problems.append(_problem(registry_name, name, target, exc, root))
                # still known by name (it is registered), with an unknown signature
                kind: Any = "module" if ":" not in target else "other"
                entry.modules[name] = ModuleInfo(
                    name, registry_name, kind, target, signature_known=False
                )
            done += 1
            if progress is not None:
                progress(done, total, f"{registry_name}.{name}")
    index.problems.sort(key=lambda p: (p["registry"], p["name"], p["reason"]))
    index.sources = workspace_sources(workspace)
    return index


def _index_dir(workspace: Workspace) -> str:
    """The index folder relative to the root (POSIX); absolute when it is outside."""
    from excore.describe import display_path

    return display_path(str(workspace.index_dir), str(workspace.root))


def _problem(registry: str, name: str, target: str, exc: Exception, root: str) -> dict[str, Any]:
    from excore.describe import display_path

    file = ""
    module_name = target.partition(":")[0]
    module = sys.modules.get(module_name)
    module_file = getattr(module, "__file__", None)
    if isinstance(module_file, str):
        file = display_path(module_file, root)
    reason = f"{type(exc).__name__}: {exc}".strip()
    reason = re.sub(r" at 0x[0-9a-fA-F]+", "", reason)
    return {"file": file, "registry": registry, "name": name, "target": target, "reason": reason}


# ----------------------------------------------------------------------------- rendering


def dump_json(data: Any, depth: int = 3) -> str:
    """Deterministic JSON text: sorted keys, final newline; objects are broken into one line per
    key down to ``depth`` levels, deeper values and registered entries are written on one line
    (compact, fast with the C encoder, and one registered name per line in ``git diff``)."""
    return _dump(data, depth, "") + "\n"


def _dump(data: Any, depth: int, indent: str) -> str:
    if depth <= 0 or not isinstance(data, dict) or not data or "signature_known" in data:
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    inner = indent + " "
    items = [
        f"{inner}{json.dumps(key, ensure_ascii=False)}: {_dump(data[key], depth - 1, inner)}"
        for key in sorted(data)
    ]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


def render(index: WorkspaceIndex) -> DumpFiles:
    from excore.schema.jsonschema_export import config_schema

    return _render(index, config_schema)


def _render(index: WorkspaceIndex, config_schema: Callable[[WorkspaceIndex], Any]) -> DumpFiles:
    return DumpFiles(
        texts={
            INDEX_FILE: dump_json(index_to_json(index), depth=5),
            CONFIG_SCHEMA_FILE: dump_json(config_schema(index), depth=3),
        },
        index=index,
    )


# ----------------------------------------------------------------------------- comparing


_INSTALLED = re.compile(r"^.*[/\\](?:site-packages|dist-packages)[/\\]")


def comparable(text: str) -> Any:
    """The JSON of ``text`` with paths of installed packages cut to the package-relative part
    (``.../site-packages/torch/nn/x.py`` → ``torch/nn/x.py``): other machines install elsewhere."""
    data = json.loads(text)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: _INSTALLED.sub("", v) if k == "file" and isinstance(v, str) else walk(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(data)


def compare(old_text: str | None, new_text: str) -> list[str]:
    """What changed from ``old_text`` (the index on disk) to ``new_text``, one line each;
    ``[]`` when they are the same."""
    if old_text is None:
        return ["missing (never dumped)"]
    try:
        old_data = comparable(old_text)
    except json.JSONDecodeError as exc:
        return [f"not valid JSON ({exc.msg} at line {exc.lineno})"]
    new_data = comparable(new_text)
    if old_data == new_data:
        return []
    try:
        old, new = index_from_json(old_data), index_from_json(new_data)
    except ValueError as exc:
        return [str(exc)]
    changes: list[str] = []
    for registry in sorted(set(old.registries) | set(new.registries)):
        before = old.registries[registry].modules if registry in old.registries else {}
        after = new.registries[registry].modules if registry in new.registries else {}
        if registry not in old.registries:
            changes.append(f"new registry {registry}")
        elif registry not in new.registries:
            changes.append(f"removed registry {registry}")
        for name in sorted(set(before) | set(after)):
            key = f"{registry}.{name}"
            if name not in before:
                changes.append(f"new {after[name].kind} {key} ({after[name].target})")
            elif name not in after:
                changes.append(f"removed {before[name].kind} {key} ({before[name].target})")
            else:
                changes += _entry_changes(key, before[name], after[name])
    if old.fields != new.fields:
        changes.append(f"primary fields changed: {old.fields} -> {new.fields}")
    below = _changed_keys(old.python_modules, new.python_modules)
    if below:
        changes.append(f"{below} entries below registered Python modules changed")
    changed_sources = _changed_keys(old.sources, new.sources)
    if changed_sources and not changes:
        names = sorted(
            k
            for k in set(old.sources) | set(new.sources)
            if old.sources.get(k) != new.sources.get(k)
        )
        changes.append("source files changed: " + ", ".join(names))
    if old.problems != new.problems:
        changes.append("problems changed")
    return changes or ["formatting differs (same content)"]


def _signature_change(old: Any, new: Any) -> str:
    """The parameters that differ (``depth: int = 2 -> depth: int = 3``, ``added width``),
    or the whole signatures when no parameter does."""
    from dataclasses import asdict

    from excore.describe import parameter_text

    before = {p.name: p for p in old.params}
    after = {p.name: p for p in new.params}
    parts = []
    for name, param in after.items():
        if name not in before:
            parts.append(f"added {parameter_text(param)}")
        elif asdict(before[name]) != asdict(param):
            old_text, new_text = parameter_text(before[name]), parameter_text(param)
            if old_text == new_text:
                new_text += " (type, docs or kind)"
            parts.append(f"{old_text} -> {new_text}")
    parts += [f"removed {parameter_text(p)}" for n, p in before.items() if n not in after]
    return "; ".join(parts) if parts else f"{old.signature} -> {new.signature}"


def _changed_keys(old: dict[str, Any], new: dict[str, Any]) -> int:
    return sum(1 for k in set(old) | set(new) if old.get(k) != new.get(k))


def _entry_changes(key: str, old: Any, new: Any) -> list[str]:
    from dataclasses import asdict

    changes = []
    if old.signature != new.signature or asdict(old)["params"] != asdict(new)["params"]:
        changes.append(f"changed signature of {key}: {_signature_change(old, new)}")
    if old.target != new.target:
        changes.append(f"{key} moved: {old.target} -> {new.target}")
    if (old.file, old.line) != (new.file, new.line):
        changes.append(f"{key} location: {old.file}:{old.line} -> {new.file}:{new.line}")
    if old.kind != new.kind:
        changes.append(f"{key} is now a {new.kind} (was a {old.kind})")
    rest = ("doc", "summary", "bases", "members", "extra_info", "signature_known")
    different = [name for name in rest if getattr(old, name) != getattr(new, name)]
    if different:
        changes.append(f"{key}: {', '.join(different)} changed")
    return changes


# ----------------------------------------------------------------------------- progress


class TerminalProgress:
    """A rich progress bar on stderr when it is a terminal and the dump takes a moment.

    Shown only after ``delay`` seconds, never when stderr is not a TTY (CI logs stay clean).
    """

    def __init__(self, delay: float = 0.3) -> None:
        self._enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self._start = time.perf_counter()
        self._delay = delay
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            if time.perf_counter() - self._start < self._delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("describing", total=total)
        self._bar.update(self._task, completed=done, description=f"describing {what}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


# ----------------------------------------------------------------------------- writing


def write_texts(folder: Path, texts: dict[str, str], root: Path | None = None) -> list[Path]:
    """Write each text atomically when it differs from the file (else only touch the file);
    returns the paths written. Concurrent dumps never share a temporary file.

    Neither the folder nor, when it lies below ``root``, any folder between ``root`` and it may
    be a symbolic link: a planted link could send the index outside the workspace."""
    from excore.fileio import FileWriteError, atomic_write

    link = _linked_part(folder, root)
    if link is not None:
        raise FileWriteError(
            "cannot write the index: this is a symbolic link, and the index is never written "
            "through one (it could lead outside the workspace; replace it with a folder or set "
            "`index_dir` in the workspace file)",
            file=str(link),
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileWriteError(
            "cannot write the index: this is a file, not a folder (remove it or set "
            "`index_dir` in the workspace file)",
            file=str(folder),
        ) from None
    except OSError as exc:
        raise FileWriteError(
            f"cannot create the index folder: {exc.strerror or exc}", file=str(folder)
        ) from None
    if not folder.is_dir():
        raise FileWriteError(
            "cannot write the index: this is not a folder (remove it or set `index_dir` in "
            "the workspace file)",
            file=str(folder),
        )
    written = []
    for name, text in sorted(texts.items()):
        path = folder / name
        if _same_text(path, text):
            with contextlib.suppress(OSError):
                os.utime(path)  # fresh as of now (tools comparing mtimes with sources rely on it)
            continue
        atomic_write(path, text)
        written.append(path)
    return written


def _linked_part(folder: Path, root: Path | None) -> Path | None:
    """The first symbolic link among the folders from ``root`` down to ``folder`` (only
    ``folder`` itself when it is not below ``root``)."""
    folder = Path(os.path.normpath(os.path.abspath(folder)))
    chain = [folder]
    if root is not None:
        top = Path(os.path.normpath(os.path.abspath(root)))
        if folder.is_relative_to(top):
            parts = folder.relative_to(top).parts
            chain = [top.joinpath(*parts[:n]) for n in range(1, len(parts) + 1)]
    return next((part for part in chain if part.is_symlink()), None)


def _same_text(path: Path, text: str) -> bool:
    from excore.fileio import UnreadableFile, read_config_bytes

    if path.is_symlink():
        return False  # replaced by a file of ours
    try:
        return read_config_bytes(str(path), limit=len(text.encode("utf-8")) + 1) == text.encode(
            "utf-8"
        )
    except UnreadableFile:
        return False
