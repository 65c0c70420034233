"""Each file's own parse (``analysis/config.py``), kept by file stamp.

Only the syntax of one file at a time: which files form a config's family, in which order, and
what merging them gives is the engine's (``FileAnalysis.merged``).
"""

from __future__ import annotations

from pathlib import Path

from excore_ls.analysis.config import ConfigFile, analyse_text, update
from excore_ls.analysis.documents import DocumentStore, Stamp, read_file


class ConfigCache:
    """Parsed configs by key, re-parsed only when their stamp changes."""

    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents
        self._cache: dict[str, tuple[Stamp, ConfigFile]] = {}

    def stamp(self, key: str) -> Stamp | None:
        return self.documents.stamp(key)

    def get(self, key: str, text: str | None = None) -> tuple[ConfigFile, Stamp] | None:
        stamp = self.stamp(key)
        if stamp is None and text is None:
            return None
        stamp = stamp or ("text", id(text))
        cached = self._cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1], stamp
        if text is None:
            doc = self.documents.by_path(key)
            text = doc.text if doc is not None else read_file(Path(key))
        if text is None:
            return None
        cfg = update(cached[1], text) if cached is not None else analyse_text(key, text)
        self._cache[key] = (stamp, cfg)
        return cfg, stamp

    def forget(self, key: str) -> None:
        self._cache.pop(key, None)

    def has(self, key: str) -> bool:
        """Whether some version of ``key`` is parsed (a newer one is then re-parsed only where
        it changed)."""
        return key in self._cache

    def put(self, key: str, stamp: Stamp, cfg: ConfigFile) -> None:
        """Keep ``cfg``, parsed elsewhere (a worker thread), as the version of ``stamp``."""
        self._cache[key] = (stamp, cfg)
