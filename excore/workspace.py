"""The workspace: which Python code fills the registries and which fields are primary.

A workspace is described by ``excore.toml``, or by the ``[tool.excore]`` table of
``pyproject.toml`` (same keys either way)::

    name = "seg"
    src_paths = ["src"]                  # put on sys.path, relative to the root (default ["."])
    import = ["seg.models", "seg.data"]  # modules whose import fills the registries
    index_dir = ".excore"                # where `excore schema dump` writes index.json
    fragments = ["configs/parts/*.toml"] # configs only ever included (besides `_*` names)
    base_roots = ["../shared"]           # extra folders `__base__` may name (default: none)
    [primary_fields]                     # config field -> registry
    Model = "Model"
    TrainData = "Data"

:func:`find_workspace` walks up from a config file to the nearest such file; an explicit
``override`` or the ``EXCORE_WORKSPACE`` environment variable wins. A bad file raises
:class:`~excore.errors.WorkspaceError` naming ``file:line:col`` and the key.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from excore.errors import WorkspaceError

__all__ = [
    "ENV_VAR",
    "WORKSPACE_FILES",
    "Workspace",
    "find_workspace",
    "load_workspace",
    "workspace_file_in",
    "workspace_schema",
]

ENV_VAR = "EXCORE_WORKSPACE"
WORKSPACE_FILES = ("excore.toml", "pyproject.toml", ".excore.toml")
_PYPROJECT_TABLE = ("tool", "excore")

Position = tuple[int, int]  # 1-based (line, column)


@dataclass(slots=True)
class Workspace:
    """A loaded workspace file. Paths are absolute."""

    root: Path
    file: Path
    name: str
    src_paths: list[Path] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    primary_fields: dict[str, str] = field(default_factory=dict)
    index_dir: Path = Path(".excore")
    fragments: list[str] = field(default_factory=list)  # globs of fragment configs
    # upstream's switches, from a .excore.toml (excore.workspace's module switches also apply)
    validate: bool = True
    manual_set: bool = True
    # what an upstream .excore.toml could not express (excore.workspace_upstream.Note)
    notes: list[Any] = field(default_factory=list, repr=False, compare=False)
    base_roots: list[Path] = field(default_factory=list)
    # the workspace file's text; key positions are computed from it when an error needs them
    source_text: str = field(default="", repr=False, compare=False)
    _positions: dict[str, Position] | None = field(default=None, repr=False, compare=False)

    @property
    def index_file(self) -> Path:
        """Where the exported index lives."""
        return self.index_dir / "index.json"

    def error(self, message: str, key: str = "") -> WorkspaceError:
        """A :class:`WorkspaceError` located at ``key`` (a dotted key path) of this file."""
        line, column = self._position(key)
        return WorkspaceError(message, file=str(self.file), line=line, column=column, key=key)

    @property
    def positions(self) -> dict[str, Position]:
        """1-based (line, column) of each key path (``import``, ``import.1``,
        ``primary_fields.Model``) in the workspace file; ``""`` is the table itself."""
        if self._positions is None:
            prefix = _PYPROJECT_TABLE if self.file.name == "pyproject.toml" else ()
            self._positions = _key_positions(self.source_text, str(self.file), prefix)
        return self._positions

    def _position(self, key: str) -> Position:
        return _locate(self.positions, key)

    def import_registries(self) -> list[ModuleType]:
        """Put ``src_paths`` on ``sys.path`` and import the ``import`` modules.

        Returns the imported modules. Any failure raises :class:`WorkspaceError` pointing at the
        module's entry in the workspace file (the original exception is chained).
        """
        import importlib

        for index, path in enumerate(self.src_paths):
            if not path.is_dir():
                raise self.error(
                    f"src_paths: folder {str(path)!r} does not exist", f"src_paths.{index}"
                )
        for path in reversed(self.src_paths):
            entry = str(path)
            if entry not in sys.path:
                sys.path.insert(0, entry)
        modules = []
        for index, name in enumerate(self.imports):
            try:
                modules.append(importlib.import_module(name))
            except Exception as exc:
                raise self.error(_import_failure(name, exc), f"import.{index}") from exc
        return modules


def _import_failure(name: str, exc: Exception) -> str:
    if isinstance(exc, ModuleNotFoundError) and exc.name and name.startswith(exc.name):
        return (
            f"cannot import {name!r} listed in `import`: no module named {exc.name!r} "
            "(is it below one of src_paths?)"
        )
    where = _innermost_frame(exc)
    detail = f"{type(exc).__name__}: {exc}"
    return f"importing {name!r} (listed in `import`) failed: {detail}" + (
        f" (at {where})" if where else ""
    )


def _innermost_frame(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno or 0}"
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""


# ------------------------------------------------------------------------------ discovery


def find_workspace(
    start: str | os.PathLike[str] | None = None,
    override: str | os.PathLike[str] | None = None,
) -> Workspace | None:
    """The workspace of ``start`` (a config file or folder; default: the current folder).

    ``override`` (a workspace file or a folder holding one), else ``$EXCORE_WORKSPACE``, wins
    over the search. Returns ``None`` when no workspace file is found walking up.
    """
    chosen = override if override not in (None, "") else os.environ.get(ENV_VAR) or None
    if chosen is not None:
        return _load_override(Path(chosen), from_env=override in (None, ""))
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        found = _workspace_file_in(folder)
        if found is not None:
            return load_workspace(found)
    return None


def _load_override(path: Path, from_env: bool) -> Workspace:
    origin = f"${ENV_VAR}" if from_env else "workspace"
    if path.is_dir():
        found = _workspace_file_in(path)
        if found is None:
            raise WorkspaceError(
                f"{origin}: no excore.toml or pyproject.toml with [tool.excore] in {str(path)!r}"
            )
        return load_workspace(found)
    if not path.is_file():
        raise WorkspaceError(f"{origin}: workspace file {str(path)!r} does not exist")
    return load_workspace(path)


def workspace_file_in(folder: str | os.PathLike[str]) -> Path | None:
    """The workspace file directly in ``folder`` (``excore.toml`` first), if any."""
    return _workspace_file_in(Path(folder))


def _workspace_file_in(folder: Path) -> Path | None:
    candidate = folder / "excore.toml"
    if candidate.is_file():
        return candidate
    candidate = folder / "pyproject.toml"
    if candidate.is_file() and _has_excore_table(candidate):
        return candidate
    candidate = folder / ".excore.toml"  # upstream ExCore's workspace file
    if candidate.is_file():
        return candidate
    return None


def _has_excore_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "excore" not in text:
        return False
    try:
        data = _parse(text)
    except ValueError:
        return "[tool.excore" in text  # broken, but meant for us: load_workspace reports it
    tool = data.get("tool")
    return isinstance(tool, dict) and "excore" in tool


# ------------------------------------------------------------------------------ loading


def load_workspace(file: str | os.PathLike[str]) -> Workspace:
    """Read and validate a workspace file (``excore.toml`` or ``pyproject.toml``)."""
    path = Path(file).resolve()
    from excore.fileio import UnreadableFile, read_config_text

    try:
        read = read_config_text(str(path))
    except UnreadableFile as exc:
        raise WorkspaceError(f"cannot read workspace file: {exc.reason}", file=str(path)) from None
    text = read.text
    if read.bad_offset is not None:
        from excore.syntax.text import LineIndex

        line, column = LineIndex(text).position(read.bad_offset)
        raise WorkspaceError(
            read.encoding_message(), file=str(path), line=line + 1, column=column + 1
        )
    is_pyproject = path.name == "pyproject.toml"
    prefix = _PYPROJECT_TABLE if is_pyproject else ()
    try:
        data = _parse(text)
    except ValueError as exc:
        message, line, column = _syntax_error(text, str(path), exc)
        raise WorkspaceError(
            f"invalid TOML: {message}", file=str(path), line=line, column=column
        ) from exc
    table: Any = data
    for part in prefix:
        table = table.get(part, {}) if isinstance(table, dict) else {}
    if is_pyproject and not (isinstance(data.get("tool"), dict) and "excore" in data["tool"]):
        raise WorkspaceError("pyproject.toml has no [tool.excore] table", file=str(path))
    if not isinstance(table, dict):
        line, column = _key_positions(text, str(path), prefix).get("", (1, 1))
        raise WorkspaceError(
            "tool.excore must be a table", file=str(path), line=line, column=column
        )
    if path.name == ".excore.toml":
        return _load_upstream(path, text, table)
    if not _conforms(table):
        _report_schema_errors(table, path, _key_positions(text, str(path), prefix))
    root = path.parent
    return Workspace(
        root=root,
        file=path,
        name=table.get("name") or root.name,
        src_paths=[(root / p).resolve() for p in table.get("src_paths", ["."])],
        imports=list(table.get("import", [])),
        primary_fields=dict(table.get("primary_fields", {})),
        # not resolved: a symlinked index folder is refused by `schema dump`, never followed
        index_dir=Path(os.path.normpath(root / table.get("index_dir", ".excore"))),
        fragments=list(table.get("fragments", [])),
        base_roots=[(root / p).resolve() for p in table.get("base_roots", [])],
        source_text=text,
    )


_REPORTED_NOTES: set[tuple[str, int, str]] = set()


def _load_upstream(path: Path, text: str, data: dict[str, Any]) -> Workspace:
    """An upstream ``.excore.toml`` (see :mod:`excore.workspace_upstream`); each key it cannot
    express is logged once as a warning with its line."""
    from excore.workspace_upstream import convert, modules_below

    converted = convert(data, _key_positions(text, str(path), ()))
    root = path.parent
    src_dir = converted.table.get("src_dir")
    imports = modules_below(root, src_dir) if isinstance(src_dir, str) else []
    fields = converted.table.get("primary_fields", {})
    for name in fields:
        if not _IDENT.match(name):
            line, column = _key_positions(text, str(path), ()).get("primary_fields", (1, 1))
            raise WorkspaceError(
                f"primary field {name!r} is not a valid name",
                file=str(path),
                line=line,
                column=column,
                key="primary_fields",
            )
    if converted.notes:
        from excore.engine.logging import logger

        for note in converted.notes:
            seen = (str(path), note.line, note.message)
            if seen not in _REPORTED_NOTES:
                _REPORTED_NOTES.add(seen)
                logger.warning(f"{path}:{note.line}:{note.column}: note: {note.message}")
    return Workspace(
        root=root,
        file=path,
        name=converted.table.get("name") or root.name,
        src_paths=[root],
        imports=imports,
        primary_fields=dict(fields),
        index_dir=root / ".excore",
        source_text=text,
        validate=converted.validate,
        manual_set=converted.manual_set,
        notes=list(converted.notes),
    )


def _parse(text: str) -> dict[str, Any]:
    """Strict TOML; raises ValueError (``tomllib.TOMLDecodeError``) on invalid text."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def _syntax_error(text: str, file: str, exc: ValueError) -> tuple[str, int, int]:
    """(message, line, column) of invalid TOML: the tolerant parser's first syntax problem
    (it points at the construct, e.g. the unclosed "["), else the strict parser's words."""
    try:
        from excore.syntax.text import LineIndex
        from excore.syntax.toml import parse_toml

        problems = [p for p in parse_toml(text, file).problems if p.code == "toml-syntax"]
    except ImportError:
        problems = []
    if problems:
        line, column = LineIndex(text).position(problems[0].start)
        return problems[0].message, line + 1, column + 1
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    message = str(exc).split(" (at line")[0]
    return message, (int(found[1]) if found else 0), (int(found[2]) if found else 0)


