"""``excore schema dump --editor-config``: associate the configs with ``config.schema.json`` in
``.taplo.toml`` (taplo / Even Better TOML) and ``tombi.toml`` (tombi), merged with tomlkit.

A user's own settings are never overwritten: our taplo rule is the ``[[rule]]`` named ``excore``
and our tombi entry the ``[[schemas]]`` whose ``path`` is our schema; when one exists it is left
as the user has it (only a missing ``path`` is filled in). Everything else in the files — other
rules, comments, order — is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore.fileio import FileWriteError, atomic_write

if TYPE_CHECKING:
    from excore.workspace import Workspace

__all__ = ["config_globs", "write_editor_configs"]

RULE_NAME = "excore"
_NOT_CONFIGS = {
    "excore.toml",
    "pyproject.toml",
    ".excore.toml",
    ".taplo.toml",
    "taplo.toml",
    "tombi.toml",
}
_SKIP_DIRS = {"node_modules", "__pycache__", "build", "dist", "venv", "site-packages"}


def config_globs(workspace: Workspace) -> list[str]:
    """Glob patterns (relative to the root) of the workspace's config files: ``dir/**/*.toml``
    for each top-level folder holding TOML files, and root-level TOML files by name."""
    root = Path(workspace.root)
    index_dir = Path(workspace.index_dir).resolve()
    globs: set[str] = set()
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
            continue
        if entry.is_file() and entry.suffix == ".toml" and entry.name not in _NOT_CONFIGS:
            globs.add(entry.name)
        elif entry.is_dir() and entry.resolve() != index_dir and _has_toml(entry):
            globs.add(f"{entry.name}/**/*.toml")
    return sorted(globs)


def _has_toml(folder: Path) -> bool:
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        if any(f.endswith(".toml") for f in files):
            return True
    return False


def _schema_path(workspace: Workspace) -> str:
    relative = os.path.relpath(Path(workspace.index_dir) / "config.schema.json", workspace.root)
    return Path(relative).as_posix()


def write_editor_configs(workspace: Workspace) -> list[Path]:
    """Write or merge ``.taplo.toml`` and ``tombi.toml`` at the workspace root; returns the
    files that changed."""
    schema = _schema_path(workspace)
    include = config_globs(workspace) or ["**/*.toml"]
    changed = []
    for name, merge in ((".taplo.toml", _merge_taplo), ("tombi.toml", _merge_tombi)):
        path = Path(workspace.root) / name
        before = _read(path)
        after = _keep_newlines(before, _merged(merge, before, schema, include, path))
        if after != before:
            atomic_write(path, after)
            changed.append(path)
    return changed


def _read(path: Path) -> str:
    """The text of an editor config file, newlines as written ("" when there is none)."""
    from excore.fileio import UnreadableFile, read_config_text

    if not path.exists() and not path.is_symlink():
        return ""
    try:
        read = read_config_text(str(path))
    except UnreadableFile as exc:
        raise FileWriteError(f"cannot merge into this file: {exc.reason}", file=str(path)) from None
    if read.bad_offset is not None:
        line, column = _position(read.text, read.bad_offset)
        raise FileWriteError(
            f"cannot merge into this file: {read.encoding_message()}",
            file=str(path),
            line=line,
            column=column,
        )
    return read.text


def _merged(
    merge: Callable[[str, str, list[str]], str],
    before: str,
    schema: str,
    include: list[str],
    path: Path,
) -> str:
    """``merge(before, ...)``; a file that is not valid TOML is an error at its position."""
    from tomlkit.exceptions import ParseError

    try:
        return merge(before, schema, include)
    except ParseError as exc:
        message = str(exc).split(" at line ")[0]
        raise FileWriteError(
            f"cannot merge into this file, it is not valid TOML: {message}",
            file=str(path),
            line=exc.line,
            column=exc.col,
        ) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise FileWriteError(
            f"cannot merge into this file, unexpected content: {exc}", file=str(path)
        ) from None


def _position(text: str, offset: int) -> tuple[int, int]:
    from excore.syntax.text import LineIndex

    line, column = LineIndex(text).position(offset)
    return line + 1, column + 1


def _keep_newlines(before: str, after: str) -> str:
    """``after`` with CRLF line ends when ``before`` used them."""
    if "\r\n" not in before or after == before:
        return after
    return after.replace("\r\n", "\n").replace("\n", "\r\n")


def _parse(text: str) -> Any:
    import tomlkit

    return tomlkit.parse(text) if text.strip() else tomlkit.document()


def _merge_taplo(text: str, schema: str, include: list[str]) -> str:
    import tomlkit

    document = _parse(text)
    rules = document.get("rule")
    if rules is None:
        rules = tomlkit.aot()
        document.append("rule", rules)
    for rule in rules:
        if rule.get("name") == RULE_NAME:
            if "schema" not in rule:
                rule["schema"] = {"path": schema}
            elif "path" not in rule["schema"] and "url" not in rule["schema"]:
                rule["schema"]["path"] = schema
            return str(tomlkit.dumps(document))
    rule = tomlkit.table()
    rule.add(tomlkit.comment("ExCore configs: completion and checks from `excore schema dump`"))
    rule["name"] = RULE_NAME
    rule["include"] = include
    schema_table = tomlkit.table()
    schema_table["path"] = schema
    rule["schema"] = schema_table
    rules.append(rule)
    return str(tomlkit.dumps(document))


def _merge_tombi(text: str, schema: str, include: list[str]) -> str:
    import tomlkit

    document = _parse(text)
    schemas = document.get("schemas")
    if schemas is None:
        schemas = tomlkit.aot()
        document.append("schemas", schemas)
    for entry in schemas:
        if entry.get("path") == schema:
            return str(tomlkit.dumps(document))
    entry = tomlkit.table()
    entry.add(tomlkit.comment("ExCore configs: completion and checks from `excore schema dump`"))
    entry["path"] = schema
    entry["include"] = include
    schemas.append(entry)
    return str(tomlkit.dumps(document))
