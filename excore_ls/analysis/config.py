"""One config file as the server sees it: the tolerant parse plus the ExCore structure
(sections, parameters with their grammar nodes, variables, ``__base__`` items), all with offsets.

Nothing here knows the registries; ``resolve`` adds what the index says.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path

from excore.syntax.grammar import (
    KeyNode,
    ModuleName,
    Reference,
    VariableValue,
    parse_key,
    parse_module_name,
    parse_reference,
    parse_variable_value,
)
from excore.syntax.text import LineIndex
from excore.syntax.toml import Document, Entry, KeyPart, Table, Value, parse_toml

REFERENCE_PREFIXES = "!@$"
BASE_KEY = "__base__"


@dataclass(slots=True)
class Param:
    """One ``key = value`` line of a section (or of the root table)."""

    entry: Entry
    part: KeyPart
    key: KeyNode
    strings: list[Value] = dc_field(default_factory=list)  # string values: the value or array items
    refs: list[Reference] = dc_field(default_factory=list)  # for "!", "@", "$" keys
    variable: VariableValue | None = None  # for "&" keys (one per string)
    variables: list[VariableValue] = dc_field(default_factory=list)

    @property
    def value(self) -> Value | None:
        return self.entry.value


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
    key = parse_key(part.text, _text_start(part))
    param = Param(entry, part, key)
    value = entry.value
    if value is None:
        return param
    if value.kind == "string":
        param.strings = [value]
    elif value.kind == "array":
        param.strings = [v for v in value.items if v.kind == "string"]
    if key.prefix in REFERENCE_PREFIXES:
        param.refs = [parse_reference(str(v.data), v.content_start) for v in param.strings]
    elif key.prefix == "&":
        param.variables = [
            parse_variable_value(str(v.data), v.content_start) for v in param.strings
        ]
        param.variable = param.variables[0] if param.variables else None
    return param


def string_at(param: Param, offset: int) -> int:
    """Index of the string value of ``param`` whose content holds ``offset``; -1 if none."""
    for i, value in enumerate(param.strings):
        if value.content_start <= offset <= value.content_end:
            return i
    return -1