def workspace_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of the workspace table, shipped inside the package."""
    from importlib.resources import files

    text = files("excore").joinpath("schema").joinpath("workspace.schema.json").read_text("utf-8")
    import json

    schema: dict[str, Any] = json.loads(text)
    return schema


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_KEYS = frozenset(
    {"name", "src_paths", "import", "primary_fields", "index_dir", "fragments", "base_roots"}
)


def _conforms(table: dict[str, Any]) -> bool:
    """The workspace schema, checked by hand: True only when jsonschema finds nothing.

    It spares importing jsonschema (~60 ms) for the usual, valid file; any doubt goes to
    jsonschema, which also words the errors. tests/test_workspace.py checks both agree.
    """

    def strings(value: Any, pattern: re.Pattern[str] | None = None) -> bool:
        return isinstance(value, list) and all(
            isinstance(v, str) and v and (pattern is None or pattern.match(v)) for v in value
        )

    def text(value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    fields = table.get("primary_fields", {})
    return (
        table.keys() <= _KEYS
        and ("name" not in table or text(table["name"]))
        and ("index_dir" not in table or text(table["index_dir"]))
        and ("src_paths" not in table or strings(table["src_paths"]))
        and ("fragments" not in table or strings(table["fragments"]))
        and ("base_roots" not in table or strings(table["base_roots"]))
        and ("import" not in table or strings(table["import"], _MODULE))
        and isinstance(fields, dict)
        and strings(list(fields), _IDENT)
        and strings(list(fields.values()), _IDENT)
    )


def _report_schema_errors(
    table: dict[str, Any], path: Path, positions: dict[str, Position]
) -> None:
    import jsonschema

    schema = workspace_schema()
    validator = jsonschema.Draft7Validator(schema)
    found = []
    for error in validator.iter_errors(table):
        key, message = _describe(error, schema)
        found.append((_locate(positions, key), key, message))
    if not found:
        return
    found.sort()
    (line, column), key, message = found[0]
    more = f" (and {len(found) - 1} more problem{'s' * (len(found) > 2)})" if len(found) > 1 else ""
    raise WorkspaceError(
        f"{key or 'workspace'}: {message}{more}", file=str(path), line=line, column=column, key=key
    )


def _describe(error: Any, schema: dict[str, Any]) -> tuple[str, str]:
    """(dotted key path, message) of a jsonschema error, in the words of the workspace file."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and not path:
        allowed = sorted(schema["properties"])
        unknown = sorted(k for k in error.instance if k not in schema["properties"])
        return unknown[0], f"unknown key {unknown[0]!r}; expected one of {', '.join(allowed)}"
    if "propertyNames" in error.schema_path:
        bad = str(error.instance)
        return ".".join([*path, bad]), f"{bad!r} is not a valid field name (use an identifier)"
    key = ".".join(path)
    if error.validator == "type":
        expected = error.validator_value
        return key, f"expected {_article(expected)}, got {_toml_type(error.instance)}"
    if error.validator == "pattern":
        return key, f"{error.instance!r} is not a valid name (expected dotted identifiers)"
    if error.validator == "minLength":
        return key, "must not be empty"
    return key, error.message


