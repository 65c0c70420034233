"""Upstream ExCore's workspace file, ``.excore.toml``, read as this project's workspace.

An upstream project opens as it is: when a folder has no ``excore.toml`` (nor a
``pyproject.toml`` with ``[tool.excore]``), its ``.excore.toml`` is the workspace. Its keys map to
this project's (:func:`convert`):

- ``name`` → ``name``;
- ``src_dir`` → every module below that folder is imported (what upstream's
  ``excore auto-register`` imports), with the workspace folder on ``sys.path``;
- ``primary_fields`` + ``primary_to_registry`` → ``[primary_fields]`` (field → registry); when
  they are empty, the ``*``-marked entries of ``registries`` (``"*Data: TrainData, TestData"``)
  give them, as upstream's ``excore update`` does;
- ``excore_validate`` / ``excore_manual_set`` → the same switches, for this workspace.

What it cannot express (the registry cache and JSON schema paths, ``json_schema_fields``,
``props``, ...) is reported as a :class:`Note` with its line. ``excore init --from-upstream``
writes the equivalent ``excore.toml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["UPSTREAM_FILE", "Converted", "Note", "convert", "modules_below", "to_excore_toml"]

UPSTREAM_FILE = ".excore.toml"

# keys with nothing to map to, and why
_NOT_USED = {
    "base_dir": "the workspace folder is the folder of the workspace file",
    "cache_base_dir": "there is no registry cache: the index is written to index_dir (.excore/)",
    "cache_dir": "there is no registry cache: the index is written to index_dir (.excore/)",
    "registry_cache_file": "there is no registry cache: `excore schema dump` writes the index",
    "json_schema_file": "`excore schema dump` writes .excore/config.schema.json",
    "class_mapping_file": "`excore schema dump` writes the index the editor reads",
    "json_schema_fields": "the JSON Schema covers every field and registry",
    "props": "not supported",
    "excore_log_build_message": "set excore.workspace.excore_log_build_message in code",
}
_KNOWN = {
    "name",
    "src_dir",
    "registries",
    "primary_fields",
    "primary_to_registry",
    "excore_validate",
    "excore_manual_set",
}


@dataclass(slots=True)
class Note:
    """A key of ``.excore.toml`` that this project does not use, where it is written."""

    key: str
    line: int
    column: int
    message: str


@dataclass(slots=True)
class Converted:
    """The workspace table in this project's terms, and what could not be expressed."""

    table: dict[str, Any]
    validate: bool = True
    manual_set: bool = True
    notes: list[Note] = field(default_factory=list)


def _fields_from_registries(entries: list[Any]) -> dict[str, str]:
    """``["*Model: Model, Backbone", "Head", "*Data: TrainData"]`` → primary field → registry."""
    fields: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, str) or not entry.startswith("*"):
            continue
        registry, _, listed = entry[1:].partition(":")
        registry = registry.strip()
        names = [n.strip() for n in listed.split(",") if n.strip()] or [registry]
        for name in names:
            fields[name] = registry
    return fields


def convert(data: dict[str, Any], positions: dict[str, tuple[int, int]]) -> Converted:
    """Map upstream's workspace keys (``data``, parsed TOML) to this project's table."""
    out = Converted(table={})

    def note(key: str, message: str) -> None:
        line, column = positions.get(key, (1, 1))
        out.notes.append(Note(key, line, column, message))

    if isinstance(data.get("name"), str) and data["name"]:
        out.table["name"] = data["name"]
    src_dir = data.get("src_dir")
    out.table["src_paths"] = ["."]
    if isinstance(src_dir, str) and src_dir:
        out.table["src_dir"] = src_dir
    else:
        note("src_dir", "no src_dir: no module is imported, the registries stay empty")
    primary = data.get("primary_fields")
    to_registry = data.get("primary_to_registry")
    fields: dict[str, str] = {}
    if isinstance(primary, list) and primary:
        mapping = to_registry if isinstance(to_registry, dict) else {}
        fields = {str(f): str(mapping.get(f, f)) for f in primary}
    elif isinstance(data.get("registries"), list):
        fields = _fields_from_registries(data["registries"])
    out.table["primary_fields"] = fields
    for switch in ("excore_validate", "excore_manual_set"):
        value = data.get(switch)
        if value is not None and not isinstance(value, bool):
            note(switch, f"{switch} must be true or false; ignored")
        elif value is False:
            if switch == "excore_validate":
                out.validate = False
            else:
                out.manual_set = False
    for key, value in data.items():
        if key in _KNOWN or value in ({}, [], "", None):
            continue
        if key == "excore_log_build_message" and value is False:
            continue
        reason = _NOT_USED.get(key, "not an upstream ExCore workspace key")
        note(key, f"'{key}' is not used: {reason}")
    return out


def modules_below(root: Path, src_dir: str) -> list[str]:
    """Dotted names of the Python modules under ``root/src_dir`` (packages first), as upstream's
    ``excore auto-register`` imports them."""
    base = (root / src_dir).resolve()
    if not base.is_dir():
        return []
    package = ".".join(Path(os.path.relpath(base, root)).parts)
    found: list[str] = []
    if (base / "__init__.py").is_file():
        found.append(package)
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        rel = Path(os.path.relpath(folder, root)).parts
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            if name == "__init__.py":
                if Path(folder) != base:
                    found.append(".".join(rel))
                continue
            found.append(".".join([*rel, name[:-3]]))
    return sorted(set(found), key=lambda n: (n.count("."), n))


def to_excore_toml(converted: Converted, imports: list[str]) -> str:
    """The ``excore.toml`` text equivalent to a converted ``.excore.toml``."""
    table = converted.table
    lines = ["# Written by `excore init --from-upstream` from .excore.toml."]
    if "name" in table:
        lines.append(f"name = {_string(table['name'])}")
    lines.append('src_paths = ["."]')
    if imports:
        lines.append("# every module below src_dir, as upstream's `excore auto-register` imports")
        lines.append("import = [")
        lines.extend(f"  {_string(name)}," for name in imports)
        lines.append("]")
    else:
        lines.append("import = []")
    lines.append('index_dir = ".excore"')
    lines.append("")
    lines.append("[primary_fields]")
    for name, registry in table.get("primary_fields", {}).items():
        lines.append(f"{_bare_or_quoted(name)} = {_string(registry)}")
    notes = [n for n in converted.notes if n.key in ("excore_validate", "excore_manual_set")]
    if not converted.validate or not converted.manual_set or notes:
        lines.append("")
        lines.append("# upstream switches: set them in code, e.g. in the script that builds:")
        if not converted.validate:
            lines.append("#   excore.workspace.excore_validate = False")
        if not converted.manual_set:
            lines.append("#   excore.workspace.excore_manual_set = False")
    return "\n".join(lines) + "\n"


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _bare_or_quoted(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _string(key)
