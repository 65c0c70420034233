"""Registry: names → import targets, imported lazily."""

from __future__ import annotations

import itertools
import pickle
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from excore.registry import Registry, RegistryError, import_target, target_of

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
_counter = itertools.count()


@pytest.fixture
def new_registry() -> Iterator:
    """Makes registries with fresh names and forgets them afterwards."""
    made: list[str] = []

    def make(prefix: str = "Reg", extra_field: str | list[str] | None = None) -> Registry:
        name = f"T{prefix}{next(_counter)}"
        made.append(name)
        return Registry(name, extra_field=extra_field)

    yield make
    for name in made:
        Registry.remove_registry(name)


class ResNet:
    """A class defined at module level, so its import target can be imported."""


def build_head(channels: int = 3) -> int:
    return channels


def test_one_instance_per_name(new_registry) -> None:
    reg = new_registry("Model")
    assert Registry(reg.name) is reg
    assert Registry.get_registry(reg.name) is reg
    assert Registry.registries()[reg.name] is reg
    assert Registry.get_registry("TNoSuchRegistry", default="fallback") == "fallback"


def test_register_stores_import_targets(new_registry) -> None:
    reg = new_registry()
    assert reg.register()(ResNet) is ResNet
    reg.register()(build_head)
    assert reg["ResNet"] == f"{__name__}:ResNet"
    assert reg["build_head"] == f"{__name__}:build_head"
    assert isinstance(reg, dict)
    assert reg.get_object("ResNet") is ResNet
    assert import_target(reg["build_head"]) is build_head


def test_register_with_name_override(new_registry) -> None:
    reg = new_registry()
    reg.register(name="Backbone18")(ResNet)
    assert "Backbone18" in reg and "ResNet" not in reg
    assert reg.get_object("Backbone18") is ResNet


def test_register_twice_same_target_is_allowed(new_registry) -> None:
    reg = new_registry()
    reg.register()(ResNet)
    reg.register()(ResNet)
    assert list(reg) == ["ResNet"]


def test_register_conflict_names_both_targets(new_registry) -> None:
    reg = new_registry()
    reg.register()(ResNet)
    other = type("ResNet", (), {"__module__": "other.models"})
    with pytest.raises(RegistryError) as info:
        reg.register()(other)
    message = str(info.value)
    assert f"'{__name__}:ResNet'" in message
    assert "'other.models:ResNet'" in message
    assert "force=True" in message
    assert info.value.key == "ResNet"
    assert reg.get_object("ResNet") is ResNet


def test_register_force_replaces(new_registry) -> None:
    reg = new_registry()
    reg.register()(ResNet)
    other = type("ResNet", (), {"__module__": "other.models"})
    reg.register(force=True)(other)
    assert reg["ResNet"] == "other.models:ResNet"
    assert reg.get_object("ResNet") is other


def test_register_rejects_non_callables(new_registry) -> None:
    reg = new_registry()
    with pytest.raises(TypeError, match="classes, functions and Python modules"):
        reg.register_module(42)
    with pytest.raises(RegistryError, match="invalid name"):
        reg.register(name="not a name")(ResNet)


def test_extra_info(new_registry) -> None:
    reg = new_registry(extra_field=["is_backbone", "depth"])
    reg.register(is_backbone=True, depth=18)(ResNet)
    reg.register()(build_head)
    assert reg.extra_info["ResNet"] == {"is_backbone": True, "depth": 18}
    assert reg.extra_info["build_head"] == {"is_backbone": None, "depth": None}
    assert reg.filter("is_backbone") == ["ResNet"]


def test_extra_info_unknown_key_is_an_error(new_registry) -> None:
    reg = new_registry(extra_field="is_backbone")
    with pytest.raises(RegistryError, match=r"unknown extra info 'is_head'.*'is_backbone'"):
        reg.register(is_head=True)(ResNet)
    assert "ResNet" not in reg
    plain = new_registry()
    with pytest.raises(RegistryError, match="has no extra_field"):
        plain.register(is_backbone=True)(ResNet)


