"""The analysis state of one server: open documents, parsed configs and indexes.

What a config's family holds (its bases in merge order, variables, sections, merged parameters,
each value's file and offsets) is the engine's: ``FileAnalysis.merged`` is the engine's
``LoadedConfig`` of the file and ``FileAnalysis.model`` its ``ConfigModel``, each made once per
version of the file (and of its bases) and shared by every feature. ``ConfigCache`` only keeps
each file's own parse (``analysis/config.py``) for the features that read a file's own syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from excore.schema.index import RegistryInfo, WorkspaceIndex
from excore.signatures import ModuleInfo
from excore_ls.analysis.config import ConfigFile
from excore_ls.analysis.config_cache import ConfigCache
from excore_ls.analysis.documents import DocumentStore, OpenDocument, Stamp
from excore_ls.analysis.index_state import IndexState, LoadedIndex

if TYPE_CHECKING:
    from excore.config.loader import LoadedConfig, SourceFile
    from excore.config.model import ConfigModel


def guessed_index(loaded: LoadedConfig) -> WorkspaceIndex:
    """Without an index: ``[Field.Name]`` headers make ``Field`` a registry holding ``Name``,
    with an unknown signature (any parameter accepted). Only problems that do not depend on the
    registries are reported from it (variables, env, bases, syntax)."""
    from excore.config.origins import section_names

    registries: dict[str, RegistryInfo] = {}
    for section in section_names(loaded):
        if not section.table:
            continue
        reg = registries.setdefault(section.table, RegistryInfo(section.table))
        name = section.name
        reg.modules.setdefault(name, ModuleInfo(name, reg.name, "class", "", signature_known=False))
    return WorkspaceIndex(registries=registries)


@dataclass(slots=True)
class FileAnalysis:
    """Everything the features need about one open config."""

    doc: OpenDocument
    config: ConfigFile
    loaded: LoadedIndex | None
    read_text: Callable[[str], str | None] | None = None
    index_read: WorkspaceIndex | None = None  # the index when made (re-reading replaces it)
    stamp_of: Callable[[str], Stamp | None] | None = None  # what identifies a file's text
    _merged: LoadedConfig | None = field(default=None, repr=False)
    _stamps: dict[str, Stamp | None] = field(default_factory=dict, repr=False)
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
            self._guessed = guessed_index(self.merged)
        return self._guessed

    @property
    def engine_path(self) -> str:
        """The path the engine knows this file by (an unsaved buffer gets one under the
        current folder; :meth:`file_key` maps it back)."""
        from excore.config.loader import normalize_path

        return normalize_path(self.key)

    @property
    def merged(self) -> LoadedConfig:
        """The engine's loaded config: this file and its ``__base__`` files in merge order, the
        merged tree and each file's own tree, every value with its file and offsets (read once
        per version of the file and of its bases, with the open buffers' texts)."""
        if self._merged is None:
            from excore.config.loader import load_config_files

            own, text, read = self.engine_path, self.config.text, self.read_text

            def read_text(path: str) -> str | None:
                if path == own:
                    return text
                return read(path) if read is not None else None

            doc = self.config.doc  # the incremental parse's tree, not a second parse
            tree, problems = doc.to_tree()
            parsed = (text, tree, [*doc.problems, *problems])
            merged = load_config_files(own, read_text, parsed=parsed)
            if self.stamp_of is not None:
                self._stamps = {f: self.stamp_of(f) for f in merged.files if f != own}
            self._merged = merged
        return self._merged

    @property
    def model(self) -> ConfigModel:
        """The engine's semantic model of this config and its bases (built once per version)."""
        if self._model is None:
            from excore.config.model import build_model

            self._model = build_model(self.merged, self.source)
        return self._model

    def is_current(self, stamp_of: Callable[[str], Stamp | None]) -> bool:
        """Whether the bases read into :attr:`merged` are unchanged (nothing read: yes)."""
        return all(stamp_of(f) == stamp for f, stamp in self._stamps.items())

    def base_file(self, name: str) -> Path | None:
        """The file a ``__base__`` entry of this file names, as the engine's loader resolves
        it (inside the workspace's base roots); ``None`` when the loader would refuse it."""
        from excore.config.loader import base_roots
        from excore.config.origins import base_file

        roots = self._merged.roots if self._merged is not None else None
        if not roots:
            cached = self.memo.get("base_roots")
            roots = cached if isinstance(cached, tuple) else base_roots(self.engine_path)
            self.memo["base_roots"] = roots
        found = base_file(name, self.engine_path, roots)
        return Path(found) if found is not None else None

    def file_key(self, file: str) -> str:
        """The server's key of a file the engine names (this file's own key for itself)."""
        return self.key if file == self.engine_path else file

    def source_file(self, file: str) -> SourceFile | None:
        """The text (and line index) the engine read for a file of the family."""
        return self.merged.files.get(self.engine_path if file == self.key else file)

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
            and cached.is_current(self.configs.stamp)
        ):
            return cached
        got = self.configs.get(doc.key, doc.text)
        assert got is not None
        config = got[0]
        result = FileAnalysis(
            doc,
            config,
            loaded,
            self.documents.buffer_text,
            loaded.index if loaded is not None else None,
            self.configs.stamp,
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
            and kept[1].is_current(self.configs.stamp)
        ):
            return kept[1]
        config = window_config(doc, offset)
        result = FileAnalysis(  # the engine reads the window's text for this file
            doc,
            config,
            loaded,
            self.documents.buffer_text,
            loaded.index if loaded is not None else None,
            self.configs.stamp,
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

    def family(self, key: str) -> LoadedConfig:
        """The engine's load of config ``key`` (with the open buffers' texts): the open
        analysis's when ``key`` is open."""
        doc = self.documents.by_path(key)
        if doc is not None:
            fa = self.analysis(doc.uri)
            if fa is not None:
                return fa.merged
        from excore.config.loader import load_config_files

        return load_config_files(key, self.documents.buffer_text)
