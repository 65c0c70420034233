"""Root configs and fragments: which problems belong to which file.

Which files are *fragments* is knowable from the file alone:

- a config whose name, or the name of a folder it sits in (below the workspace root), starts
  with ``_``: ``_base_/model.toml``, ``configs/_data.toml``;
- a config matching one of the workspace's ``fragments`` globs (relative to the workspace root,
  ``*`` also matches ``/``), e.g. ``fragments = ["configs/parts/*.toml"]``.

Every other config is a *root*: it is checked as itself, like ``excore build`` would load it.

- A root's problems are those in its own text, and those its bases cause only because of how
  the root combines them (a variable that no file of the root defines, a required parameter
  nobody gives, ...). Such a problem is reported in the root, at the ``__base__`` entry that
  brings the base in, with related information pointing into the base.
- A fragment shows a problem only when the problem is in its own text whatever includes it:
  its syntax, unknown names, wrong types. What depends on the configs that include it
  (undefined variables, missing parameters, ``!``/``@`` conflicts, ambiguous names) is reported
  in those configs.
- A problem in a base's own text is reported in the base (and listed by ``excore check`` of the
  root too, at the base's line: the root does not build either).

``excore check`` and the language server both call :func:`check_in_context`.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from excore.config.check import CheckOptions, check_config, check_model, sort_problems
from excore.config.loader import (
    BASE_KEY,
    LoadedConfig,
    ReadText,
    load_config_files,
    normalize_path,
    resolve_base,
)
from excore.config.model import build_model
from excore.fileio import UnreadableFile, read_config_text
from excore.problems import Problem, Related, make_problem
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


# Problems that depend on the configs that include a fragment, not on its own text.
CONTEXT_CODES = frozenset(
    {"undefined-variable", "missing-param", "reuse-conflict", "ambiguous-name"}
)


@dataclass(frozen=True, slots=True)
class FragmentRule:
    """Which configs are fragments: names starting with ``_`` and the workspace's globs."""

    root: str | None = None  # the workspace root; None: only the file's own folder is looked at
    globs: tuple[str, ...] = ()

    def is_fragment(self, path: str | os.PathLike[str]) -> bool:
        full = normalize_path(path)
        relative = self._relative(full)
        if relative is None:
            parts = [os.path.basename(os.path.dirname(full)), os.path.basename(full)]
        else:
            parts = relative.split("/")
        if any(part.startswith("_") for part in parts if part not in ("", ".", "..")):
            return True
        if relative is None or not self.globs:
            return False
        return any(fnmatch.fnmatchcase(relative, glob.lstrip("./")) for glob in self.globs)

    def _relative(self, full: str) -> str | None:
        if self.root is None:
            return None
        root = normalize_path(self.root)
        if full != root and not full.startswith(root.rstrip(os.sep) + os.sep):
            return None
        return os.path.relpath(full, root).replace(os.sep, "/")


def fragment_rule(root: str | os.PathLike[str] | None) -> FragmentRule:
    """The rule of the workspace at ``root`` (its ``fragments`` globs read from its file)."""
    if root is None:
        return FragmentRule()
    from excore.workspace import workspace_file_in

    globs: tuple[str, ...] = ()
    found = workspace_file_in(root)
    if found is not None:
        from excore.errors import WorkspaceError
        from excore.workspace import load_workspace

        try:
            globs = tuple(load_workspace(found).fragments)
        except WorkspaceError:
            globs = ()
    return FragmentRule(normalize_path(root), globs)


@dataclass(slots=True)
class ConfigFamily:
    """Who includes whom among the configs under one folder, and which of them are fragments."""

    includes: dict[str, list[str]] = field(default_factory=dict)  # config -> its bases
    included_by: dict[str, list[str]] = field(default_factory=dict)  # base -> configs naming it
    rule: FragmentRule = field(default_factory=FragmentRule)

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
        return self.rule.is_fragment(path)


def config_files(root: str | os.PathLike[str]) -> list[str]:
    """Every ``.toml`` file below ``root`` except tool and build folders."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".toml") and name not in (
                "excore.toml",
                "pyproject.toml",
                ".excore.toml",
            ):
                found.append(normalize_path(os.path.join(folder, name)))
    return found


def base_names(text: str, path: str) -> list[str]:
    """The files a config's ``__base__`` names, resolved against its folder."""
    if BASE_KEY not in text:
        return []
    doc = parse_toml(text, path)
    out = []
    for entry in doc.root.entries:
        if entry.key.dotted != BASE_KEY or entry.value is None:
            continue
        items = entry.value.items if entry.value.kind == "array" else [entry.value]
        for item in items:
            if item.kind == "string" and isinstance(item.data, str) and item.data:
                base, refusal = resolve_base(item.data, path, None)
                if not refusal:  # a refused entry is reported by the loader, never followed
                    out.append(base)
    return out


