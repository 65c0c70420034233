"""The language server's diagnostics on upstream-style configs: the index written by
``excore schema dump``, the server's document store and family scan, the one checker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from excore.cli.main import main

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compat") / "ws"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("__pycache__", ".excore"))
    assert main(["schema", "dump", "--workspace", str(root)]) == 0
    return root


def server_problems(root: Path, rel: str) -> list[tuple[str, int]]:
    from excore_ls.analysis.documents import DocumentStore, path_to_uri
    from excore_ls.analysis.fragments import FamilyScanner
    from excore_ls.analysis.index_state import IndexState
    from excore_ls.features import diagnostics

    path = root / rel
    text = path.read_text(encoding="utf-8")
    documents = DocumentStore()
    documents.open(path_to_uri(path), text, 1)
    loaded = IndexState(None).for_file(path)
    assert loaded is not None and loaded.index is not None
    family = FamilyScanner(documents).family(loaded.root)
    found = diagnostics.problems_of(
        str(path), text, loaded, documents.read_text, family, lambda: None
    )
    return [(p.code, p.start) for p in found if p.severity.value == "error"]


@pytest.mark.parametrize(
    "rel",
    [
        "configs/isolated.toml",
        "configs/scratchpads.toml",
        "configs/group_from_base.toml",
        "configs/dict_param.toml",
        "configs/field_hooks.toml",
        "configs/class_only.toml",
    ],
)
def test_valid_upstream_style_configs_have_no_diagnostics(workspace: Path, rel: str) -> None:
    assert server_problems(workspace, rel) == []


def test_server_reports_the_misspelt_field(workspace: Path) -> None:
    text = (workspace / "configs/misspelt.toml").read_text(encoding="utf-8")
    assert server_problems(workspace, "configs/misspelt.toml") == [
        ("unknown-field", text.index("[Modle") + 1)
    ]


def test_server_reports_a_bad_hook_table(workspace: Path) -> None:
    path = workspace / "configs" / "bad_hook.toml"
    text = '[Model.Holder]\n"@cls" = "$Model@$Hooks::Tag"\n[Hooks.Twice]\n'
    path.write_text(text, encoding="utf-8")
    try:
        assert server_problems(workspace, "configs/bad_hook.toml") == [
            ("unknown-hook", text.index("Hooks::Tag"))
        ]
    finally:
        path.unlink()
