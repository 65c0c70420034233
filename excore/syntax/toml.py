"""A tolerant TOML parser that keeps offsets.

``parse_toml`` never raises. It returns every table, key and value it could read, with character
offsets into the text, and ``toml-syntax`` problems for what it could not. Bare keys that start
with an ExCore prefix (``!transforms = [...]``, invalid TOML written by upstream ExCore) are read
as if quoted and reported as ``unquoted-prefix`` hints.

``Document.to_tree()`` applies TOML's table semantics (headers, dotted keys, arrays of tables) and
keeps each leaf's ``Value`` so that later layers can point at where a value was written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from sys import intern
from typing import Literal

from excore.problems import Problem, make_problem
from excore.syntax.grammar import PREFIX_CLASS, PREFIXES, KeyNode, parse_key

ValueKind = Literal[
    "string", "integer", "float", "boolean", "datetime", "array", "table", "invalid"
]
PREFIX_CHARS = PREFIXES
_PREFIX_SET = frozenset(PREFIX_CHARS)


@dataclass(slots=True)
class KeyPart:
    """One dotted part of a TOML key."""

    text: str  # decoded
    start: int  # offsets of the raw part, quotes included
    end: int
    quoted: bool = False


@dataclass(slots=True)
class Key:
    """A dotted TOML key (a header's or an entry's)."""

    parts: list[KeyPart]
    start: int
    end: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.parts)

    @property
    def dotted(self) -> str:
        return ".".join(p.text for p in self.parts)


@dataclass(slots=True)
class Value:
    """A TOML value with its kind, offsets and decoded data."""

    kind: ValueKind
    start: int
    end: int
    data: object = None  # decoded scalar; None for arrays, tables and invalid values
    items: Sequence[Value] = ()  # array items
    entries: Sequence[Entry] = ()  # inline table entries
    content_start: int = 0  # strings: first offset inside the quotes
    content_end: int = 0  # strings: offset of the closing quote (or where the text stopped)
    closed: bool = True  # False: string/array/inline table without its terminator
    raw_escapes: bool = False  # strings: the content had escapes, so offsets inside are approximate

    def to_python(self) -> object:
        if self.kind == "array":
            return [item.to_python() for item in self.items]
        if self.kind == "table":
            out: dict[str, object] = {}
            for entry in self.entries:
                if entry.value is None:
                    continue
                target = out
                for part in entry.key.parts[:-1]:
                    nxt = target.setdefault(part.text, {})
                    if not isinstance(nxt, dict):
                        break
                    target = nxt
                else:
                    target.setdefault(entry.key.parts[-1].text, entry.value.to_python())
            return out
        return self.data


@dataclass(slots=True)
class Entry:
    """One ``key = value`` line."""

    key: Key
    value: Value | None  # None when the line stopped before a value
    start: int
    end: int


@dataclass(slots=True)
class Table:
    """A ``[header]`` and the entries below it (the root table has no header)."""

    header: Key | None  # None for the root table
    start: int  # offset of "[" (0 for the root)
    header_end: int  # offset after "]" (or where the header stopped)
    end: int  # end of the last entry (or of the header)
    entries: list[Entry] = field(default_factory=list)
    array: bool = False  # [[header]]
    closed: bool = True  # False: the header has no closing bracket


@dataclass(slots=True)
class Document:
    """What the tolerant parser read of one file, with its syntax problems."""

    text: str
    file: str
    tables: list[Table]
    problems: list[Problem]

    @property
    def root(self) -> Table:
        return self.tables[0]

    def to_tree(self) -> tuple[TreeTable, list[Problem]]:
        return build_tree(self)


# ---------------------------------------------------------------------------------------------
# The tree: TOML's data model with offsets, file and key paths (what the config loader merges).


@dataclass(slots=True)
class TreeLeaf:
    """A key with a non-table value, where it was written."""

    key: KeyNode  # the key with its ExCore prefix; offsets of the key text (inside any quotes)
    value: Value
    file: str
    table_path: str  # the dotted path of the table it sits in ("" at the top level)
    # What a later layer read from this leaf alone (the model's parameter), kept with it: the
    # leaves of a cached parse are shared by every load of that text, and read once.
    memo: object = field(default=None, compare=False, repr=False)

    @property
    def path(self) -> str:
        """The dotted key path, e.g. "Model.FCN.@backbone"."""
        return f"{self.table_path}.{self.key.text}" if self.table_path else self.key.text

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def prefix(self) -> str:
        return self.key.prefix


@dataclass(slots=True)
class TreeTable:
    """A table. ``start``/``end`` locate the key part that named it (its last definition).

    An array of tables ``[[name]]`` is kept as the tables ``name[0]``, ``name[1]``... in
    ``items`` (ExCore reads them as plain data) and, for TOML's rules, in ``arrays``.
    """

    path: str
    items: dict[str, TreeLeaf | TreeTable] = field(default_factory=dict)
    file: str = ""
    start: int = 0
    end: int = 0
    explicit: bool = False  # opened by a [header] somewhere (not only by dotted keys or inline)
    inline: bool = False
    dotted: bool = False  # created by a dotted key
    key: KeyPart | None = None
    arrays: dict[str, list[TreeTable]] | None = None

    def get(self, key: str) -> TreeLeaf | TreeTable | None:
        return self.items.get(key)

    def child_path(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name


def tree_to_python(node: TreeLeaf | TreeTable) -> object:
    if isinstance(node, TreeLeaf):
        return node.value.to_python()
    arrays = node.arrays or {}
    elements = {f"{name}[{i}]" for name, tables in arrays.items() for i in range(len(tables))}
    out: dict[str, object] = {
        k: tree_to_python(v) for k, v in node.items.items() if k not in elements
    }
    for name, tables in arrays.items():
        out[name] = [tree_to_python(t) for t in tables]
    return out


def build_tree(doc: Document) -> tuple[TreeTable, list[Problem]]:
    builder = _TreeBuilder(doc.file)
    for table in doc.tables:
        builder.table(table)
        for entry in table.entries:
            builder.entry(entry)
    return builder.root, builder.problems


def parse_tree(text: str, file: str = "") -> tuple[TreeTable, list[Problem]]:
    """The tree of ``text`` without keeping its :class:`Document`: the scanner feeds the tree
    builder directly (what the config loader needs). Syntax problems come first."""
    builder = _TreeBuilder(file)
    syntax = _Scanner(_without_bom(text), file).parse(builder)
    return builder.root, [*syntax, *builder.problems]


def _leaf_key(part: KeyPart) -> KeyNode:
    return parse_key(part.text, part.start + 1 if part.quoted else part.start)


class _TreeBuilder:
    """TOML's table rules over the scanner's tables and entries (fed one by one)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.root = TreeTable("", file=file)
        self.current: TreeTable | None = self.root  # None: the last header was rejected
        self.problems: list[Problem] = []

    def _problem(self, message: str, start: int, end: int, key: str = "") -> None:
        self.problems.append(make_problem("toml-syntax", message, self.file, start, end, key))

    def table(self, table: Table) -> None:
        if table.header is not None and table.header.parts:
            self.current = self._open_header(table)
        else:
            self.current = self.root

    def entry(self, entry: Entry) -> None:
        current = self.current
        value = entry.value
        if current is None or value is None:
            return
        parts = entry.key.parts
        if len(parts) == 1 and value.kind != "table":
            part = parts[0]
            name = part.text
            if name not in current.items and not (current.arrays and name in current.arrays):
                current.items[name] = TreeLeaf(_leaf_key(part), value, self.file, current.path)
                return
        self._set(current, entry)

    def simple_lines(self, m: re.Match[str] | None, text: str) -> int:
        """The run of lines matched by ``_SIMPLE_LINE`` that starts with ``m``, read without
        building their :class:`Entry` (most lines of a config); returns where the run ends."""
        match = _SIMPLE_LINE.match
        current = self.current
        pos = 0
        if current is None:  # under a rejected header: skipped
            while m is not None:
                pos = m.end()
                m = match(text, pos)
            return pos
        items, file, path = current.items, self.file, current.path
        prefixes = _PREFIX_SET
        while m is not None:
            bare, quoted, string, boolean, integer, number = m.groups()
            name = intern(bare if bare is not None else quoted)  # one string per key name
            if name in items or (current.arrays and name in current.arrays):
                self._set(current, _simple_entry(m))  # reports the duplicate
            else:
                start = m.start(1 if bare is not None else 2)
                end = start + len(name)
                if name[:1] in prefixes:
                    key = KeyNode(name[0], name[1:], start, end, start + 1)
                else:
                    key = KeyNode("", name, start, end, start)
                if string is not None:
                    vs = m.start(3)
                    ve = vs + len(string)
                    value = Value("string", vs - 1, ve + 1, string, (), (), vs, ve)
                elif boolean is not None:
                    vs = m.start(4)
                    value = Value("boolean", vs, vs + len(boolean), boolean == "true")
                elif integer is not None:
                    vs = m.start(5)
                    value = Value("integer", vs, vs + len(integer), int(integer))
                else:
                    vs = m.start(6)
                    value = Value("float", vs, vs + len(number), float(number))
                items[name] = TreeLeaf(key, value, file, path)
            pos = m.end()
            m = match(text, pos)
        return pos

    def simple_header(self, m: re.Match[str]) -> None:
        """A header matched by ``_SIMPLE_HEADER``: a new ``[Name]`` or ``[Field.Name]`` is opened
        without building its :class:`Table`; anything else takes the general path."""
        first, second = m.group(1, 2)
        root = self.root
        parent: TreeTable | TreeLeaf | None = root
        name = first
        if second is not None:
            parent = root.items.get(first)
            name = second
        if (
            isinstance(parent, TreeTable)
            and name not in parent.items
            and not parent.arrays
            and not (parent is not root and root.arrays)
        ):
            group = 1 if second is None else 2
            start, end = m.span(group)
            self.current = parent.items[name] = TreeTable(
                parent.child_path(name),
                file=self.file,
                start=start,
                end=end,
                explicit=True,
                key=KeyPart(name, start, end),
            )
            return
        self.table(_simple_table(m))

    def _open_header(self, table: Table) -> TreeTable | None:
        header = table.header
        assert header is not None
        current = self.root
        parts = header.parts
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            name = part.text
            node = current.items.get(name)
            array = current.arrays.get(name) if current.arrays else None
            if last and table.array:
                if node is not None:
                    self._problem(
                        f"'{header.dotted}' is already defined as a table or value",
                        header.start,
                        header.end,
                    )
                    return None
                if array is None:
                    array = []
                    if current.arrays is None:
                        current.arrays = {}
                    current.arrays[name] = array
                element = f"{name}[{len(array)}]"
                new = self._new_table(current, part, name=element)
                new.explicit = True
                array.append(new)
                current.items[element] = new
                return new
            if array is not None:
                if not array:
                    return None
                node = array[-1]
            elif node is None:
                node = current.items[name] = self._new_table(current, part)
            elif isinstance(node, TreeLeaf):
                self._problem(
                    f"'{'.'.join(p.text for p in parts[: i + 1])}' is already defined as a value",
                    header.start,
                    header.end,
                )
                return None
            if last:
                if node.explicit or node.inline or node.dotted:
                    self._problem(
                        f"table '{header.dotted}' is defined twice", header.start, header.end
                    )
                    return node
                node.explicit = True
                node.key = part
                node.start = part.start
                node.end = part.end
            current = node
        return current

    def _new_table(
        self,
        parent: TreeTable,
        part: KeyPart,
        *,
        name: str | None = None,
        dotted: bool = False,
        inline: bool = False,
    ) -> TreeTable:
        """A table below ``parent`` named by ``part`` (or ``name``: an array element)."""
        return TreeTable(
            parent.child_path(part.text if name is None else name),
            file=self.file,
            start=part.start,
            end=part.end,
            dotted=dotted,
            inline=inline,
            key=part,
        )

    def _set(self, table: TreeTable, entry: Entry) -> None:
        value = entry.value
        assert value is not None
        current = table
        parts = entry.key.parts
        for part in parts[:-1]:
            node = current.items.get(part.text)
            if node is None and not (current.arrays and part.text in current.arrays):
                node = current.items[part.text] = self._new_table(current, part, dotted=True)
            if not isinstance(node, TreeTable) or node.inline:
                self._problem(
                    f"key '{entry.key.dotted}' conflicts with an existing value",
                    entry.key.start,
                    entry.key.end,
                )
                return
            current = node
        last = parts[-1]
        if last.text in current.items or (current.arrays and last.text in current.arrays):
            self._problem(
                f"duplicate key '{entry.key.dotted}'",
                entry.key.start,
                entry.key.end,
                entry.key.dotted,
            )
            return
        if value.kind == "table":
            inline = current.items[last.text] = self._new_table(current, last, inline=True)
            for inner in value.entries:
                if inner.value is not None:
                    self._set(inline, inner)
            return
        current.items[last.text] = TreeLeaf(_leaf_key(last), value, self.file, current.path)