def scan_family(
    files: Iterable[str], read_text: ReadText | None = None, rule: FragmentRule | None = None
) -> ConfigFamily:
    family = ConfigFamily(rule=rule or FragmentRule())
    for path in files:
        text = read_text(path) if read_text is not None else None
        if text is None:
            try:  # regular files only: a FIFO or a link to a device is skipped, never read
                text = read_config_text(path).text
            except UnreadableFile:
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
    rule: FragmentRule | None = None,
    read_text: ReadText | None = None,
    env: Mapping[str, str] | None = None,
    as_fragment: bool | None = None,
) -> list[Problem]:
    """The problems of ``path`` under the rule above.

    A root's list holds the problems in its own text (with those its bases cause through it,
    moved to its ``__base__`` entries) and the problems in its bases' own text, in their files.
    A fragment's list holds only problems in its own file. ``as_fragment`` overrides the rule.
    """
    full = normalize_path(path)
    if rule is None:
        rule = family.rule if family is not None else FragmentRule()
    fragment = rule.is_fragment(full) if as_fragment is None else as_fragment
    if fragment:
        return fragment_problems(full, source, read_text=read_text, env=env)
    loaded = load_config_files(full, read_text)
    problems = check_model(build_model(loaded, source), source, CheckOptions(True, env))
    if all(p.file == full for p in problems):
        return problems
    own_of: dict[str, set[tuple[str, int, int]]] = {}
    out: list[Problem] = []
    for p in problems:
        if p.file == full or not p.file:
            out.append(p)
            continue
        own = own_of.get(p.file)
        if own is None:
            own = own_of[p.file] = _own_problems(p.file, rule, source, read_text, env)
        if (p.code, p.start, p.end) in own:
            out.append(p)
        else:
            out.append(_moved_to_base_entry(p, loaded))
    return sort_problems(out)


def fragment_problems(
    path: str,
    source: SignatureSource,
    *,
    read_text: ReadText | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Problem]:
    """The problems in a fragment's own text whatever includes it."""
    full = normalize_path(path)
    return [
        p
        for p in check_config(full, source, read_text=read_text, env=env, report_missing=False)
        if p.file == full and p.code not in CONTEXT_CODES and not p.data.get("context")
    ]


def _own_problems(
    path: str,
    rule: FragmentRule,
    source: SignatureSource,
    read_text: ReadText | None,
    env: Mapping[str, str] | None,
) -> set[tuple[str, int, int]]:
    """What a base reports in its own text when it is checked as itself."""
    if rule.is_fragment(path):
        found = fragment_problems(path, source, read_text=read_text, env=env)
    else:
        found = check_config(path, source, read_text=read_text, env=env)
    return {(p.code, p.start, p.end) for p in found if p.file == path}


def _moved_to_base_entry(problem: Problem, loaded: LoadedConfig) -> Problem:
    """``problem`` (in a base file) reported at the root's ``__base__`` entry that brings that
    base in, with the base's place as related information."""
    root = loaded.path
    hop = _first_hop(loaded, root, problem.file)
    item = loaded.edges.get((root, hop)) if hop is not None else None
    base_src = loaded.files.get(problem.file)
    where = os.path.relpath(problem.file, os.path.dirname(root)).replace(os.sep, "/")
    if base_src is not None:
        line, column = base_src.lines.position(problem.start)
        where = f"{where}:{line + 1}:{column + 1}"
    related = (Related(problem.file, problem.start, problem.end, problem.message),)
    start, end = (item.start, item.end) if item is not None else (0, 0)
    return make_problem(
        problem.code,
        f"{problem.message} (in {where}, included here)",
        root,
        start,
        end,
        BASE_KEY,
        {"base": problem.file, "base_key": problem.key},
        related,
    )


def _first_hop(loaded: LoadedConfig, root: str, target: str) -> str | None:
    """The base of ``root`` through which ``target`` is merged in."""
    for first in loaded.bases.get(root, []):
        stack, seen = [first], {first}
        while stack:
            current = stack.pop()
            if current == target:
                return first
            for nxt in loaded.bases.get(current, []):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return None
