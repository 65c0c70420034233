"""Building: every prefix and reference form, shared objects, hooks, LazyConfig API."""

from __future__ import annotations

import sys

import pytest
import tomllib
from engine_paths import CONFIGS, cfg_path

from excore import config, errors
from excore.config.build import ModuleNode


@pytest.fixture
def built() -> tuple:
    return config.build_all(config.load(cfg_path("all_forms.toml")))


def test_no_problems_in_the_full_config() -> None:
    problems = config.load(cfg_path("all_forms.toml")).check()
    assert [p for p in problems if p.severity.value == "error"] == []


def test_shared_module_is_one_object_everywhere(built: tuple) -> None:
    modules, _ = built
    fcn, segnet = modules.Model["EFCN"], modules.Model.SegNet
    assert fcn.backbone is segnet.backbone
    # "@backbone" = "EResNet" beside [Backbone.EResNet]: the object built for the field
    assert fcn.backbone is modules.Backbone
    assert modules["Backbone"].depth == 50


def test_new_module_per_reference(built: tuple) -> None:
    modules, _ = built
    fcn = modules.Model.EFCN
    assert type(fcn.head).__name__ == "PlainHead"
    assert fcn.head.kwargs == {"in_channels": 8, "mode": "b"}
    assert fcn.heads[0] == fcn.head and fcn.heads[0] is not fcn.head


def test_list_of_one_name_gives_a_list_of_one(built: tuple) -> None:
    modules, _ = built
    assert isinstance(modules.Model.EFCN.heads, list)
    assert len(modules.Model.EFCN.heads) == 1
    transforms = modules.TrainData.transforms
    assert [type(t).__name__ for t in transforms] == ["PlainHead", "NeedsSize"]


def test_class_prefix_passes_the_class(built: tuple) -> None:
    import engpkg

    modules, _ = built
    assert modules.Backbone.kwargs["block"] is engpkg.EBlock
    assert modules.TrainData.options["all_models"] == [engpkg.EFCN, engpkg.SegNet]


def test_registered_python_module_members(built: tuple) -> None:
    import math
    from fractions import Fraction

    modules, _ = built
    assert modules.TrainData.options["sqrt"] is math.sqrt
    # "!act" = "fractions.Fraction(1, 3)": literal arguments go to the constructor
    assert modules.Backbone.kwargs["act"] == Fraction(1, 3)


def test_variables_and_env_templates(built: tuple) -> None:
    modules, run_info = built
    assert modules.TrainData.size == 7
    assert modules.TrainData.path == "/data/train"
    assert modules.Model.SegNet.head.kwargs == {"size": 7}
    assert run_info == {"name": "run-1", "schedule": {"epochs": 3, "warmup": 1}, "size": 7}


def test_chains_attributes_and_calls(built: tuple) -> None:
    modules, _ = built
    data = modules.TrainData
    assert data.options["channels"] == 100  # $Backbone.out_channels of the shared EResNet(50)
    pretrained = data.options["pretrained"]  # "$pretrained" = "EResNet.from_pretrained('r34')"
    assert type(pretrained).__name__ == "EResNet" and pretrained.depth == 34


def test_hooks_chain_left_to_right(built: tuple) -> None:
    modules, _ = built
    # $Model::EFCN.backbone.parameters() = [50, 1]; Scale(factor=10) then AddOne
    assert modules.Optimizer.params == [501, 11]
    assert modules.Optimizer.lr == 0.01


def test_disabled_hook_passes_the_value_through(tmp_path) -> None:
    text = cfg_path("all_forms.toml").read_text()
    text = text.replace("factor = 10", "factor = 10\nenabled = false")
    (tmp_path / "c.toml").write_text(text)
    modules, _ = config.build_all(config.load(tmp_path / "c.toml", workspace=CONFIGS.parent))
    assert modules.Optimizer.params == [51, 2]


def test_implicit_module_is_built_with_defaults(built: tuple) -> None:
    modules, _ = built
    assert modules.TrainData.options["implicit"].kwargs == {"expansion": 1}


def test_no_call_returns_the_unbuilt_node(built: tuple) -> None:
    modules, _ = built
    node = modules.TestData
    assert isinstance(node, ModuleNode)
    dataset = node(size=3)
    assert dataset.path == "test" and dataset.size == 3


def test_nested_tables_are_plain_dicts(built: tuple) -> None:
    modules, _ = built
    assert modules.TrainData.options["cfg"] == {"a": 1, "b": [1, 2]}


def test_lazy_field_access_builds_one_field() -> None:
    lazy = config.load(cfg_path("determinism.toml"))
    model = lazy.Model()
    assert type(model).__name__ == "EFCN"
    assert lazy["Model"]() is model  # shared within one LazyConfig
    with pytest.raises(KeyError, match="not a primary field"):
        lazy["Nope"]
    with pytest.raises(AttributeError):
        lazy.Nope  # noqa: B018


def test_update_params_before_building() -> None:
    lazy = config.load(cfg_path("determinism.toml"))
    lazy.Model << {"num_classes": 9}
    lazy.Optimizer.add(lr=0.25)
    sentinel = object()
    lazy.TrainData.add(marker=sentinel)  # not TOML: passed as is (Dataset takes **options)
    modules, _ = config.build_all(lazy)
    assert modules.Model.kwargs["num_classes"] == 9
    assert modules.Optimizer.lr == 0.25
    assert modules.TrainData.options["marker"] is sentinel


def test_update_is_validated() -> None:
    lazy = config.load(cfg_path("determinism.toml"))
    lazy.Model << {"num_classes": "many"}
    with pytest.raises(errors.ModuleValidateError) as info:
        lazy.Model()
    assert info.value.problems[0].code == "type-mismatch"
    assert info.value.file == "<overrides>"


