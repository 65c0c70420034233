"""Editing keeps no state per version: what is alive after 250 edits is what was alive after
50 (futures of handled notifications, parsed versions of the document, problems), and a check
leaves the garbage made before it where the collector's young generations free it."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import weakref
from pathlib import Path

import ls_fixture_index

from excore.config.check import check_config
from excore.schema.index import load_index

HERE = Path(__file__).parent
REPO = HERE.parents[1]
EDITS = 250
# kinds of objects made per version of a document (or per handled message) by the server
PER_VERSION = ["Future", "Entry", "Param", "Problem", "KeyPart", "Section", "Condition"]


def test_edits_leave_no_state_per_version(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(HERE / "fixtures" / "ws", root)
    ls_fixture_index.write(root)
    config = root / "configs" / "main.toml"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))
    run = subprocess.run(
        [sys.executable, str(HERE / "memory_harness.py"), str(root), str(config), str(EDITS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    grown = {
        name: counts.get(name, [0, 0])
        for name in PER_VERSION
        if counts.get(name, [0, 0])[1] > counts.get(name, [0, 0])[0] + 10
    }
    assert grown == {}, f"alive after {EDITS // 5} edits -> after {EDITS}: {grown}"
    assert counts["Entry"][1] > 0  # the harness did see the document's nodes


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _in_generation(obj: object, generation: int) -> bool:
    return any(o is obj for o in gc.get_objects(generation=generation))


def test_a_check_leaves_older_garbage_to_the_young_collections(tmp_path: Path) -> None:
    """The checker pauses the collector, but must not move what exists into the oldest
    generation: garbage cycles made before it (a previous version's analysis) would stay there
    until a full collection, which such moves never bring about."""
    root = tmp_path / "ws"
    shutil.copytree(HERE / "fixtures" / "ws", root)
    source = load_index(ls_fixture_index.write(root), root)
    config = root / "configs" / "main.toml"
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        gc.collect()
        garbage = _Cycle()
        ref = weakref.ref(garbage)
        del garbage  # unreachable, but a cycle: only the collector frees it
        check_config(config, source)
        left = ref()
        # freed by a young collection during the check, or still young: never promoted alive
        assert left is None or not _in_generation(left, 2)
        del left
    finally:
        if not was_enabled:
            gc.disable()
