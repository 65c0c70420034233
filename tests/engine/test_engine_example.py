"""The example workspace end to end: check, build, one forward/backward pass with torch."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from engine_paths import REPO

from excore import config

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

EXAMPLES = REPO / "examples" / "configs"


@pytest.fixture(scope="module", autouse=True)
def _forget_the_example_afterwards() -> Iterator[None]:
    """Leave no example registries or modules behind for other tests."""
    from excore import Registry

    path, modules, registries = list(sys.path), set(sys.modules), set(Registry.registries())
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file.startswith(str(REPO / "examples")):
            del sys.modules[name]
    for name in set(Registry.registries()) - registries:
        Registry.remove_registry(name)


@pytest.mark.parametrize("name", ["fcn_resnet.toml", "fcn_simple_head.toml", "fcn_compose.toml"])
def test_example_config_is_clean_and_trains_one_step(name: str) -> None:
    lazy = config.load(EXAMPLES / name)
    assert [p for p in lazy.check() if p.severity.value == "error"] == []
    modules, run_info = config.build_all(lazy)
    assert {"Model", "Optimizer", "TrainData", "TestData", "Loss"} <= set(modules)
    model, optimizer, loss_fn = modules.Model, modules.Optimizer, modules.Loss
    assert isinstance(model, torch.nn.Module)
    images, masks = zip(*(modules.TrainData[i] for i in range(2)))
    batch, target = torch.stack(images), torch.stack(masks)
    logits = model(batch)
    assert logits.shape[0] == 2 and logits.shape[-2:] == batch.shape[-2:]
    before = [p.detach().clone() for p in model.parameters()]
    loss = loss_fn(logits, target)
    loss.backward()
    optimizer.step()
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters()))
    # the optimizer was given the very model built for the Model field
    optimized = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert optimized == {id(p) for p in model.parameters()}
    assert "num_classes" in run_info


def test_composed_example_deletes_names_and_computes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCORE_DATA_ROOT", raising=False)
    lazy = config.load(EXAMPLES / "fcn_compose.toml", overrides=["batch_size=64"])
    modules, run_info = config.build_all(lazy)
    assert "LRScheduler" not in modules  # __delete__ of the base's scheduler
    head = modules.Model.head
    assert type(head).__name__ == "FCNHead"  # the named instance [wide_head]
    # in_channels computed from the backbone: 16 * 2 ** (2 - 1)
    assert head.block[0].in_channels == 32 and head.block[0].out_channels == 32
    assert modules.Optimizer.param_groups[0]["lr"] == pytest.approx(0.01 * 64 / 16)
    assert type(modules.TrainData.transforms[0]).__name__ == "RandomFlip"
    assert modules.TrainData.transforms[0].prob == 1.0
    assert str(modules.TrainData.data_root) == "/tmp/excore-data/synthetic-seg"  # the :- default
    monkeypatch.setenv("EXCORE_DATA_ROOT", "/mnt/data")
    again, _ = config.build_all(config.load(EXAMPLES / "fcn_compose.toml"))
    assert str(again.TrainData.data_root) == "/mnt/data/synthetic-seg"
    assert run_info["steps"] == 2 * max(16 // 64, 1)
