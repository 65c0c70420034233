"""The stale-index warning: on the first header naming a module whose source file changed."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import ls_fixture_index

from excore.schema.index import index_to_json
from excore_ls.analysis.index_state import IndexState
from excore_ls.features.diagnostics import stale_problems

WORKSPACE = Path(__file__).parent / "fixtures" / "ws"
OTHER_SOURCE = "src/toy/optim.py"  # SGD's source in this test; unchanged since the dump


def workspace_with_a_changed_source(tmp_path: Path) -> Path:
    """The toy workspace whose index says SGD comes from another file than the rest, with
    ``src/toy/models.py`` (the rest) edited after the dump."""
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    (root / OTHER_SOURCE).write_text("class SGD: ...\n", encoding="utf-8")
    index = ls_fixture_index.build(root)
    index.registries["Optimizer"].modules["SGD"].file = OTHER_SOURCE
    path = root / ".excore" / "index.json"
    path.parent.mkdir()
    path.write_text(json.dumps(index_to_json(index)), encoding="utf-8")
    dumped = path.stat().st_mtime
    os.utime(root / OTHER_SOURCE, (dumped - 60, dumped - 60))
    later = time.time() + 60
    os.utime(root / ls_fixture_index.SOURCE, (later, later))
    return root


def test_the_warning_names_the_first_module_of_a_changed_source(tmp_path: Path) -> None:
    root = workspace_with_a_changed_source(tmp_path)
    config = root / "configs" / "main.toml"
    text = config.read_text(encoding="utf-8")
    loaded = IndexState().for_file(config)
    assert loaded is not None and loaded.index is not None
    loaded.index.lookup("BnWeightDecayHook")  # an entry already looked at, others not yet

    found = stale_problems(str(config), text, loaded)

    # [Optimizer.SGD] comes first, but SGD's source did not change
    assert [(p.code, text[p.start : p.end]) for p in found] == [
        ("stale-index", "BnWeightDecayHook")
    ]
    assert "models.py" in found[0].message and "optim.py" not in found[0].message


def test_no_warning_when_no_source_changed(tmp_path: Path) -> None:
    root = workspace_with_a_changed_source(tmp_path)
    dumped = (root / ".excore" / "index.json").stat().st_mtime
    os.utime(root / ls_fixture_index.SOURCE, (dumped - 60, dumped - 60))
    config = root / "configs" / "main.toml"
    loaded = IndexState().for_file(config)

    assert stale_problems(str(config), config.read_text(encoding="utf-8"), loaded) == []


def test_a_workspace_file_created_later_is_found_once_watched_files_say_so(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    workspace_file = root / "excore.toml"
    text = workspace_file.read_text(encoding="utf-8")
    workspace_file.unlink()
    config = root / "configs" / "main.toml"
    state = IndexState()
    assert state.for_file(config) is None
    assert [n.key for n in state.take_notices()] == ["no-workspace"]

    workspace_file.write_text(text, encoding="utf-8")  # `excore init`, say
    assert state.for_file(config) is None  # the search is remembered ...
    state.invalidate(workspace_file)  # ... until the editor reports the new file
    loaded = state.for_file(config)
    assert loaded is not None and loaded.root == root.resolve()


def test_the_server_knows_the_workspace_file_names_of_the_engine() -> None:
    from excore.workspace import WORKSPACE_FILES
    from excore_ls.analysis.index_state import WORKSPACE_FILE_NAMES

    assert WORKSPACE_FILE_NAMES == WORKSPACE_FILES
