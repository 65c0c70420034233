"""Structured experiment folders that disappear when the run they belong to fails.

>>> with PathManager("./exp", ["checkpoints", "logs"], "fcn", "run1", remove_if_fail=True) as pm:
...     save(model, pm.get("checkpoints") / "last.pt")            # doctest: +SKIP

creates ``exp/checkpoints/fcn/run1`` and ``exp/logs/fcn/run1`` (``exp/fcn/checkpoints/run1`` with
``config_name_first=True``). When the block raises, the folders this manager created are removed
again (with ``remove_if_fail=True``) and the exception propagates.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["PathManager"]


class PathManager:
    """Create ``base_path/<sub_folder>/<config_name>/<instance_name>`` for every sub folder.

    Args:
        base_path: Folder under which everything is created.
        sub_folders: Names of the sub folders (``["checkpoints", "logs"]``), or a dataclass
            instance whose field values are those names (``get`` accepts field names too).
        config_name: Name of the config (usually the config file's stem).
        instance_name: Name of this run; the current time (``%Y-%m-%d-%H-%M-%S``) by default.
        remove_if_fail: Remove the folders this manager created when the ``with`` block raises.
        sub_folder_exist_ok: Accept instance folders that already exist (they are never removed).
            When false, an existing one is an error.
        config_name_first: Put ``config_name`` before the sub folder:
            ``base_path/<config_name>/<sub_folder>/<instance_name>``.
        return_str: ``get`` returns ``str`` instead of :class:`~pathlib.Path`.
    """

    def __init__(
        self,
        base_path: str | Path,
        sub_folders: Sequence[str] | Any,
        config_name: str,
        instance_name: str | None = None,
        *,
        remove_if_fail: bool = False,
        sub_folder_exist_ok: bool = False,
        config_name_first: bool = False,
        return_str: bool = False,
    ) -> None:
        self.base_path = Path(base_path)
        self._aliases: dict[str, str] = {}
        self.sub_folders = self._folder_names(sub_folders)
        _check_part("config_name", config_name)
        self.config_name = config_name
        self.instance_name = instance_name or time.strftime("%Y-%m-%d-%H-%M-%S")
        _check_part("instance_name", self.instance_name)
        self.remove_if_fail = remove_if_fail
        self.sub_folder_exist_ok = sub_folder_exist_ok
        self.config_name_first = config_name_first
        self.return_str = return_str
        self._paths: dict[str, Path] = {}
        self._created: list[Path] = []  # folders that did not exist before, in creation order
        self._preexisting: set[Path] = set()

    def _folder_names(self, sub_folders: Sequence[str] | Any) -> list[str]:
        if is_dataclass(sub_folders) and not isinstance(sub_folders, type):
            names = []
            for f in fields(sub_folders):
                value = str(getattr(sub_folders, f.name))
                self._aliases[f.name] = value
                names.append(value)
        elif isinstance(sub_folders, Sequence) and not isinstance(sub_folders, (str, bytes)):
            names = [str(n) for n in sub_folders]
        else:
            raise TypeError(
                "sub_folders must be a list of folder names or a dataclass instance, "
                f"got {type(sub_folders).__name__}"
            )
        for name in names:
            _check_part("sub folder", name)
        return list(dict.fromkeys(names))

    def path_of(self, sub_folder: str) -> Path:
        """Where ``sub_folder``'s instance folder is (created or not)."""
        if self.config_name_first:
            return self.base_path / self.config_name / sub_folder / self.instance_name
        return self.base_path / sub_folder / self.config_name / self.instance_name

    def mkdir(self) -> None:
        """Create every instance folder (and the folders above it)."""
        try:
            for name in self.sub_folders:
                leaf = self.path_of(name)
                if leaf.exists():
                    if not self.sub_folder_exist_ok:
                        raise FileExistsError(
                            f"{str(leaf)!r} already exists; choose another instance_name or "
                            "pass sub_folder_exist_ok=True"
                        )
                    if not leaf.is_dir():
                        raise FileExistsError(f"{str(leaf)!r} exists and is not a folder")
                    self._preexisting.add(leaf)
                else:
                    self._make(leaf)
                self._paths[name] = leaf
        except BaseException:
            self.remove_all()
            raise

    def _make(self, leaf: Path) -> None:
        missing = []
        for folder in (leaf, *leaf.parents):
            if folder.exists():
                break
            missing.append(folder)
        for folder in reversed(missing):
            folder.mkdir()
            self._created.append(folder)

    def get(self, name: str) -> Path | str:
        """The instance folder of sub folder ``name`` (or of a dataclass field name)."""
        key = name if name in self._paths else self._aliases.get(name, name)
        if key not in self._paths:
            if not self._paths:
                raise KeyError(f"{name!r}: the folders are not created yet (use `with` or init())")
            raise KeyError(f"{name!r} is not a sub folder; expected one of {list(self._paths)}")
        path = self._paths[key]
        return str(path) if self.return_str else path

    def init(self) -> None:
        """Create the folders (what entering the ``with`` block does)."""
        self.mkdir()

    def final(self) -> None:
        """Remove the folders this manager created (what a failed ``with`` block does)."""
        self.remove_all()

    def remove_all(self) -> None:
        """Remove every folder this manager created, with its content; keep pre-existing ones."""
        for folder in reversed(self._created):
            if folder in self._paths.values() or not folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                continue
            with contextlib.suppress(OSError):  # above an instance folder: only when empty
                folder.rmdir()
        self._created.clear()
        self._paths = {k: v for k, v in self._paths.items() if v in self._preexisting}

    def __enter__(self) -> PathManager:
        self.init()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None and self.remove_if_fail:
            self.final()


def _check_part(what: str, name: str) -> None:
    path = Path(name)
    if not name or path.is_absolute() or ".." in path.parts or name in (".",):
        raise ValueError(f"invalid {what} {name!r}: use a relative name without '..'")
