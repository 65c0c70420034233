"""Find references and rename: top-level variables and module names defined in sections, across
the file, its ``__base__`` family and the configs that include it (with their families) — the
files the engine loads, in merge order, each read from its own tree as the engine parsed it
(``LoadedConfig.trees``: keys, values and headers with offsets)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from excore.config.loader import Leaf, LoadedConfig, Section
from excore.config.origins import section_names
from excore.syntax.grammar import MODULE_PREFIXES, is_name, parse_reference, parse_variable_value
from excore.syntax.toml import Value
from excore_ls.analysis.results import Edit, Place
from excore_ls.analysis.session import FileAnalysis
from excore_ls.analysis.target import Target, target_at

Related = Callable[[FileAnalysis], Iterable[LoadedConfig]]


class RenameRefused(Exception):
    """The rename cannot be done; the message says why."""


def _symbol(fa: FileAnalysis, offset: int) -> tuple[str, str, Target] | None:
    """("variable" | "module", name, target) under the cursor."""
    t = target_at(fa, offset)
    if t is None:
        return None
    if t.kind == "variable":
        return "variable", t.name, t
    if t.kind == "reference" and t.variable is not None:
        return "variable", t.name, t
    if t.kind == "header-module" or (t.kind == "reference" and "." not in t.name):
        return "module", t.name, t
    return None


def occurrences(
    tree: Section, headers: Iterable[tuple[str, int, int]], kind: str, name: str
) -> list[tuple[int, int, bool]]:
    """(start, end, is_declaration) of every occurrence of a variable or module name in one
    file: ``tree`` is its own tree, ``headers`` its ``[..Name]`` headers (name, start, end)."""
    out: list[tuple[int, int, bool]] = []
    if kind == "variable":
        node = tree.items.get(name)
        if isinstance(node, Leaf) and not node.key.prefix:
            out.append((node.key.name_start, node.key.end, True))
    else:
        out.extend((start, end, True) for header, start, end in headers if header == name)
    for leaf in _leaves(tree):
        prefix = leaf.key.prefix
        if prefix != "&" and prefix not in MODULE_PREFIXES:
            continue
        for value in _strings(leaf):
            if prefix == "&":
                if kind != "variable":
                    continue
                var = parse_variable_value(str(value.data), value.content_start)
                if var.name is not None and var.name.text == name:
                    out.append((var.name.start, var.name.end, False))
                continue
            ref = parse_reference(str(value.data), value.content_start)
            if ref.head is not None and not ref.dollar and ref.head.text == name:
                out.append((ref.head.start, ref.head.end, False))
            if kind == "module" and ref.member is not None and ref.member.text == name:
                out.append((ref.member.start, ref.member.end, False))
    return sorted(set(out))


def _leaves(table: Section) -> Iterator[Leaf]:
    for node in table.items.values():
        if isinstance(node, Section):
            yield from _leaves(node)
        else:
            yield node


def _strings(leaf: Leaf) -> list[Value]:
    value = leaf.value
    items = value.items if value.kind == "array" else [value]
    return [v for v in items if v.kind == "string"]


def references(
    fa: FileAnalysis, offset: int, include_declaration: bool = True, related: Related | None = None
) -> list[Place]:
    found = _symbol(fa, offset)
    if found is None:
        return []
    kind, name, _ = found
    out = []
    for key, tree, headers in _files(fa, related):
        for start, end, decl in occurrences(tree, headers, kind, name):
            if decl and not include_declaration:
                continue
            out.append(Place(key, start, end))
    return out


def _files(
    fa: FileAnalysis, related: Related | None
) -> list[tuple[str, Section, list[tuple[str, int, int]]]]:
    """(key, own tree, headers) of each file of the family, then of the configs including it."""
    families = [fa.merged, *(related(fa) if related is not None else [])]
    out: dict[str, tuple[str, Section, list[tuple[str, int, int]]]] = {}
    for loaded in families:
        headers: dict[str, list[tuple[str, int, int]]] = {}
        for h in section_names(loaded):
            headers.setdefault(h.file, []).append((h.name, h.start, h.end))
        for file in loaded.order:
            key = fa.file_key(file)
            tree = loaded.trees.get(file)
            if tree is not None and key not in out:
                out[key] = (key, tree, headers.get(file, []))
    return list(out.values())


def prepare_rename(fa: FileAnalysis, offset: int) -> tuple[int, int, str] | str | None:
    found = _symbol(fa, offset)
    if found is None:
        return None
    kind, name, target = found
    refused = _refusal(fa, kind, name)
    if refused:
        return refused
    return target.start, target.start + len(name), name


def _refusal(fa: FileAnalysis, kind: str, name: str) -> str:
    if kind == "module" and fa.index is not None and fa.index.lookup(name) is not None:
        return (
            f"'{name}' is a registered Python class or function: rename it in its Python source "
            "(then run `excore schema dump`), not in the config"
        )
    return ""


def rename(
    fa: FileAnalysis, offset: int, new_name: str, related: Related | None = None
) -> list[Edit] | str:
    found = _symbol(fa, offset)
    if found is None:
        return "nothing to rename here (rename works on variables and module sections)"
    kind, name, _ = found
    refused = _refusal(fa, kind, name)
    if refused:
        return refused
    if not is_name(new_name):
        return f"'{new_name}' is not a valid name"
    edits = []
    for key, tree, headers in _files(fa, related):
        for start, end, _decl in occurrences(tree, headers, kind, name):
            edits.append(Edit(key, start, end, new_name))
    return edits
