"""Segmentation heads: feature map in, per-class logits out."""

# Optional/Union on purpose: the checker and the editor must understand both spellings.
# ruff: noqa: UP045

from typing import Optional

import torch
from torch import nn

from seg.registries import HEADS


@HEADS.register()
class FCNHead(nn.Module):
    """The FCN head: a 3x3 convolution block, dropout, then a 1x1 classifier.

    Args:
        in_channels: Channels of the backbone's output feature map.
        num_classes: Number of classes to predict.
        channels: Channels of the intermediate 3x3 convolution.
        dropout: Dropout probability before the classifier (0 disables it).
        act: Activation after the 3x3 convolution; ``nn.ReLU()`` when not given.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        channels: int = 16,
        dropout: float = 0.1,
        act: Optional[nn.Module] = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.block = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            act if act is not None else nn.ReLU(),
            nn.Dropout2d(dropout),
        )
        self.classifier = nn.Conv2d(channels, num_classes, 1)
        self.num_classes = num_classes

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.block(features))


@HEADS.register()
class SimpleHead(nn.Module):
    """A single 1x1 convolution classifier.

    Args:
        in_channels: Channels of the backbone's output feature map.
        num_classes: Number of classes to predict.
        bias: Whether the convolution has a bias.
    """

    def __init__(self, in_channels: int, num_classes: int, bias: bool = True) -> None:
        super().__init__()
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=bias)
        self.num_classes = num_classes

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(features)
