"""Argument hooks used by the configs."""

from __future__ import annotations

from typing import Any

from torch import nn

from excore import ConfigArgumentHook
from seg.registries import HOOKS

_NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)


@HOOKS.register()
class BnWeightDecayHook(ConfigArgumentHook):
    """Build the optimizer's parameter groups of a model: no weight decay on norm layers.

    Used as ``"@params" = "$Model@BnWeightDecayHook"``; its parameters come from
    ``[ConfigHook.BnWeightDecayHook]``.

    Args:
        node: Builds the model whose parameters are grouped.
        enabled: When false, the model itself is passed on unchanged.
        bn_weight_decay: Also decay the weights and biases of normalization layers
            (then all parameters form one group).
        weight_decay: Weight decay of the parameters outside normalization layers.
    """

    def __init__(
        self, node: Any, enabled: bool, bn_weight_decay: bool = False, weight_decay: float = 1e-4
    ) -> None:
        super().__init__(node, enabled)
        self.bn_weight_decay = bn_weight_decay
        self.weight_decay = weight_decay

    def hook(self) -> list[dict[str, Any]]:
        model = self.node()
        if self.bn_weight_decay:
            return [{"params": list(model.parameters()), "weight_decay": self.weight_decay}]
        norm, other = [], []
        for module in model.modules():
            target = norm if isinstance(module, _NORMS) else other
            target.extend(module.parameters(recurse=False))
        return [
            {"params": norm, "weight_decay": 0.0},
            {"params": other, "weight_decay": self.weight_decay},
        ]
