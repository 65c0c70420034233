"""What the server tells the editor clients about the workspaces, so that they decide nothing.

The clients (VS Code, Neovim) neither look for workspace files nor judge the index: they ask
the server which workspace a file belongs to (the request ``excore/status``: ``None`` for a file
outside every ExCore workspace, which the clients then leave alone), show the index state it
pushes (the notification ``excore/indexStatus``) and run the command it names (``command``:
``excore.dumpIndex`` with that workspace's root). Both carry the same object, built by
``convert.index_status`` from an :class:`IndexStatus`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore_ls import convert
from excore_ls.analysis.documents import uri_to_path
from excore_ls.analysis.index_state import DUMP_COMMAND

if TYPE_CHECKING:
    from excore_ls.analysis.index_state import LoadedIndex
    from excore_ls.server import ExcoreLanguageServer

log = logging.getLogger("excore_ls")
STATUS_REQUEST = "excore/status"  # client → server: the status of a file's workspace, or null
INDEX_STATUS = "excore/indexStatus"  # server → client: a workspace's status changed


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


def status_of(ls: ExcoreLanguageServer, uri: str) -> IndexStatus | None:
    """The status of the workspace holding the file (or folder) ``uri``; ``None`` outside every
    workspace. The file need not be open: the clients ask before they attach to it."""
    path = uri_to_path(uri)
    if path is None or ls.indexes.locate(path) is None:
        return None
    loaded = ls.indexes.for_file(path)
    ls.flush_notices()
    return index_status(loaded) if loaded is not None else None


def requested_uri(params: Any) -> str | None:
    """The ``uri`` of ``{"uri": ...}`` or ``{"textDocument": {"uri": ...}}`` (pygls gives the
    params of a method it does not know as a named tuple)."""

    def field(value: Any, name: str) -> Any:
        return value.get(name) if isinstance(value, dict) else getattr(value, name, None)

    doc = field(params, "textDocument")
    uri = field(doc, "uri") if doc is not None else field(params, "uri")
    return uri if isinstance(uri, str) else None


class StatusSender:
    """Sends ``excore/indexStatus`` for a workspace whenever what the user sees changes."""

    def __init__(self, ls: ExcoreLanguageServer) -> None:
        self.ls = ls
        self.sent: dict[str, dict[str, Any]] = {}  # root -> what was last sent

    def send(self, loaded: LoadedIndex, force: bool = False) -> None:
        status = convert.index_status(index_status(loaded))
        if force or self.sent.get(str(loaded.root)) != status:
            self.sent[str(loaded.root)] = status
            self.ls.protocol.notify(INDEX_STATUS, status)

    def forget(self, root: Path) -> None:
        self.sent.pop(str(root), None)
