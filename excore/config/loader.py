"""Reading a config and its ``__base__`` chain into one merged tree that remembers origins.

Merge rules: bases are merged left to right, then the file itself on top; tables merge
recursively, every other value is replaced. A parameter replaces its namesake whatever the prefix
(a child's ``"@head"`` replaces a base's ``"!head"``). Each leaf keeps the file and offsets where
it was written, so problems point into the file the user has to edit.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from excore.fileio import UnreadableFile, read_config_text
from excore.problems import Problem, make_problem
from excore.syntax.grammar import BASE_KEY, DELETE_KEY, SWEEP_KEY, strip_prefix
from excore.syntax.text import LineIndex
from excore.syntax.toml import TreeLeaf, TreeTable, Value, parse_tree

if TYPE_CHECKING:
    from excore.workspace import Workspace

# an editor's reader: the text of an open buffer, or ``None`` to read the file from disk (with the
# engine's own reader, so a disk file gets the same problems, e.g. invalid UTF-8, everywhere)
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
    sweep: Section | None = None  # the config's own [__sweep__] table (bases' are ignored)
    # each file's own tree, as written in it (before merging; read-only): where every key of
    # every file of the family was written (``excore.config.origins`` reads it)
    trees: dict[str, Section] = field(default_factory=dict)
    roots: tuple[str, ...] = ()  # the folders its base files were allowed to lie in

    def source(self, file: str) -> SourceFile | None:
        return self.files.get(file)


_PARSED: OrderedDict[tuple[str, str], tuple[Section, list[Problem]]] = OrderedDict()
_PARSED_SIZE = 32
_PARSED_MAX_TEXT = 512 * 1024  # larger files are parsed each time rather than kept


def parse_cached(text: str, path: str) -> tuple[Section, list[Problem]]:
    """``parse_tree`` of a file's text, remembering the last ones: a language server checks the
    same base files again and again while one file is edited, ``excore check`` reads the same
    bases for many configs, and a sweep planner loads the same config for every trial. Cached
    trees are only read (merging copies their tables, and so does loading the config itself)."""
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
        return read_config_text(path).text
    except UnreadableFile:
        return None


#: How many files deep a ``__base__`` chain may go (a config, its base, that base's base, ...).
#: Deeper chains are reported as ``base-depth`` at the ``__base__`` entry that goes too deep.
MAX_BASE_DEPTH = 64


_BASES_WORKSPACE: ContextVar[Workspace | None] = ContextVar("excore_bases_workspace", default=None)


@contextmanager
def bases_within(workspace: Workspace | None) -> Iterator[None]:
    """Within this block, configs loaded without an explicit workspace take their ``__base__``
    roots from ``workspace`` (``excore check --workspace``)."""
    token = _BASES_WORKSPACE.set(workspace)
    try:
        yield
    finally:
        _BASES_WORKSPACE.reset(token)


def base_roots(config: str, workspace: Workspace | None = None) -> tuple[str, ...]:
    """The folders ``__base__`` files of ``config`` may lie in (real paths): the config's own
    folder, the root of its workspace (``workspace``, else the one of :func:`bases_within`,
    else the one found from the config or ``$EXCORE_WORKSPACE``) and its ``base_roots``."""
    from excore.errors import ExcoreError
    from excore.workspace import find_workspace

    folder = os.path.dirname(normalize_path(config))
    roots = [os.path.realpath(folder)]
    workspace = workspace or _BASES_WORKSPACE.get()
    if workspace is None:
        try:
            workspace = find_workspace(folder)
        except (ExcoreError, OSError, ValueError):
            workspace = None
    if workspace is not None:
        roots.append(os.path.realpath(workspace.root))
        roots.extend(os.path.realpath(p) for p in workspace.base_roots)
    return tuple(dict.fromkeys(roots))


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def resolve_base(name: str, including: str, roots: tuple[str, ...] | None) -> tuple[str, str]:
    """``(path, "")`` for a ``__base__`` entry written in ``including``, or ``("", why)`` when
    the entry may not be followed (absolute, ``~``, NUL, or outside ``roots``; ``None``: not
    checked). Nothing is read."""
    if "\0" in name:
        return "", "a __base__ path cannot contain a NUL character"
    if name.startswith("~"):
        return "", f"__base__ paths are relative to the config, not to a home folder: {name!r}"
    if os.path.isabs(name) or (os.sep == "\\" and ":" in name):
        return "", f"__base__ paths must be relative to the config, not absolute: {name!r}"
    path = normalize_path(os.path.join(os.path.dirname(including), name))
    if roots is not None and not _inside(path, roots):
        return "", (
            f"__base__ file {name!r} lies outside the workspace (allowed: the workspace, the "
            "config's folder and the workspace's `base_roots`); it was not read"
        )
    return path, ""


class _Loader:
    def __init__(self, read_text: ReadText | None, roots: tuple[str, ...]) -> None:
        self.custom_read = read_text
        self.roots = roots
        self.files: dict[str, SourceFile] = {}
        self.trees: dict[str, Section] = {}
        self.written: dict[str, Section] = {}  # each file's tree as parsed, never changed
        self.merged: dict[str, Section] = {}  # a file merged with its bases, computed once
        self.problems: list[Problem] = []
        self.bases: dict[str, list[str]] = {}
        self.order: list[str] = []
        self.used: set[str] = set()  # trees returned as they are (a second use gets a copy)
        self.edges: dict[tuple[str, str], Value] = {}  # (file, base) -> the __base__ item
        self.unreadable: dict[str, str] = {}  # path -> why it was not read

    def read(self, path: str) -> str | None:
        """The text of ``path``; on failure ``None``, and the reason in ``unreadable``."""
        if self.custom_read is not None:
            text = self.custom_read(path)
            if text is not None:
                return text
        try:
            read = read_config_text(path)
        except UnreadableFile as exc:
            self.unreadable[path] = exc.reason
            return None
        if read.bad_offset is not None:
            self.problems.append(
                make_problem(
                    "toml-syntax",
                    read.encoding_message(),
                    path,
                    read.bad_offset,
                    read.bad_offset + 1,
                )
            )
        return read.text

    def source(self, path: str, base: bool = True) -> SourceFile | None:
        """Read and parse ``path``; every file's parse comes from the cache (a sweep planner or
        a server loads the same unchanged texts again and again). The config itself
        (``base=False``) gets its own copy of the cached tables, which its caller may change;
        the leaves, never changed, are shared."""
        if path in self.files:
            return self.files[path]
        if path in self.unreadable:
            return None
        text = self.read(path)
        if text is None:
            return None
        src = SourceFile(path, text)
        self.files[path] = src
        tree, problems = parse_cached(text, path)
        self.written[path] = tree
        if not base:
            tree = _copy_section(tree)
        self.problems.extend(problems)
        self.trees[path] = tree
        return src

    def load(self, path: str, stack: list[str]) -> Section:
        """The merged tree of ``path`` with its bases; ``stack`` detects cycles. Each file is
        merged with its bases once (a file included twice reuses that result)."""
        done = self.merged.get(path)
        if done is not None:
            return done
        own = self.trees[path]
        merged = Section("", file=path)
        base_leaf = own.items.get(BASE_KEY)
        resolved: list[str] = []
        if isinstance(base_leaf, Leaf):
            for item, base_path in self._base_items(base_leaf, path):
                if base_path in stack:
                    self._report_cycle(stack[stack.index(base_path) :], path, item)
                    continue
                if len(stack) >= MAX_BASE_DEPTH:
                    self._problem(
                        "base-depth",
                        f"__base__ chain deeper than {MAX_BASE_DEPTH} files (from "
                        f"{Path(stack[0]).name}); this base is not merged",
                        path,
                        item,
                    )
                    continue
                if self.source(base_path) is None:
                    reason = self.unreadable.get(base_path, "no such file")
                    if reason == "no such file":
                        self.problems.append(_base_not_found(path, item, base_path))
                    else:
                        message = f"base file {str(item.data)!r} cannot be read: {reason}"
                        self._problem("base-not-found", message, path, item)
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
            result = own  # nothing to merge: the file's own tree, without a copy
        else:
            merge_into(merged, own)
            result = merged
        if len(stack) > 1:  # a base: remembered (the config itself is changed by its caller)
            self.merged[path] = result
        return result

    def _problem(self, code: str, message: str, path: str, item: Value) -> None:
        self.problems.append(
            make_problem(code, message, path, item.content_start, item.content_end, BASE_KEY)
        )

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
        seen: set[str] = set()
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
            base_path, refusal = resolve_base(item.data, path, self.roots)
            if refusal:
                self._problem("base-outside", refusal, path, item)
                continue
            if base_path in seen:
                self._problem(
                    "base-repeat",
                    f"{item.data!r} is already listed in this __base__ (merged once)",
                    path,
                    item,
                )
                continue
            seen.add(base_path)
            out.append((item, base_path))
        return out


def _base_not_found(path: str, item: Value, base_path: str) -> Problem:
    """``base-not-found`` at the ``__base__`` item, offering the closest file of that folder
    (``_base_/modle.toml`` → ``_base_/model.toml``) as a did-you-mean with its fix."""
    shown = str(item.data)
    data: dict[str, object] = {"name": shown}
    hint = ""
    folder, name = os.path.split(base_path)
    try:
        names = sorted(
            n for n in os.listdir(folder) if n.endswith(".toml") and n != os.path.basename(path)
        )
    except OSError:
        names = []
    if names:
        import difflib

        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        if close:
            head = shown[: len(shown) - len(shown.replace("\\", "/").rsplit("/", 1)[-1])]
            suggestions = [head + n for n in close]
            hint = f" (did you mean '{suggestions[0]}'?)"
            data["suggestions"] = suggestions
            data["fix"] = {
                "title": f"Did you mean '{suggestions[0]}'?",
                "start": item.content_start,
                "end": item.content_end,
                "text": suggestions[0],
            }
    return make_problem(
        "base-not-found",
        f"base file not found: {shown}{hint} (looked for {base_path})",
        path,
        item.content_start,
        item.content_end,
        BASE_KEY,
        data,
    )


def _bare(key: str) -> str:
    return strip_prefix(key)


def delete_path(root: Section, dotted: str) -> str | None:
    """Remove the key path ``dotted`` (``"Model.FCN.head"``; the last part matches whatever
    its prefix) from ``root``; return why it could not, with a did-you-mean, or None."""
    parts = dotted.split(".")
    section = root
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if last and section.arrays and part in section.arrays:  # a whole [[part]] array
            for i in range(len(section.arrays.pop(part))):
                del section.items[f"{part}[{i}]"]
            return None
        key = part if part in section.items else None
        if key is None and last:
            key = next((k for k in section.items if _bare(k) == _bare(part)), None)
        node = section.items.get(key) if key is not None else None
        if node is None or (not last and not isinstance(node, Section)):
            where = ".".join(parts[:depth])
            elements = array_elements(section)
            names = [k for k in section.items if k not in (BASE_KEY, DELETE_KEY, *elements)]
            if last:
                names += list(section.arrays or ())
            else:
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
        elements = array_elements(section)
        for key in sorted([*section.items, *(section.arrays or ())]):
            if key in (BASE_KEY, DELETE_KEY) or key in elements:
                continue
            if key not in section.items:  # an array of tables: deleted whole
                out.append(f"{prefix}.{key}" if prefix else key)
                continue
            node = section.items[key]
            path = f"{prefix}.{_bare(key)}" if prefix else _bare(key)
            out.append(path)
            if isinstance(node, Section) and level < depth:
                stack.append((node, path, level + 1))
    return out


def array_elements(section: Section) -> set[str]:
    """The keys (``name[0]``, ``name[1]``...) under which the tables of ``[[name]]`` are kept."""
    arrays = section.arrays or {}
    return {f"{name}[{i}]" for name, tables in arrays.items() for i in range(len(tables))}


def merge_into(dst: Section, src: Section) -> None:
    """Merge ``src`` on top of ``dst`` (tables recursively, the rest replaced)."""
    if src.explicit or not dst.file:
        dst.file, dst.start, dst.end = src.file, src.start, src.end
        dst.explicit = dst.explicit or src.explicit
    for name in src.arrays or ():  # an array of tables replaces the base's, as a value does
        for i in range(len((dst.arrays or {}).pop(name, ()))):
            dst.items.pop(f"{name}[{i}]", None)
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
    if src.arrays:
        dst.arrays = dst.arrays or {}
        for name, tables in src.arrays.items():
            dst.arrays[name] = [_element(dst, name, i) for i in range(len(tables))]


def _element(table: Section, name: str, i: int) -> Section:
    element = table.items[f"{name}[{i}]"]
    assert isinstance(element, Section)
    return element


def _copy(node: Leaf | Section) -> Leaf | Section:
    return node if isinstance(node, Leaf) else _copy_section(node)


def _copy_section(node: Section) -> Section:
    """A copy of ``node``'s tables (new dicts, all the way down); the leaves are shared."""
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
    if node.arrays:
        out.arrays = {
            name: [_element(out, name, i) for i in range(len(tables))]
            for name, tables in node.arrays.items()
        }
    return out


