"""Expressions: the value of a computed ``&`` key (``"&lr" = "base_lr * batch_size / 256"``).

Owned by the one grammar (:mod:`excore.syntax.grammar` re-exports :func:`parse_expression`)::

    expression := ternary
    ternary    := or ("if" or "else" ternary)?
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*
    sum        := term (("+" | "-") term)*
    term       := unary (("*" | "/" | "//" | "%") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom ("**" unary)?
    atom       := NUMBER | STRING | "true" | "false" | "True" | "False"
                | FUNCTION "(" (expression ("," expression)*)? ")"
                | NAME ("." NAME)*                  a variable, or a dotted path of the config
                | "(" expression ")"

``FUNCTION`` is one of :data:`FUNCTIONS`; no other call exists. Strings are quoted with ``'`` or
``"`` and may hold ``${ENV}`` templates (expanded when evaluated). Every node carries document
offsets (callers pass ``start``, the offset of the first character of the text). Parsing never
raises: a malformed expression gives a partial tree and problems with ranges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from excore.syntax.grammar import EnvRef, GrammarProblem, Ident, find_env_refs

FUNCTIONS = ("min", "max", "abs", "round", "int", "float", "str", "len")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
_KEYWORDS = frozenset({"if", "else", "and", "or", "not", "true", "false", "True", "False"})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<string>'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?)
  | (?P<op>\*\*|//|<=|>=|==|!=|[-+*/%<>().,])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(slots=True)
class Token:
    kind: str  # number name string op end bad
    text: str
    start: int  # document offsets
    end: int


# -- nodes ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Num:
    value: int | float
    start: int
    end: int


@dataclass(slots=True)
class Str:
    """A quoted string; ``raw`` is the text between the quotes (escapes not yet read)."""

    raw: str
    start: int
    end: int
    content_start: int
    env: list[EnvRef] = field(default_factory=list)


@dataclass(slots=True)
class Bool:
    value: bool
    start: int
    end: int


@dataclass(slots=True)
class Name:
    """A variable (one part) or a dotted path of the resolved config (several parts)."""

    parts: list[Ident]
    start: int
    end: int

    @property
    def text(self) -> str:
        return ".".join(p.text for p in self.parts)


@dataclass(slots=True)
class Unary:
    op: str  # "-", "+", "not"
    operand: Node
    start: int
    end: int


@dataclass(slots=True)
class Binary:
    """Arithmetic (``+ - * / // % **``) or ``and``/``or``; ``op_start`` locates the operator."""

    op: str
    left: Node
    right: Node
    start: int
    end: int
    op_start: int = 0


@dataclass(slots=True)
class Compare:
    """``a < b <= c``: ``rest`` holds each operator and its right operand."""

    first: Node
    rest: list[tuple[str, Node]]
    start: int
    end: int


@dataclass(slots=True)
class IfElse:
    body: Node
    cond: Node
    orelse: Node
    start: int
    end: int


@dataclass(slots=True)
class Call:
    func: Ident
    args: list[Node]
    start: int
    end: int


@dataclass(slots=True)
class Missing:
    """Where an operand was expected but the text stopped or was malformed."""

    start: int
    end: int


Node = Num | Str | Bool | Name | Unary | Binary | Compare | IfElse | Call | Missing


@dataclass(slots=True)
class Expression:
    """A parsed expression: its tree (None when empty) and problems, with document offsets."""

    text: str
    start: int
    end: int
    root: Node | None
    problems: list[GrammarProblem] = field(default_factory=list)

    @property
    def is_name(self) -> bool:
        """A bare name (``"&x" = "size"``): a plain variable reference."""
        root = self.root
        return isinstance(root, Name) and len(root.parts) == 1 and not self.problems


# -- parser -----------------------------------------------------------------------------------


def tokenize(text: str, start: int = 0) -> list[Token]:
    """Tokens of an expression with document offsets; the last one has kind ``end``."""
    tokens: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            tokens.append(Token("bad", text[pos], start + pos, start + pos + 1))
            pos += 1
            continue
        kind = m.lastgroup or "bad"
        if kind != "space":
            tokens.append(Token(kind, m.group(), start + m.start(), start + m.end()))
        pos = m.end()
    tokens.append(Token("end", "", start + n, start + n))
    return tokens


class _Stop(Exception):
    """The first syntax problem stops the parse (the tree so far is kept)."""


class _Parser:
    def __init__(self, text: str, start: int) -> None:
        self.tokens = tokenize(text, start)
        self.i = 0
        self.problems: list[GrammarProblem] = []
        self.text_start = start

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def at(self, kind: str, *texts: str) -> bool:
        tok = self.tok
        return tok.kind == kind and (not texts or tok.text in texts)

    def fail(self, message: str, start: int, end: int) -> _Stop:
        self.problems.append(GrammarProblem(message, start, max(end, start + 1)))
        return _Stop()

    def expect_op(self, text: str, what: str) -> Token:
        if self.at("op", text):
            return self.take()
        tok = self.tok
        raise self.fail(f"expected {what}, got {_shown(tok)}", tok.start, tok.end)

    def expression(self) -> Node:
        body = self.or_()
        if self.at("name", "if"):
            self.take()
            cond = self.or_()
            if not self.at("name", "else"):
                tok = self.tok
                raise self.fail(
                    f"expected 'else' after 'x if condition', got {_shown(tok)}",
                    tok.start,
                    tok.end,
                )
            self.take()
            orelse = self.expression()
            return IfElse(body, cond, orelse, body.start, orelse.end)
        return body

    def or_(self) -> Node:
        left = self.and_()
        while self.at("name", "or"):
            op = self.take()
            right = self.and_()
            left = Binary("or", left, right, left.start, right.end, op.start)
        return left

    def and_(self) -> Node:
        left = self.not_()
        while self.at("name", "and"):
            op = self.take()
            right = self.not_()
            left = Binary("and", left, right, left.start, right.end, op.start)
        return left

    def not_(self) -> Node:
        if self.at("name", "not"):
            op = self.take()
            operand = self.not_()
            return Unary("not", operand, op.start, operand.end)
        return self.comparison()

    def comparison(self) -> Node:
        first = self.sum()
        rest: list[tuple[str, Node]] = []
        while self.at("op", *COMPARISONS):
            op = self.take()
            rest.append((op.text, self.sum()))
        if not rest:
            return first
        return Compare(first, rest, first.start, rest[-1][1].end)

    def sum(self) -> Node:
        left = self.term()
        while self.at("op", "+", "-"):
            op = self.take()
            right = self.term()
            left = Binary(op.text, left, right, left.start, right.end, op.start)
        return left

    def term(self) -> Node:
        left = self.unary()
        while self.at("op", "*", "/", "//", "%"):
            op = self.take()
            right = self.unary()
            left = Binary(op.text, left, right, left.start, right.end, op.start)
        return left

    def unary(self) -> Node:
        if self.at("op", "-", "+"):
            op = self.take()
            operand = self.unary()
            return Unary(op.text, operand, op.start, operand.end)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.at("op", "**"):
            op = self.take()
            exponent = self.unary()
            return Binary("**", base, exponent, base.start, exponent.end, op.start)
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return Num(_number(tok.text, self, tok), tok.start, tok.end)
        if tok.kind == "string":
            self.take()
            quote = tok.text[0]
            if len(tok.text) < 2 or not tok.text.endswith(quote) or _escaped_end(tok.text):
                raise self.fail("unclosed string", tok.start, tok.end)
            raw = tok.text[1:-1]
            node = Str(raw, tok.start, tok.end, tok.start + 1)
            if "${" in raw:
                node.env = find_env_refs(raw, tok.start + 1)
                for ref in node.env:
                    if not ref.closed:
                        raise self.fail("unclosed '${'", ref.start, ref.end)
            return node
        if tok.kind == "op" and tok.text == "(":
            self.take()
            inner = self.expression()
            close = self.expect_op(")", "')'")
            inner.start, inner.end = tok.start, close.end  # an operand's range shows its parens
            return inner
        if tok.kind == "name":
            if tok.text in ("true", "True", "false", "False"):
                self.take()
                return Bool(tok.text in ("true", "True"), tok.start, tok.end)
            if tok.text in _KEYWORDS:
                raise self.fail(f"expected a value, got '{tok.text}'", tok.start, tok.end)
            self.take()
            parts = [Ident(tok.text, tok.start, tok.end)]
            while self.at("op", "."):
                dot = self.take()
                nxt = self.tok
                if nxt.kind != "name" or nxt.start != dot.end:
                    raise self.fail("expected a name after '.'", dot.start, dot.end)
                self.take()
                parts.append(Ident(nxt.text, nxt.start, nxt.end))
            if self.at("op", "("):
                return self.call(parts)
            return Name(parts, parts[0].start, parts[-1].end)
        if tok.kind == "end":
            raise self.fail("expected a value", tok.start, tok.end)
        raise self.fail(f"expected a value, got {_shown(tok)}", tok.start, tok.end)

    def call(self, parts: list[Ident]) -> Node:
        head = parts[0]
        if len(parts) > 1 or head.text not in FUNCTIONS:
            shown = ".".join(p.text for p in parts)
            raise self.fail(
                f"'{shown}' is not a function of expressions (only {', '.join(FUNCTIONS)})",
                head.start,
                parts[-1].end,
            )
        self.take()  # "("
        args: list[Node] = []
        if not self.at("op", ")"):
            args.append(self.expression())
            while self.at("op", ","):
                self.take()
                if self.at("op", ")"):
                    break
                args.append(self.expression())
        close = self.expect_op(")", "',' or ')'")
        return Call(head, args, head.start, close.end)


def _shown(tok: Token) -> str:
    return "the end" if tok.kind == "end" else repr(tok.text)


def _escaped_end(text: str) -> bool:
    """``'abc\\'``: the closing quote is escaped."""
    body = text[1:-1]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _number(text: str, parser: _Parser, tok: Token) -> int | float:
    clean = text.replace("_", "")
    try:
        if any(c in clean for c in ".eE"):
            return float(clean)
        return int(clean)
    except ValueError:
        raise parser.fail(f"invalid number {text!r}", tok.start, tok.end) from None


def parse_expression(text: str, start: int = 0) -> Expression:
    """Parse an expression; never raises (problems carry document offsets)."""
    expr = Expression(text, start, start + len(text), None)
    parser = _Parser(text, start)
    if parser.tok.kind == "end":
        expr.problems.append(GrammarProblem("empty expression", start, start + max(len(text), 1)))
        return expr
    try:
        expr.root = parser.expression()
        tok = parser.tok
        if tok.kind != "end":
            raise parser.fail(f"unexpected {_shown(tok)}", tok.start, tok.end)
    except _Stop:
        pass
    except RecursionError:
        expr.problems.append(GrammarProblem("expression nested too deeply", start, expr.end))
    expr.problems.extend(parser.problems)
    if expr.root is None and parser.problems:
        # keep what names were read, for completion and definition on a half-written text
        first = parser.problems[0]
        expr.root = Missing(first.start, first.end)
    return expr


def walk(node: Node | None) -> Iterator[Node]:
    """Every node of a tree, parents before children, left to right."""
    if node is None:
        return
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        children: list[Node]
        if isinstance(current, Unary):
            children = [current.operand]
        elif isinstance(current, Binary):
            children = [current.left, current.right]
        elif isinstance(current, Compare):
            children = [current.first, *(right for _, right in current.rest)]
        elif isinstance(current, IfElse):
            children = [current.body, current.cond, current.orelse]
        elif isinstance(current, Call):
            children = list(current.args)
        else:
            continue
        stack.extend(reversed(children))


def names_in(node: Node | None) -> list[Name]:
    """The names and dotted paths an expression reads, left to right."""
    return [n for n in walk(node) if isinstance(n, Name)]


def has_template_outside_strings(text: str) -> bool:
    """``${`` written outside any quoted string: the text is a ``${ENV}`` template."""
    quote = ""
    i, n = 0, len(text)
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
        elif ch == "$" and text.startswith("${", i):
            return True
        i += 1
    return False
