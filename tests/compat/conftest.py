"""Upstream-compatibility tests: configs written in upstream ExCore's style under fixtures/."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from excore import config

FIXTURES = Path(__file__).parent / "fixtures"
CONFIGS = FIXTURES / "configs"
if str(FIXTURES) not in sys.path:  # the workspace's src_paths (compatpkg), as loading does
    sys.path.insert(0, str(FIXTURES))


@pytest.fixture(autouse=True)
def _clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from excore import workspace

    monkeypatch.delenv("EXCORE_WORKSPACE", raising=False)
    monkeypatch.delenv("EXCORE_VALIDATE", raising=False)
    monkeypatch.delenv("EXCORE_MANUAL_SET", raising=False)
    config.set_primary_fields(None)
    switches = {name: getattr(workspace, name) for name in workspace.SWITCHES}
    yield
    for name, value in switches.items():
        setattr(workspace, name, value)
    config.set_primary_fields(None)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A config file inside the compat workspace's folder tree is not needed: tests pass
    ``workspace=FIXTURES``."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
