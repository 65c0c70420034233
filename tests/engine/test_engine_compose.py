"""Composition forms built end to end: computed values, delete, named instances, overrides."""

from __future__ import annotations

import pytest
from engine_paths import cfg_path

from excore import config, errors


def test_computed_values_through_two_bases() -> None:
    cfg = config.load(cfg_path("compose/expr_child.toml"))
    assert [p for p in cfg.check() if p.severity.value == "error"] == []
    modules, run_info = config.build_all(cfg)
    # the child's batch_size (1024) is what every expression sees, also the bases' ones
    assert modules.Optimizer.lr == pytest.approx(0.4)
    assert modules.Model.kwargs["num_classes"] == 9
    assert modules.TrainData.path == "/data/train"
    assert run_info["steps"] == 3 * (5000 // 1024) == 12
    assert run_info["total"] == 36 and run_info["mode"] == "big"
    assert modules.TrainData.size == 36
    assert run_info["root"] == "/data/train"


def test_a_failing_expression_stops_the_build_with_its_place(monkeypatch) -> None:
    monkeypatch.setenv("EXCORE_VALIDATE", "0")
    bad = cfg_path("compose") / "expr_bad_tmp.toml"
    bad.write_text('__base__ = ["expr_grand.toml"]\n"&ratio" = "epochs / (samples - 5000)"\n')
    try:
        cfg = config.load(bad)
        with pytest.raises(errors.ExcoreError) as info:
            cfg.build_all()
        assert (info.value.line, info.value.column) == (2, 22)  # the operand '(samples - 5000)'
        assert info.value.code == "bad-expression"
    finally:
        bad.unlink()


def test_delete_swaps_the_model_and_named_instances_build_their_class() -> None:
    cfg = config.load(cfg_path("compose/swap.toml"))
    assert [p for p in cfg.check() if p.severity.value == "error"] == []
    modules, _ = config.build_all(cfg)
    model = modules.Model
    assert type(model).__name__ == "SegNet"  # the base's EFCN is gone, not built beside it
    assert model.backbone.kwargs["width"] == 1.0  # the deleted width falls back to its default
    assert model.head.kwargs == {"in_channels": 64, "mode": "a"}
    small, big, frac = modules.TrainData.transforms
    assert small.kwargs == {"in_channels": 4, "mode": "b"} and big == model.head
    assert str(frac) == "1/4"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from excore.cli.main import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_overrides_in_python_every_form() -> None:
    cfg = config.load(
        cfg_path("determinism.toml"),
        overrides=[
            "Model.EFCN.num_classes=7",  # set
            "+Model.EFCN.extra=run-2",  # add (a bare word is a string)
            "~Optimizer",  # delete
            "Backbone=EBlock",  # swap the field's module
            "+Backbone.EBlock.expansion=4",
            "TrainData.Dataset.!transforms=PlainHead",  # a prefixed key, a name value
            "size=11",
        ],
    )
    modules, run_info = config.build_all(cfg)
    assert modules.Model.kwargs["num_classes"] == 7 and modules.Model.extra == "run-2"
    assert "Optimizer" not in modules
    assert type(modules.Backbone).__name__ == "EBlock" and modules.Backbone.kwargs == {
        "expansion": 4
    }
    assert type(modules.TrainData.transforms).__name__ == "PlainHead"
    assert modules.TrainData.size == 11 and run_info["size"] == 11


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("Model.EFCN.num_clases=7", "has no key 'num_clases' (did you mean 'num_classes'?)"),
        ("Model.EFCN.extra=1", "has no key 'extra'; to add it, write +Model.EFCN.extra=VALUE"),
        ("+Model.EFCN.num_classes=1", "already has 'num_classes'"),
        ("+Model.EFCN.colour=1", "has no key 'colour'"),
        ("~Optimiser", "the config has no key 'Optimiser' (did you mean 'Optimizer'?)"),
        ("Backbone=EResNe", "'EResNe' is not registered in registry 'EBackbone' (did you mean"),
        ("Modle.EFCN.x=1", "(did you mean 'Model'?)"),
        ("x=[1,", "cannot read '[1,' as a TOML value"),
    ],
)
def test_override_mistakes_are_errors_with_did_you_mean(override: str, message: str) -> None:
    with pytest.raises(errors.CoreConfigParseError) as info:
        config.load(cfg_path("determinism.toml"), overrides=[override])
    assert message in str(info.value)


