"""ExCore configs: ``load`` a TOML config lazily, ``build_all`` its primary fields.

    from excore import config

    lazy_cfg = config.load("configs/fcn.toml")
    modules, run_info = config.build_all(lazy_cfg)
    model = modules.Model

``load`` finds the workspace of the config (the nearest ``excore.toml`` or ``pyproject.toml`` with
``[tool.excore]``; ``workspace=`` or ``$EXCORE_WORKSPACE`` overrides), imports its registries and
uses its primary fields. Without a workspace, the registries already filled in this process are
used and every registry name is a primary field, unless :func:`set_primary_fields` says otherwise.

This module imports nothing heavy; the loader, checker and builder are imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excore.syntax.grammar import BASE_KEY

if TYPE_CHECKING:
    from excore.config.action import DictAction
    from excore.config.lazy import LazyConfig, ModuleDict
    from excore.problems import Problem
    from excore.signatures import SignatureSource
    from excore.workspace import Workspace

__all__ = [
    "DictAction",
    "LazyConfig",
    "build_all",
    "check_file",
    "get_primary_fields",
    "load",
    "load_config",
    "set_primary_fields",
    "silent",
]

BASE_CONFIG_KEY = BASE_KEY

_primary_fields: dict[str, str] | None = None


def set_primary_fields(fields: Mapping[str, str] | Iterable[str] | None) -> None:
    """Choose the primary fields (field → registry; a plain name maps to the registry of that
    name). ``None`` restores the default: the workspace's fields, else every registry name."""
    global _primary_fields
    if fields is None:
        _primary_fields = None
    elif isinstance(fields, Mapping):
        _primary_fields = {str(k): str(v) for k, v in fields.items()}
    else:
        _primary_fields = {str(name): str(name) for name in fields}


def get_primary_fields() -> dict[str, str] | None:
    """The fields set with :func:`set_primary_fields` (None: not set)."""
    return None if _primary_fields is None else dict(_primary_fields)


def resolve_workspace(
    config_path: str | os.PathLike[str] | None, workspace: Workspace | str | os.PathLike[str] | None
) -> Workspace | None:
    """The workspace of a config, with its registries ready; None when there is none.

    With a fresh index (``excore schema dump``) the registries are filled from it with import
    targets and nothing is imported until a module is built; otherwise the workspace is imported
    (``excore.schema.lazy.prepare_registries``).
    """
    from excore.workspace import Workspace, find_workspace

    if isinstance(workspace, Workspace):
        found: Workspace | None = workspace
    else:
        found = find_workspace(
            None if config_path is None else Path(config_path),
            None if workspace is None else Path(workspace),
        )
        if found is None and workspace is None and config_path is not None:
            # A config outside any workspace (a dumped copy in /tmp...): the workspace its dump
            # recorded, else the one of the current folder (upstream's rule).
            found = _recorded_workspace(Path(config_path)) or find_workspace(None)
    if found is not None:
        from excore.schema.lazy import prepare_registries

        prepare_registries(found)  # importing is cheap when its modules are already imported
    return found


WORKSPACE_MARK = "# excore workspace: "


def _recorded_workspace(config: Path) -> Workspace | None:
    """The workspace a ``cfg.dump`` file names in its header (``# excore workspace: PATH``),
    when that file still exists."""
    from excore.errors import WorkspaceError
    from excore.workspace import load_workspace

    try:
        with open(config, encoding="utf-8") as fh:
            head = [fh.readline() for _ in range(3)]
    except (OSError, UnicodeDecodeError):
        return None
    for line in head:
        if line.startswith(WORKSPACE_MARK):
            file = Path(line[len(WORKSPACE_MARK) :].strip())
            if file.is_file():
                try:
                    return load_workspace(file)
                except WorkspaceError:
                    return None
    return None


def no_workspace_message(config: str | os.PathLike[str]) -> str:
    """One line saying where a workspace was looked for, for a config that has none."""
    folder = Path(config).resolve().parent
    return (
        f"no ExCore workspace for {config}: no excore.toml, pyproject.toml with [tool.excore] or "
        f".excore.toml in {folder} or above, nor in the current folder {Path.cwd()} or above "
        "(`excore init` writes one; --workspace or $EXCORE_WORKSPACE names one)"
    )


def live_source(workspace: Workspace | None = None) -> SignatureSource:
    """The signature source over this process's registries, with the primary fields in force."""
    from excore.describe import LiveSource

    fields = get_primary_fields()
    if fields is None and workspace is not None and workspace.primary_fields:
        fields = dict(workspace.primary_fields)
    index = None
    if workspace is not None:  # a fresh index answers without importing the targets
        from excore.schema.lazy import load_fresh_index

        index, _ = load_fresh_index(workspace)
    return LiveSource(primary_fields=fields, index=index)


def _check_path(path: str | os.PathLike[str]) -> Path:
    from excore.errors import CoreConfigSupportError

    file = Path(path)
    if file.suffix.lower() != ".toml":
        raise CoreConfigSupportError(
            f"only .toml configs are supported, got {file.suffix or 'a file without suffix'!r}",
            file=str(path),
        )
    if not file.is_file():
        from excore.fileio import unreadable_reason

        reason = unreadable_reason(str(path))
        shown = "config file not found" if reason == "no such file" else f"cannot read it: {reason}"
        raise CoreConfigSupportError(shown, file=str(path))
    return file


