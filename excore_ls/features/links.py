"""Document links: every ``__base__`` item opens its file (as the engine's loader resolves it)."""

from __future__ import annotations

from excore_ls.analysis.results import Link
from excore_ls.analysis.session import FileAnalysis


def document_links(fa: FileAnalysis) -> list[Link]:
    out = []
    for item in fa.config.base_items():
        path = fa.base_file(str(item.data))
        if path is not None and path.is_file():
            out.append(Link(item.content_start, item.content_end, str(path), str(path)))
    return out