# ---------------------------------------------------------------------------------------------
# The scanner.

#: Arrays and inline tables nested deeper than this are reported and not read (documented).
MAX_NESTING = 64
_LONE_CR = re.compile(r"\r(?!\n)")
_WS = re.compile(r"[ \t]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_PREFIXED_BARE_KEY = re.compile(PREFIX_CLASS + r"[A-Za-z0-9_\-]*")
_SIMPLE_BASIC = re.compile(r'"([^"\\\n\r]*)"')
_SIMPLE_LITERAL = re.compile(r"'([^'\n\r]*)'")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|z|[+-]\d{2}:\d{2})?)?"
    r"|(\d{2}:\d{2}:\d{2}(?:\.\d+)?)"
)
_NUMBER = re.compile(
    r"[+-]?(?:inf|nan)"
    r"|0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*"
    r"|0o[0-7](?:_?[0-7])*"
    r"|0b[01](?:_?[01])*"
    r"|[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?"
)
_BOOL = re.compile(r"(?:true|false)(?![A-Za-z0-9_\-])")
_WORD = re.compile(r"[^\s,\]\}#=]+")
_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "e": "\x1b",
}
# A line that starts something new: stops an unterminated array or inline table.
_NEW_STATEMENT = re.compile(
    r"[ \t]*(?:\[\[?[ \t]*[A-Za-z0-9_\-\"'][^\n=,]*\]\]?[ \t]*(?:#[^\n]*)?$"
    r"|[A-Za-z0-9_\-\"'" + re.escape(PREFIXES) + r"][A-Za-z0-9_\-\"'. \t]*=)",
    re.M,
)


