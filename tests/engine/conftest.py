"""Shared helpers of the engine tests: fixture configs live under fixtures/configs/.

The fixtures folder is a workspace (fixtures/excore.toml) whose registries (package ``engpkg``)
are pure Python, so these tests do not need torch (except the ones marked ``torch``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from excore import config


@pytest.fixture(autouse=True)
def _clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("EXCORE_WORKSPACE", raising=False)
    monkeypatch.delenv("EXCORE_VALIDATE", raising=False)
    monkeypatch.delenv("EXCORE_MANUAL_SET", raising=False)
    monkeypatch.setenv("EXCORE_TEST_ROOT", "/data")
    config.set_primary_fields(None)
    yield
    config.set_primary_fields(None)
