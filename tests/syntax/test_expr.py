"""The expression grammar and the engine's interpreter of it."""

from __future__ import annotations

from typing import Any

import pytest

from excore.config.evaluate import EvalError, evaluate
from excore.syntax.expr import Binary, Call, Name, Num, Str, names_in, parse_expression
from excore.syntax.grammar import parse_variable_value


def run(text: str, env: dict[str, str] | None = None, **values: Any) -> Any:
    expr = parse_expression(text)
    assert not expr.problems, expr.problems
    return evaluate(expr, lambda name: values[name.text], env or {})


def fail(text: str, env: dict[str, str] | None = None, **values: Any) -> EvalError:
    with pytest.raises(EvalError) as info:
        run(text, env, **values)
    return info.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ** 3 ** 2", 512),
        ("-2 ** 2", -4),
        ("7 // 2 + 7 % 2", 4),
        ("1 / 4", 0.25),
        ("1e-3 * 1_000", 1.0),
        ("'a' + \"b\"", "ab"),
        ("'it\\'s'", "it's"),
        ("1 < 2 <= 2 < 3", True),
        ("1 < 2 > 5", False),
        ("'x' if 1 > 2 else 'y'", "y"),
        ("true and not false", True),
        ("False or 0", 0),
        ("min(3, 1, 2) + max(4, 5)", 6),
        ("abs(-3) + round(2.6) + round(1.234, 1)", 7.2),
        ("int('12') + int(3.9) + float('0.5')", 15.5),
        ("str(3) + str(true) + str(1.5)", "3true1.5"),
        ("len('abc') + len(xs)", 6),
        ("min(xs)", 1),
    ],
)
def test_values(text: str, expected: Any) -> None:
    assert run(text, xs=[3, 1, 2]) == expected


def test_names_and_dotted_paths_are_looked_up() -> None:
    seen: list[str] = []

    def lookup(name: Name) -> Any:
        seen.append(name.text)
        return {"base_lr": 0.1, "batch_size": 512, "Backbone.ResNet.width": 16}[name.text]

    expr = parse_expression("base_lr * batch_size / 256 + Backbone.ResNet.width", 10)
    assert evaluate(expr, lookup, {}) == pytest.approx(16.2)
    assert seen == ["base_lr", "batch_size", "Backbone.ResNet.width"]
    path = names_in(expr.root)[-1]
    assert [(p.text, p.start, p.end) for p in path.parts] == [
        ("Backbone", 39, 47),
        ("ResNet", 48, 54),
        ("width", 55, 60),
    ]


def test_nodes_carry_document_offsets() -> None:
    expr = parse_expression("epochs * (samples // bs)", 100)
    root = expr.root
    assert isinstance(root, Binary) and root.op == "*"
    assert (root.start, root.end, root.op_start) == (100, 124, 107)
    assert isinstance(root.right, Binary) and root.right.op == "//"
    assert (root.right.left.start, root.right.left.end) == (110, 117)
    call = parse_expression("max(1, x)", 5).root
    assert isinstance(call, Call) and (call.func.text, call.start, call.end) == ("max", 5, 14)
    assert isinstance(call.args[0], Num) and call.args[0].start == 9


def test_env_templates_inside_string_literals() -> None:
    expr = parse_expression("'${DATA}' + '/train'", 0)
    first = expr.root.left  # type: ignore[union-attr]
    assert isinstance(first, Str) and [(r.name, r.start, r.end) for r in first.env] == [
        ("DATA", 1, 8)
    ]
    assert run("'${DATA}' + '/train'", {"DATA": "/mnt"}) == "/mnt/train"
    assert run("'${DATA:-/data}' + '/train'", {}) == "/data/train"
    assert run("'${DATA:-/data}' + '/train'", {"DATA": "/mnt"}) == "/mnt/train"
    error = fail("'${DATA}/x'", {})
    assert (error.code, error.start, error.end) == ("undefined-env", 1, 8)


