"""Configs and the fragments they include: which problems belong to which file.

A *fragment* is a config that another config of the workspace names in its ``__base__``. A
fragment is rarely complete on its own (``_base_/data.toml`` uses a variable that
``_base_/model.toml`` defines), so checking it alone reports problems nobody will ever meet. The
rule, shared by ``excore check`` and the language server:

- a config that no other config includes is checked on its own;
- a fragment is checked through every *root* config that includes it (directly or through other
  fragments): its problems are those that checking those roots finds in the fragment's own text.
  Its syntax problems are always reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from excore.config.check import check_config, sort_problems
from excore.config.loader import BASE_KEY, ReadText, normalize_path
from excore.problems import Problem
from excore.signatures import SignatureSource
from excore.syntax.toml import parse_toml

SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".excore",
    ".tox",
    "build",
    "dist",
}


@dataclass(slots=True)
class ConfigFamily:
    """Who includes whom among the configs under one folder."""

    includes: dict[str, list[str]] = field(default_factory=dict)  # config -> its bases
    included_by: dict[str, list[str]] = field(default_factory=dict)  # base -> configs naming it

    def roots_of(self, path: str) -> list[str]:
        """The configs that include ``path`` (transitively) and are included by nobody."""
        path = normalize_path(path)
        roots: set[str] = set()
        seen = {path}
        stack = [path]
        while stack:
            current = stack.pop()
            parents = self.included_by.get(current, [])
            if not parents and current != path:
                roots.add(current)
            for parent in parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return sorted(roots)

    def is_fragment(self, path: str) -> bool:
        return bool(self.included_by.get(normalize_path(path)))


def config_files(root: str | os.PathLike[str]) -> list[str]:
    """Every ``.toml`` file below ``root`` except tool and build folders."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".toml") and name not in ("excore.toml", "pyproject.toml"):
                found.append(normalize_path(os.path.join(folder, name)))
    return found


def base_names(text: str, path: str) -> list[str]:
    """The files a config's ``__base__`` names, resolved against its folder."""
    if BASE_KEY not in text:
        return []
    doc = parse_toml(text, path)
    folder = os.path.dirname(path)
    out = []
    for entry in doc.root.entries:
        if entry.key.dotted != BASE_KEY or entry.value is None:
            continue
        items = entry.value.items if entry.value.kind == "array" else [entry.value]
        for item in items:
            if item.kind == "string" and isinstance(item.data, str) and item.data:
                out.append(normalize_path(os.path.join(folder, os.path.expanduser(item.data))))
    return out


def scan_family(files: Iterable[str], read_text: ReadText | None = None) -> ConfigFamily:
    family = ConfigFamily()
    for path in files:
        text = read_text(path) if read_text is not None else None
        if text is None:
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError):
                continue
        bases = base_names(text, path)
        family.includes[path] = bases
        for base in bases:
            family.included_by.setdefault(base, []).append(path)
    return family


def check_in_context(
    path: str | os.PathLike[str],
    source: SignatureSource,
    *,
    family: ConfigFamily | None = None,
    read_text: ReadText | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Problem]:
    """The problems of ``path`` under the fragment rule above (only problems in ``path`` itself)."""
    full = normalize_path(path)
    roots = family.roots_of(full) if family is not None else []
    if not roots:
        return [
            p for p in check_config(full, source, read_text=read_text, env=env) if p.file == full
        ]
    own = check_config(full, source, read_text=read_text, env=env, report_missing=False)
    problems = [p for p in own if p.file == full and p.code in ("toml-syntax", "unquoted-prefix")]
    for root in roots:
        problems.extend(
            p for p in check_config(root, source, read_text=read_text, env=env) if p.file == full
        )
    return sort_problems(problems)
