"""The JSON-RPC protocol of the server: pygls', with the lifecycle rules of LSP and one store.

- Before ``initialize`` a request gets the error ``ServerNotInitialized`` (other notifications
  than ``exit`` are dropped); after ``shutdown`` a request gets ``InvalidRequest``.
- A request whose params do not fit the method gets ``InvalidParams``; a notification with bad
  params is logged and dropped (no "Error in server" popup).
- Open documents live in the server's own store (``excore_ls.analysis.documents``): pygls'
  workspace does not keep a second copy of every text nor apply every edit a second time.
  These three handlers are plain functions, not pygls' generators: pygls keeps the future of a
  generator handler run for a notification for ever (one per keystroke; nothing answers a
  notification, so nothing removes it). ``tests/ls/test_ls_memory.py`` counts them.

Only public pygls methods are overridden (``structure_message``, ``handle_message`` and the
built-in ``textDocument/did*`` handlers).
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from excore_ls import convert

log = logging.getLogger("excore_ls")

SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


class Refused:
    """A request answered with an error before it reaches a handler (``structure_message``
    made it from a message whose params did not fit)."""

    def __init__(self, msg_id: Any, code: int, message: str) -> None:
        self.msg_id, self.code, self.message = msg_id, code, message


class Dropped:
    """A notification with unusable params: logged, never handled."""


class ExcoreProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_seen = False
        self.shutdown_seen = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            method = data.get("method")
            if "id" in data and method is not None:
                return Refused(
                    data["id"], INVALID_PARAMS, f"invalid params for {method}: {exc.message}"
                )
            log.warning("excore-ls: ignored %s with invalid params", method or "a message")
            return Dropped()

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Dropped):
            return
        if isinstance(message, Refused):
            self.refuse(message.msg_id, message.code, message.message)
            return
        if not hasattr(message, "jsonrpc"):  # valid JSON, but no JSON-RPC message
            log.warning("excore-ls: ignored a message that is not JSON-RPC: %.80r", message)
            return
        method = getattr(message, "method", None)
        is_request = method is not None and getattr(message, "id", None) is not None
        if method == lsp.EXIT:
            super().handle_message(message)
            return
        if not self.initialize_seen and method != lsp.INITIALIZE and method is not None:
            if is_request:
                self.refuse(message.id, SERVER_NOT_INITIALIZED, "the server is not initialized")
            return
        if self.shutdown_seen and is_request:
            self.refuse(message.id, INVALID_REQUEST, f"{method}: the server is shutting down")
            return
        if method == lsp.INITIALIZE:
            self.initialize_seen = True
        elif method == lsp.SHUTDOWN:
            self.shutdown_seen = True
        super().handle_message(message)

    def refuse(self, msg_id: Any, code: int, message: str) -> None:
        """Answer the request ``msg_id`` with an error, without running anything."""
        if self.writer is None:
            return
        self.writer.write(convert.error_frame(msg_id, code, message))

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> None:
        _run(self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN), params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> None:
        _run(self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE), params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> None:
        _run(self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE), params)


def _run(handler: Any, params: Any) -> None:
    """Call the server's handler of a document notification (pygls logs what it raises)."""
    if handler is not None:
        handler(params)
