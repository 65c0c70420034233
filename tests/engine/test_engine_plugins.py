"""Fine-grained layer tables (``Name*FinegrainedConfig``)."""

from __future__ import annotations

import pytest
from engine_paths import CONFIGS, cfg_path

from excore import config, errors
from excore.plugins.finegrained_config import enable_finegrained_config


@pytest.fixture(autouse=True)
def _enabled() -> None:
    enable_finegrained_config()


def test_layers_receive_what_the_previous_layer_sends() -> None:
    lazy = config.load(cfg_path("finegrained.toml"))
    assert [p for p in lazy.check() if p.severity.value == "error"] == []
    modules, _ = config.build_all(lazy)
    stack = modules.Model.extra
    assert type(stack).__name__ == "Stack"
    assert [(type(layer).__name__, layer.kwargs) for layer in stack.layers] == [
        ("Conv", {"in_channels": 3, "out_channels": 16, "kernel": 3}),
        ("Norm", {"channels": 16, "eps": 1e-05}),
        ("Conv", {"in_channels": 16, "out_channels": 16, "kernel": 5}),
        ("Conv", {"in_channels": 16, "out_channels": 16, "kernel": 5}),
    ]
    assert stack.layers[2] is not stack.layers[3]


def test_mismatched_table_is_a_located_error() -> None:
    with pytest.raises(errors.CoreConfigBuildError) as info:
        config.build_all(config.load(cfg_path("finegrained_bad.toml")))
    error = info.value
    assert (error.line, error.column) == (5, 9)
    assert "receives ['in_channels'] but the previous layer sends 2 value(s)" in str(error)


def test_checker_reads_the_hook_parameters(tmp_path) -> None:
    text = cfg_path("finegrained.toml").read_text().replace("unpack = true", "unpak = true")
    (tmp_path / "c.toml").write_text(text)
    problems = config.load(tmp_path / "c.toml", workspace=CONFIGS.parent).check()
    assert [(p.code, p.message) for p in problems] == [
        ("unknown-param", "FinegrainedConfig has no parameter 'unpak' (did you mean 'unpack'?)")
    ]


@pytest.mark.torch
def test_torch_sequential_forward(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    from excore import Registry

    layers = Registry("ETorchLayer", extra_field=["receive", "send"])
    if "Conv2d" not in layers:
        layers.register_module(torch.nn.Conv2d, receive="in_channels", send="out_channels")
        layers.register_module(torch.nn.BatchNorm2d, receive="num_features", send="num_features")
    lib = Registry("ETorchLib")
    if "torch" not in lib:
        lib.register_module(torch)
    (tmp_path / "c.toml").write_text(
        '[Net."torch.nn.Sequential*FinegrainedConfig"]\n'
        '"$class_mapping" = ["Conv2d", "BatchNorm2d"]\n'
        "info = [[1, 0], [1, 1], [1, 0]]\n"
        "args = [[3], [8, 3], [], [4, 1]]\n"
        "unpack = true\n"
    )
    config.set_primary_fields({"Net": "ETorchLayer"})
    lazy = config.load(tmp_path / "c.toml")
    assert [p.code for p in lazy.check()] == []
    modules, _ = config.build_all(lazy)
    net = modules.Net
    assert isinstance(net, torch.nn.Sequential) and len(net) == 3
    assert net(torch.zeros(2, 3, 8, 8)).shape == (2, 4, 6, 6)


def test_enable_takes_upstreams_arguments() -> None:
    from excore.plugins.finegrained_config import FinegrainedConfig

    try:
        enable_finegrained_config("*", rcv_key="takes", snd_key="gives", force=True)
        assert (FinegrainedConfig.receive_key, FinegrainedConfig.send_key) == ("takes", "gives")
    finally:
        enable_finegrained_config()
    with pytest.raises(ValueError, match="the flag is '\\*', got '#'"):
        enable_finegrained_config("#")
