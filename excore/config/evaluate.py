"""The engine's small interpreter of expressions (:mod:`excore.syntax.expr` trees).

``evaluate(node, lookup, env=None) -> value`` walks a parsed tree. It never calls ``eval``, never
reads an attribute of a live object and calls nothing but :data:`SAFE_FUNCTIONS` (``min max abs
round int float str len``). Names and dotted paths are answered by ``lookup(name_node)``, which
returns a plain value or raises ``KeyError`` (or an :class:`EvalError` of its own, e.g. with a
did-you-mean); ``${ENV}`` in string literals is read from ``env`` (``os.environ`` by default).

Every failure is an :class:`EvalError` with a problem code and the offsets of the operand at
fault: ``type-mismatch`` (an operand of the wrong type, at the operand), ``undefined-variable``
(at the name), ``undefined-env`` (at the ``${...}``), ``bad-expression`` (a malformed
expression, division by zero, a result too large).

Example (what a sweep constraint does)::

    expr = parse_expression("batch_size * 2 <= samples")
    ok = evaluate(expr, lambda name: trial_values[name.text])
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from excore.syntax.expr import (
    Binary,
    Bool,
    Call,
    Compare,
    Expression,
    IfElse,
    Missing,
    Name,
    Node,
    Num,
    Str,
    Unary,
)

Lookup = Callable[[Name], Any]
_MAX_POWER_BITS = 4096  # 2 ** 4096 is fine; 10 ** 10 ** 9 is not computed
_MAX_TEXT = 1 << 20  # longest string an expression may build


class EvalError(Exception):
    """Why an expression could not be evaluated, at document offsets ``[start, end)``."""

    def __init__(
        self,
        code: str,
        message: str,
        start: int,
        end: int,
        data: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.start = start
        self.end = end
        self.data = data or {}


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "table"
    if value is None:
        return "nothing"
    return type(value).__name__


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _mismatch(node: Node, expected: str, value: Any, context: str) -> EvalError:
    return EvalError(
        "type-mismatch",
        f"{context} needs {expected}, got {type_name(value)} {_shown(value)}",
        node.start,
        node.end,
        {"expected": expected, "actual": type_name(value)},
    )


def evaluate(
    node: Node | Expression | None, lookup: Lookup, env: Mapping[str, str] | None = None
) -> Any:
    """The value of an expression tree; raises :class:`EvalError` (never anything else)."""
    if isinstance(node, Expression):
        if node.problems:
            first = node.problems[0]
            raise EvalError("bad-expression", first.message, first.start, first.end)
        node = node.root
    if node is None:
        raise EvalError("bad-expression", "empty expression", 0, 0)
    try:
        return _Interpreter(lookup, os.environ if env is None else env).eval(node)
    except RecursionError:
        raise EvalError(
            "bad-expression", "expression nested too deeply", node.start, node.end
        ) from None


class _Interpreter:
    def __init__(self, lookup: Lookup, env: Mapping[str, str]) -> None:
        self.lookup = lookup
        self.env = env

    def eval(self, node: Node) -> Any:
        if isinstance(node, Num | Bool):
            return node.value
        if isinstance(node, Str):
            return self.string(node)
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, IfElse):
            return self.eval(node.body) if self.truth(node.cond) else self.eval(node.orelse)
        if isinstance(node, Call):
            return self.call(node)
        assert isinstance(node, Missing)
        raise EvalError("bad-expression", "incomplete expression", node.start, node.end)

    def name(self, node: Name) -> Any:
        try:
            return self.lookup(node)
        except KeyError:
            raise EvalError(
                "undefined-variable",
                f"'{node.text}' is not defined",
                node.start,
                node.end,
                {"name": node.text},
            ) from None

    def string(self, node: Str) -> str:
        if not node.env:
            return _unescape(node.raw)
        pieces: list[str] = []
        pos = 0
        for ref in node.env:
            offset = ref.start - node.content_start
            pieces.append(_unescape(node.raw[pos:offset]))
            pieces.append(self.env_value(ref.name, ref.start, ref.end, ref.default))
            pos = ref.end - node.content_start
        pieces.append(_unescape(node.raw[pos:]))
        return "".join(pieces)

    def env_value(self, name: str, start: int, end: int, default: str | None = None) -> str:
        value = self.env.get(name)
        if default is not None and not value:  # ${NAME:-default}: unset or empty
            return default
        if value is not None:
            return value
        raise EvalError(
            "undefined-env",
            f"environment variable '{name}' is not set",
            start,
            end,
            {"name": name},
        )

    def truth(self, node: Node) -> bool:
        value = self.eval(node)
        if not isinstance(value, bool | int | float | str | list | dict):
            raise _mismatch(node, "a value that is true or false", value, "a condition")
        return bool(value)

    def unary(self, node: Unary) -> Any:
        if node.op == "not":
            return not self.truth(node.operand)
        value = self.eval(node.operand)
        if not _is_number(value):
            raise _mismatch(node.operand, "a number", value, f"'{node.op}'")
        return -value if node.op == "-" else +value

    def binary(self, node: Binary) -> Any:
        op = node.op
        if op == "and":
            return self.truth(node.left) and self.truth(node.right)
        if op == "or":
            return self.truth(node.left) or self.truth(node.right)
        left = self.eval(node.left)
        right = self.eval(node.right)
        if op == "+" and isinstance(left, str):
            if not isinstance(right, str):
                raise _mismatch(node.right, "a string after a string", right, "'+'")
            if len(left) + len(right) > _MAX_TEXT:
                raise EvalError("bad-expression", "string too long", node.start, node.end)
            return left + right
        if op == "+" and isinstance(left, list) and isinstance(right, list):
            return left + right
        if not _is_number(left):
            raise _mismatch(node.left, "a number", left, f"'{op}'")
        if not _is_number(right):
            raise _mismatch(node.right, "a number", right, f"'{op}'")
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op in ("/", "//", "%"):
            if right == 0:
                raise EvalError(
                    "bad-expression", "division by zero", node.right.start, node.right.end
                )
            if op == "/":
                return left / right
            return left // right if op == "//" else left % right
        # "**"
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * abs(left).bit_length() > _MAX_POWER_BITS
        ):
            raise EvalError("bad-expression", "result too large", node.start, node.end)
        if left == 0 and right < 0:
            raise EvalError("bad-expression", "division by zero", node.start, node.end)
        try:
            result = left**right
        except OverflowError:
            raise EvalError("bad-expression", "result too large", node.start, node.end) from None
        if isinstance(result, complex):
            raise EvalError(
                "bad-expression", "a negative number to a fractional power", node.start, node.end
            )
        return result

    def compare(self, node: Compare) -> bool:
        left = self.eval(node.first)
        left_node: Node = node.first
        for op, right_node in node.rest:
            right = self.eval(right_node)
            if op in ("==", "!="):
                ok = (left == right) if op == "==" else (left != right)
            else:
                same = (_is_number(left) and _is_number(right)) or (
                    isinstance(left, str) and isinstance(right, str)
                )
                if not same:
                    if _is_number(left) or isinstance(left, str):
                        expected = "a number" if _is_number(left) else "a string"
                        raise _mismatch(right_node, expected, right, f"'{op}'")
                    raise _mismatch(left_node, "a number or a string", left, f"'{op}'")
                if op == "<":
                    ok = left < right
                elif op == "<=":
                    ok = left <= right
                elif op == ">":
                    ok = left > right
                else:
                    ok = left >= right
            if not ok:
                return False
            left, left_node = right, right_node
        return True

    def call(self, node: Call) -> Any:
        name = node.func.text
        args = [self.eval(arg) for arg in node.args]
        function = SAFE_FUNCTIONS.get(name)
        if function is None:  # the parser admits only these names
            raise EvalError(
                "bad-expression", f"'{name}' is not a function", node.func.start, node.func.end
            )
        return function(node, args)


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    escapes = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(escapes.get(raw[i + 1], "\\" + raw[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _arity(node: Call, args: list[Any], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        wanted = str(low) if low == high else f"{low} to {high}"
        raise EvalError(
            "bad-expression",
            f"{node.func.text}() takes {wanted} argument{'s' if high != 1 else ''}, "
            f"got {len(args)}",
            node.start,
            node.end,
        )


def _min_max(node: Call, args: list[Any]) -> Any:
    name = node.func.text
    if not args:
        raise EvalError(
            "bad-expression", f"{name}() needs at least one argument", node.start, node.end
        )
    items, nodes = args, node.args
    if len(args) == 1:
        if not isinstance(args[0], list) or not args[0]:
            raise _mismatch(node.args[0], "several values or a non-empty array", args[0], name)
        items, nodes = args[0], [node.args[0]] * len(args[0])
    numbers = all(_is_number(v) for v in items)
    strings = all(isinstance(v, str) for v in items)
    if not (numbers or strings):
        first_kind_number = _is_number(items[0])
        for value, arg in zip(items, nodes):
            if _is_number(value) != first_kind_number or not (
                _is_number(value) or isinstance(value, str)
            ):
                expected = "a number" if first_kind_number else "a string"
                raise _mismatch(arg, expected, value, f"{name}()")
    return min(items) if name == "min" else max(items)


def _abs(node: Call, args: list[Any]) -> Any:
    _arity(node, args, 1, 1)
    if not _is_number(args[0]):
        raise _mismatch(node.args[0], "a number", args[0], "abs()")
    return abs(args[0])


def _round(node: Call, args: list[Any]) -> Any:
    _arity(node, args, 1, 2)
    if not _is_number(args[0]):
        raise _mismatch(node.args[0], "a number", args[0], "round()")
    if len(args) == 2:
        if not isinstance(args[1], int) or isinstance(args[1], bool):
            raise _mismatch(node.args[1], "an integer", args[1], "round()")
        return round(args[0], args[1])
    if isinstance(args[0], float) and not math.isfinite(args[0]):
        raise EvalError("bad-expression", "cannot round an infinite number", node.start, node.end)
    return round(args[0])


def _int(node: Call, args: list[Any]) -> Any:
    _arity(node, args, 1, 1)
    value = args[0]
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _mismatch(node.args[0], "a finite number", value, "int()")
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise _mismatch(
                node.args[0], "a number or a string of digits", value, "int()"
            ) from None
    raise _mismatch(node.args[0], "a number or a string", value, "int()")


def _float(node: Call, args: list[Any]) -> Any:
    _arity(node, args, 1, 1)
    value = args[0]
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise _mismatch(
                node.args[0], "a number or a numeric string", value, "float()"
            ) from None
    raise _mismatch(node.args[0], "a number or a string", value, "float()")


def _str(node: Call, args: list[Any]) -> Any:
    _arity(node, args, 1, 1)
    value = args[0]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise _mismatch(node.args[0], "a number, string or boolean", value, "str()")


def _len(node: Call, args: list[Any]) -> Any:
    _arity(node, args, 1, 1)
    if not isinstance(args[0], str | list | dict):
        raise _mismatch(node.args[0], "a string, array or table", args[0], "len()")
    return len(args[0])


SAFE_FUNCTIONS: dict[str, Callable[[Call, list[Any]], Any]] = {
    "min": _min_max,
    "max": _min_max,
    "abs": _abs,
    "round": _round,
    "int": _int,
    "float": _float,
    "str": _str,
    "len": _len,
}