def load_config_files(
    path: str | os.PathLike[str],
    read_text: ReadText | None = None,
    roots: tuple[str, ...] | None = None,
    parsed: tuple[str, Section, list[Problem]] | None = None,
) -> LoadedConfig:
    """Read ``path`` and its ``__base__`` chain. Never raises for user errors.

    ``roots``: the folders base files may lie in (default: :func:`base_roots` of ``path``).
    ``parsed``: ``(text, tree, problems)`` of ``path`` when the caller has already parsed it
    (``Document.to_tree()`` of a language server's incremental parse equals ``parse_tree``); it
    is used like the config's own parse (may become the merged tree), so pass a fresh one.
    A missing or unreadable ``path`` gives an empty config with one problem.
    """
    full = normalize_path(path)
    loader = _Loader(read_text, roots if roots is not None else base_roots(full))
    if parsed is not None:
        text, tree, problems = parsed
        loader.files[full] = SourceFile(full, text)
        loader.trees[full] = tree
        # the top level is what loading changes (``__base__`` and co. are taken out)
        loader.written[full] = replace(tree, items=dict(tree.items))
        loader.problems.extend(problems)
    if loader.source(full, base=False) is None:
        reason = loader.unreadable.get(full, "cannot be read")
        problem = make_problem(
            "base-not-found", f"cannot read config file {full}: {reason}", full, 0, 0
        )
        return LoadedConfig(full, Section(""), {}, [problem], {}, [], roots=loader.roots)
    own = loader.trees[full].items.get(SWEEP_KEY)
    root = loader.load(full, [full])
    root.items.pop(BASE_KEY, None)
    root.items.pop(DELETE_KEY, None)
    root.items.pop(SWEEP_KEY, None)
    sweep = own if isinstance(own, Section) else None
    loaded = LoadedConfig(
        full,
        root,
        loader.files,
        loader.problems,
        loader.bases,
        loader.order,
        loader.edges,
        sweep,
        loader.written,
        loader.roots,
    )
    if isinstance(own, Leaf):
        loaded.problems.append(
            make_problem(
                "bad-sweep",
                "__sweep__ must be a table: [__sweep__]",
                full,
                own.key.start,
                own.key.end,
                SWEEP_KEY,
            )
        )
    return loaded
