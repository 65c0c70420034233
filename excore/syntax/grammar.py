"""The one grammar of ExCore keys and reference values.

Keys: ``head`` (plain), ``!head`` (new module), ``@backbone`` (shared module), ``$block`` (class),
``&size`` (variable or ``${ENV}`` template).

Reference values (what ``!``/``@``/``$`` keys name)::

    reference := head link* fine? hook*
    head      := "$" NAME ("::" (NAME | "*"))?     a field, or one module of a field
               | NAME                              a module name or a registered Python module
    link      := "." NAME | "(" literal arguments ")"
    fine      := "*" "$" NAME ("::" NAME)*         fine-grained: the container (the head) is
               | "*" NAME                          built by the FinegrainedConfig hook from the
                                                   table at that path ([Group.name], [name])
    hook      := "@" NAME | "@" "$" NAME "::" NAME  a hook, or a hook whose parameters are
                                                   the module NAME of table $NAME

``NAME`` may carry a fine-grained suffix in section names (``Sequential*FinegrainedConfig``).
Every node carries offsets into the document: callers pass ``start``, the document offset of the
first character of the text they hand in. Parsing never raises; problems are listed on the node.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from excore.syntax.expr import Expression

# The prefix alphabet of keys: ``!`` a new module, ``@`` a shared module, ``$`` a class, ``&`` a
# variable. Every other module imports these names; a test fails when they are written elsewhere.
PREFIXES = "!@$&"
MODULE_PREFIXES = ("!", "@", "$")  # the prefixes whose value names a module
OBJECT_PREFIXES = ("!", "@")  # ... whose value is built into an object (new or shared)
VALUE_PREFIXES = ("$", "&")  # a value starting with one refers to a field or a variable
PREFIX_CLASS = "[" + re.escape(PREFIXES) + "]"  # one prefix, in a regular expression
BASE_KEY = "__base__"  # the files a config inherits
NO_CALL_KEY = "__no_call__"  # a section whose target is not called
DELETE_KEY = "__delete__"  # key paths of the bases a config removes
CLASS_KEY = "__class__"  # a named instance: [train_tf] __class__ = "Compose"
SWEEP_KEY = "__sweep__"  # a sweep over the config (excore sweep); load and build ignore it
_NAME = re.compile(r"[^\W\d][\w\-]*")
_ENV = re.compile(r"\$\{([^}]*)\}?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(slots=True)
class GrammarProblem:
    """A malformed part of a key or reference, at offsets within the parsed text."""

    message: str
    start: int
    end: int


@dataclass(slots=True)
class KeyNode:
    """A parameter key: ``prefix`` is ``""`` or one of ``!@$&``."""

    prefix: str
    name: str
    start: int  # first character of the key text (after any quote)
    end: int
    name_start: int  # first character of the name, after the prefix

    @property
    def text(self) -> str:
        return self.prefix + self.name


def strip_prefix(text: str) -> str:
    """``text`` without its key prefix (``"!head"`` → ``"head"``)."""
    return text[1:] if text[:1] and text[:1] in PREFIXES else text


def parse_key(text: str, start: int = 0) -> KeyNode:
    prefix = text[:1] if text[:1] in PREFIXES and text[:1] != "" else ""
    return KeyNode(prefix, text[len(prefix) :], start, start + len(text), start + len(prefix))


@dataclass(slots=True)
class Ident:
    """A name in a reference, with its offsets."""

    text: str
    start: int
    end: int


@dataclass(slots=True)
class Call:
    """``(...)`` with literal arguments only."""

    start: int
    end: int
    source: str  # the text between the parentheses
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Link:
    """One step of a chain: an attribute (``.name``) or a call (``(...)``)."""

    start: int
    end: int
    attr: Ident | None = None
    call: Call | None = None


@dataclass(slots=True)
class FineGrained:
    """``*$ConfigInfo::backbone`` (or ``*head``): the table holding the fine-grained hook's
    parameters, as a key path from the top of the config."""

    start: int  # the '*'
    end: int
    path: list[Ident]
    dollar: bool = True

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(part.text for part in self.path)


@dataclass(slots=True)
class Reference:
    """One parsed reference value: its head, chain, hooks and problems, with offsets."""

    text: str
    start: int
    end: int
    dollar: bool = False  # "$Field..." or "$Class": a field, or the class itself
    head: Ident | None = None
    member: Ident | None = None  # "$Field::Name"
    star: bool = False  # "$Field::*"
    chain: list[Link] = field(default_factory=list)
    hooks: list[Ident] = field(default_factory=list)
    problems: list[GrammarProblem] = field(default_factory=list)
    # for each hook: the table of "@$Group::Hook" (None for a plain "@Hook")
    hook_groups: list[Ident | None] = field(default_factory=list)
    fine: FineGrained | None = None  # "Container*$Group::name"

    @property
    def dotted_names(self) -> list[Ident]:
        """The head and the attribute links that follow it before any call."""
        names = [self.head] if self.head else []
        for link in self.chain:
            if link.attr is None:
                break
            names.append(link.attr)
        return names

    @property
    def has_chain(self) -> bool:
        return bool(self.chain)


_NONE: list[Any] = []  # the empty chain, hooks and problems of every bare name: never added to


def parse_reference(text: str, start: int = 0) -> Reference:
    end = start + len(text)
    if _NAME.fullmatch(text) is not None:  # the common case: a bare name
        head = Ident(text, start, end)
        return Reference(text, start, end, False, head, None, False, _NONE, _NONE, _NONE)
    return _parse_any_reference(text, start)


def _parse_any_reference(text: str, start: int) -> Reference:
    ref = Reference(text, start, start + len(text))
    pos = 0
    n = len(text)
    # Leading/trailing spaces are tolerated but reported.
    stripped = text.strip()
    if stripped != text:
        lead = len(text) - len(text.lstrip())
        ref.problems.append(GrammarProblem("spaces around a reference", start, start + n))
        pos = lead
        n = lead + len(stripped)
    if pos >= n:
        ref.problems.append(GrammarProblem("empty reference", start, start + len(text)))
        return ref
    if text[pos] == "$":
        ref.dollar = True
        pos += 1
    m = _NAME.match(text, pos, n)
    if not m:
        ref.problems.append(GrammarProblem("expected a name", start + min(pos, n - 1), start + n))
        return ref
    ref.head = Ident(m.group(), start + m.start(), start + m.end())
    pos = m.end()
    if text.startswith("::", pos):
        colon = pos
        pos += 2
        if text.startswith("*", pos):
            ref.star = True
            pos += 1
        else:
            m = _NAME.match(text, pos, n)
            if not m:
                ref.problems.append(
                    GrammarProblem(
                        "expected a module name or '*' after '::'", start + colon, start + pos
                    )
                )
                return ref
            ref.member = Ident(m.group(), start + m.start(), start + m.end())
            pos = m.end()
        if not ref.dollar:
            ref.problems.append(
                GrammarProblem(
                    "'::' needs a field reference: write '$Field::Name'", start + colon, start + pos
                )
            )
    while pos < n and text[pos] in ".(":
        if text[pos] == ".":
            m = _NAME.match(text, pos + 1, n)
            if not m:
                ref.problems.append(
                    GrammarProblem("expected a name after '.'", start + pos, start + pos + 1)
                )
                return ref
            ref.chain.append(
                Link(
                    start + pos,
                    start + m.end(),
                    attr=Ident(m.group(), start + m.start(), start + m.end()),
                )
            )
            pos = m.end()
        else:
            close = _matching_paren(text, pos, n)
            if close == -1:
                ref.problems.append(GrammarProblem("unclosed '('", start + pos, start + n))
                return ref
            call = Call(start + pos, start + close + 1, text[pos + 1 : close])
            problem = _read_call_arguments(call)
            if problem:
                ref.problems.append(GrammarProblem(problem, call.start, call.end))
            ref.chain.append(Link(call.start, call.end, call=call))
            pos = close + 1
    if pos < n and text[pos] == "*" and ref.head is not None:
        pos = _parse_fine(text, pos, n, start, ref)
        if pos < 0:
            return ref
    while pos < n and text[pos] == "@":
        at = pos
        group: Ident | None = None
        if text.startswith("$", pos + 1):
            g = _NAME.match(text, pos + 2, n)
            if not g or not text.startswith("::", g.end()):
                ref.problems.append(
                    GrammarProblem(
                        "expected '@$Group::Hook' after '@$'",
                        start + at,
                        start + (g.end() if g else pos + 2),
                    )
                )
                return ref
            group = Ident(g.group(), start + g.start(), start + g.end())
            pos = g.end() + 1  # the name starts after "::"
        m = _NAME.match(text, pos + 1, n)
        if not m:
            ref.problems.append(
                GrammarProblem("expected a hook name after '@'", start + at, start + pos + 1)
            )
            return ref
        ref.hooks.append(Ident(m.group(), start + m.start(), start + m.end()))
        ref.hook_groups.append(group)
        pos = m.end()
    if pos < n:
        ref.problems.append(
            GrammarProblem(f"unexpected {text[pos:n]!r} in reference", start + pos, start + n)
        )
    return ref


def _parse_fine(text: str, pos: int, n: int, start: int, ref: Reference) -> int:
    """``*$Group::name`` or ``*name`` at ``pos``; the position after it, or -1 (a problem)."""
    star = pos
    pos += 1
    dollar = text.startswith("$", pos)
    if dollar:
        pos += 1
    parts: list[Ident] = []
    while True:
        m = _NAME.match(text, pos, n)
        if not m:
            what = "after '::'" if parts else "after '*' (e.g. '*$Group::name')"
            ref.problems.append(
                GrammarProblem(f"expected a table name {what}", start + star, start + pos)
            )
            return -1
        parts.append(Ident(m.group(), start + m.start(), start + m.end()))
        pos = m.end()
        if not (dollar and text.startswith("::", pos)):
            break
        pos += 2
    ref.fine = FineGrained(start + star, start + pos, parts, dollar)
    return pos


def _matching_paren(text: str, pos: int, n: int) -> int:
    depth = 0
    quote = ""
    i = pos
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _read_call_arguments(call: Call) -> str:
    """Fill ``call.args``/``kwargs`` from literal arguments; return a problem text or ""."""
    if not call.source.strip():
        return ""
    shown = call.source if len(call.source) <= 80 else call.source[:77] + "..."
    try:
        tree = ast.parse(f"f({call.source})", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # also: nested too deep
        return f"cannot read the arguments ({shown})"
    node = tree.body
    if not isinstance(node, ast.Call):
        return f"cannot read the arguments ({shown})"
    try:
        call.args = tuple(ast.literal_eval(arg) for arg in node.args)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                return "'**' is not allowed in arguments"
            kwargs[kw.arg] = ast.literal_eval(kw.value)
        call.kwargs = kwargs
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return f"arguments must be literals ({shown})"
    return ""


@dataclass(slots=True)
class EnvRef:
    """``${NAME}`` or ``${NAME:-default}`` inside a string."""

    name: str
    start: int  # the "$"
    end: int  # after "}"
    name_start: int
    closed: bool = True
    default: str | None = None  # the text after ":-" (used when NAME is unset or empty)


def find_env_refs(text: str, start: int = 0) -> list[EnvRef]:
    refs = []
    for m in _ENV.finditer(text):
        name, sep, default = m.group(1).partition(":-")
        refs.append(
            EnvRef(
                name,
                start + m.start(),
                start + m.end(),
                start + m.start(1),
                m.group().endswith("}"),
                default if sep else None,
            )
        )
    return refs


@dataclass(slots=True)
class VariableValue:
    """The value of a ``&`` key: a top-level variable name, a ``${ENV}`` template, or an
    expression (``"base_lr * batch_size / 256"``, see :mod:`excore.syntax.expr`)."""

    text: str
    start: int
    end: int
    name: Ident | None = None
    env: list[EnvRef] = field(default_factory=list)
    problems: list[GrammarProblem] = field(default_factory=list)
    expr: Expression | None = None

    @property
    def is_template(self) -> bool:
        return self.name is None and self.expr is None


def parse_variable_value(text: str, start: int = 0) -> VariableValue:
    """A bare name and a text with ``${ENV}`` outside quotes keep their old meaning (a variable,
    a template); anything else is an expression."""
    value = VariableValue(text, start, start + len(text))
    if "${" in text and has_template_outside_strings(text):
        value.env = find_env_refs(text, start)
        for ref in value.env:
            if not ref.closed:
                value.problems.append(GrammarProblem("unclosed '${'", ref.start, ref.end))
            elif not _ENV_NAME.match(ref.name):
                value.problems.append(
                    GrammarProblem(
                        f"invalid environment variable name {ref.name!r}", ref.start, ref.end
                    )
                )
        return value
    m = _NAME.fullmatch(text)
    if m:
        value.name = Ident(text, start, start + len(text))
        return value
    value.expr = parse_expression(text, start)
    value.problems = value.expr.problems
    return value


@dataclass(slots=True)
class ModuleName:
    """A module name as written in a section header or a value: ``Name`` or ``Name*Suffix``."""

    name: str
    start: int
    end: int
    suffix: Ident | None = None  # fine-grained config: "Sequential*FinegrainedConfig"

    @property
    def text(self) -> str:
        return self.name if self.suffix is None else f"{self.name}*{self.suffix.text}"


def parse_module_name(text: str, start: int = 0) -> ModuleName:
    base, star, suffix = text.partition("*")
    node = ModuleName(base, start, start + len(base))
    if star:
        offset = start + len(base) + 1
        node.suffix = Ident(suffix, offset, offset + len(suffix))
    return node


def is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None


def parse_expression(text: str, start: int = 0) -> Expression:
    """The expression of a computed ``&`` value or a sweep constraint (never raises)."""
    from excore.syntax.expr import parse_expression as parse

    return parse(text, start)


def has_template_outside_strings(text: str) -> bool:
    from excore.syntax.expr import has_template_outside_strings as found

    return found(text)
