"""Paths of the engine tests' fixtures (a module with a unique name, importable by the tests)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
CONFIGS = FIXTURES / "configs"
REPO = Path(__file__).resolve().parents[2]


def cfg_path(name: str) -> Path:
    return CONFIGS / name