# The common line `key = "string" | number | bool  # comment`, after any blank lines and comments,
# read in one match. Each skipped character can be read only one way (a comment runs to the end of
# its line), so a line that does not match fails in linear time.
_SIMPLE_LINE = re.compile(
    r"(?:[ \t\r\n]|#[^\n]*(?=\n|\Z))*"
    r'(?:([A-Za-z0-9_\-]+)|"([^"\\\n\r]*)")[ \t]*=[ \t]*'
    r'(?:"([^"\\\n\r]*)"|(true|false)|([+-]?(?:0|[1-9]\d{0,17}))|([+-]?(?:0|[1-9]\d*)\.\d+))'
    r"[ \t]*(?:#[^\n]*)?(?=\r?\n|\Z)"
)


_PLAIN_STRING = re.compile(r'"([^"\\\n\r]*)"(?!")')  # not the start of a '"""' string
_SKIP = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
# The common header `[Name]` / `[Field.Name]` with bare names, read in one match.
_SIMPLE_HEADER = re.compile(
    r"\[([A-Za-z0-9_\-]+)(?:\.([A-Za-z0-9_\-]+))?\][ \t]*(?:#[^\n]*)?(?=\r?\n|\Z)"
)


def _simple_table(m: re.Match[str]) -> Table:
    first, second = m.group(1, 2)
    s1, e1 = m.span(1)
    parts = [KeyPart(first, s1, e1)]
    if second is not None:
        s2, e2 = m.span(2)
        parts.append(KeyPart(second, s2, e2))
    key = Key(parts, s1, parts[-1].end)
    header_end = parts[-1].end + 1
    return Table(key, m.start(), header_end, header_end)