def test_update_dict_on_load() -> None:
    lazy = config.load(
        cfg_path("determinism.toml"),
        update_dict={
            "Model": {"EFCN": {"num_classes": 11}},
            "Backbone.EResNet.depth": 20,
            "size": 5,
        },
    )
    modules, run_info = config.build_all(lazy)
    assert modules.Model.kwargs["num_classes"] == 11
    assert modules.Backbone.depth == 20
    assert run_info["size"] == 5 and modules.TrainData.size == 5


def test_print_shows_the_resolved_config() -> None:
    text = str(config.load(cfg_path("inherit/sub/child.toml")))
    assert "Backbone.EResNet" in text
    assert "'EBlock'" in text
    assert "grand.toml:6" in text  # depth is written in the grand-parent
    assert "parent.toml:5" in text  # $block in the parent


def test_dump_writes_valid_toml_that_loads_back(tmp_path) -> None:
    lazy = config.load(cfg_path("inherit/sub/child.toml"))
    out = tmp_path / "dumped.toml"
    lazy.dump(out)
    data = tomllib.loads(out.read_text())
    assert data["Backbone"]["EResNet"] == {"depth": "deep", "width": 3.0, "$block": "EBlock"}
    assert data["Model"]["EFCN"]["!head"] == "PlainHead"
    assert "__base__" not in data
    again = config.load(out, workspace=CONFIGS.parent)
    assert again.to_dict() == lazy.to_dict()


def test_validation_off_lets_the_constructor_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    path = cfg_path("errors/unknown_param.toml")
    with pytest.raises(errors.ModuleValidateError):
        config.build_all(config.load(path))
    monkeypatch.setenv("EXCORE_VALIDATE", "0")
    with pytest.raises(errors.ModuleBuildError) as info:
        config.build_all(config.load(path))
    assert "num_clases" in str(info.value)
    assert isinstance(info.value.__cause__, TypeError)


def test_constructor_error_is_located_and_chained() -> None:
    with pytest.raises(errors.ModuleBuildError) as info:
        config.build_all(config.load(cfg_path("build_error.toml")))
    error = info.value
    assert (error.line, error.column) == (5, 2)  # [Exploding]
    assert error.file.endswith("build_error.toml")
    assert "RuntimeError: boom 3" in str(error)
    assert isinstance(error.__cause__, RuntimeError) and error.original is error.__cause__
    assert str(error).startswith(f"{error.file}:5:2: ")


def test_missing_env_at_build_is_located() -> None:
    lazy = config.load(cfg_path("errors/undefined_env.toml"))
    with pytest.raises(errors.EnvVarParseError) as info:
        config.build_all(lazy)
    assert (info.value.line, info.value.column) == (5, 12)
    assert info.value.key == "TrainData.Dataset.&path"


def test_manual_set_prompts_only_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    path = cfg_path("errors/missing_param.toml")
    monkeypatch.setenv("EXCORE_MANUAL_SET", "1")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    with pytest.raises(errors.ModuleValidateError):
        config.build_all(config.load(path))
    answers = iter(["3"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    modules, _ = config.build_all(config.load(path))
    assert modules.Model.backbone == 3


def test_set_primary_fields_without_a_workspace(tmp_path) -> None:
    import engpkg  # noqa: F401  (fills the registries)

    (tmp_path / "c.toml").write_text("[EHead.PlainHead]\nin_channels = 2\n")
    config.set_primary_fields(["EHead"])
    modules, _ = config.build_all(config.load(tmp_path / "c.toml"))
    assert modules.EHead.kwargs["in_channels"] == 2
    assert list(modules) == ["EHead"]


def test_not_a_toml_file(tmp_path) -> None:
    (tmp_path / "c.yaml").write_text("a: 1")
    with pytest.raises(errors.CoreConfigSupportError, match=r"c\.yaml: only \.toml"):
        config.load(tmp_path / "c.yaml")


def test_bare_prefixed_keys_build_like_quoted_ones() -> None:
    lazy = config.load(cfg_path("bare_keys.toml"))
    hints = [p for p in lazy.check() if p.code == "unquoted-prefix"]
    assert len(hints) == 2 and all(p.severity.value == "hint" for p in hints)
    model = lazy.Model()
    assert model.backbone.depth == 12 and type(model.head).__name__ == "PlainHead"


def test_one_module_of_a_field() -> None:
    lazy = config.load(cfg_path("all_forms.toml"))
    segnet = lazy.Model.SegNet()
    assert type(segnet).__name__ == "SegNet"
    assert segnet.backbone is lazy.Model.EFCN().backbone  # shared within one LazyConfig
    with pytest.raises(AttributeError, match="has no module 'Nope'"):
        lazy.Model.Nope  # noqa: B018
    with pytest.raises(errors.ExcoreError, match="several modules"):
        lazy.Model.add(num_classes=1)


def test_check_function_reports_problems_with_offsets() -> None:
    path = cfg_path("errors/unknown_module.toml")
    problems = config.check_file(path)
    start = path.read_text().index("ResNt")
    assert [(p.code, p.start, p.end) for p in problems] == [("unknown-module", start, start + 5)]


def test_reference_cycle_is_a_located_error(tmp_path) -> None:
    (tmp_path / "c.toml").write_text(
        '[Model.EFCN]\n"@backbone" = "EResNet"\n\n[EResNet]\n"!act" = "PlainHead"\n\n'
        '[PlainHead]\n"@mode" = "EResNet"\n'
    )
    lazy = config.load(tmp_path / "c.toml", workspace=CONFIGS.parent)
    with pytest.raises((errors.ModuleValidateError, errors.CoreConfigBuildError)) as info:
        config.build_all(lazy)
    assert info.value.line > 0
