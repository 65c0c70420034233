"""``excore diff A.toml B.toml [--format text|json]``: two resolved configs compared key by key.

Each config is read with its ``__base__`` chain (nothing is imported or built) and flattened to
key paths; a key is *added* (only in B), *removed* (only in A) or *changed* (different values),
each side with the file:line where its value was written. Keys are matched without their
prefix, so ``"!head"`` → ``"@head"`` is a change. Exit code 0 when the configs are the same, 1
when they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from excore.cli._common import require_config_file


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "diff", help="compare two resolved configs key by key (with where each value is written)"
    )
    parser.add_argument("a", metavar="A.toml", help="the first config")
    parser.add_argument("b", metavar="B.toml", help="the second config")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )


@dataclass(slots=True)
class Written:
    """A value of a resolved config and where it was written."""

    key: str  # as written, prefixes kept
    value: Any
    file: str
    line: int
    computed: Any = None  # the value of an '&' expression (None when it cannot be computed)

    def record(self) -> dict[str, Any]:
        out = {"key": self.key, "value": self.value, "file": _shown(self.file), "line": self.line}
        if self.key.rsplit(".", 1)[-1].startswith("&"):
            out["computed"] = self.computed
        return out


def flatten(path: str) -> dict[str, Written]:
    """The resolved config of ``path`` as {bare key path: Written} (tables as their leaves;
    an empty table is a key of its own, so a swapped module with no parameters still shows)."""
    from excore.config.compute import Computation
    from excore.config.loader import Leaf, Section, load_config_files
    from excore.errors import error_from_problem
    from excore.problems import Severity

    loaded = load_config_files(path)
    errors = [p for p in loaded.problems if p.severity == Severity.ERROR]
    if errors:
        source = loaded.files.get(errors[0].file)
        raise error_from_problem(errors[0], source.text if source else None)
    out: dict[str, Written] = {}
    computation = Computation(loaded.root)

    def line_of(file: str, offset: int) -> int:
        source = loaded.files.get(file)
        return source.lines.position(offset)[0] + 1 if source is not None else 0

    def walk(section: Section, bare: str, written: str) -> None:
        if not section.items and bare:
            out[bare] = Written(written, {}, section.file, line_of(section.file, section.start))
        for key, node in section.items.items():
            name = node.key.name if isinstance(node, Leaf) else key
            child_bare = f"{bare}.{name}" if bare else name
            child_written = f"{written}.{key}" if written else key
            if isinstance(node, Leaf):
                out[child_bare] = Written(
                    child_written,
                    node.value.to_python(),
                    node.file,
                    line_of(node.file, node.value.start),
                )
                if node.key.prefix == "&":
                    result = computation.computed(node)
                    out[child_bare].computed = result.value if result.ok else None
            else:
                walk(node, child_bare, child_written)

    walk(loaded.root, "", "")
    return out


def compare(a: dict[str, Written], b: dict[str, Written]) -> list[dict[str, Any]]:
    """Differences sorted by key: {"change": added|removed|changed, "key", "a", "b"}."""
    changes: list[dict[str, Any]] = []
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key), b.get(key)
        if left is None and right is not None:
            changes.append({"change": "added", "key": key, "a": None, "b": right.record()})
        elif right is None and left is not None:
            changes.append({"change": "removed", "key": key, "a": left.record(), "b": None})
        elif (
            left is not None
            and right is not None
            and (left.value, left.key, left.computed) != (right.value, right.key, right.computed)
        ):
            changes.append(
                {"change": "changed", "key": key, "a": left.record(), "b": right.record()}
            )
    return changes


def _shown(file: str) -> str:
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative


def _value(record: dict[str, Any]) -> str:
    from excore.config.lazy import toml_literal
    from excore.syntax.grammar import PREFIXES

    literal = toml_literal(record["value"])
    shown = literal if literal is not None else repr(record["value"])
    key = record["key"].rsplit(".", 1)[-1]
    prefix = key[:1] if key[:1] and key[:1] in PREFIXES else ""
    if prefix == "&" and record.get("computed") is not None:
        computed = toml_literal(record["computed"])
        text = computed if computed is not None else repr(record["computed"])
        return f"&{shown} (= {text})"
    return f"{prefix}{shown}" if prefix else shown


def render_text(changes: list[dict[str, Any]]) -> str:
    marks = {"added": "+", "removed": "-", "changed": "~"}
    lines = []
    for change in changes:
        a, b = change["a"], change["b"]
        mark = marks[change["change"]]
        if change["change"] == "added":
            lines.append(f"{mark} {change['key']} = {_value(b)}    ({b['file']}:{b['line']})")
        elif change["change"] == "removed":
            lines.append(f"{mark} {change['key']} = {_value(a)}    ({a['file']}:{a['line']})")
        else:
            lines.append(
                f"{mark} {change['key']}: {_value(a)} -> {_value(b)}    "
                f"({a['file']}:{a['line']} -> {b['file']}:{b['line']})"
            )
    return "".join(line + "\n" for line in lines)


def run(args: argparse.Namespace) -> int:
    a = flatten(str(require_config_file(args.a)))
    b = flatten(str(require_config_file(args.b)))
    changes = compare(a, b)
    if args.format == "json":
        sys.stdout.write(json.dumps(changes, indent=2, default=repr) + "\n")
    else:
        sys.stdout.write(render_text(changes))
        counts = {k: sum(1 for c in changes if c["change"] == k) for k in ("added", "removed")}
        changed = len(changes) - counts["added"] - counts["removed"]
        print(
            f"{counts['added']} added, {counts['removed']} removed, {changed} changed",
            file=sys.stderr,
        )
    return 1 if changes else 0
