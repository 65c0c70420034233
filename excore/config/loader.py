"""Reading a config and its ``__base__`` chain into one merged tree that remembers origins.

Merge rules: bases are merged left to right, then the file itself on top; tables merge
recursively, every other value is replaced. A parameter replaces its namesake whatever the prefix
(a child's ``"@head"`` replaces a base's ``"!head"``). Each leaf keeps the file and offsets where
it was written, so problems point into the file the user has to edit.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from excore.problems import Problem, make_problem
from excore.syntax.grammar import PREFIXES
from excore.syntax.text import LineIndex
from excore.syntax.toml import TreeLeaf, TreeTable, Value, parse_tree

ReadText = Callable[[str], "str | None"]
BASE_KEY = "__base__"


@dataclass(slots=True)
class SourceFile:
    """The text of one file of a config family."""

    path: str
    text: str
    _lines: LineIndex | None = None

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines


# A key with a non-table value, and a merged table, each knowing where it was written.
Leaf = TreeLeaf
Section = TreeTable


@dataclass(slots=True)
class LoadedConfig:
    """A config merged with its ``__base__`` files, and the files it was read from."""

    path: str
    root: Section
    files: dict[str, SourceFile]
    problems: list[Problem]
    bases: dict[str, list[str]]  # file -> the base files it names that exist
    order: list[str]  # files in merge order, the config itself last
    # (file, base) -> the ``__base__`` item of ``file`` that names ``base``
    edges: dict[tuple[str, str], Value] = field(default_factory=dict)

    def source(self, file: str) -> SourceFile | None:
        return self.files.get(file)


_PARSED: OrderedDict[tuple[str, str], tuple[Section, list[Problem]]] = OrderedDict()
_PARSED_SIZE = 32
_PARSED_MAX_TEXT = 512 * 1024  # larger files are parsed each time rather than kept


def parse_base_cached(text: str, path: str) -> tuple[Section, list[Problem]]:
    """``parse_tree`` of a base file, remembering the last ones: a language server checks the
    same base files again and again while one file is edited, and ``excore check`` reads the
    same bases for many configs. Base trees are only read (merging copies their tables)."""
    if len(text) > _PARSED_MAX_TEXT:
        return parse_tree(text, path)
    key = (path, text)
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _PARSED[key] = parse_tree(text, path)
        if len(_PARSED) > _PARSED_SIZE:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(key)
    return parsed


def normalize_path(path: str | os.PathLike[str]) -> str:
    return os.path.normpath(os.path.abspath(os.fspath(path)))


def _read_disk(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return None


class _Loader:
    def __init__(self, read_text: ReadText | None) -> None:
        self.read_text = read_text or _read_disk
        self.files: dict[str, SourceFile] = {}
        self.trees: dict[str, Section] = {}
        self.problems: list[Problem] = []
        self.bases: dict[str, list[str]] = {}
        self.order: list[str] = []
        self.used: set[str] = set()  # trees returned as they are (a second use gets a copy)
        self.edges: dict[tuple[str, str], Value] = {}  # (file, base) -> the __base__ item

    def source(self, path: str, base: bool = True) -> SourceFile | None:
        """Read and parse ``path``. The config itself (``base=False``) gets a tree of its own,
        which its caller may change; base files come from the cache."""
        if path in self.files:
            return self.files[path]
        text = self.read_text(path)
        if text is None:
            return None
        src = SourceFile(path, text)
        self.files[path] = src
        tree, problems = parse_base_cached(text, path) if base else parse_tree(text, path)
        self.problems.extend(problems)
        self.trees[path] = tree
        return src

    def load(self, path: str, stack: list[str]) -> Section:
        """The merged tree of ``path`` with its bases; ``stack`` detects cycles."""
        own = self.trees[path]
        merged = Section("", file=path)
        base_leaf = own.items.get(BASE_KEY)
        resolved: list[str] = []
        if isinstance(base_leaf, Leaf):
            for item, base_path in self._base_items(base_leaf, path):
                if base_path in stack:
                    self._report_cycle(stack[stack.index(base_path) :], path, item)
                    continue
                if self.source(base_path) is None:
                    shown = str(item.data)
                    self.problems.append(
                        make_problem(
                            "base-not-found",
                            f"base file not found: {shown} (looked for {base_path})",
                            path,
                            item.content_start,
                            item.content_end,
                            BASE_KEY,
                        )
                    )
                    continue
                resolved.append(base_path)
                self.edges[(path, base_path)] = item
                merge_into(merged, self.load(base_path, [*stack, base_path]))
        elif isinstance(base_leaf, Section):
            self.problems.append(
                make_problem(
                    "toml-syntax",
                    "__base__ must be a list of file paths",
                    path,
                    base_leaf.start,
                    base_leaf.end,
                    BASE_KEY,
                )
            )
        self.bases[path] = resolved
        if path not in self.order:
            self.order.append(path)
        if not resolved and path not in self.used:
            self.used.add(path)
            return own  # nothing to merge: the file's own tree, without a copy
        merge_into(merged, own)
        return merged

    def _report_cycle(self, cycle: list[str], closing: str, item: Value) -> None:
        """Report the cycle at the ``__base__`` item of every file in it, not only the last."""
        hops = [(a, b) for a, b in zip(cycle, [*cycle[1:], cycle[0]])]
        for a, b in hops:
            where = item if (a, b) == (closing, cycle[0]) else self.edges.get((a, b))
            if where is None:
                continue
            start = cycle.index(a)
            names = [Path(p).name for p in [*cycle[start:], *cycle[:start], a]]
            self.problems.append(
                make_problem(
                    "base-cycle",
                    f"__base__ cycle: {' -> '.join(names)}",
                    a,
                    where.start,
                    where.end,
                    BASE_KEY,
                )
            )

    def _base_items(self, leaf: Leaf, path: str) -> list[tuple[Value, str]]:
        value = leaf.value
        items = value.items if value.kind == "array" else [value]
        out: list[tuple[Value, str]] = []
        folder = os.path.dirname(path)
        for item in items:
            if item.kind != "string" or not isinstance(item.data, str) or not item.data:
                self.problems.append(
                    make_problem(
                        "toml-syntax",
                        "__base__ items must be file paths (strings)",
                        path,
                        item.start,
                        item.end,
                        BASE_KEY,
                    )
                )
                continue
            out.append((item, normalize_path(os.path.join(folder, os.path.expanduser(item.data)))))
        return out


def _bare(key: str) -> str:
    return key[1:] if key[:1] in PREFIXES and key[:1] != "" else key


def merge_into(dst: Section, src: Section) -> None:
    """Merge ``src`` on top of ``dst`` (tables recursively, the rest replaced)."""
    if src.explicit or not dst.file:
        dst.file, dst.start, dst.end = src.file, src.start, src.end
        dst.explicit = dst.explicit or src.explicit
    for key, node in src.items.items():
        existing = dst.items.get(key)
        if isinstance(node, Section) and isinstance(existing, Section):
            merge_into(existing, node)
            continue
        if existing is None and key != BASE_KEY:
            # A base's parameter is replaced whatever its prefix; two prefixes of one name in
            # the same file are kept, for the checker to report.
            bare = _bare(key)
            for other in [k for k in dst.items if k != key and _bare(k) == bare]:
                if dst.items[other].file != node.file:
                    del dst.items[other]
        dst.items[key] = _copy(node)


def _copy(node: Leaf | Section) -> Leaf | Section:
    if isinstance(node, Leaf):
        return node
    out = Section(
        node.path,
        {k: _copy(v) for k, v in node.items.items()},
        node.file,
        node.start,
        node.end,
        node.explicit,
        node.inline,
        node.dotted,
        node.key,
    )
    return out


def load_config_files(
    path: str | os.PathLike[str], read_text: ReadText | None = None
) -> LoadedConfig:
    """Read ``path`` and its ``__base__`` chain. Never raises for user errors.

    A missing or unreadable ``path`` gives an empty config with one problem.
    """
    full = normalize_path(path)
    loader = _Loader(read_text)
    if loader.source(full, base=False) is None:
        problem = make_problem("base-not-found", f"cannot read config file {full}", full, 0, 0)
        return LoadedConfig(full, Section(""), {}, [problem], {}, [])
    root = loader.load(full, [full])
    root.items.pop(BASE_KEY, None)
    return LoadedConfig(
        full, root, loader.files, loader.problems, loader.bases, loader.order, loader.edges
    )
