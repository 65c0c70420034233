"""The workspace index as the server sees it: found, loaded, re-read when it changes, checked
for staleness. The server knows the registries only from here; it never imports user code."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from excore.schema.index import WorkspaceIndex
    from excore.signatures import ModuleInfo

DUMP_COMMAND = "excore.dumpIndex"
# excore.workspace.WORKSPACE_FILES, without importing that module while the server starts
WORKSPACE_FILE_NAMES = ("excore.toml", "pyproject.toml", ".excore.toml")
STAT_INTERVAL = 1.0  # seconds between two stat checks of the same index file
STALE_INTERVAL = 5.0  # seconds between two checks of the registered classes' source files


@dataclass(slots=True)
class Notice:
    """A message for the user, shown once per ``key``."""

    key: str
    message: str
    level: str = "warning"  # "error" | "warning" | "info"
    offer_dump: bool = False  # the message offers to run `excore schema dump`


@dataclass(slots=True)
class LoadedIndex:
    """One index file and what became of reading it."""

    path: Path
    root: Path
    workspace_file: Path | None = None
    index: WorkspaceIndex | None = None
    error: str = ""
    mtime: float = -1.0
    file_stamp: FileStamp | None = None  # what the last read saw on disk (``file_stamp``)
    reread: bool = False  # watched files said the index changed: read it whatever the stat says
    checked_at: float = 0.0
    stale: dict[str, str] | None = None  # module name -> its source file, when newer than index
    stale_checked_at: float = 0.0

    def stale_modules(self) -> dict[str, str]:
        """Registered modules whose source file changed after the index was written."""
        if self.stale is None:
            self.stale = {}
            if self.index is not None and self.mtime >= 0:
                for file, names in module_files(self.index).items():
                    source = self.resolve_source(file)
                    try:
                        newer = source.stat().st_mtime > self.mtime + 1e-3
                    except OSError:
                        newer = False
                    if newer:
                        self.stale.update(dict.fromkeys(names, str(source)))
        return self.stale

    def build_entries(self) -> None:
        """Build every module entry now (the index builds them on first access): done in the
        background, so that the first completion listing all module names does not wait."""
        if self.index is not None:
            for _ in self.index.modules():
                pass

    def resolve_source(self, file: str) -> Path:
        path = Path(file)
        return path if path.is_absolute() else self.root / path

    def source_path(self, info: ModuleInfo) -> Path | None:
        return self.resolve_source(info.file) if info.file else None


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """The state of one workspace's index, as the user is shown it."""

    root: Path
    workspace_file: Path | None
    state: str  # "loaded" | "missing" (or unusable: ``message`` says why) | "stale"
    index_path: Path
    message: str
    command: str = DUMP_COMMAND  # what refreshes it, run with ``[str(root)]``


def index_status(loaded: LoadedIndex) -> IndexStatus:
    if loaded.index is None:
        state = "missing"
        message = "" if loaded.error == "missing" else loaded.error
    else:
        stale = loaded.stale_modules()
        state = "stale" if stale else "loaded"
        newer = sorted(set(stale.values()))
        message = f"{', '.join(newer[:3])} changed after the index was written." if newer else ""
    return IndexStatus(loaded.root, loaded.workspace_file, state, loaded.path, message)


FileStamp = tuple[int, int, int, int, int, int]