def test_register_module_by_string_is_lazy(new_registry, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.delitem(sys.modules, "excore_lazy_target", raising=False)
    reg = new_registry()
    reg.register_module("excore_lazy_target:LazyThing", _is_str=True)
    reg.register_module("excore_lazy_target:Outer.Inner", _is_str=True)
    assert reg["LazyThing"] == "excore_lazy_target:LazyThing"
    assert "Inner" in reg
    assert "excore_lazy_target" not in sys.modules
    thing = reg.get_object("LazyThing")
    assert "excore_lazy_target" in sys.modules
    assert thing.__name__ == "LazyThing" and thing().size == 1
    assert reg.get_object("LazyThing") is thing  # cached
    assert reg.get_object("Inner") is sys.modules["excore_lazy_target"].Outer.Inner
    assert Registry.find_object("LazyThing") == (thing, reg.name)
    assert Registry.find("LazyThing") == ("excore_lazy_target.LazyThing", reg.name)


def test_unimportable_target_is_a_clear_error(new_registry) -> None:
    reg = new_registry()
    reg.register_module("no_such_module_xyz:Thing", _is_str=True)
    with pytest.raises(RegistryError, match="cannot import 'no_such_module_xyz:Thing'"):
        reg.get_object("Thing")
    with pytest.raises(KeyError, match="'Missing' is not registered"):
        reg.get_object("Missing")


def test_python_module_and_dotted_names(new_registry) -> None:
    reg = new_registry()
    reg.register_module(types)  # a stdlib module stands in for torch here
    assert reg["types"] == "types"
    assert reg.is_python_module("types")
    assert reg.get_object("types.SimpleNamespace") is types.SimpleNamespace
    assert reg.contains("types.SimpleNamespace")
    assert not reg.contains("typing.Any")
    with pytest.raises(KeyError, match=r"'types\.NoSuchThing' does not exist"):
        reg.get_object("types.NoSuchThing")
    assert Registry.locate("types.SimpleNamespace") == (reg.name, "types.SimpleNamespace")


def test_dotted_name_imports_submodules(new_registry, monkeypatch) -> None:
    import xml

    reg = new_registry()
    reg.register_module(xml)
    monkeypatch.delitem(sys.modules, "xml.dom.minidom", raising=False)
    assert reg.python_module_of("xml.dom.minidom.parseString") == "xml"
    parse = reg.get_object("xml.dom.minidom.parseString")
    assert parse is sys.modules["xml.dom.minidom"].parseString


@pytest.mark.torch
def test_torch_registered_module_and_match(new_registry) -> None:
    torch = pytest.importorskip("torch")
    modules = new_registry("Module")
    modules.register_module(torch)
    assert modules.get_object("torch.nn.ReLU") is torch.nn.ReLU
    assert modules.get_object("torch.nn.functional.relu") is torch.nn.functional.relu

    optim = new_registry("Optimizer")
    names = optim.match(torch.optim, lambda name, module: name[0].isupper())
    assert {"SGD", "Adam", "AdamW"} <= set(names)
    assert optim["SGD"] == "torch.optim.sgd:SGD"
    assert optim.get_object("SGD") is torch.optim.SGD
    assert all(name[0].isupper() for name in optim)


def test_match_default_filter_takes_public_classes_and_functions(new_registry) -> None:
    module = types.ModuleType("fake_mod")
    members = {
        "Public": type("Public", (), {"__module__": "fake_mod"}),
        "_Private": type("_Private", (), {"__module__": "fake_mod"}),
        "CONSTANT": 3,
        "submodule": types.ModuleType("fake_mod.sub"),
    }
    vars(module).update(members)
    reg = new_registry()
    assert reg.match(module) == ["Public"]
    assert reg["Public"] == "fake_mod:Public"


def test_module_table_filters_are_ored(new_registry) -> None:
    reg = new_registry("Model", extra_field="is_backbone")
    for name, backbone in [("ResNet", True), ("ResNet50", True), ("VGG", True), ("head", False)]:
        reg.register(name=name, is_backbone=backbone)(ResNet)
    table = reg.module_table(filter=["Res*", "VG?"])
    assert [str(c) for c in table.columns[0]._cells] == ["ResNet", "ResNet50", "VGG"]
    text = str(reg.module_table(select_info="is_backbone", filter="*e*"))
    assert "is_backbone" in text and "ResNet50" in text and "head" in text
    assert "VGG" not in text
    assert "False" in text.splitlines()[-2]
    with pytest.raises(RegistryError, match="unknown extra field 'nope'"):
        reg.module_table(select_info="nope")


def test_find_across_registries_and_make_global(new_registry) -> None:
    models = new_registry("Model")
    heads = new_registry("Head")
    models.register()(ResNet)
    heads.register()(build_head)
    assert Registry.find_object("build_head") == (build_head, heads.name)
    # upstream's answer: the dotted path and the registry name, nothing imported
    assert Registry.find("build_head") == (
        f"{build_head.__module__}.{build_head.__qualname__}",
        heads.name,
    )
    assert Registry.find("TNothingNamedLikeThis") == (None, None)
    glob = Registry.make_global()
    try:
        assert Registry.make_global() is glob
        assert glob["ResNet"] == models["ResNet"] and glob["build_head"] == heads["build_head"]
        assert glob.name not in Registry.registries()
        late = type("LateModel", (), {"__module__": "late.mod"})
        models.register()(late)
        assert glob["LateModel"] == "late.mod:LateModel"
    finally:
        Registry._globals = None


def test_import_does_not_pull_heavy_modules() -> None:
    import subprocess

    code = (
        "import sys, excore.registry, excore.workspace, excore.engine.hook; "
        "print(sorted(m for m in ('rich', 'torch', 'jsonschema', 'tomlkit') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pickle_round_trip_keeps_singleton(new_registry) -> None:
    reg = new_registry(extra_field="depth")
    reg.register(depth=18)(ResNet)
    assert pickle.loads(pickle.dumps(reg)) is reg


def test_target_of() -> None:
    assert target_of(ResNet) == f"{__name__}:ResNet"
    assert target_of(types) == "types"
    with pytest.raises(TypeError, match="cannot compute an import target"):
        target_of(object.__init__)


def test_config_argument_hook(new_registry) -> None:
    from excore import ConfigArgumentHook
    from excore.engine.hook import ConfigArgumentHook as FromEngine

    assert ConfigArgumentHook is FromEngine
    hooks = new_registry("Hook")

    @hooks.register()
    class Double(ConfigArgumentHook):
        def __init__(self, node, enabled: bool, factor: int = 2) -> None:
            super().__init__(node, enabled)
            self.factor = factor

        def hook(self) -> int:
            return self.node() * self.factor

    built = []

    def node() -> int:
        built.append(1)
        return 21

    assert hooks.get_object("Double") is Double
    assert Double(node, True)() == 42
    assert Double(node, False)() == 21
    assert Double(node, True, factor=3)() == 63
    assert len(built) == 3

    class Forgetful(ConfigArgumentHook):
        def __init__(self, node, enabled: bool) -> None:
            pass

        def hook(self) -> int:
            return 0

    with pytest.raises(TypeError, match=r"Forgetful\.__init__ must call super\(\)\.__init__"):
        Forgetful(node, True)()
    with pytest.raises(NotImplementedError, match="must implement hook"):
        ConfigArgumentHook(node, True)()


def test_same_name_with_other_extra_field_warns(new_registry) -> None:
    reg = new_registry(extra_field="depth")
    with pytest.warns(UserWarning, match=r"extra_field=\['width'\] is ignored"):
        assert Registry(reg.name, extra_field="width") is reg
    assert reg.extra_field == ["depth"]
    with pytest.raises(RegistryError, match="invalid registry name"):
        Registry("has space")


def test_register_all_merge_and_unregister(new_registry) -> None:
    first = new_registry()
    first.register_all([ResNet, build_head], names=["Net", None])
    assert sorted(first) == ["Net", "build_head"]
    lazy = new_registry()
    lazy.register_module("json:dumps", _is_str=True)
    merged = new_registry()
    merged.merge([first, lazy])
    assert merged == {
        "Net": f"{__name__}:ResNet",
        "build_head": f"{__name__}:build_head",
        "dumps": "json:dumps",
    }
    import json

    assert merged.get_object("dumps") is json.dumps
    merged.unregister("Net")
    assert "Net" not in merged and Registry.locate("Net") == (first.name, first["Net"])
