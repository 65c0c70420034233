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
from excore.syntax.grammar import BASE_KEY, DELETE_KEY, strip_prefix
from excore.syntax.text import LineIndex
from excore.syntax.toml import TreeLeaf, TreeTable, Value, parse_tree

ReadText = Callable[[str], "str | None"]


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
        delete_leaf = own.items.get(DELETE_KEY)
        if delete_leaf is not None:
            self._delete(merged, delete_leaf, path, bool(resolved))
        self.bases[path] = resolved
        if path not in self.order:
            self.order.append(path)
        if not resolved and path not in self.used:
            self.used.add(path)
            return own  # nothing to merge: the file's own tree, without a copy
        merge_into(merged, own)
        return merged

    def _delete(self, merged: Section, node: Leaf | Section, path: str, has_bases: bool) -> None:
        """``__delete__ = ["LRScheduler", "Model.FCN.head"]``: remove key paths the bases gave,
        before the file's own keys are merged. A path no base defines is ``bad-delete``."""
        value = node.value if isinstance(node, Leaf) else None
        items = (value.items if value.kind == "array" else [value]) if value is not None else []
        wrong = [(i.start, i.end) for i in items if i.kind != "string" or not i.data]
        if isinstance(node, Section):  # [__delete__] as a table
            wrong = [(node.start, node.end)]
        for start, end in wrong:
            self.problems.append(
                make_problem(
                    "bad-delete",
                    "__delete__ takes key paths (strings), e.g. ['LRScheduler', 'Model.FCN.head']",
                    path,
                    start,
                    end,
                    DELETE_KEY,
                )
            )
        items = [i for i in items if i.kind == "string" and i.data]
        for item in items:
            assert isinstance(item.data, str)
            message = delete_path(merged, item.data)
            if message is None:
                continue
            if not has_bases:
                message = f"'{item.data}' cannot be deleted: this file has no __base__"
            self.problems.append(
                make_problem(
                    "bad-delete",
                    message,
                    path,
                    item.content_start,
                    item.content_end,
                    DELETE_KEY,
                    {"path": item.data},
                )
            )

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
    return strip_prefix(key)


def delete_path(root: Section, dotted: str) -> str | None:
    """Remove the key path ``dotted`` (``"Model.FCN.head"``; the last part matches whatever
    its prefix) from ``root``; return why it could not, with a did-you-mean, or None."""
    parts = dotted.split(".")
    section = root
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        key = part if part in section.items else None
        if key is None and last:
            key = next((k for k in section.items if _bare(k) == _bare(part)), None)
        node = section.items.get(key) if key is not None else None
        if node is None or (not last and not isinstance(node, Section)):
            where = ".".join(parts[:depth])
            names = [k for k in section.items if k not in (BASE_KEY, DELETE_KEY)]
            if not last:
                names = [k for k in names if isinstance(section.items[k], Section)]
            import difflib

            close = difflib.get_close_matches(part, sorted(names), n=1, cutoff=0.6)
            hint = f" (did you mean '{'.'.join([*parts[:depth], close[0]])}'?)" if close else ""
            owner = f"'{where}' has" if where else "they have"
            what = "table" if not last else "key"
            return f"'{dotted}' is not defined by the bases: {owner} no {what} '{part}'{hint}"
        if last:
            del section.items[key]  # type: ignore[arg-type]
            return None
        assert isinstance(node, Section)
        section = node
    return None


def deletable_paths(root: Section, depth: int = 3) -> list[str]:
    """Key paths of a merged tree, tables first, down to ``depth`` parts (for completion)."""
    out: list[str] = []
    stack: list[tuple[Section, str, int]] = [(root, "", 1)]
    while stack:
        section, prefix, level = stack.pop()
        for key in sorted(section.items):
            if key in (BASE_KEY, DELETE_KEY):
                continue
            node = section.items[key]
            path = f"{prefix}.{_bare(key)}" if prefix else _bare(key)
            out.append(path)
            if isinstance(node, Section) and level < depth:
                stack.append((node, path, level + 1))
    return out


def merge_into(dst: Section, src: Section) -> None:
    """Merge ``src`` on top of ``dst`` (tables recursively, the rest replaced)."""
    if src.explicit or not dst.file:
        dst.file, dst.start, dst.end = src.file, src.start, src.end
        dst.explicit = dst.explicit or src.explicit
    for key, node in src.items.items():
        if key == DELETE_KEY:
            continue  # applied by the loader to what the bases gave, never merged
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
    root.items.pop(DELETE_KEY, None)
    return LoadedConfig(
        full, root, loader.files, loader.problems, loader.bases, loader.order, loader.edges
    )