def file_stamp(st: os.stat_result) -> FileStamp:
    """What tells one version of a file from another without reading it: an index replaced by
    a copy with the same modification time (``cp -p``, a checkout, a tool restoring times) still
    differs in inode (a new file renamed over it), change time (set by every write and by
    setting the times) or size."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev, st.st_ctime_ns, st.st_mode)


def module_files(index: WorkspaceIndex) -> dict[str, list[str]]:
    """The source file of each registered module -> the modules read from it.

    Read from the entries as the index stores them: an entry the index builds on first access
    (``excore.schema.index.LazyModules``) is not built for this, so checking a thousand-class
    index for staleness costs a dictionary walk and one ``stat`` per source file.
    """
    out: dict[str, list[str]] = {}
    for registry in index.registries.values():
        for name, entry in dict.items(registry.modules):
            if isinstance(entry, dict):
                file, name = entry.get("file"), entry.get("name", name)
            else:
                file, name = entry.file, entry.name
            if isinstance(file, str) and file:
                out.setdefault(file, []).append(str(name))
    return out


@dataclass(slots=True)
class IndexState:
    """Finds and caches the index of each workspace.

    The workspace of a config is the engine's (``excore.workspace.find_workspace``), so one
    server serves any number of workspaces, each file with the index of its own. The
    initialization option ``indexPath`` either names one index for every file (an absolute
    path: ``override``) or a path relative to each workspace's root (``relative``).
    """

    override: Path | None = None
    relative: Path | None = None
    loaded: dict[str, LoadedIndex] = field(default_factory=dict)  # index path -> state
    # config file -> its (index file, root, workspace file), or None without a workspace
    _workspace_of: dict[str, tuple[Path, Path, Path | None] | None] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    _shown: set[str] = field(default_factory=set)
    clock: float = STAT_INTERVAL
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def notify(self, notice: Notice) -> None:
        if notice.key not in self._shown:
            self._shown.add(notice.key)
            self.notices.append(notice)

    def take_notices(self) -> list[Notice]:
        out, self.notices = self.notices, []
        return out

    def locate(self, file: Path | None) -> tuple[Path, Path, Path | None] | None:
        """(index file, workspace root, workspace file) for a config file, or None."""
        if self.override is not None:
            path = self.override
            if path.is_dir():
                path = path / "index.json"
            return path, path.parent.parent, None
        key = str(file) if file is not None else ""  # as given: resolving it costs stats
        if key in self._workspace_of:
            return self._workspace_of[key]
        folder = file.parent if file is not None else Path.cwd()
        found = self._find_workspace(folder.resolve())
        self._workspace_of[key] = found
        return found

    def locate_dir(self, folder: Path) -> tuple[Path, Path, Path | None] | None:
        """(index file, workspace root, workspace file) of the workspace holding ``folder``."""
        return self.locate(folder / "excore.toml")

    def forget_under(self, folder: Path, keep: set[Path]) -> list[LoadedIndex]:
        """Drop the indexes of the workspaces inside ``folder`` (an editor folder was removed),
        except those whose root is in ``keep`` (open documents still use them)."""
        with self._lock:
            gone = [
                s for s in self.loaded.values() if _is_under(s.root, folder) and s.root not in keep
            ]
            for state in gone:
                del self.loaded[str(state.path)]
            self._workspace_of.clear()
            return gone

    def _find_workspace(self, folder: Path) -> tuple[Path, Path, Path | None] | None:
        from excore.errors import ExcoreError
        from excore.workspace import find_workspace

        try:
            workspace = find_workspace(folder)
        except ExcoreError as exc:
            self.notify(Notice(f"workspace:{exc}", f"excore: bad workspace file: {exc}", "error"))
            return None
        except Exception as exc:  # a broken workspace file must not stop the server
            self.notify(Notice(f"workspace:{exc}", f"excore: cannot read the workspace: {exc}"))
            return None
        if workspace is None:
            return None
        index_file = workspace.index_file
        if self.relative is not None:
            index_file = workspace.root / self.relative
            if index_file.is_dir():
                index_file = index_file / "index.json"
        return index_file, workspace.root, workspace.file

    def for_file(self, file: Path | None) -> LoadedIndex | None:
        """The index for a config file, re-read when the file on disk changed.

        Thread-safe: the server preloads the index of its workspace folders in the background.
        """
        with self._lock:
            return self._for_file(file)

    def _for_file(self, file: Path | None) -> LoadedIndex | None:
        located = self.locate(file)
        if located is None:
            self.notify(
                Notice(
                    "no-workspace",
                    "excore: no workspace found (no excore.toml, nor pyproject.toml with "
                    "[tool.excore], above the config); module names are not checked. Create one "
                    "with `excore init`.",
                    "info",
                )
            )
            return None
        path, root, workspace_file = located
        state = self.loaded.get(str(path))
        now = time.monotonic()
        if state is None:
            state = LoadedIndex(path, root, workspace_file)
            self.loaded[str(path)] = state
            self._read(state)
        elif now - state.checked_at >= self.clock:
            self._refresh(state)
        return state

    def invalidate(self, path: Path | None = None) -> None:
        """Force a stat check on the next request (watched files said something changed)."""
        with self._lock:
            self._invalidate(path)

    def _invalidate(self, path: Path | None) -> None:
        if path is None or path.name in WORKSPACE_FILE_NAMES:
            self._workspace_of.clear()  # a workspace file came, went or changed: search again
        for state in self.loaded.values():
            if path is None or _same_path(state.path, path):
                state.checked_at = 0.0
                state.reread = True  # the editor saw it change: never trust the stat alone
            elif _is_under(path, state.root):
                state.checked_at = 0.0
                state.stale = None

    def _refresh(self, state: LoadedIndex) -> None:
        now = time.monotonic()
        if now - state.stale_checked_at >= STALE_INTERVAL:
            state.stale = None  # sources are stat'ed again on the next use
            state.stale_checked_at = now
        state.checked_at = now
        try:
            stamp: FileStamp | None = file_stamp(os.stat(state.path))
        except OSError:
            stamp = None
        if state.reread or stamp != state.file_stamp:
            self._read(state)

    def reload(self, state: LoadedIndex) -> None:
        with self._lock:
            self._read(state)

    def _read(self, state: LoadedIndex) -> None:
        from excore.schema.index import IndexError_, load_index

        state.checked_at = time.monotonic()
        state.stale = None
        state.reread = False
        try:
            st = os.stat(state.path)
            state.mtime, state.file_stamp = st.st_mtime, file_stamp(st)
        except OSError:
            state.mtime, state.file_stamp = -1.0, None
            state.index = None
            state.error = "missing"
            self.notify(
                Notice(
                    f"missing:{state.path}",
                    f"excore: no workspace index at {state.path}: module names, parameters and "
                    "references are not checked. Create it with `excore schema dump` (or run the "
                    "command 'excore: Dump index').",
                    "warning",
                    offer_dump=True,
                )
            )
            return
        try:
            state.index = load_index(state.path, state.root)
            state.error = ""
            self._shown.discard(f"missing:{state.path}")
        except IndexError_ as exc:
            state.index = None
            state.error = str(exc)
            self.notify(
                Notice(
                    f"corrupt:{state.path}:{state.mtime}",
                    f"excore: cannot use the workspace index: {exc}. Re-create it with "
                    "`excore schema dump`.",
                    "error",
                    offer_dump=True,
                )
            )
        except Exception as exc:  # any other malformed content
            state.index = None
            state.error = str(exc)
            self.notify(
                Notice(
                    f"corrupt:{state.path}:{state.mtime}",
                    f"excore: {state.path}: malformed index ({type(exc).__name__}: {exc}). "
                    "Re-create it with `excore schema dump`.",
                    "error",
                    offer_dump=True,
                )
            )


def _same_path(a: Path, b: Path) -> bool:
    """The same file, also when one of them was written through a symlinked folder."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True
