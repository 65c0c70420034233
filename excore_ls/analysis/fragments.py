"""Who includes whom in a workspace (the engine's ``scan_family``), cached for the server: a
rescan stats every config but reads and parses only those that changed since the last one.

The fragment rule itself is the engine's (``excore.config.family``): which configs are fragments
follows from their names and the workspace's ``fragments`` globs, so the server and
``excore check`` report the same problems for every file. The scan tells which open configs to
check again when a file they include changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from excore_ls.analysis.documents import DocumentStore, Stamp

if TYPE_CHECKING:
    from excore.config.family import ConfigFamily

RESCAN_AFTER = 2.0  # seconds a scan of the workspace's configs stays valid


@dataclass(slots=True)
class FamilyScanner:
    """Finds which configs include which (``__base__``), reading open buffers before disk."""

    documents: DocumentStore
    _cache: dict[str, tuple[float, ConfigFamily]] = field(default_factory=dict)
    # config -> (the stamp of its text, the files its __base__ names): a rescan reads and
    # parses again only the configs that changed
    _bases: dict[str, tuple[Stamp, list[str]]] = field(default_factory=dict)

    def family(self, root: Path) -> ConfigFamily:
        from excore.config.family import config_files, fragment_rule

        key = str(root)
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < RESCAN_AFTER:
            return cached[1]
        found = self._scan(config_files(root))
        found.rule = fragment_rule(root)
        self._cache[key] = (now, found)
        return found

    def _scan(self, files: list[str]) -> ConfigFamily:
        """The engine's ``scan_family`` over ``files``, from the open buffers and the disk."""
        from excore.config.family import ConfigFamily

        family = ConfigFamily()
        for path in files:
            bases = self._bases_of(path)
            if bases is None:
                continue
            family.includes[path] = bases
            for base in bases:
                family.included_by.setdefault(base, []).append(path)
        return family

    def _bases_of(self, path: str) -> list[str] | None:
        from excore.config.family import base_names

        stamp = self.documents.stamp(path)
        if stamp is None:
            self._bases.pop(path, None)
            return None
        cached = self._bases.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        text = self.documents.read_text(path)
        if text is None:
            return None
        bases = base_names(text, path)
        self._bases[path] = (stamp, bases)
        return bases

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