@pytest.mark.parametrize(
    ("text", "message", "start", "end"),
    [
        ("", "empty expression", 0, 1),
        ("1 +", "expected a value", 3, 4),
        ("(1 + 2", "expected ')', got the end", 6, 7),
        ("a b", "unexpected 'b'", 2, 3),
        ("'abc", "unclosed string", 0, 4),
        ("x if y", "expected 'else'", 6, 7),
        ("open('f')", "'open' is not a function of expressions", 0, 4),
        ("x.__class__()", "'x.__class__' is not a function", 0, 11),
        ("a.", "expected a name after '.'", 1, 2),
        ("1 ; 2", "expected", 2, 3),
        ("[1]", "expected a value, got '['", 0, 1),
        ("lambda: 1", "unexpected ':'", 6, 7),
    ],
)
def test_syntax_problems_have_ranges_and_never_raise(
    text: str, message: str, start: int, end: int
) -> None:
    expr = parse_expression(text)
    assert expr.problems, text
    problem = expr.problems[0]
    assert message in problem.message
    assert (problem.start, problem.end) == (start, end)
    with pytest.raises(EvalError) as info:
        evaluate(expr, lambda name: 1, {})
    assert info.value.code == "bad-expression"


@pytest.mark.parametrize(
    ("text", "start", "end", "fragment"),
    [
        ("n + name", 4, 8, "'+' needs a number, got string 'abc'"),
        ("name * 2", 0, 4, "'*' needs a number, got string 'abc'"),
        ("name + n", 7, 8, "'+' needs a string after a string, got integer 3"),
        ("n < name", 4, 8, "'<' needs a number, got string 'abc'"),
        ("-name", 1, 5, "'-' needs a number"),
        ("abs(name)", 4, 8, "abs() needs a number"),
        ("int(name)", 4, 8, "int() needs a number or a string of digits"),
        ("len(n)", 4, 5, "len() needs a string, array or table"),
        ("flag + 1", 0, 4, "'+' needs a number, got boolean True"),
    ],
)
def test_type_mismatch_is_at_the_operand(text: str, start: int, end: int, fragment: str) -> None:
    error = fail(text, n=3, name="abc", flag=True)
    assert error.code == "type-mismatch"
    assert (error.start, error.end) == (start, end)
    assert fragment in error.message


def test_undefined_names_and_runtime_errors() -> None:
    error = fail("a + missing.path", a=1)
    assert (error.code, error.start, error.end) == ("undefined-variable", 4, 16)
    error = fail("1 / (n - 3)", n=3)
    assert (error.code, error.start, error.end) == ("bad-expression", 4, 11)
    assert fail("10 ** 10 ** 10").message == "result too large"
    assert "takes 1 to 2 arguments" in fail("round(1, 2, 3)").message


def test_no_eval_no_attribute_access() -> None:
    # a dotted path is a config path answered by the lookup, never getattr on a live object
    class Live:
        secret = 1

    def lookup(name: Name) -> Any:
        if name.text == "obj":
            return Live()
        raise KeyError(name.text)

    error = None
    try:
        evaluate(parse_expression("obj.secret"), lookup, {})
    except EvalError as exc:
        error = exc
    assert error is not None and error.code == "undefined-variable"
    assert parse_expression("__import__('os')").problems


def test_variable_values_keep_their_old_meaning() -> None:
    name = parse_variable_value("size", 4)
    assert name.name is not None and name.expr is None and not name.problems
    template = parse_variable_value("${HOME}/data", 0)
    assert template.is_template and [r.name for r in template.env] == ["HOME"]
    expr = parse_variable_value("'${DATA}' + '/train'", 0)
    assert expr.expr is not None and not expr.is_template and not expr.problems
    computed = parse_variable_value("base_lr * 2", 3)
    assert computed.expr is not None and computed.name is None
    bad = parse_variable_value("a +", 0)
    assert bad.problems and bad.problems[0].start == 3
