"""The analysis state of one server: open documents, parsed configs, families and indexes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from excore.schema.index import RegistryInfo, WorkspaceIndex
from excore.signatures import ModuleInfo
from excore_ls.analysis.config import ConfigFile
from excore_ls.analysis.documents import DocumentStore, OpenDocument
from excore_ls.analysis.family import ConfigCache, Family, family_is_current, load_family
from excore_ls.analysis.index_state import IndexState, LoadedIndex

if TYPE_CHECKING:
    from excore.config.model import ConfigModel


def guessed_index(family: Family) -> WorkspaceIndex:
    """Without an index: ``[Field.Name]`` headers make ``Field`` a registry holding ``Name``,
    with an unknown signature (any parameter accepted). Only problems that do not depend on the
    registries are reported from it (variables, env, bases, syntax)."""
    registries: dict[str, RegistryInfo] = {}
    for cfg in family.files:
        for section in cfg.sections:
            if section.field is None or section.module is None:
                continue
            reg = registries.setdefault(section.field.text, RegistryInfo(section.field.text))
            name = section.module.name
            reg.modules.setdefault(
                name, ModuleInfo(name, reg.name, "class", "", signature_known=False)
            )
    return WorkspaceIndex(registries=registries)


@dataclass(slots=True)
class FileAnalysis:
    """Everything the features need about one open config."""

    doc: OpenDocument
    config: ConfigFile
    family: Family
    loaded: LoadedIndex | None
    read_text: Callable[[str], str | None] | None = None
    index_read: WorkspaceIndex | None = None  # the index when made (re-reading replaces it)
    _model: ConfigModel | None = field(default=None, repr=False)
    _guessed: WorkspaceIndex | None = field(default=None, repr=False)
    memo: dict[str, object] = field(default_factory=dict, repr=False)  # per-version caches

    @property
    def index(self) -> WorkspaceIndex | None:
        return self.loaded.index if self.loaded is not None else None

    @property
    def source(self) -> WorkspaceIndex:
        """The signature source for the engine: the index, or one guessed from the headers."""
        index = self.index
        if index is not None:
            return index
        if self._guessed is None:
            self._guessed = guessed_index(self.family)
        return self._guessed

    @property
    def model(self) -> ConfigModel:
        """The engine's semantic model of this config and its bases (built once per version)."""
        if self._model is None:
            from excore.config.loader import load_config_files
            from excore.config.model import build_model

            self._model = build_model(load_config_files(self.key, self.read_text), self.source)
        return self._model

    @property
    def key(self) -> str:
        return self.config.key


class Analyzer:
    def __init__(
        self,
        index_override: Path | None = None,
        *,
        documents: DocumentStore | None = None,
        indexes: IndexState | None = None,
    ) -> None:
        self.documents = documents if documents is not None else DocumentStore()
        self.configs = ConfigCache(self.documents)
        self.indexes = indexes if indexes is not None else IndexState(index_override)
        self._analyses: dict[str, FileAnalysis] = {}
        self._window: tuple[tuple[str, tuple[int, int, int]], FileAnalysis] | None = None

    def analysis(self, uri: str) -> FileAnalysis | None:
        doc = self.documents.get(uri)
        if doc is None:
            return None
        cached = self._analyses.get(uri)
        loaded = self.indexes.for_file(doc.path)
        if (
            cached is not None
            and cached.doc is doc
            and cached.config.text is doc.text
            and cached.loaded is loaded
            and cached.index_read is (loaded.index if loaded is not None else None)
            and family_is_current(cached.family, self.configs.stamp)
        ):
            return cached
        got = self.configs.get(doc.key, doc.text)
        assert got is not None
        config, stamp = got
        family = load_family(config, stamp, self.configs)
        result = FileAnalysis(
            doc,
            config,
            family,
            loaded,
            self.documents.buffer_text,
            loaded.index if loaded is not None else None,
        )
        self._analyses[uri] = result
        return result

    def parsed(self, doc: OpenDocument) -> bool:
        """Whether :meth:`analysis` of ``doc`` parses at most what changed since a version it
        already read (not the whole text)."""
        return self.configs.has(doc.key)

    def install(self, doc: OpenDocument, version: int, text: str, config: ConfigFile) -> None:
        """Keep ``config``, the analysis of ``text`` (version ``version`` of ``doc``) made in a
        worker thread, unless a version already is."""
        if not self.configs.has(doc.key):
            self.configs.put(doc.key, ("buffer", version, id(text)), config)

    def window_analysis(self, uri: str, offset: int) -> FileAnalysis | None:
        """The analysis of the window of a document around ``offset`` (see
        :mod:`excore_ls.analysis.window`): what a request reads of a large document before its
        whole parse is ready. The last one is kept while the window and the text stay."""
        from excore_ls.analysis.window import window_bounds, window_config

        doc = self.documents.get(uri)
        if doc is None:
            return None
        loaded = self.indexes.for_file(doc.path)
        bounds = window_bounds(doc.text, offset)
        kept = self._window
        if (
            kept is not None
            and kept[0] == (uri, bounds)
            and kept[1].doc is doc
            and kept[1].config.lines.text is doc.text
            and kept[1].loaded is loaded
            and kept[1].index_read is (loaded.index if loaded is not None else None)
            and family_is_current(kept[1].family, self.configs.stamp)
        ):
            return kept[1]
        config = window_config(doc, offset)
        stamp = self.configs.stamp(doc.key) or ("window", id(doc.text))
        family = load_family(config, stamp, self.configs)
        own, buffers = doc.key, self.documents.buffer_text

        def read_text(path: str) -> str | None:
            return config.text if path == own else buffers(path)

        result = FileAnalysis(
            doc, config, family, loaded, read_text, loaded.index if loaded is not None else None
        )
        self._window = ((uri, bounds), result)
        return result

    def forget(self, uri: str) -> None:
        self._window = None
        self._analyses.pop(uri, None)
        doc = self.documents.get(uri)
        if doc is not None:
            self.configs.forget(doc.key)

    def config_for(self, key: str) -> ConfigFile | None:
        got = self.configs.get(key)
        return got[0] if got is not None else None
