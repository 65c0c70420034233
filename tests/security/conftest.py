"""The security tests import their own workspaces (``fixtures/ws``, ``examples/``): leave no
registries, modules or ``sys.path`` entries of theirs behind for other tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from excore import Registry

HERE = Path(__file__).parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))  # the corpus module ``escapes``


@pytest.fixture(scope="module", autouse=True)
def _forget_workspaces_afterwards() -> Iterator[None]:
    path, modules, registries = list(sys.path), set(sys.modules), set(Registry.registries())
    yield
    sys.path[:] = path
    roots = (str(HERE / "fixtures"), str(REPO / "examples"))
    for name in set(sys.modules) - modules:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file.startswith(roots) or name == "victim" or name.startswith("victim."):
            del sys.modules[name]
    for name in set(Registry.registries()) - registries:
        Registry.remove_registry(name)
