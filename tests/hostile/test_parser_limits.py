"""Inputs that used to raise inside the parser (huge integers, deep nesting, deep call
arguments) and lone carriage returns: located problems, and positions as LSP counts lines."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hostile_helpers import run_excore

from excore.cli.main import main
from excore.syntax.grammar import parse_reference
from excore.syntax.text import LineIndex
from excore.syntax.toml import MAX_NESTING, parse_toml, parse_tree

pytestmark = pytest.mark.timeout(120)  # a generous bound: a hang fails, not a slow run

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _syntax(text: str) -> list[tuple[str, int, int]]:
    doc = parse_toml(text, "x.toml")
    lines = LineIndex(doc.text)
    problems = [*doc.problems, *doc.to_tree()[1]]
    _, tree_problems = parse_tree(text, "x.toml")
    assert sorted((p.start, p.message) for p in problems) == sorted(
        (p.start, p.message) for p in tree_problems
    )
    return [(p.message, *[n + 1 for n in lines.position(p.start)]) for p in problems]


CASES = {
    "integer of 4,301 digits": ("a = " + "9" * 4301 + "\n", "integer out of range", 1, 5),
    "integer of 5,000 digits in an array": (
        "a = [1, " + "9" * 5000 + "]\n",
        "integer out of range",
        1,
        9,
    ),
    "integer just past 64 bits": ("a = 9223372036854775808\n", "integer out of range", 1, 5),
    "hex past 64 bits": ("a = 0x" + "f" * 17 + "\n", "integer out of range", 1, 5),
    "arrays nested 497 deep": (
        "a = " + "[" * 497 + "]" * 497 + "\n",
        f"nested more than {MAX_NESTING} levels",
        1,
        5 + MAX_NESTING,
    ),
    "inline tables nested 331 deep": (
        "a = " + "{b = " * 331 + "1" + "}" * 331 + "\n",
        f"nested more than {MAX_NESTING} levels",
        1,
        5 + 5 * MAX_NESTING,
    ),
    "a dotted key of 1,200 parts": (
        ".".join(["x"] * 1200) + " = 1\n",
        f"more than {MAX_NESTING} dotted parts",
        1,
        2 * MAX_NESTING + 1,
    ),
    "lone carriage returns": (
        "a = 1\rb = 2\r",
        "a carriage return (\\r) must be followed by a newline (\\n) in TOML (2 in this file)",
        1,
        6,
    ),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", list(CASES))
def test_parser_reports_instead_of_raising(name: str) -> None:
    text, message, line, column = CASES[name]
    ((got, got_line, got_column),) = _syntax(text)
    assert message in got
    assert (got_line, got_column) == (line, column)


def test_the_largest_64_bit_integers_are_still_read() -> None:
    doc = parse_toml("a = 9223372036854775807\nb = -9223372036854775808\nc = 0x7fffffffffffffff\n")
    assert doc.problems == []
    assert [e.value.data for e in doc.root.entries] == [2**63 - 1, -(2**63), 2**63 - 1]


def test_toml_rejects_what_the_parser_rejects_for_lone_cr() -> None:
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads("a = 1\rb = 2\r")
    assert _syntax("a = 1\r\nb = 2\r\n") == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "name", ["integer of 4,301 digits", "arrays nested 497 deep", "inline tables nested 331 deep"]
)
def test_every_command_gives_a_located_error(ws: Path, name: str) -> None:
    text, _, line, column = CASES[name]
    (ws / "bad.toml").write_text(text, encoding="utf-8")
    result = run_excore("check", "bad.toml", cwd=ws)
    assert result.code == 1
    assert result.out.startswith(f"bad.toml:{line}:{column}: error toml-syntax ")
    for command in ("print", "build"):
        result = run_excore(command, "bad.toml", cwd=ws)
        assert result.code == 1
        assert f"bad.toml:{line}:{column}: toml-syntax: " in result.err


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "arguments",
    [
        "f(" * 600 + ")" * 600,
        "[" * 600 + "]" * 600,
        "-" * 100_000 + "1",
        "not " * 50_000 + "1",
        "1+" * 100_000 + "1",
        "9" * 5000,
    ],
)
def test_deeply_nested_call_arguments_are_a_problem(arguments: str) -> None:
    reference = parse_reference(f"$Model.make({arguments})", 10)
    (problem,) = reference.problems
    assert problem.message.startswith(("cannot read the arguments", "arguments must be literals"))
    assert len(problem.message) < 200  # the text is not echoed in full


def test_deeply_nested_call_arguments_through_check(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '[A]\n"!x" = "$Model.make(' + "-" * 100_000 + '1)"\n'
    (ws / "exp.toml").write_text(text, encoding="utf-8")
    assert main(["check", "exp.toml"]) == 1
    out = capsys.readouterr().out
    assert "exp.toml:2:20: error bad-reference cannot read the arguments (-----" in out


def test_line_index_follows_lsp_line_ends() -> None:
    text = "a = 1\rb = 2\r\nc = 3\nd = 4"
    lines = LineIndex(text)
    assert lines.line_count == 4
    assert [lines.line_start(n) for n in range(4)] == [0, 6, 13, 19]
    assert [lines.line_end(n) for n in range(4)] == [5, 11, 18, 24]
    assert lines.position(text.index("b")) == (1, 0)
    assert lines.position(text.index("d")) == (3, 0)
    assert lines.offset(1, 4) == text.index("2")
    assert lines.offset(0, 99) == 5  # clamped before the lone CR
    assert lines.offset_utf16(2, 4) == text.index("3")
    for offset in range(len(text) + 1):
        line, column = lines.position(offset)
        if offset <= lines.line_end(line):
            assert lines.offset(line, column) == offset


def test_positions_after_a_lone_cr_are_on_the_right_line() -> None:
    text = "a = 1\r[Model]\nwidth = x\n"
    doc = parse_toml(text, "x.toml")
    lines = LineIndex(doc.text)
    invalid = next(p for p in doc.problems if "invalid value" in p.message)
    assert lines.position(invalid.start) == (2, 8)
