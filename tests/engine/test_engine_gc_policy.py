"""The collector belongs to the user's process: ``config.load``, ``build_all`` and the schema dump
called as a library leave ``gc`` as they found it (enabled or not, nothing frozen). Only the
``excore`` and ``excore-ls`` processes set their own policy, at their entry points."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_paths import FIXTURES, cfg_path

from excore import config


@pytest.fixture(params=[True, False], ids=["collector-on", "collector-off"])
def collector(request: pytest.FixtureRequest) -> Iterator[bool]:
    was = gc.isenabled()
    if request.param:
        gc.enable()
    else:
        gc.disable()
    yield bool(request.param)
    if was:
        gc.enable()
    else:
        gc.disable()


def _state() -> tuple[bool, int]:
    return gc.isenabled(), gc.get_freeze_count()


def _unchanged(run: Callable[[], object]) -> None:
    """``run`` leaves the collector as it was, and moves none of the caller's young objects to
    an older generation (as ``gc.freeze(); gc.unfreeze()`` would) unless a collection ran."""
    before = _state()
    marker = [object()]  # a young object of the caller's
    young = any(o is marker for o in gc.get_objects(generation=0))
    run()
    assert _state() == before
    if not before[0] and young:  # no collection could have run: it must still be young
        assert any(o is marker for o in gc.get_objects(generation=0))


def test_load_and_build_all_leave_the_collector_alone(collector: bool) -> None:
    assert gc.isenabled() is collector
    cfg: list[object] = []
    _unchanged(lambda: cfg.append(config.load(cfg_path("compose/expr_child.toml"))))
    _unchanged(lambda: config.build_all(cfg[0]))  # type: ignore[arg-type]


def test_check_leaves_the_collector_alone(collector: bool) -> None:
    from excore.config.check import check_config

    source = config.live_source(None)
    _unchanged(lambda: check_config(str(cfg_path("compose/expr_child.toml")), source))


def test_schema_dump_as_a_library_leaves_the_collector_alone(
    collector: bool, tmp_path: Path
) -> None:
    from excore.schema.dump import build_index, render
    from excore.workspace import load_workspace

    workspace = load_workspace(FIXTURES / "excore.toml")
    _unchanged(lambda: render(build_index(workspace)))


def test_the_excore_process_sets_its_own_policy(tmp_path: Path) -> None:
    code = (
        "import gc, sys\n"
        "from excore.cli import main as m\n"
        "m.main(['--version'])\n"
        "print(gc.isenabled())\n"
        "sys.argv = ['excore', '--version']\n"
        "m.main()\n"
        "print(gc.isenabled())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    lines = [line for line in out.stdout.splitlines() if line in ("True", "False")]
    assert lines == ["True", "False"], out.stdout + out.stderr
