"""__base__ merge rules: bases left to right, then the file; tables merge, the rest is replaced."""

from __future__ import annotations

from engine_paths import cfg_path

from excore import config


def test_merge_rules() -> None:
    lazy = config.load(cfg_path("merge/child.toml"))
    data = lazy.to_dict()
    assert data["size"] == 2  # base_b is merged after base_a
    assert data["steps"] == [3]  # lists are replaced, not appended
    assert data["name"] == "a"  # kept from the first base
    assert data["Backbone"]["EResNet"] == {"depth": 20, "width": 1.5}  # tables merge
    assert data["TrainData"]["Dataset"] == {"path": "a", "cfg": {"a": 1, "b": 3}}
    # a child's "@head" replaces the base's "!head": one parameter, whatever the prefix
    assert data["Model"]["EFCN"] == {"@backbone": "EResNet", "@head": "PlainHead"}
    assert "__base__" not in data


def test_merged_config_builds_with_the_child_prefix() -> None:
    lazy = config.load(cfg_path("merge/child.toml"))
    (fcn,) = lazy.model.field_modules("Model")
    assert fcn.params["head"].prefix == "@"
    modules, run_info = config.build_all(lazy)
    assert type(modules.Model.head).__name__ == "PlainHead"
    assert modules.Backbone.depth == 20
    assert modules.TrainData.options["cfg"] == {"a": 1, "b": 3}
    assert run_info == {"name": "a", "size": 2, "steps": [3]}


def test_values_remember_the_file_they_were_written_in() -> None:
    lazy = config.load(cfg_path("merge/child.toml"))
    resnet = lazy.loaded.root.items["Backbone"].items["EResNet"]
    assert resnet.items["depth"].file.endswith("base_b.toml")
    assert resnet.items["width"].file.endswith("base_a.toml")
