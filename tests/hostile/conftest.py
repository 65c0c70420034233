"""Hostile and extreme input: each test is one repro from issue 14, asserting the clean outcome
(a located message, the exit code, no traceback, no data lost) within a generous time bound."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty workspace (``excore.toml`` without registries) as the current folder."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "excore.toml").write_text('name = "hostile"\n', encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.delenv("EXCORE_WORKSPACE", raising=False)
    yield root