def _article(json_type: Any) -> str:
    names = {"array": "an array", "object": "a table", "string": "a string"}
    if isinstance(json_type, list):
        return " or ".join(names.get(t, str(t)) for t in json_type)
    return names.get(json_type, str(json_type))


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _locate(positions: dict[str, Position], key: str) -> Position:
    while key:
        if key in positions:
            return positions[key]
        key = key.rpartition(".")[0]
    return positions.get("", (1, 1))


# ------------------------------------------------------------------------------ positions


def _key_positions(text: str, file: str, prefix: tuple[str, ...]) -> dict[str, Position]:
    """1-based (line, column) of every key path below ``prefix`` ("" is the table itself)."""
    from excore.syntax.text import LineIndex

    try:
        from excore.syntax.toml import TreeLeaf, TreeTable, parse_toml
    except ImportError:  # the tolerant parser is not there: errors are reported at 1:1
        return {}

    index = LineIndex(text)
    positions: dict[str, Position] = {}

    def put(key: str, offset: int) -> None:
        line, column = index.position(offset)
        positions.setdefault(key, (line + 1, column + 1))

    tree, _ = parse_toml(text, file).to_tree()
    node: Any = tree
    for part in prefix:
        node = node.items.get(part) if isinstance(node, TreeTable) else None
    if not isinstance(node, TreeTable):
        return positions
    if node.key is not None:
        put("", node.key.start)

    def walk(table: TreeTable, path: str) -> None:
        for name, child in table.items.items():
            key = f"{path}.{name}" if path else name
            if isinstance(child, TreeLeaf):
                start = child.key.start
                quoted = text[start - 1 : start] in ("'", '"') and child.key.text != ""
                put(key, start - 1 if quoted else start)
                for i, item in enumerate(child.value.items):
                    put(f"{key}.{i}", item.start)
            elif isinstance(child, TreeTable):
                if child.key is not None:
                    put(key, child.key.start)
                walk(child, key)

    walk(node, "")
    return positions


