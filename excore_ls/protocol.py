"""The JSON-RPC protocol of the server: pygls', with two changes.

- A :class:`~excore_ls.convert.RawJson` result (completion lists, which can hold thousands of
  items) is written with its cached JSON text instead of being converted and encoded again.
- Open documents live in the server's own store (``excore_ls.analysis.documents``): pygls'
  workspace does not keep a second copy of every text nor apply every edit a second time.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from excore_ls.convert import RawJson

_PENDING: set[Any] = set()


class ExcoreProtocol(LanguageServerProtocol):
    def _send_response(self, msg_id: Any, result: Any | None = None, error: Any = None) -> None:
        if error is not None or not isinstance(result, RawJson) or self.writer is None:
            super()._send_response(msg_id, result, error)
            return
        import json

        self._result_types.pop(msg_id, None)
        body = f'{{"jsonrpc":"2.0","id":{json.dumps(msg_id)},"result":{result.text}}}'
        payload = body.encode(self.CHARSET)
        if self._include_headers:
            header = (
                f"Content-Length: {len(payload)}\r\n"
                f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
            )
            payload = header.encode(self.CHARSET) + payload
        res = self.writer.write(payload)
        if inspect.isawaitable(res):
            import asyncio

            task = asyncio.ensure_future(res)
            _PENDING.add(task)
            task.add_done_callback(_PENDING.discard)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: lsp.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        handler = self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: lsp.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        handler = self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: lsp.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        handler = self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE)
        if handler is not None:
            yield handler, (params,), None
