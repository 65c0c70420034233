"""The index file format: JSON round trip, compact records, lookups below registered Python
modules, the root of a custom index folder, and --check's comparison of two index texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from excore.schema.dump import compare, dump_json
from excore.schema.index import (
    IndexError_,
    RegistryInfo,
    WorkspaceIndex,
    index_from_json,
    index_to_json,
    load_index,
)
from excore.signatures import MemberInfo, ModuleInfo, ParamInfo


def sample_index() -> WorkspaceIndex:
    resnet = ModuleInfo(
        "ResNet",
        "Backbone",
        "class",
        "seg.backbones:ResNet",
        file="src/seg/backbones.py",
        line=12,
        signature="(depth: int = 18)",
        params=[ParamInfo("depth", json_type=["integer"], has_default=True, default=18)],
        members=[MemberInfo("parameters", "method", "()", "Parameters.")],
        bases=["torch.nn.modules.module:Module"],
    )
    torch = ModuleInfo(
        "torch",
        "Module",
        "module",
        "torch",
        members=[MemberInfo("nn", "module"), MemberInfo("zeros", "function", summary="Zeros.")],
    )
    nn = ModuleInfo(
        "torch.nn",
        "Module",
        "module",
        "torch.nn",
        members=[MemberInfo("ReLU", "class"), MemberInfo("functional", "module")],
    )
    relu = ModuleInfo("torch.nn.ReLU", "Module", "class", "torch.nn.modules.activation:ReLU")
    return WorkspaceIndex(
        registries={
            "Backbone": RegistryInfo("Backbone", ["family"], {"ResNet": resnet}),
            "Module": RegistryInfo("Module", [], {"torch": torch}),
        },
        fields={"Model": "Backbone"},
        workspace_name="seg",
        python_modules={"torch.nn": nn, "torch.nn.ReLU": relu},
        sources={"src/seg/backbones.py": "0" * 64},
    )


def test_round_trip_keeps_everything_and_writes_compact_records() -> None:
    index = sample_index()
    data = index_to_json(index)
    param = data["registries"]["Backbone"]["modules"]["ResNet"]["params"][0]
    assert param == {
        "name": "depth",
        "kind": "positional",
        "json_type": ["integer"],
        "has_default": True,
        "default": 18,
    }  # fields at their default value are left out
    back = index_from_json(json.loads(dump_json(data)), root="/ws")
    assert back.registries == index.registries
    assert back.python_modules == index.python_modules
    assert back.sources == index.sources and back.fields == index.fields
    assert back.root == "/ws" and back.index_dir == ".excore"


def test_lookups_below_a_registered_python_module() -> None:
    index = sample_index()
    relu = index.lookup("torch.nn.ReLU")
    assert relu is not None and relu.target == "torch.nn.modules.activation:ReLU"
    zeros = index.lookup("torch.zeros")  # a listed function: known, signature unknown
    assert zeros is not None and zeros.kind == "function" and not zeros.signature_known
    assert zeros.summary == "Zeros."
    deeper = index.lookup("torch.nn.functional.relu")  # below a module the dump did not walk
    assert deeper is not None and not deeper.signature_known
    assert index.lookup("torch.nn.NoSuchLayer") is None  # a walked module without it
    assert index.lookup("torch.nope.X") is None
    assert index.lookup("numpy.zeros") is None  # numpy is not registered
    assert index.lookup("torch.nn.ReLU", "Backbone") is None  # registered in another registry


def test_load_index_finds_the_root_of_a_custom_index_folder(tmp_path: Path) -> None:
    index = sample_index()
    index.index_dir = "build/index"
    folder = tmp_path / "build" / "index"
    folder.mkdir(parents=True)
    (folder / "index.json").write_text(dump_json(index_to_json(index)))
    assert load_index(folder / "index.json").root == str(tmp_path)


def test_load_index_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "index.json"
    path.write_text('{"version": 1,\n "registries": }')
    with pytest.raises(IndexError_, match=r"index.json:2:16: the index is not valid JSON"):
        load_index(path)
    path.write_text('{"version": 99}')
    with pytest.raises(IndexError_, match="unsupported index version 99"):
        load_index(path)


def test_compare_names_what_changed() -> None:
    old = dump_json(index_to_json(sample_index()))
    changed = sample_index()
    resnet = changed.registries["Backbone"].modules["ResNet"]
    resnet.signature = "(depth: int = 50)"
    resnet.params[0].default = 50
    changed.registries["Backbone"].modules["UNet"] = ModuleInfo(
        "UNet", "Backbone", "class", "seg.unet:UNet"
    )
    del changed.registries["Module"].modules["torch"]
    lines = compare(old, dump_json(index_to_json(changed)))
    assert lines == [
        "changed signature of Backbone.ResNet: depth=18 -> depth=50",
        "new class Backbone.UNet (seg.unet:UNet)",
        "removed module Module.torch (torch)",
    ]
    assert compare(old, old) == []
    assert compare(None, old) == ["missing (never dumped)"]


def test_compare_ignores_where_packages_are_installed() -> None:
    here, there = sample_index(), sample_index()
    here.python_modules["torch.nn.ReLU"].file = "/usr/lib/python3/site-packages/torch/nn/a.py"
    there.python_modules["torch.nn.ReLU"].file = "C:\\venv\\Lib\\site-packages/torch/nn/a.py"
    assert compare(dump_json(index_to_json(here)), dump_json(index_to_json(there))) == []


def test_entries_are_built_on_first_access_and_survive_a_bad_one(tmp_path: Path) -> None:
    from excore.schema.index import LazyModules, load_index

    data = {
        "version": 1,
        "registries": {
            "Model": {
                "modules": {
                    "Net": {"name": "Net", "registry": "Model", "kind": "class", "target": "m:Net"},
                    "Bad": {"name": "Bad", "registry": "Model", "kind": "class", "params": 3},
                }
            }
        },
    }
    path = tmp_path / ".excore" / "index.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    index = load_index(path)
    modules = index.registries["Model"].modules
    assert isinstance(modules, LazyModules)
    assert isinstance(dict.__getitem__(modules, "Net"), dict)  # not built yet
    net = index.lookup("Net")
    assert net is not None and net.target == "m:Net"
    bad = index.lookup("Bad")
    assert bad is not None and not bad.signature_known  # kept by name, never an exception


def test_entries_with_fields_a_newer_version_added_still_load() -> None:
    data = index_to_json(sample_index())
    resnet = data["registries"]["Backbone"]["modules"]["ResNet"]
    resnet["added_later"] = {"x": 1}
    resnet["params"][0]["added_later"] = True
    resnet["members"][0]["added_later"] = "y"
    back = index_from_json(json.loads(dump_json(data)), root="/ws")
    assert (
        back.registries["Backbone"].modules["ResNet"]
        == (sample_index().registries["Backbone"].modules["ResNet"])
    )
