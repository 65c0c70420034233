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