def _simple_entry(m: re.Match[str]) -> Entry:
    bare, quoted = m.group(1, 2)
    if bare is not None:
        start = m.start(1)
        key_end = start + len(bare)
        part = KeyPart(bare, start, key_end)
    else:
        start = m.start(2) - 1
        key_end = start + len(quoted) + 2
        part = KeyPart(quoted, start, key_end, True)
    value = _simple_value(m)
    return Entry(Key([part], start, key_end), value, start, value.end)


def _simple_value(m: re.Match[str]) -> Value:
    group = m.lastindex or 0  # the value's group: the last one that matched
    vs, ve = m.span(group)
    raw = m.group(group)
    if group == 3:
        return Value("string", vs - 1, ve + 1, raw, (), (), vs, ve)
    if group == 4:
        return Value("boolean", vs, ve, raw == "true")
    if group == 5:
        return Value("integer", vs, ve, int(raw))
    return Value("float", vs, ve, float(raw))


class _DocumentSink:
    """Collects the scanner's tables and entries into a :class:`Document`."""

    def __init__(self) -> None:
        self.current = Table(header=None, start=0, header_end=0, end=0)
        self.tables = [self.current]

    def table(self, table: Table) -> None:
        self.tables.append(table)
        self.current = table

    def entry(self, entry: Entry) -> None:
        self.current.entries.append(entry)
        self.current.end = entry.end

    def simple_header(self, m: re.Match[str]) -> None:
        self.table(_simple_table(m))

    def simple_lines(self, m: re.Match[str] | None, text: str) -> int:
        match = _SIMPLE_LINE.match
        current = self.current
        pos = 0
        while m is not None:
            entry = _simple_entry(m)
            current.entries.append(entry)
            current.end = entry.end
            pos = m.end()
            m = match(text, pos)
        return pos


