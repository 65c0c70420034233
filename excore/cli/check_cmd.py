"""``excore check CONFIG... [--format text|json|github]``: every problem the checker finds.

One line per problem (``file:line:col: severity code message``), a JSON list, or GitHub Actions
annotations. Exit code 1 when any problem is an error.

A folder stands for every config below it. A root config is checked with everything it
inherits; a *fragment* (a name or folder starting with ``_``, or a workspace ``fragments`` glob)
shows only the problems in its own text. The language server applies the same rule
(:mod:`excore.config.family`). A problem that involves another place (the ``@`` use of a
``reuse-conflict``, the base a problem comes from) is followed by a ``note`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from excore.cli._common import (
    add_workspace_option,
    read_text,
    require_config_file,
    require_workspace,
)
from excore.errors import problem_position
from excore.problems import Problem, Severity
from excore.syntax.text import LineIndex

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("check", help="check configs against the registries")
    parser.add_argument(
        "configs", nargs="+", metavar="CONFIG", help="TOML config files, or folders of them"
    )
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
        help="check the files as fragments (only problems in their own text)",
    )
    parser.add_argument(
        "-o",
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="check with overrides applied (as in `excore build`: KEY=VALUE, +KEY=VALUE, ~KEY, "
        "Field=Name); each config is then checked as a root",
    )
    add_workspace_option(parser)


def run(args: argparse.Namespace) -> int:
    from excore.config import live_source, resolve_workspace
    from excore.config.family import check_in_context, fragment_rule
    from excore.config.loader import bases_within

    problems: list[Problem] = []
    seen: set[Problem] = set()
    configs = _expand(args.configs)
    for config in configs:
        require_config_file(config)
        workspace = resolve_workspace(config, args.workspace)
        require_workspace(config, workspace)
        source = live_source(workspace)
        rule = fragment_rule(workspace.root if workspace else None)
        if getattr(args, "override", None):
            from excore import config as config_api

            lazy = config_api.load(config, workspace=workspace, overrides=args.override)
            found = lazy.check()
        else:
            with bases_within(workspace):  # --workspace also decides where __base__ may reach
                found = check_in_context(
                    config, source, rule=rule, as_fragment=True if args.fragment else None
                )
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
        files = len(configs)
        print(
            f"{errors} error(s), {len(problems) - errors} other problem(s) in {files} config(s)",
            file=sys.stderr,
        )
    return 1 if any(p.severity == Severity.ERROR for p in problems) else 0


def _expand(paths: list[str]) -> list[str]:
    """Each folder replaced by the configs below it (sorted); files kept as given."""
    from excore.config.family import config_files
    from excore.errors import CoreConfigSupportError

    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = config_files(path)
            if not found:
                raise CoreConfigSupportError("no .toml config below this folder", file=path)
            out.extend(_shown_file(f) for f in found)
        else:
            out.append(path)
    return list(dict.fromkeys(out))


def _shown_file(file: str) -> str:
    if not os.path.isabs(file):
        return file
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative


def problem_record(problem: Problem) -> dict[str, Any]:
    line, column, end_line, end_column = problem_position(problem, read_text(problem.file))
    related = []
    for other in problem.related:
        text = read_text(other.file)
        at = LineIndex(text).position(other.start) if text is not None else (-1, -1)
        related.append(
            {
                "file": _shown_file(other.file),
                "line": at[0] + 1,
                "column": at[1] + 1,
                "message": other.message,
            }
        )
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
        "related": related,
    }


def render_text(problems: list[Problem]) -> str:
    lines = []
    for record in map(problem_record, problems):
        lines.append(
            f"{record['file']}:{record['line']}:{record['column']}: "
            f"{record['severity']} {record['code']} {record['message']}"
        )
        for other in record["related"]:
            lines.append(
                f"{other['file']}:{other['line']}:{other['column']}: note: {other['message']}"
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