def _check_base_key(base_key: str) -> None:
    if base_key != BASE_CONFIG_KEY:
        from excore.errors import CoreConfigSupportError

        raise CoreConfigSupportError(
            f"base_key={base_key!r} is not supported: bases are always listed in "
            f"{BASE_CONFIG_KEY!r} (the checker and the editor read that key)"
        )


def load(
    path: str | os.PathLike[str],
    *,
    dump_path: str | os.PathLike[str] | None = None,
    update_dict: Mapping[str, Any] | None = None,
    base_key: str = BASE_CONFIG_KEY,
    parse_config: bool = True,
    workspace: Workspace | str | os.PathLike[str] | None = None,
    overrides: Iterable[str] | None = None,
) -> LazyConfig:
    """Read a config and its ``__base__`` chain; nothing is built yet.

    ``overrides`` are applied in order, in the grammar of ``excore build -o``
    (:mod:`excore.syntax.override`): ``"KEY=VALUE"``, ``"+KEY=VALUE"``, ``"~KEY"``,
    ``"Model=SmallCNN"``; a bad one raises :class:`~excore.errors.CoreConfigParseError`.

    Raises :class:`~excore.errors.CoreConfigSupportError` for a file that is not an existing
    ``.toml`` file and :class:`~excore.errors.CoreConfigParseError` (located) when the TOML, or
    the ``__base__`` chain, cannot be read. ``update_dict`` (nested or dotted keys, e.g. from
    :class:`DictAction`) is merged on top, as one more file. ``dump_path`` writes the resolved
    config there (after ``update_dict``), as upstream ExCore's ``load`` does.

    ``parse_config`` is accepted for upstream's callers: references are always checked before
    the first constructor runs (``build_all``, ``cfg.Model()``), whatever its value.
    ``base_key`` must be ``"__base__"``.
    """
    from excore.config.lazy import LazyConfig
    from excore.config.loader import base_roots, load_config_files

    _check_base_key(base_key)
    del parse_config  # validation always runs before building (see the docstring)
    file = _check_path(path)
    ws = resolve_workspace(file, workspace)
    loaded = load_config_files(file, roots=base_roots(str(file), ws))
    _raise_parse_errors(loaded.problems, loaded)
    if loaded.sweep is not None or any(p.code == "bad-sweep" for p in loaded.problems):
        # a sweep's table is for `excore sweep`: loading and building the file ignore it
        loaded.sweep = None
        loaded.problems = [p for p in loaded.problems if p.code != "bad-sweep"]
    cfg = LazyConfig(loaded, live_source(ws), ws)
    if update_dict:
        cfg.update(update_dict)
    if overrides:
        cfg.apply_text_overrides(list(overrides))
    if dump_path:
        cfg.dump(dump_path)
    return cfg


def load_config(
    filename: str | os.PathLike[str], base_key: str = BASE_CONFIG_KEY
) -> dict[str, Any]:
    """The config merged with its ``__base__`` chain, as plain data (nothing is resolved).

    Raises like :func:`load` for a file that is not a readable ``.toml`` file or whose TOML or
    ``__base__`` chain is broken.
    """
    from excore.config.build import section_to_python
    from excore.config.loader import load_config_files

    _check_base_key(base_key)
    loaded = load_config_files(_check_path(filename))
    _raise_parse_errors(loaded.problems, loaded)
    return section_to_python(loaded.root)


def silent() -> None:
    """Stop logging a message for each module built (upstream's ``config.silent()``)."""
    from excore import workspace

    workspace.excore_log_build_message = False


_PARSE_CODES = ("toml-syntax", "base-not-found", "base-cycle", "base-outside", "base-depth")


def _raise_parse_errors(problems: list[Problem], loaded: Any) -> None:
    from excore.errors import CoreConfigParseError, error_from_problem, format_problem
    from excore.problems import Severity

    errors = [p for p in problems if p.code in _PARSE_CODES and p.severity == Severity.ERROR]
    if not errors:
        return

    def text(file: str) -> str | None:
        source = loaded.files.get(file)
        return source.text if source is not None else None

    first = error_from_problem(errors[0], text(errors[0].file))
    if len(errors) > 1:
        rest = "\n".join(format_problem(p, text(p.file)) for p in errors[1:])
        first = CoreConfigParseError(
            f"{first.message}\n{rest}",
            file=first.file,
            line=first.line,
            column=first.column,
            key=first.key,
            code=first.code,
        )
    raise first


def build_all(lazy_cfg: LazyConfig) -> tuple[ModuleDict, dict[str, Any]]:
    """Validate, then build every primary field: ``(modules, run_info)``.

    ``modules.Model`` / ``modules["Model"]`` is the field's object (several modules under one
    field give a mapping by module name); ``run_info`` holds the plain top-level values.
    """
    return lazy_cfg.build_all()


def check_file(
    path: str | os.PathLike[str], *, workspace: Workspace | str | os.PathLike[str] | None = None
) -> list[Problem]:
    """Every problem of a config (errors, warnings, hints), checked against live registries."""
    from excore.config.check import check_config

    file = Path(path)
    ws = resolve_workspace(file, workspace)
    return check_config(file, live_source(ws))


def __getattr__(name: str) -> Any:
    if name == "LazyConfig":
        from excore.config.lazy import LazyConfig

        return LazyConfig
    if name == "DictAction":
        from excore.config.action import DictAction

        return DictAction
    raise AttributeError(f"module 'excore.config' has no attribute {name!r}")