def test_override_grammar_is_the_same_on_check_build_and_print(capsys) -> None:
    import tomllib

    path = str(cfg_path("determinism.toml"))
    forms = ["-o", "Model.EFCN.num_classes=7", "-o", "~Optimizer", "-o", "Backbone=EBlock"]
    forms += ["-o", "Model.EFCN.$head=PlainHead"]
    code, out, err = _cli(capsys, "print", "--toml", path, *forms)
    assert code == 0, err
    data = tomllib.loads(out)
    assert data["Model"]["EFCN"]["num_classes"] == 7 and "Optimizer" not in data
    assert list(data["Backbone"]) == ["EBlock"] and data["Model"]["EFCN"]["$head"] == "PlainHead"
    code, out, err = _cli(capsys, "build", path, *forms)
    assert code == 0 and "EBlock" in out, err
    code, out, err = _cli(capsys, "check", path, *forms)
    assert code == 0 and out == "", out
    # check with an override that breaks the config: the problem is reported, not raised
    code, out, _ = _cli(capsys, "check", path, "-o", "Model.EFCN.num_classes='many'")
    assert code == 1 and "type-mismatch" in out
    code, _, err = _cli(capsys, "check", path, "-o", "~Nothing")
    assert code == 1 and "the config has no key 'Nothing'" in err and "Traceback" not in err


def test_diff_lists_added_removed_changed_with_origins(capsys, monkeypatch) -> None:
    import json

    monkeypatch.chdir(cfg_path("compose"))
    code, out, err = _cli(capsys, "diff", "expr_child.toml", "swap.toml", "--format", "json")
    assert code == 1
    changes = {c["key"]: c for c in json.loads(out)}
    removed = changes["Model.EFCN.backbone"]
    assert removed["change"] == "removed" and removed["b"] is None
    assert removed["a"] == {
        "key": "Model.EFCN.@backbone",
        "value": "EResNet",
        "file": "expr_base.toml",
        "line": 5,
    }
    added = changes["Model.SegNet.head"]
    assert added["change"] == "added" and added["b"]["file"] == "swap.toml"
    assert added["b"]["line"] == 7
    changed = changes["batch_size"]
    assert changed["change"] == "changed"
    assert (changed["a"]["value"], changed["a"]["file"], changed["a"]["line"]) == (
        1024,
        "expr_child.toml",
        2,
    )
    assert (changed["b"]["value"], changed["b"]["file"], changed["b"]["line"]) == (
        512,
        "expr_grand.toml",
        3,
    )
    # a computed value that changes only through its operands is a change, with both values
    steps = changes["steps"]
    assert steps["a"]["value"] == steps["b"]["value"] == "epochs * (samples // batch_size)"
    assert (steps["a"]["computed"], steps["b"]["computed"]) == (12, 27)
    code, out, err = _cli(capsys, "diff", "expr_child.toml", "expr_child.toml")
    assert (code, out) == (0, "") and "0 added, 0 removed, 0 changed" in err
    code, out, _ = _cli(capsys, "diff", "expr_child.toml", "swap.toml")
    assert "~ batch_size: 1024 -> 512    (expr_child.toml:2 -> expr_grand.toml:3)" in out
    assert '- Model.EFCN.backbone = @"EResNet"    (expr_base.toml:5)' in out


def test_an_expression_reads_an_environment_variable_through_a_top_level_name(
    monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("EXCORE_TEST_CHANNELS", "8")
    monkeypatch.delenv("EXCORE_TEST_UNSET", raising=False)
    path = cfg_path("compose") / "expr_env_tmp.toml"
    path.write_text(
        '__base__ = ["expr_grand.toml"]\n'
        'channels = "${EXCORE_TEST_CHANNELS}"\n'
        'width = "${EXCORE_TEST_UNSET:-3}"\n'
        '"&wide" = "int(channels) * 2"\n'
        "\"&label\" = \"'c' + channels + '-w' + width\"\n"
    )
    try:
        cfg = config.load(path)
        assert [p for p in cfg.check() if p.severity.value == "error"] == []
        _, run_info = config.build_all(cfg)
        assert run_info["wide"] == 16
        assert run_info["label"] == "c8-w3"
    finally:
        path.unlink()
