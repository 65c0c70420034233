"""One config file as the server sees it: the tolerant parse plus the ExCore structure
(sections, parameters with their grammar nodes, variables, ``__base__`` items), all with offsets.

Nothing here knows the registries; ``resolve`` adds what the index says.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

from excore.syntax.grammar import (
    BASE_KEY,
    MODULE_PREFIXES,
    KeyNode,
    ModuleName,
    Reference,
    VariableValue,
    parse_key,
    parse_module_name,
    parse_reference,
    parse_variable_value,
)
from excore.syntax.incremental import reparse
from excore.syntax.text import LineIndex
from excore.syntax.toml import Document, Entry, KeyPart, Table, Value, parse_toml

REFERENCE_PREFIXES = MODULE_PREFIXES


class Param:
    """One ``key = value`` line of a section (or of the root table).

    The grammar of its key and values is read on first use: most lines of a large file are
    never asked about.
    """

    __slots__ = ("_key", "_refs", "_strings", "_variables", "entry", "part")

    def __init__(self, entry: Entry, part: KeyPart) -> None:
        self.entry = entry
        self.part = part
        self._key: KeyNode | None = None
        self._strings: list[Value] | None = None
        self._refs: list[Reference] | None = None
        self._variables: list[VariableValue] | None = None

    @property
    def value(self) -> Value | None:
        return self.entry.value

    @property
    def key(self) -> KeyNode:
        if self._key is None:
            part = self.part
            self._key = parse_key(part.text, _text_start(part))
        return self._key

    @property
    def strings(self) -> list[Value]:
        """The string values: the value itself, or the string items of an array."""
        if self._strings is None:
            value = self.entry.value
            if value is None:
                self._strings = []
            elif value.kind == "string":
                self._strings = [value]
            elif value.kind == "array":
                self._strings = [v for v in value.items if v.kind == "string"]
            else:
                self._strings = []
        return self._strings

    @property
    def refs(self) -> list[Reference]:
        """Module references of a ``!``/``@``/``$`` key, one per string value."""
        if self._refs is None:
            prefix = self.key.prefix
            if prefix and prefix in REFERENCE_PREFIXES:
                self._refs = [parse_reference(str(v.data), v.content_start) for v in self.strings]
            else:
                self._refs = []
        return self._refs

    @property
    def variables(self) -> list[VariableValue]:
        """Variable names or ``${ENV}`` templates of a ``&`` key, one per string value."""
        if self._variables is None:
            if self.key.prefix == "&":
                self._variables = [
                    parse_variable_value(str(v.data), v.content_start) for v in self.strings
                ]
            else:
                self._variables = []
        return self._variables

    @property
    def variable(self) -> VariableValue | None:
        return self.variables[0] if self.variables else None


@dataclass(slots=True)
class Section:
    table: Table
    field: KeyPart | None = None  # [Field.Name]: the Field part
    name: KeyPart | None = None  # the module name part ([Name] or [Field.Name])
    module: ModuleName | None = None
    params: list[Param] = dc_field(default_factory=list)

    @property
    def is_root(self) -> bool:
        return self.table.header is None

    @property
    def header_text(self) -> str:
        header = self.table.header
        return header.dotted if header is not None else ""

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.key.name == name:
                return p
        return None


@dataclass(slots=True)
class ConfigFile:
    key: str  # absolute path, or the URI of an unsaved buffer
    text: str
    doc: Document
    sections: list[Section]
    lines: LineIndex

    @property
    def root(self) -> Section:
        return self.sections[0]

    @property
    def path(self) -> Path | None:
        return None if "://" in self.key else Path(self.key)

    def variables(self) -> dict[str, Param]:
        """Top-level plain keys (``size = 64``) by name."""
        return {
            p.key.name: p
            for p in self.root.params
            if not p.key.prefix and not p.key.name.startswith("__")
        }

    def base_items(self) -> list[Value]:
        p = self.root.param(BASE_KEY)
        if p is None or p.value is None:
            return []
        if p.value.kind == "string":
            return [p.value]
        return [v for v in p.value.items if v.kind == "string"]

    def section_at(self, offset: int) -> Section:
        found = self.sections[0]
        for section in self.sections[1:]:
            if section.table.start <= offset:
                found = section
            else:
                break
        return found

    def module_sections(self) -> list[Section]:
        return [s for s in self.sections if s.name is not None]


def analyse_text(key: str, text: str) -> ConfigFile:
    doc = parse_toml(text, key)
    sections = [_section(table) for table in doc.tables]
    return ConfigFile(key, text, doc, sections, LineIndex(text))


def _section(table: Table) -> Section:
    section = Section(table)
    header = table.header
    if header is not None and header.parts:
        parts = header.parts
        if len(parts) == 1:
            section.name = parts[0]
        elif len(parts) == 2:
            section.field, section.name = parts
        if section.name is not None:
            section.module = parse_module_name(section.name.text, _text_start(section.name))
    for entry in table.entries:
        if len(entry.key.parts) != 1:
            continue
        part = entry.key.parts[0]
        section.params.append(_param(entry, part))
    return section


def _text_start(part: KeyPart) -> int:
    return part.start + 1 if part.quoted else part.start


def _param(entry: Entry, part: KeyPart) -> Param:
    return Param(entry, part)


def string_at(param: Param, offset: int) -> int:
    """Index of the string value of ``param`` whose content holds ``offset``; -1 if none."""
    for i, value in enumerate(param.strings):
        if value.content_start <= offset <= value.content_end:
            return i
    return -1


# -- incremental re-analysis ---------------------------------------------------------------------


def update(prev: ConfigFile, text: str) -> ConfigFile:
    """The analysis of ``text``, re-using ``prev`` (an earlier version) where the edit allows:
    the syntax layer re-parses only the touched tables (``excore.syntax.incremental``), and the
    sections of the tables it shares with ``prev`` are shared too. ``prev`` is not changed."""
    doc = reparse(prev.doc, text)
    same = 0
    for old, new in zip(prev.doc.tables, doc.tables):
        if old is not new:
            break
        same += 1
    sections = list(prev.sections[:same]) + [_section(t) for t in doc.tables[same:]]
    return ConfigFile(prev.key, text, doc, sections, LineIndex(text))
