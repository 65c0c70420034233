"""Where things were written in a loaded config's family, as plain data with file and offsets.

:func:`~excore.config.loader.load_config_files` keeps the merged tree (each value knowing where
the write that counts was made) and, in ``LoadedConfig.trees``, each file's own tree as written.
These queries read both in merge order (``LoadedConfig.order``: bases depth-first, left to
right, then the config itself): every place a key path, a top-level variable or a module section
was written, the variables that count after merging, the file a ``__base__`` entry names and
what the bases give before the config's own keys.
The language server's navigation (definition, references, rename, hover, inlay hints,
completion) reads them instead of re-loading the family itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from excore.config.loader import (
    Leaf,
    LoadedConfig,
    ReadText,
    Section,
    base_roots,
    load_config_files,
    merge_into,
    resolve_base,
)
from excore.syntax.grammar import parse_module_name, strip_prefix


@dataclass(frozen=True, slots=True)
class SectionName:
    """A ``[Name]`` or ``[Table.Name]`` header table as written in one file."""

    section: Section  # the file's own table (file, offsets of the header's last key part)
    table: str  # "Model" for [Model.FCN]; "" for [Name]
    key: str  # the header's last key as written ("FCN", "Sequential*FinegrainedConfig")
    name: str  # the module name, without a fine-grained ``*Suffix`` ("FCN")
    start: int  # offsets of that name in the header (inside any quotes)
    end: int

    @property
    def file(self) -> str:
        return self.section.file

    @property
    def header(self) -> str:
        """The header as a dotted path (``Model.FCN``)."""
        return self.section.path


def written(loaded: LoadedConfig, path: Sequence[str]) -> list[Leaf | Section]:
    """Every node the files of ``loaded`` wrote at the key ``path``, each file's own, in merge
    order (the last one is the write that counts, unless a ``__delete__`` removed it). The last
    part matches whatever its prefix (``lr`` finds ``"&lr"`` too), as merging replaces it."""
    if not path:
        return []
    out: list[Leaf | Section] = []
    last = strip_prefix(path[-1])
    for file in loaded.order:
        table: Leaf | Section | None = loaded.trees.get(file)
        for part in path[:-1]:
            table = table.items.get(part) if isinstance(table, Section) else None
        if not isinstance(table, Section):
            continue
        for key, node in table.items.items():
            if key == path[-1] or strip_prefix(key) == last:
                out.append(node)
    return out


def variable_definitions(loaded: LoadedConfig, name: str) -> list[Leaf]:
    """The top-level plain keys ``name = ...`` (no prefix) of the family, in merge order."""
    out: list[Leaf] = []
    for file in loaded.order:
        tree = loaded.trees.get(file)
        node = tree.items.get(name) if tree is not None else None
        if isinstance(node, Leaf) and not node.key.prefix:
            out.append(node)
    return out


def variables(loaded: LoadedConfig) -> dict[str, Leaf]:
    """The top-level plain variables of the merged config (``size = 64``: no prefix, not a
    reserved ``__name__``), each the leaf of the write that counts (its file and offsets)."""
    return {
        key: node
        for key, node in loaded.root.items.items()
        if isinstance(node, Leaf) and not node.key.prefix and not key.startswith("__")
    }


def section_names(loaded: LoadedConfig) -> list[SectionName]:
    """Every ``[Name]`` / ``[Table.Name]`` header of the family, file by file in merge order and
    in order of first appearance within a file."""
    out: list[SectionName] = []
    for file in loaded.order:
        tree = loaded.trees.get(file)
        if tree is None:
            continue
        for key, node in tree.items.items():
            if not isinstance(node, Section) or node.inline:
                continue
            if node.explicit:
                out.append(_section_name(node, "", key))
            for child_key, child in node.items.items():
                if isinstance(child, Section) and child.explicit and not child.inline:
                    out.append(_section_name(child, key, child_key))
    return out


def sections_named(loaded: LoadedConfig, name: str) -> list[SectionName]:
    """The header tables of module ``name`` (``[Name]``, ``[Table.Name]``, ``[Table."Name*X"]``)
    in the family, in merge order."""
    return [s for s in section_names(loaded) if s.name == name]


def _section_name(section: Section, table: str, key: str) -> SectionName:
    part = section.key
    start = section.start
    if part is not None and part.quoted:
        start += 1
    name = parse_module_name(key).name
    return SectionName(section, table, key, name, start, start + len(name))


def merged_table(loaded: LoadedConfig, table: str, key: str) -> Section | None:
    """The merged table ``[table.key]`` (``[key]`` when ``table`` is empty) of the config: what
    every file of the family wrote there, after ``__delete__``."""
    node: Leaf | Section | None = loaded.root.items.get(table) if table else loaded.root
    node = node.items.get(key) if isinstance(node, Section) else None
    return node if isinstance(node, Section) else None


def base_file(name: str, including: str, roots: tuple[str, ...] | None = None) -> str | None:
    """The file a ``__base__`` entry ``name`` written in ``including`` names, under the rules the
    loader follows (relative to ``including``, inside ``roots``: by default the loader's
    :func:`~excore.config.loader.base_roots`); ``None`` when the loader would refuse it. Whether
    the file exists is not asked."""
    path, refusal = resolve_base(name, including, roots or base_roots(including))
    return None if refusal else path


def bases_tree(loaded: LoadedConfig, read_text: ReadText | None = None) -> Section | None:
    """What the bases of the config give before its own keys are merged (what its
    ``__delete__`` may remove): each base it names, loaded with its own bases under the same
    roots, merged left to right. ``None`` without bases."""
    out: Section | None = None
    for base in loaded.bases.get(loaded.path, []):
        root = load_config_files(base, read_text, loaded.roots or None).root
        if out is None:
            out = root
        else:
            merge_into(out, root)
    return out
