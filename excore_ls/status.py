"""What the server tells the editor clients about the workspaces, so that they decide nothing.

The clients (VS Code, Neovim) neither look for workspace files nor judge the index: they ask
the server which workspace a file belongs to (the request ``excore/status``: ``None`` for a file
outside every ExCore workspace, which the clients then leave alone), show the index state it
pushes (the notification ``excore/indexStatus``) and run the command it names (``command``:
``excore.dumpIndex`` with that workspace's root). Both carry the same object, built by
``convert.index_status`` from an ``analysis.index_state.IndexStatus``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore_ls import convert
from excore_ls.analysis.documents import uri_to_path
from excore_ls.analysis.index_state import index_status

if TYPE_CHECKING:
    from excore_ls.analysis.index_state import IndexStatus, LoadedIndex
    from excore_ls.server import ExcoreLanguageServer

STATUS_REQUEST = "excore/status"  # client → server: the status of a file's workspace, or null
INDEX_STATUS = "excore/indexStatus"  # server → client: a workspace's status changed


def status_of(ls: ExcoreLanguageServer, uri: str) -> IndexStatus | None:
    """The status of the workspace holding the file (or folder) ``uri``; ``None`` outside every
    workspace. The file need not be open: the clients ask before they attach to it."""
    path = uri_to_path(uri)
    if path is not None and path.is_dir():
        path = path / "excore.toml"  # a folder: the workspace holding it (the file need not exist)
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
