"""Overrides: one grammar for ``excore check|build|print -o ...`` and ``config.load(overrides=)``.

Owned by the one grammar (like :mod:`excore.syntax.expr`)::

    override := "~" KEY                 delete the key path (it must exist)
              | "+" KEY "=" VALUE       add a key the config lacks (checked against the signature)
              | KEY "=" VALUE           replace a value the config has
                                        (KEY a primary field and VALUE a module name: swap the
                                        field's module, "Model=SmallCNN")
    KEY      := part ("." part)*        bare parts may carry a prefix: Model.ResNet.$block
    part     := [^."'=\\s]+ | '"' ... '"' | "'" ... "'"
    VALUE    := a TOML literal (3, 0.1, true, "text", [1, 2], {a = 1}), or a bare word, read as a
                string (Bottleneck, run-2); the value of a prefixed key is always a name

Parsing never raises: problems carry offsets into the override's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from excore.syntax.grammar import PREFIXES, GrammarProblem

OverrideKind = Literal["set", "add", "delete"]
_BARE_PART = re.compile(r"""[^."'=\s]+""")
_BARE_WORD = re.compile(r"""[^\s"'\[\]{},=#]+""")


@dataclass(slots=True)
class Override:
    """One parsed override: its kind, key path (parts as written, prefixes kept) and value."""

    text: str
    kind: OverrideKind
    path: tuple[str, ...] = ()
    raw: str = ""  # the value as written (empty for a delete)
    literal: str = ""  # the value as a TOML literal
    problems: list[GrammarProblem] = field(default_factory=list)

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def is_bare_word(self) -> bool:
        """The value was a bare word (a module name for a swap)."""
        return bool(self.raw) and _BARE_WORD.fullmatch(self.raw) is not None


def parse_override(text: str) -> Override:
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    kind: OverrideKind = "set"
    pos = lead
    if stripped.startswith("~"):
        kind, pos = "delete", pos + 1
    elif stripped.startswith("+"):
        kind, pos = "add", pos + 1
    out = Override(text, kind)
    path, pos, problem = _read_key(text, pos)
    out.path = tuple(path)
    if problem is not None:
        out.problems.append(problem)
        return out
    rest = text[pos:].strip()
    if kind == "delete":
        if rest:
            out.problems.append(
                GrammarProblem("'~KEY' takes no value (write ~KEY alone)", pos, len(text))
            )
        return out
    if not rest.startswith("="):
        out.problems.append(
            GrammarProblem(
                "expected KEY=VALUE (or +KEY=VALUE to add a key, ~KEY to delete one)",
                pos,
                max(len(text), pos + 1),
            )
        )
        return out
    value_start = text.index("=", pos) + 1
    out.raw = text[value_start:].strip()
    literal, message = value_literal(out.raw, out.path[-1][:1] in PREFIXES)
    if message:
        out.problems.append(GrammarProblem(message, value_start, max(len(text), value_start + 1)))
    out.literal = literal
    return out


def _read_key(text: str, pos: int) -> tuple[list[str], int, GrammarProblem | None]:
    parts: list[str] = []
    n = len(text)
    while True:
        while pos < n and text[pos] == " ":
            pos += 1
        if pos < n and text[pos] in "\"'":
            quote = text[pos]
            close = text.find(quote, pos + 1)
            if close == -1:
                return parts, pos, GrammarProblem("unclosed quote in the key", pos, n)
            parts.append(text[pos + 1 : close])
            pos = close + 1
        else:
            m = _BARE_PART.match(text, pos)
            if m is None:
                return parts, pos, GrammarProblem("expected a key", pos, max(n, pos + 1))
            parts.append(m.group())
            pos = m.end()
        while pos < n and text[pos] == " ":
            pos += 1
        if pos < n and text[pos] == ".":
            pos += 1
            continue
        return parts, pos, None


def value_literal(raw: str, prefixed: bool) -> tuple[str, str]:
    """``(TOML literal, problem message)`` of an override's value."""
    from excore.syntax.toml import parse_toml

    if not raw:
        return "", "expected a value after '='"
    if prefixed and raw[:1] not in "\"'[":
        return _basic_string(raw), ""  # a name: Bottleneck, torch.nn.ReLU(inplace=True)
    doc = parse_toml(f"x = {raw}\n", "<override>")
    entries = doc.root.entries
    if not doc.problems and len(entries) == 1 and entries[0].value is not None:
        return raw, ""
    if _BARE_WORD.fullmatch(raw):
        return _basic_string(raw), ""
    return "", f"cannot read {raw!r} as a TOML value (quote a string: '\"...\"')"


def _basic_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
