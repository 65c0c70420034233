"""``excore check CONFIG... [--format text|json|github]``: every problem the checker finds.

One line per problem (``file:line:col: severity code message``), a JSON list, or GitHub Actions
annotations. Exit code 1 when any problem is an error.

A config is checked with everything it inherits (problems are reported in the file where they
are written). A *fragment* — a file that other configs of the workspace name in ``__base__`` —
is checked through the root configs that include it, like the language server does
(:mod:`excore.config.family`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from excore.cli._common import add_workspace_option, read_text, require_config_file
from excore.errors import problem_position
from excore.problems import Problem, Severity

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("check", help="check configs against the registries")
    parser.add_argument("configs", nargs="+", metavar="CONFIG", help="TOML config files")
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument(
        "--no-hints", action="store_true", help="leave out hints (unquoted-prefix, ...)"
    )
    parser.add_argument(
        "--fragment",
        action="store_true",
        help="check the files alone, as incomplete fragments (no missing-param errors)",
    )
    add_workspace_option(parser)


def run(args: argparse.Namespace) -> int:
    from excore.config import live_source, resolve_workspace
    from excore.config.check import check_config
    from excore.config.family import check_in_context

    problems: list[Problem] = []
    seen: set[Problem] = set()
    families: dict[str, Any] = {}
    for config in args.configs:
        require_config_file(config)
        workspace = resolve_workspace(config, args.workspace)
        source = live_source(workspace)
        root = str(workspace.root) if workspace else os.path.dirname(config) or "."
        family = _family(root, families)
        if not args.fragment and family.is_fragment(config):
            found = check_in_context(config, source, family=family)
        else:
            found = check_config(config, source, report_missing=not args.fragment)
        for problem in found:
            if problem not in seen:
                seen.add(problem)
                problems.append(problem)
    if args.no_hints:
        problems = [p for p in problems if p.severity != Severity.HINT]
    render = {"text": render_text, "json": render_json, "github": render_github}[args.format]
    sys.stdout.write(render(problems))
    if args.format == "text":
        errors = sum(1 for p in problems if p.severity == Severity.ERROR)
        files = len(args.configs)
        print(
            f"{errors} error(s), {len(problems) - errors} other problem(s) in {files} config(s)",
            file=sys.stderr,
        )
    return 1 if any(p.severity == Severity.ERROR for p in problems) else 0


def _family(root: str, families: dict[str, Any]) -> Any:
    """Who includes whom among the configs below ``root`` (scanned once per run)."""
    from excore.config.family import config_files, scan_family

    key = os.path.abspath(root)
    if key not in families:
        families[key] = scan_family(config_files(key))
    return families[key]


def _shown_file(file: str) -> str:
    if not os.path.isabs(file):
        return file
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative


def problem_record(problem: Problem) -> dict[str, Any]:
    line, column, end_line, end_column = problem_position(problem, read_text(problem.file))
    return {
        "file": _shown_file(problem.file),
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "severity": problem.severity.value,
        "code": problem.code,
        "message": problem.message,
        "key": problem.key,
    }


def render_text(problems: list[Problem]) -> str:
    lines = []
    for record in map(problem_record, problems):
        lines.append(
            f"{record['file']}:{record['line']}:{record['column']}: "
            f"{record['severity']} {record['code']} {record['message']}"
        )
    return "".join(line + "\n" for line in lines)


def render_json(problems: list[Problem]) -> str:
    return json.dumps([problem_record(p) for p in problems], indent=2) + "\n"


def _escape_property(text: str) -> str:
    return (
        text.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render_github(problems: list[Problem]) -> str:
    lines = []
    for record in map(problem_record, problems):
        level = _GITHUB_LEVEL.get(record["severity"], "notice")
        props = [
            f"file={_escape_property(record['file'])}",
            f"line={record['line']}",
            f"col={record['column']}",
            f"endLine={record['end_line']}",
            f"endColumn={record['end_column']}",
            f"title={_escape_property('excore ' + record['code'])}",
        ]
        lines.append(f"::{level} {','.join(props)}::{_escape_data(record['message'])}")
    return "".join(line + "\n" for line in lines)
