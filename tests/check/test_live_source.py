"""The checker over live registries reports chain problems like the index does."""

from __future__ import annotations

from pathlib import Path

from excore.config.check import check_config
from excore.describe import LiveSource
from excore.registry import Registry


class Net:
    def __init__(self, depth: int = 2) -> None:
        self.depth = depth

    def parameters(self) -> list[int]:
        return [self.depth]


class Opt:
    def __init__(self, params: object, lr: float = 0.1) -> None:
        self.params = params


def test_unknown_method_in_a_chain_is_reported(tmp_path: Path) -> None:
    models = Registry("LiveCheckModel")
    optims = Registry("LiveCheckOptim")
    try:
        models.register_module(Net)
        optims.register_module(Opt)
        config = tmp_path / "c.toml"
        config.write_text(
            '[LiveCheckModel.Net]\ndepth = 3\n\n[LiveCheckOptim.Opt]\n"@params" = "$LiveCheckModel.paramters()"\n'
        )
        source = LiveSource(
            {"LiveCheckModel": "LiveCheckModel", "LiveCheckOptim": "LiveCheckOptim"}
        )
        info = source.lookup("Net", "LiveCheckModel")
        assert info is not None and info.members == []  # members are read on demand
        assert "parameters" in [m.name for m in source.members_of(info)]
        problems = check_config(config, source, env={})
        assert [(p.code, p.message) for p in problems] == [
            ("bad-reference", "Net has no attribute 'paramters' (did you mean 'parameters'?)")
        ]
    finally:
        Registry.remove_registry("LiveCheckModel")
        Registry.remove_registry("LiveCheckOptim")
