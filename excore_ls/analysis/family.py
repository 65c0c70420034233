"""A config and its ``__base__`` files (from open buffers or disk), cached by file stamp."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from excore_ls.analysis.config import ConfigFile, Param, Section, analyse_text, update
from excore_ls.analysis.documents import DocumentStore, Stamp, normalize, read_file

MAX_FAMILY = 64


@dataclass(slots=True)
class Family:
    """``files`` in merge order: bases depth-first, left to right, then the file itself last."""

    main: ConfigFile
    files: list[ConfigFile]
    stamps: dict[str, Stamp] = field(default_factory=dict)
    cycle: bool = False
    # module name -> its sections in merge order; made on first use (a family never changes)
    _sections_by_module: dict[str, list[tuple[ConfigFile, Section]]] | None = field(
        default=None, repr=False, compare=False
    )

    def variables(self) -> dict[str, tuple[ConfigFile, Param]]:
        """Top-level variables; the last writer in merge order wins."""
        out: dict[str, tuple[ConfigFile, Param]] = {}
        for cfg in self.files:
            for name, param in cfg.variables().items():
                out[name] = (cfg, param)
        return out

    def variable_definitions(self, name: str) -> list[tuple[ConfigFile, Param]]:
        return [
            (cfg, p)
            for cfg in self.files
            for p in cfg.root.params
            if p.key.name == name and not p.key.prefix
        ]

    def sections_named(self, name: str) -> list[tuple[ConfigFile, Section]]:
        by_module = self._sections_by_module
        if by_module is None:
            by_module = self._sections_by_module = {}
            for cfg in self.files:
                for s in cfg.sections:
                    if s.module is not None:
                        by_module.setdefault(s.module.name, []).append((cfg, s))
        return list(by_module.get(name, ()))

    def sections_of(self, field_name: str, name: str) -> list[tuple[ConfigFile, Section]]:
        return [
            (cfg, s)
            for cfg, s in self.sections_named(name)
            if (s.field.text if s.field else "") == field_name
        ]

    def merged_params(self, field_name: str, name: str) -> dict[str, tuple[ConfigFile, Param]]:
        """The parameters a section gets through the whole family (last writer wins)."""
        out: dict[str, tuple[ConfigFile, Param]] = {}
        for cfg, section in self.sections_named(name):
            if (section.field.text if section.field else "") != field_name:
                continue
            for p in section.params:
                out[p.key.name] = (cfg, p)
        return out

    def file(self, key: str) -> ConfigFile | None:
        for cfg in self.files:
            if cfg.key == key:
                return cfg
        return None


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


def resolve_base(including: ConfigFile, item: str) -> Path | None:
    base_dir = including.path.parent if including.path is not None else None
    item = os.path.expanduser(item)
    if base_dir is None:
        return normalize(item) if Path(item).is_absolute() else None
    try:
        return normalize(base_dir / item)
    except (OSError, ValueError):
        return None


def load_family(main: ConfigFile, main_stamp: Stamp, cache: ConfigCache) -> Family:
    family = Family(main, [], {main.key: main_stamp})
    visiting: set[str] = {main.key}
    done: set[str] = set()

    def visit(cfg: ConfigFile) -> None:
        for item in cfg.base_items():
            if len(done) + len(visiting) >= MAX_FAMILY:
                return
            path = resolve_base(cfg, str(item.data))
            if path is None:
                continue
            key = str(path)
            if key in visiting:
                family.cycle = True
                continue
            if key in done:
                continue
            loaded = cache.get(key)
            if loaded is None:
                continue
            base, stamp = loaded
            family.stamps[key] = stamp
            visiting.add(key)
            visit(base)
            visiting.discard(key)
            done.add(key)
            family.files.append(base)

    visit(main)
    family.files.append(main)
    return family


def family_is_current(family: Family, stamp_of: Callable[[str], Stamp | None]) -> bool:
    return all(stamp_of(key) == stamp for key, stamp in family.stamps.items())
