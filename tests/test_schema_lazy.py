"""Lazy registries: with a fresh index, only the targets a config uses are imported.

``ws_lazy`` has one pure-Python module and one that imports torch, both registering into the
same registry. After ``excore schema dump``, building the pure module must not import torch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from excore.schema.index import RegistryInfo, WorkspaceIndex
from excore.schema.lazy import import_targets_for
from excore.signatures import MemberInfo, ModuleInfo

FIXTURES = Path(__file__).parent / "fixtures" / "schema"


def dump_in_process(root: Path, packages: tuple[str, ...]) -> None:
    """``excore schema dump`` for ``root`` in this process, then forget what it imported."""
    from excore.registry import Registry
    from excore.schema.dump import build_index, render, write_texts
    from excore.workspace import load_workspace

    saved_path = list(sys.path)
    saved_pool, saved_globals = Registry._pool, Registry._globals
    Registry._pool, Registry._globals = {}, None  # as in a fresh process
    try:
        workspace = load_workspace(root / "excore.toml")
        write_texts(workspace.index_dir, render(build_index(workspace)).texts)
    finally:
        for name in [m for m in sys.modules if m.partition(".")[0] in packages]:
            del sys.modules[name]
        Registry._pool, Registry._globals = saved_pool, saved_globals
        sys.path[:] = saved_path


@pytest.fixture(scope="module")
def lazy_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    pytest.importorskip("torch")
    root = tmp_path_factory.mktemp("lazy") / "ws"
    shutil.copytree(FIXTURES / "ws_lazy", root)
    dump_in_process(root, ("lazy_pkg",))
    yield root


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )


PREPARE = """
import sys
from excore.workspace import load_workspace
from excore.schema.lazy import prepare_registries
workspace = load_workspace("excore.toml")
print(prepare_registries(workspace))
"""


def test_fresh_index_builds_a_pure_module_without_importing_torch(lazy_ws: Path) -> None:
    code = PREPARE + (
        "from excore.registry import Registry\n"
        "things = Registry.get_registry('LazyThing')\n"
        "print(sorted(things), things['Tensorish'])\n"
        "print(things.get_object('Plain')(size=3).size)\n"
        "print('torch' in sys.modules, 'lazy_pkg.heavy' in sys.modules)\n"
    )
    done = run_python(code, lazy_ws)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "index",
        "['Plain', 'Tensorish'] lazy_pkg.heavy:Tensorish",  # registered, not imported
        "3",
        "False False",
    ]
    assert done.stderr == ""  # nothing logged: the index is fresh


def test_import_targets_for_names_of_a_config(lazy_ws: Path) -> None:
    from excore.schema.index import load_index

    index = load_index(lazy_ws / ".excore" / "index.json")
    assert import_targets_for(["Plain"], index) == ["lazy_pkg.pure"]
    assert import_targets_for(["Plain", "Tensorish", "Nope"], index) == [
        "lazy_pkg.heavy",
        "lazy_pkg.pure",
    ]


def test_import_targets_below_a_registered_python_module() -> None:
    torch_entry = ModuleInfo("torch", "Module", "module", "torch")
    nn = ModuleInfo(
        "torch.nn",
        "Module",
        "module",
        "torch.nn",
        members=[MemberInfo("ReLU", "class"), MemberInfo("functional", "module")],
    )
    relu = ModuleInfo("torch.nn.ReLU", "Module", "class", "torch.nn.modules.activation:ReLU")
    index = WorkspaceIndex(
        registries={"Module": RegistryInfo("Module", [], {"torch": torch_entry})},
        python_modules={"torch.nn": nn, "torch.nn.ReLU": relu},
    )
    assert import_targets_for(["torch.nn.ReLU"], index) == ["torch.nn.modules.activation"]
    assert import_targets_for(["torch.nn.functional.relu"], index) == ["torch.nn"]
    assert import_targets_for(["torch"], index) == ["torch"]


@pytest.fixture
def small_ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "ws_small", root)
    dump_in_process(root, ("toy",))
    return root


def test_stale_index_falls_back_to_importing_with_one_log_line(small_ws: Path) -> None:
    parts = small_ws / "src" / "toy" / "parts.py"
    parts.write_text(parts.read_text() + "\n# edited\n")
    code = PREPARE + "print(prepare_registries(workspace))\nprint('toy.parts' in sys.modules)\n"
    done = run_python(code, small_ws)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["import", "import", "True"]
    assert done.stderr.count("\n") == 1, done.stderr  # said once, in one line
    assert "importing the whole workspace" in done.stderr
    assert "src/toy/parts.py changed since the last `excore schema dump`" in done.stderr


def test_missing_index_falls_back_quietly(small_ws: Path) -> None:
    shutil.rmtree(small_ws / ".excore")
    done = run_python(PREPARE, small_ws)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["import"]
    assert done.stderr == ""  # an INFO line: shown only when excore's logging is turned on


def test_live_source_answers_from_a_fresh_index_without_importing(lazy_ws: Path) -> None:
    code = PREPARE + (
        "from excore.describe import LiveSource\n"
        "from excore.schema.lazy import load_fresh_index\n"
        "index, reason = load_fresh_index(workspace)\n"
        "source = LiveSource(index=index)\n"
        "info = source.lookup('Tensorish')\n"
        "print(info.kind, info.file, [p.name for p in info.params])\n"
        "print(source.lookup('Nope'))\n"
        "print('torch' in sys.modules, 'lazy_pkg.heavy' in sys.modules)\n"
    )
    done = run_python(code, lazy_ws)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "index",
        "class src/lazy_pkg/heavy.py ['size']",
        "None",
        "False False",
    ]


def test_config_load_and_build_all_of_a_pure_config_never_import_torch(lazy_ws: Path) -> None:
    code = (
        "import sys\n"
        "from excore import config\n"
        "cfg = config.load('configs/pure.toml')\n"
        "modules, run_info = config.build_all(cfg)\n"
        "print(type(modules.Thing).__name__, modules.Thing.size)\n"
        "print('torch' in sys.modules, 'lazy_pkg.heavy' in sys.modules)\n"
    )
    done = run_python(code, lazy_ws)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Plain 3", "False False"]


def test_excore_check_with_a_fresh_index_imports_nothing(lazy_ws: Path) -> None:
    code = (
        "import sys\n"
        "from excore.cli.main import main\n"
        "code = main(['check', 'configs/pure.toml'])\n"
        "print(code, 'lazy_pkg.pure' in sys.modules, 'torch' in sys.modules)\n"
    )
    done = run_python(code, lazy_ws)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 False False"
