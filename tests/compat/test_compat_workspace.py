"""Upstream ExCore's ``.excore.toml`` opens as a workspace; ``excore init --from-upstream``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from excore import config
from excore.cli.main import main
from excore.registry import Registry
from excore.workspace import find_workspace, load_workspace

UPSTREAM = """\
name = "upproj"
src_dir = "uppkg"
cache_base_dir = "/home/me/.cache/excore/"
cache_dir = "/home/me/.cache/excore/upproj"
registry_cache_file = "/home/me/.cache/excore/upproj/registry_cache.pkl"
json_schema_file = "/home/me/.cache/excore/upproj/excore_schema.json"
class_mapping_file = "/home/me/.cache/excore/upproj/class_mapping.json"
registries = ["*UpModel: Model, Backbone", "*UpData: TrainData", "UpHead"]
primary_fields = []
excore_validate = true
excore_manual_set = true
excore_log_build_message = false

[primary_to_registry]

[json_schema_fields]
Model = "UpModel"

[props]
"""

PKG_INIT = """\
from excore import Registry

MODEL = Registry("UpModel")
DATA = Registry("UpData")
HEAD = Registry("UpHead")
"""

PKG_NETS = """\
from uppkg import DATA, HEAD, MODEL


@MODEL.register()
class UpNet:
    def __init__(self, head, depth: int = 1):
        self.head = head
        self.depth = depth


@HEAD.register()
class UpLinear:
    def __init__(self, width: int):
        self.width = width


@DATA.register()
class UpSet:
    def __init__(self, root: str):
        self.root = root
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / ".excore.toml").write_text(UPSTREAM, encoding="utf-8")
    pkg = tmp_path / "uppkg" / "models"
    pkg.mkdir(parents=True)
    (tmp_path / "uppkg" / "__init__.py").write_text(PKG_INIT, encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "nets.py").write_text(PKG_NETS, encoding="utf-8")
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "run.toml").write_text(
        '[Model.UpNet]\n"!head" = "$Heads"\ndepth = 3\n\n[Heads.UpLinear]\nwidth = 8\n\n'
        '[TrainData.UpSet]\nroot = "/data"\n\n[run.info]\nmode = "train"\n',
        encoding="utf-8",
    )
    saved = list(sys.path)
    yield tmp_path
    sys.path[:] = saved
    for name in [m for m in sys.modules if m == "uppkg" or m.startswith("uppkg.")]:
        del sys.modules[name]
    for name in ("UpModel", "UpData", "UpHead"):
        Registry.remove_registry(name)


def test_upstream_workspace_file_is_read(project: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="excore"):
        ws = find_workspace(project / "configs" / "run.toml")
    assert ws is not None and ws.file.name == ".excore.toml" and ws.name == "upproj"
    # every module below src_dir is imported, as upstream's `excore auto-register`
    assert ws.imports == ["uppkg", "uppkg.models", "uppkg.models.nets"]
    # "*UpModel: Model, Backbone" and "*UpData: TrainData" give the primary fields
    assert ws.primary_fields == {"Model": "UpModel", "Backbone": "UpModel", "TrainData": "UpData"}
    # what it cannot express is reported with its line
    notes = {(n.key, n.line) for n in ws.notes}
    assert ("cache_dir", 4) in notes and ("json_schema_fields", 16) in notes
    assert ("props", 20) not in notes  # an empty table says nothing
    assert "/.excore.toml:4:1: note: 'cache_dir' is not used" in caplog.text

    modules, run_info = config.build_all(config.load(project / "configs" / "run.toml"))
    assert type(modules.Model).__name__ == "UpNet" and modules.Model.depth == 3
    assert modules.Model.head.width == 8 and modules.TrainData.root == "/data"
    assert run_info == {"run": {"info": {"mode": "train"}}}


def test_upstream_validate_switch_in_the_file(project: Path) -> None:
    text = UPSTREAM.replace("excore_validate = true", "excore_validate = false")
    (project / ".excore.toml").write_text(text, encoding="utf-8")
    (project / "configs" / "bad.toml").write_text("[Model.UpNet]\n", encoding="utf-8")
    from excore.errors import ModuleBuildError, ModuleValidateError

    with pytest.raises(ModuleBuildError) as info:  # the constructor's own error: no validation
        config.build_all(config.load(project / "configs" / "bad.toml"))
    assert not isinstance(info.value, ModuleValidateError)


def test_excore_toml_wins_over_upstream_file(project: Path) -> None:
    (project / "excore.toml").write_text('name = "mine"\n', encoding="utf-8")
    ws = find_workspace(project)
    assert ws is not None and ws.file.name == "excore.toml"


def test_init_from_upstream_writes_the_equivalent_excore_toml(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(project), "--from-upstream"]) == 0
    err = capsys.readouterr().err
    assert ".excore.toml:5:1: note: 'registry_cache_file' is not used" in err
    written = load_workspace(project / "excore.toml")
    upstream = load_workspace(project / ".excore.toml")
    assert written.name == upstream.name == "upproj"
    assert written.imports == upstream.imports
    assert written.primary_fields == upstream.primary_fields
    assert written.src_paths == [project.resolve()]
    # and it is the workspace from now on
    assert main(["init", str(project), "--from-upstream"]) == 1  # exists: needs --force
    assert "already exists" in capsys.readouterr().err


def test_init_from_upstream_without_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--from-upstream"]) == 1
    assert "no .excore.toml" in capsys.readouterr().err


def test_registry_load_imports_the_workspace_of_the_current_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import excore
    from excore.registry import RegistryError

    monkeypatch.chdir(project)
    excore.load_registries()
    assert "UpNet" in Registry.get_registry("UpModel")
    assert Registry.find("UpLinear") == ("uppkg.models.nets.UpLinear", "UpHead")
    with pytest.raises(RegistryError, match="excore schema dump"):
        Registry.dump()
    monkeypatch.chdir(project.parent)
    monkeypatch.setenv("EXCORE_WORKSPACE", "")
    assert find_workspace(None) is None
    with pytest.raises(RegistryError, match="no workspace"):
        Registry.load()
