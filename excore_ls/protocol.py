"""The JSON-RPC protocol of the server: pygls', plus pre-encoded results.

A :class:`~excore_ls.convert.RawJson` result (completion lists, which can hold thousands of
items) is written with its cached JSON text instead of being converted and encoded again.
"""

from __future__ import annotations

import inspect
from typing import Any

from pygls.protocol import LanguageServerProtocol

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
