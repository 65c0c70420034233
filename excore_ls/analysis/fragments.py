"""Who includes whom in a workspace (the engine's ``scan_family``), cached for the server.

The fragment rule itself is the engine's (``excore.config.family``): a config that another config
includes is checked through the root configs that include it, so the server and ``excore check``
report the same problems for every file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from excore_ls.analysis.documents import DocumentStore

if TYPE_CHECKING:
    from excore.config.family import ConfigFamily

RESCAN_AFTER = 2.0  # seconds a scan of the workspace's configs stays valid


@dataclass(slots=True)
class FamilyScanner:
    documents: DocumentStore
    _cache: dict[str, tuple[float, ConfigFamily]] = field(default_factory=dict)

    def family(self, root: Path) -> ConfigFamily:
        from excore.config.family import config_files, scan_family

        key = str(root)
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < RESCAN_AFTER:
            return cached[1]
        found = scan_family(config_files(root), self.documents.read_text)
        self._cache[key] = (now, found)
        return found

    def invalidate(self) -> None:
        self._cache.clear()

    def includers(self, path: Path, root: Path) -> list[str]:
        """Configs that include ``path``, directly or through other configs."""
        family = self.family(root)
        seen: set[str] = set()
        stack = [str(path)]
        while stack:
            current = stack.pop()
            for parent in family.included_by.get(current, []):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return sorted(seen)
