"""Plain results of the features, with offsets; ``convert`` turns them into protocol types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ItemKind = Literal[
    "field",
    "registry",
    "class",
    "function",
    "module",
    "hook",
    "param",
    "keyword",
    "variable",
    "value",
    "file",
    "folder",
    "member",
    "method",
    "property",
    "env",
    "snippet",
]


@dataclass(slots=True)
class Candidate:
    """One completion item replacing ``[start, end)`` of the document."""

    label: str
    kind: ItemKind
    start: int
    end: int
    detail: str = ""
    doc: str = ""  # markdown
    resolve: dict[str, str] | None = None  # the doc is sent on completionItem/resolve
    insert: str | None = None  # defaults to the label
    snippet: bool = False  # ``insert`` is a snippet ($1, ${1:default})
    plain_insert: str | None = None  # for clients without snippet support
    sort: str = "5"
    filter: str | None = None
    preselect: bool = False
    deprecated: bool = False


@dataclass(slots=True)
class Place:
    """A place in a file: offsets when the file is a config we read, else a 1-based line."""

    file: str
    start: int = 0
    end: int = 0
    line: int = 0  # 1-based, used when offsets are unknown (Python sources)


@dataclass(slots=True)
class HoverResult:
    markdown: str
    start: int
    end: int


@dataclass(slots=True)
class Edit:
    file: str
    start: int
    end: int
    new_text: str


@dataclass(slots=True)
class Action:
    title: str
    kind: Literal["quickfix", "refactor", "source"] = "quickfix"
    edits: list[Edit] = field(default_factory=list)
    command: str = ""
    arguments: list[object] = field(default_factory=list)
    diagnostic_codes: list[tuple[str, int, int]] = field(default_factory=list)  # (code, start, end)
    preferred: bool = False


SymbolKind = Literal["namespace", "class", "function", "field", "variable", "property", "module"]


@dataclass(slots=True)
class Symbol:
    name: str
    kind: SymbolKind
    start: int
    end: int
    select_start: int
    select_end: int
    detail: str = ""
    children: list[Symbol] = field(default_factory=list)


@dataclass(slots=True)
class WorkspaceSymbolResult:
    name: str
    kind: Literal["class", "function", "module", "event"]
    container: str
    place: Place


@dataclass(slots=True)
class Token:
    start: int
    end: int
    type: str  # one of convert.TOKEN_TYPES (the legend)
    modifiers: tuple[str, ...] = ()


@dataclass(slots=True)
class Hint:
    offset: int
    label: str
    tooltip: str = ""


@dataclass(slots=True)
class Link:
    start: int
    end: int
    file: str
    tooltip: str = ""