# ------------------------------------------------------------------------------ upstream switches
# Upstream ExCore users write ``from excore import workspace; workspace.excore_validate = False``.
# These three switches work here too; any other of upstream's workspace attributes is set in the
# workspace file, and assigning it here raises instead of being silently ignored.

excore_validate: bool = True  # False: no validation before building (as EXCORE_VALIDATE=0)
excore_manual_set: bool = True  # False: never prompt for a missing parameter
excore_log_build_message: bool = False  # True: log each module built (excore.logger, info)

SWITCHES = ("excore_validate", "excore_manual_set", "excore_log_build_message")
_UPSTREAM_FILE_ATTRS = {
    "name": "name",
    "src_dir": "src_paths",
    "base_dir": "the folder of excore.toml",
    "cache_base_dir": "index_dir",
    "cache_dir": "index_dir",
    "registry_cache_file": "index_dir (`excore schema dump` writes index.json)",
    "json_schema_file": "index_dir (`excore schema dump` writes config.schema.json)",
    "class_mapping_file": "index_dir",
    "registries": "import (the modules that define the registries)",
    "primary_fields": "[primary_fields]",
    "primary_to_registry": "[primary_fields]",
    "json_schema_fields": "[primary_fields]",
    "props": "nothing (not supported)",
}


class _WorkspaceModule(ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in SWITCHES and not isinstance(value, bool):
            raise TypeError(f"excore.workspace.{name} must be True or False, got {value!r}")
        if name in _UPSTREAM_FILE_ATTRS:
            raise AttributeError(
                f"excore.workspace.{name} cannot be set at run time: it belongs in the "
                f"workspace file (excore.toml: {_UPSTREAM_FILE_ATTRS[name]})"
            )
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _WorkspaceModule
