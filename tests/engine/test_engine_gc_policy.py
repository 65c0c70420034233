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
        "gc.enable()\n"
        "sys.argv = ['excore', 'run', '--help']\n"
        "m.main()\n"
        "print(gc.isenabled())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    lines = [line for line in out.stdout.splitlines() if line in ("True", "False")]
    # as a library: untouched; as the process: off; a long-running command: left on
    assert lines == ["True", "False", "True"], out.stdout + out.stderr


def test_only_the_entry_points_switch_the_collector() -> None:
    """``gc.disable``/``enable``/``freeze``/thresholds appear only in the two process entry
    points (``excore/cli/main.py``, ``excore_ls/__main__.py``)."""
    import re

    repo = Path(__file__).resolve().parents[2]
    allowed = {repo / "excore" / "cli" / "main.py", repo / "excore_ls" / "__main__.py"}
    switch = re.compile(r"\bgc\.(disable|enable|freeze|unfreeze|set_threshold)\(")
    found = [
        f"{path.relative_to(repo)}:{n}"
        for package in ("excore", "excore_ls")
        for path in sorted((repo / package).rglob("*.py"))
        if path not in allowed
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if switch.search(line)
    ]
    assert found == []