class _Scanner:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.n = len(text)
        self.file = file
        self.pos = 0
        self.depth = 0  # arrays and inline tables open around the current value
        self.problems: list[Problem] = []

    # -- helpers -------------------------------------------------------------------------------

    def error(
        self, message: str, start: int, end: int | None = None, code: str = "toml-syntax"
    ) -> None:
        n = self.n
        start = min(max(start, 0), n)
        end = start + 1 if end is None or end <= start else end
        end = min(end, n)
        if end <= start and n:
            start, end = n - 1, n
        self.problems.append(make_problem(code, message, self.file, start, end))

    def skip_ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def skip_ws_comments_newlines(self) -> None:
        text, n = self.text, self.n
        while self.pos < n:
            ch = text[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif ch == "#":
                nl = text.find("\n", self.pos)
                self.pos = n if nl == -1 else nl
            else:
                return

    def at_line_end(self) -> bool:
        """After optional spaces: end of text, newline or comment."""
        self.skip_ws()
        if self.pos >= self.n:
            return True
        ch = self.text[self.pos]
        return ch in "\r\n#"

    def skip_to_line_end(self) -> int:
        nl = self.text.find("\n", self.pos)
        self.pos = self.n if nl == -1 else nl
        end = self.pos
        if end > 0 and self.text[end - 1 : end] == "\r":
            end -= 1
        return end

    def finish_line(self, what: str) -> None:
        """Expect the end of the line; report and skip anything else."""
        if self.at_line_end():
            if self.pos < self.n and self.text[self.pos] == "#":
                self.skip_to_line_end()
            return
        start = self.pos
        end = self.skip_to_line_end()
        self.error(f"unexpected text after {what}", start, end)

    # -- document ------------------------------------------------------------------------------

    def report_lone_cr(self) -> None:
        """A carriage return not followed by a newline is not a line end in TOML (nor allowed
        anywhere else): reported once, at the first, with how many there are."""
        found = _LONE_CR.search(self.text)
        if found is None:
            return
        count = sum(1 for _ in _LONE_CR.finditer(self.text, found.start()))
        more = f" ({count} in this file)" if count > 1 else ""
        self.error(
            "a carriage return (\\r) must be followed by a newline (\\n) in TOML" + more,
            found.start(),
            found.start() + 1,
        )

    def parse(self, sink: _DocumentSink | _TreeBuilder, start: int = 0) -> list[Problem]:
        """Read the text from ``start`` (0, or where a table's header starts) into ``sink``;
        return the syntax problems."""
        text, n = self.text, self.n
        skip = _SKIP.match
        simple_line = _SIMPLE_LINE.match
        simple_header = _SIMPLE_HEADER.match
        add_table, add_entry, add_simple_lines = sink.table, sink.entry, sink.simple_lines
        add_simple_header = sink.simple_header
        if "\r" in text:
            self.report_lone_cr()
        pos = start
        while True:
            m = simple_line(text, pos)
            if m is not None:
                pos = add_simple_lines(m, text)  # up to a line that is not simple
            pos = skip(text, pos).end()  # type: ignore[union-attr]
            if pos >= n:
                break
            if text[pos] == "[":
                m = simple_header(text, pos)
                if m is not None:
                    add_simple_header(m)
                    pos = m.end()
                else:
                    self.pos = pos
                    add_table(self.parse_header())
                    pos = self.pos
                continue
            self.pos = pos
            entry = self.parse_entry(inline=False)
            if entry is None:
                start = self.pos
                end = self.skip_to_line_end()
                self.error("expected a key, a [table] header or a comment", start, end)
                pos = self.pos
                continue
            add_entry(entry)
            if entry.value is not None and entry.value.closed:
                self.finish_line("a value")
            pos = self.pos
        return self.problems

    def parse_header(self) -> Table:
        start = self.pos
        text = self.text
        array = text.startswith("[[", start)
        self.pos += 2 if array else 1
        self.skip_ws()
        reported = len(self.problems)
        key = self.parse_key()
        if key is None:
            key = Key([], self.pos, self.pos)
            self.error("expected a table name", start, max(self.pos, start + 1))
        self.skip_ws()
        closing = "]]" if array else "]"
        closed = text.startswith(closing, self.pos)
        if closed:
            self.pos += len(closing)
            header_end = self.pos
            self.finish_line("a table header")
        else:
            header_end = self.pos
            if len(self.problems) == reported:
                self.error(
                    f"unterminated table header: expected '{closing}'",
                    start,
                    max(header_end, start + 1),
                )
            self.skip_to_line_end()
        return Table(
            header=key,
            start=start,
            header_end=header_end,
            end=header_end,
            array=array,
            closed=closed,
        )

    # -- keys ----------------------------------------------------------------------------------

    def parse_key(self) -> Key | None:
        parts: list[KeyPart] = []
        start = self.pos
        while True:
            part = self.parse_key_part(first=not parts)
            if part is None:
                if parts:
                    self.error("expected a key after '.'", self.pos)
                break
            parts.append(part)
            save = self.pos
            self.skip_ws()
            if self.pos < self.n and self.text[self.pos] == ".":
                self.pos += 1
                self.skip_ws()
                continue
            self.pos = save
            break
        if not parts:
            self.pos = start
            return None
        if len(parts) > MAX_NESTING:
            self.error(
                f"keys of more than {MAX_NESTING} dotted parts are not read in full",
                parts[MAX_NESTING].start,
                parts[-1].end,
            )
            del parts[MAX_NESTING:]
        return Key(parts, start, parts[-1].end)

    def parse_key_part(self, first: bool) -> KeyPart | None:
        text, pos = self.text, self.pos
        if pos >= self.n:
            return None
        ch = text[pos]
        if ch == '"' or ch == "'":
            value = self.parse_string()
            if value.kind != "string":
                return None
            if value.start + 3 <= value.end and text.startswith(ch * 3, value.start):
                self.error("a key cannot be a multi-line string", value.start, value.end)
            return KeyPart(str(value.data), value.start, value.end, quoted=True)
        m = _BARE_KEY.match(text, pos)
        if m:
            self.pos = m.end()
            return KeyPart(m.group(), pos, m.end())
        if first and ch in PREFIX_CHARS:
            m = _PREFIXED_BARE_KEY.match(text, pos)
            assert m is not None
            self.pos = m.end()
            raw = m.group()
            self.error(
                f'prefixed key {raw} should be quoted: "{raw}"',
                pos,
                m.end(),
                code="unquoted-prefix",
            )
            return KeyPart(raw, pos, m.end())
        return None

    # -- entries -------------------------------------------------------------------------------

    def parse_entry(self, inline: bool) -> Entry | None:
        start = self.pos
        key = self.parse_key()
        if key is None:
            return None
        self.skip_ws()
        if self.pos >= self.n or self.text[self.pos] != "=":
            self.error("expected '=' after the key", key.start, key.end)
            if not inline:
                self.skip_to_line_end()
            return Entry(key, None, start, key.end)
        self.pos += 1
        self.skip_ws()
        value = self.parse_value(inline_context=inline)
        if value is None:
            self.error("expected a value after '='", max(self.pos - 1, 0), self.pos)
            return Entry(key, None, start, self.pos)
        return Entry(key, value, start, value.end)

    # -- values --------------------------------------------------------------------------------

    def parse_value(self, inline_context: bool = False) -> Value | None:
        text, pos = self.text, self.pos
        if pos >= self.n:
            return None
        ch = text[pos]
        if ch in "\r\n#":
            return None
        if ch == '"' or ch == "'":
            return self.parse_string()
        if ch == "[" or ch == "{":
            if self.depth >= MAX_NESTING:
                return self.skip_too_deep()
            self.depth += 1
            try:
                return self.parse_array() if ch == "[" else self.parse_inline_table()
            finally:
                self.depth -= 1
        m = _BOOL.match(text, pos)
        if m:
            self.pos = m.end()
            return Value("boolean", pos, m.end(), m.group() == "true")
        m = _DATETIME.match(text, pos)
        if m and (m.end() - pos) >= 8:
            parsed = _parse_datetime(m)
            if parsed is not None and not _continues_word(text, m.end()):
                self.pos = m.end()
                return Value("datetime", pos, m.end(), parsed)
        m = _NUMBER.match(text, pos)
        if m and m.end() > pos and not _continues_word(text, m.end()):
            raw = m.group()
            if _int_out_of_range(raw):
                self.pos = m.end()
                self.error(
                    "integer out of range: TOML integers are 64-bit (-2**63 .. 2**63-1)",
                    pos,
                    m.end(),
                )
                return Value("invalid", pos, m.end(), None)
            number = _parse_number(raw)
            if number is not None:
                self.pos = m.end()
                kind: ValueKind = "integer" if isinstance(number, int) else "float"
                return Value(kind, pos, m.end(), number)
        m = _WORD.match(text, pos)
        end = m.end() if m else pos + 1
        self.pos = end
        word = text[pos:end]
        self.error(f"invalid value {word!r} (strings need quotes)", pos, end)
        return Value("invalid", pos, end, None)

    def skip_too_deep(self) -> Value:
        """An array or inline table nested deeper than :data:`MAX_NESTING`: reported, and
        skipped up to its closing bracket (brackets counted, strings skipped roughly)."""
        text, start, n = self.text, self.pos, self.n
        depth = 0
        pos = start
        quote = ""
        while pos < n:
            ch = text[pos]
            if quote:
                if ch == "\\" and quote == '"':
                    pos += 1
                elif ch == quote or ch == "\n":
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth == 0:
                    pos += 1
                    break
            pos += 1
        self.pos = pos
        self.error(
            f"arrays and inline tables nested more than {MAX_NESTING} levels deep are not read",
            start,
            start + 1,
        )
        return Value("invalid", start, pos, None)

    def parse_string(self) -> Value:
        text, start = self.text, self.pos
        quote = text[start]
        if text.startswith(quote * 3, start):
            return self.parse_multiline_string(quote)
        simple = (_SIMPLE_BASIC if quote == '"' else _SIMPLE_LITERAL).match(text, start)
        if simple:
            self.pos = simple.end()
            return Value(
                "string",
                start,
                simple.end(),
                simple.group(1),
                content_start=start + 1,
                content_end=simple.end() - 1,
            )
        if quote == "'":
            end = self.skip_to_line_end()
            self.error('unterminated string: expected "\'"', start, end)
            return Value(
                "string",
                start,
                end,
                text[start + 1 : end],
                content_start=start + 1,
                content_end=end,
                closed=False,
            )
        pos = start + 1
        out: list[str] = []
        n = self.n
        escapes = False
        while pos < n:
            ch = text[pos]
            if ch == '"':
                self.pos = pos + 1
                return Value(
                    "string",
                    start,
                    pos + 1,
                    "".join(out),
                    content_start=start + 1,
                    content_end=pos,
                    raw_escapes=escapes,
                )
            if ch == "\n" or (ch == "\r" and text.startswith("\r\n", pos)):
                break
            if ch == "\\":
                escapes = True
                decoded, length = self.read_escape(pos)
                out.append(decoded)
                pos += length
                continue
            out.append(ch)
            pos += 1
        end = pos
        self.pos = end
        self.error("unterminated string: expected '\"'", start, end)
        return Value(
            "string",
            start,
            end,
            "".join(out),
            content_start=start + 1,
            content_end=end,
            closed=False,
            raw_escapes=escapes,
        )

    def read_escape(self, pos: int) -> tuple[str, int]:
        text = self.text
        nxt = text[pos + 1 : pos + 2]
        if nxt in _ESCAPES:
            return _ESCAPES[nxt], 2
        if nxt in ("u", "U"):
            width = 4 if nxt == "u" else 8
            digits = text[pos + 2 : pos + 2 + width]
            if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                code = int(digits, 16)
                if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                    return chr(code), 2 + width
            self.error("invalid unicode escape", pos, pos + 2 + len(digits))
            return "", 2 + len(digits)
        self.error(f"invalid escape '\\{nxt}'", pos, pos + 2)
        return nxt, 2 if nxt else 1

    def parse_multiline_string(self, quote: str) -> Value:
        text, start = self.text, self.pos
        delim = quote * 3
        content_start = start + 3
        if text.startswith("\r\n", content_start):
            body_start = content_start + 2
        elif text.startswith("\n", content_start):
            body_start = content_start + 1
        else:
            body_start = content_start
        close = text.find(delim, body_start)
        if close == -1:
            self.pos = self.n
            self.error(
                f"unterminated multi-line string: expected {delim}", start, min(start + 3, self.n)
            )
            return Value(
                "string",
                start,
                self.n,
                text[body_start:],
                content_start=body_start,
                content_end=self.n,
                closed=False,
            )
        # Up to two quotes may stand right before the closing delimiter.
        extra = 0
        while extra < 2 and text.startswith(quote, close + 3 + extra):
            extra += 1
        close += extra
        body = text[body_start:close]
        self.pos = close + 3
        if quote == "'":
            return Value(
                "string", start, self.pos, body, content_start=body_start, content_end=close
            )
        return Value(
            "string",
            start,
            self.pos,
            self.decode_multiline(body, body_start),
            content_start=body_start,
            content_end=close,
            raw_escapes="\\" in body,
        )

    def decode_multiline(self, body: str, offset: int) -> str:
        if "\\" not in body:
            return body
        out: list[str] = []
        i, n = 0, len(body)
        while i < n:
            ch = body[i]
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            j = i + 1
            while j < n and body[j] in " \t":
                j += 1
            if j < n and body[j] in "\r\n":
                # Line-ending backslash: trim whitespace and newlines that follow.
                while j < n and body[j] in " \t\r\n":
                    j += 1
                i = j
                continue
            decoded, length = self.read_escape(offset + i)
            out.append(decoded)
            i += length
        return "".join(out)

    def parse_array(self) -> Value:
        text, start = self.text, self.pos
        self.pos += 1
        items: list[Value] = []
        while True:
            self.skip_ws_comments_newlines()
            if self.pos >= self.n:
                self.error("unterminated array: expected ']'", start, start + 1)
                return Value("array", start, self.n, None, items, closed=False)
            ch = text[self.pos]
            if ch == "]":
                self.pos += 1
                return Value("array", start, self.pos, None, items)
            if items and self._new_statement_here():
                end = items[-1].end
                self.error("unterminated array: expected ']'", start, start + 1)
                return Value("array", start, end, None, items, closed=False)
            m = _PLAIN_STRING.match(text, self.pos) if ch == '"' else None
            if m is not None:  # the common item: a basic string without escapes
                vs, ve = m.span(1)
                item: Value | None = Value("string", vs - 1, ve + 1, m.group(1), (), (), vs, ve)
                self.pos = ve + 1
            else:
                item = self.parse_value(inline_context=True)
            if item is None:
                self.pos += 1
                continue
            items.append(item)
            self.skip_ws_comments_newlines()
            if self.pos >= self.n:
                continue
            ch = text[self.pos]
            if ch == ",":
                self.pos += 1
            elif ch != "]":
                if self._new_statement_here():
                    self.error("unterminated array: expected ']'", start, start + 1)
                    return Value("array", start, items[-1].end, None, items, closed=False)
                self.error("expected ',' or ']' in the array", self.pos)

    def _new_statement_here(self) -> bool:
        """At the start of a line that looks like a header or a key/value (array recovery)."""
        text = self.text
        line_start = self.pos
        while line_start > 0 and text[line_start - 1] in " \t\r":
            line_start -= 1
        if line_start > 0 and text[line_start - 1] != "\n":
            return False  # something precedes it on its line (checked without scanning the line)
        m = _NEW_STATEMENT.match(text, line_start)
        if not m:
            return False
        line_end = text.find("\n", self.pos)
        stripped = text[self.pos : line_end if line_end != -1 else self.n].strip()
        # A string item followed by a comma is an array item, not a key.
        return not (
            stripped.startswith(("'", '"'))
            and stripped.rstrip(",").endswith(("'", '"'))
            and "=" not in stripped
        )

    def parse_inline_table(self) -> Value:
        text, start = self.text, self.pos
        self.pos += 1
        entries: list[Entry] = []
        while True:
            self.skip_ws()
            if self.pos >= self.n or text[self.pos] in "\r\n":
                self.error("unterminated inline table: expected '}'", start, start + 1)
                return Value("table", start, self.pos, None, entries=entries, closed=False)
            if text[self.pos] == "}":
                self.pos += 1
                return Value("table", start, self.pos, None, entries=entries)
            entry = self.parse_entry(inline=True)
            if entry is None:
                bad = self.pos
                m = _WORD.match(text, bad)
                self.pos = m.end() if m and m.end() > bad else bad + 1
                self.error("expected a key in the inline table", bad, self.pos)
                continue
            entries.append(entry)
            self.skip_ws()
            if self.pos < self.n and text[self.pos] == ",":
                self.pos += 1


def _continues_word(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isalnum() or text[pos] in "_-.:")


def _int_out_of_range(raw: str) -> bool:
    """An integer literal beyond 64 bits (TOML's range), judged without converting a huge one."""
    body = raw.replace("_", "")
    base = {"0x": 16, "0o": 8, "0b": 2}.get(body[:2])
    if base is not None:
        digits = body[2:].lstrip("0")
        return len(digits) > 64 or (bool(digits) and _safe_int(digits, base) >= 2**63)
    if any(c in body for c in ".eEn"):  # floats, inf, nan
        return False
    digits = body.lstrip("+-").lstrip("0")
    if len(digits) != 19:
        return len(digits) > 19
    return not -(2**63) <= _safe_int(body, 10) < 2**63


def _safe_int(digits: str, base: int) -> int:
    try:
        return int(digits, base)
    except ValueError:
        return 0


def _parse_number(raw: str) -> int | float | None:
    body = raw.replace("_", "")
    try:
        if body.lstrip("+-") in ("inf", "nan"):
            return float(body)
        if body.startswith(("0x", "0o", "0b")):
            return int(body, 0)
        if any(c in body for c in ".eE"):
            return float(body)
        digits = body.lstrip("+-")
        if len(digits) > 1 and digits.startswith("0"):
            return None
        return int(body)
    except ValueError:
        return None


def _parse_datetime(m: re.Match[str]) -> object | None:
    import datetime as _dt  # only for values that look like dates: not at every start-up

    try:
        if m.group(4):
            return _dt.time.fromisoformat(m.group(4))
        date = _dt.date.fromisoformat(m.group(1))
        if not m.group(2):
            return date
        clock = m.group(2)
        if len(clock) == 5:
            clock += ":00"
        tz = m.group(3)
        iso = f"{m.group(1)}T{clock}"
        if tz:
            iso += "+00:00" if tz in "Zz" else tz
        return _dt.datetime.fromisoformat(iso)
    except ValueError:
        return None


def _without_bom(text: str) -> str:
    return " " + text[1:] if text.startswith("\ufeff") else text


def parse_tables_from(text: str, start: int, file: str = "") -> tuple[list[Table], list[Problem]]:
    """The tables of ``text`` from ``start`` (where a table's header starts) to the end, with
    their problems: what ``parse_toml`` finds there when the text before ``start`` parses to
    the same state (``excore.syntax.incremental`` checks that). Offsets are the text's."""
    sink = _DocumentSink()
    problems = _Scanner(text, file).parse(sink, start)
    if sink.tables[0].entries:  # something before the first header: not a table's start
        raise ValueError(f"offset {start} does not start a table")
    return sink.tables[1:], problems


def parse_toml(text: str, file: str = "") -> Document:
    """Parse ``text``; never raises."""
    text = _without_bom(text)
    sink = _DocumentSink()
    problems = _Scanner(text, file).parse(sink)
    return Document(text, file, sink.tables, problems)
