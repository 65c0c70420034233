"""PathManager: experiment folders, removed when the scoped block fails."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from excore.plugins.path_manager import PathManager


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_creates_sub_folder_config_instance(tmp_path: Path) -> None:
    base = tmp_path / "exp"
    with PathManager(base, ["checkpoints", "logs"], "fcn", "run1") as pm:
        ckpt = pm.get("checkpoints")
        assert ckpt == base / "checkpoints" / "fcn" / "run1"
        assert isinstance(ckpt, Path) and ckpt.is_dir()
        (ckpt / "last.pt").write_text("weights")
    assert tree(base) == [
        "checkpoints",
        "checkpoints/fcn",
        "checkpoints/fcn/run1",
        "checkpoints/fcn/run1/last.pt",
        "logs",
        "logs/fcn",
        "logs/fcn/run1",
    ]


def test_config_name_first_and_return_str(tmp_path: Path) -> None:
    with PathManager(
        tmp_path, ["logs"], "fcn", "run1", config_name_first=True, return_str=True
    ) as pm:
        logs = pm.get("logs")
    assert logs == str(tmp_path / "fcn" / "logs" / "run1")
    assert Path(logs).is_dir()


def test_failure_removes_created_folders(tmp_path: Path) -> None:
    (tmp_path / "exp" / "logs").mkdir(parents=True)
    (tmp_path / "exp" / "logs" / "older-run.txt").write_text("keep me")
    with (
        pytest.raises(RuntimeError, match="diverged"),
        PathManager(
            tmp_path / "exp", ["checkpoints", "logs"], "fcn", "run1", remove_if_fail=True
        ) as pm,
    ):
        (pm.get("checkpoints") / "epoch1.pt").write_text("weights")
        raise RuntimeError("loss diverged")
    assert tree(tmp_path / "exp") == ["logs", "logs/older-run.txt"]


def test_failure_removes_a_base_folder_it_created(tmp_path: Path) -> None:
    with (
        pytest.raises(KeyboardInterrupt),
        PathManager(tmp_path / "new", ["logs"], "cfg", "i", remove_if_fail=True),
    ):
        raise KeyboardInterrupt
    assert not (tmp_path / "new").exists()


def test_failure_keeps_folders_without_remove_if_fail(tmp_path: Path) -> None:
    with pytest.raises(ValueError), PathManager(tmp_path, ["logs"], "cfg", "i") as pm:
        raise ValueError("boom")
    assert (tmp_path / "logs" / "cfg" / "i").is_dir()
    assert pm.get("logs") == tmp_path / "logs" / "cfg" / "i"


def test_existing_instance_folder_is_an_error_and_nothing_is_left(tmp_path: Path) -> None:
    (tmp_path / "logs" / "cfg" / "run1").mkdir(parents=True)
    pm = PathManager(tmp_path, ["checkpoints", "logs"], "cfg", "run1")
    with pytest.raises(FileExistsError, match="run1' already exists; choose another"):
        pm.__enter__()
    assert tree(tmp_path) == ["logs", "logs/cfg", "logs/cfg/run1"]


def test_existing_ok_folder_is_never_removed(tmp_path: Path) -> None:
    old = tmp_path / "logs" / "cfg" / "run1"
    old.mkdir(parents=True)
    (old / "metrics.json").write_text("{}")
    with (
        pytest.raises(OSError),
        PathManager(
            tmp_path,
            ["logs", "ckpt"],
            "cfg",
            "run1",
            remove_if_fail=True,
            sub_folder_exist_ok=True,
        ),
    ):
        raise OSError("disk full")
    assert tree(tmp_path) == ["logs", "logs/cfg", "logs/cfg/run1", "logs/cfg/run1/metrics.json"]


def test_dataclass_sub_folders(tmp_path: Path) -> None:
    @dataclass
    class SubPath:
        ckpt: str = "checkpoints"
        logs: str = "logs"

    with PathManager(tmp_path, SubPath(), "cfg", "i") as pm:
        assert pm.get("ckpt") == pm.get("checkpoints") == tmp_path / "checkpoints" / "cfg" / "i"
        assert pm.get("logs").is_dir()  # type: ignore[union-attr]


def test_unknown_sub_folder_and_not_created_yet(tmp_path: Path) -> None:
    pm = PathManager(tmp_path, ["logs"], "cfg", "i")
    with pytest.raises(KeyError, match="not created yet"):
        pm.get("logs")
    with (
        pm,
        pytest.raises(KeyError, match=r"'log' is not a sub folder; expected one of \['logs'\]"),
    ):
        pm.get("log")


def test_default_instance_name_is_a_timestamp(tmp_path: Path) -> None:
    pm = PathManager(tmp_path, ["logs"], "cfg")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}", pm.instance_name)


@pytest.mark.parametrize(
    ("sub_folders", "config_name", "message"),
    [
        (["../outside"], "cfg", "invalid sub folder '../outside'"),
        (["/abs"], "cfg", "invalid sub folder '/abs'"),
        (["logs"], "", "invalid config_name ''"),
        ("logs", "cfg", "sub_folders must be a list of folder names or a dataclass"),
    ],
)
def test_invalid_arguments(
    tmp_path: Path, sub_folders: object, config_name: str, message: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        PathManager(tmp_path, sub_folders, config_name, "i")
