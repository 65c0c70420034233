"""Fixtures of the editor end-to-end tests (helpers in editor_support.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from editor_support import VENV_BIN, Scenario, build_scenario, fresh_workspace, skip_reason


@pytest.fixture
def editor_env(tmp_path: Path) -> dict[str, str]:
    """Environment of an editor process: XDG dirs in tmp, this virtualenv's bin/ first on PATH."""
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        directory = tmp_path / "xdg" / var.lower()
        directory.mkdir(parents=True, exist_ok=True)
        env[var] = str(directory)
    env["HOME"] = str(tmp_path / "home")
    Path(env["HOME"]).mkdir(exist_ok=True)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV_BIN.parent)
    return env


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """One fresh copy of the workspace (and one index dump) per test module."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    return build_scenario(fresh_workspace(tmp_path_factory.mktemp("scenario")))
