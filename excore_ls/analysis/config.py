"""One config file as the server sees it: the tolerant parse plus the ExCore structure
(sections, parameters with their grammar nodes, variables, ``__base__`` items), all with offsets.

Nothing here knows the registries; ``resolve`` adds what the index says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from pathlib import Path

from excore.problems import Problem
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
from excore.syntax.text import LineIndex
from excore.syntax.toml import Document, Entry, Key, KeyPart, Table, Value, parse_toml

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


INCREMENTAL_MIN = 4096  # smaller files are parsed whole
_RUNS_ON = ("unterminated multi-line", "unterminated array")


def changed_region(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_len): the one edit that turns ``old`` into ``new``.

    Binary searches over slice comparisons (memcmp), so it stays fast on megabytes.
    """
    limit = min(len(old), len(new))
    lo, hi = 0, limit
    while lo < hi:  # longest common prefix
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    while lo < hi:  # longest common suffix not overlapping the prefix
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    suffix = lo
    return prefix, len(old) - suffix, len(new) - suffix - prefix


def update(prev: ConfigFile, text: str) -> ConfigFile:
    """The analysis of ``text``, re-using ``prev`` (an earlier version) where the edit allows."""
    if len(text) >= INCREMENTAL_MIN and prev.text is not text:
        start, old_end, new_len = changed_region(prev.text, text)
        found = reanalyse(prev, text, start, old_end, new_len)
        if found is not None:
            return found
    return analyse_text(prev.key, text)


def reanalyse(
    prev: ConfigFile, text: str, start: int, old_end: int, new_len: int
) -> ConfigFile | None:
    """Re-analyse only the sections one edit touched; ``None`` when a full parse is needed.

    ``prev`` is the analysis of the text before the edit, which replaced ``[start, old_end)`` by
    ``new_len`` characters. The touched sections (from the header before the edit to the header
    after it) are parsed again; the sections after them are moved by the edit's length. The
    result is the same as a full parse; when that cannot be guaranteed (a header was removed, an
    unterminated multi-line string, ...) the caller parses the whole text.
    """
    old = prev.text
    delta = new_len - (old_end - start)
    if len(old) + delta != len(text) or not (
        text[:start] == old[:start] and text[start + new_len :] == old[old_end:]
    ):
        return None
    tables = prev.doc.tables
    first = 0
    for i, table in enumerate(tables):
        if table.start < start:
            first = i
        else:
            break
    last = first
    for j in range(first, len(tables)):
        if tables[j].start <= old_end:
            last = j
        else:
            break
    region_start = tables[first].start if first > 0 else 0
    following = tables[last + 1 :]
    region_end_old = following[0].start if following else len(old)
    region_end = region_end_old + delta
    if following and region_end > 0 and text[region_end - 1] != "\n":
        return None
    region = parse_toml(text[region_start:region_end], prev.key)
    if first > 0:
        root = region.tables[0]
        if root.entries or len(region.tables) < 2 or region.tables[1].start != 0:
            return None
    if following and any(p.message.startswith(_RUNS_ON) for p in region.problems):
        return None  # in the whole text it would run into (or stop at) the next section
    new_tables = list(tables[:first])
    for table in region.tables if first == 0 else region.tables[1:]:
        if region_start:
            _shift_table(table, region_start)
        new_tables.append(table)
    for table in following:
        _shift_table(table, delta)
        new_tables.append(table)
    problems = [p for p in prev.doc.problems if p.end <= region_start]
    problems += [_moved(p, region_start) for p in region.problems]
    problems += [_moved(p, delta) for p in prev.doc.problems if p.start >= region_end_old]
    doc = Document(text, prev.key, new_tables, problems)
    sections = list(prev.sections[:first])
    sections += [_section(table) for table in new_tables[first:]]
    return ConfigFile(prev.key, text, doc, sections, LineIndex(text))


def _moved(problem: Problem, delta: int) -> Problem:
    if not delta:
        return problem
    return replace(problem, start=problem.start + delta, end=problem.end + delta)


def _shift_table(table: Table, d: int) -> None:
    table.start += d
    table.header_end += d
    table.end += d
    if table.header is not None:
        _shift_key(table.header, d)
    for entry in table.entries:
        _shift_entry(entry, d)


def _shift_key(key: Key, d: int) -> None:
    key.start += d
    key.end += d
    for part in key.parts:
        part.start += d
        part.end += d


def _shift_entry(entry: Entry, d: int) -> None:
    entry.start += d
    entry.end += d
    _shift_key(entry.key, d)
    if entry.value is not None:
        _shift_value(entry.value, d)


def _shift_value(value: Value, d: int) -> None:
    value.start += d
    value.end += d
    if value.kind == "string":
        value.content_start += d
        value.content_end += d
    for item in value.items:
        _shift_value(item, d)
    for entry in value.entries:
        _shift_entry(entry, d)
