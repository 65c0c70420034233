"""A small ResNet backbone and its residual blocks."""

# Optional/Union on purpose: the checker and the editor must understand both spellings.
# ruff: noqa: UP045

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from seg.registries import BACKBONES


@BACKBONES.register(family="block")
class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34 style).

    Args:
        in_channels: Channels of the input feature map.
        out_channels: Channels of the output feature map.
        stride: Stride of the first convolution; 2 halves the resolution.
        act: Activation applied after each convolution; ``nn.ReLU()`` when not given.
    """

    expansion: int = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        act: Optional[nn.Module] = None,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.act = act if act is not None else nn.ReLU()
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + self.shortcut(x))


@BACKBONES.register(family="block")
class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand, with a residual connection (ResNet-50 style).

    Args:
        in_channels: Channels of the input feature map.
        out_channels: Channels of the output feature map (after the expansion).
        stride: Stride of the 3x3 convolution; 2 halves the resolution.
        act: Activation applied after each convolution; ``nn.ReLU()`` when not given.
        reduction: How much narrower the inner 3x3 convolution is than ``out_channels``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        act: Optional[nn.Module] = None,
        reduction: int = 4,
    ) -> None:
        super().__init__()
        inner = max(out_channels // reduction, 1)
        self.conv1 = nn.Conv2d(in_channels, inner, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(inner)
        self.conv2 = nn.Conv2d(inner, inner, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3 = nn.Conv2d(inner, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.act = act if act is not None else nn.ReLU()
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        out = self.act(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.act(out + self.shortcut(x))


@BACKBONES.register(family="resnet")
class ResNet(nn.Module):
    """A small ResNet: a strided stem, then stages of residual blocks.

    The stem and every stage halve the resolution: with two stages the output has
    ``out_channels`` channels at 1/8 of the input resolution.

    Args:
        block: The residual block class, e.g. ``BasicBlock`` or ``Bottleneck``.
        layers: Number of blocks in each stage.
        in_channels: Channels of the input images.
        base_channels: Channels of the stem and of the first stage; each further stage doubles
            them.
        act: Activation used in the stem and in every block; ``nn.ReLU()`` when not given.
    """

    def __init__(
        self,
        block: type[nn.Module] = BasicBlock,
        layers: list[int] = [1, 1],  # noqa: B006 - never mutated; shown as a literal default
        in_channels: int = 3,
        base_channels: int = 8,
        act: Optional[nn.Module] = None,
    ) -> None:
        super().__init__()
        if not layers or any(n < 1 for n in layers):
            raise ValueError(f"layers must be a non-empty list of positive counts, got {layers}")
        act = act if act is not None else nn.ReLU()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, base_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(base_channels),
            act,
        )
        stages = []
        channels = base_channels
        for index, count in enumerate(layers):
            out = base_channels * 2**index
            blocks = [block(channels, out, 2, act)]
            blocks += [block(out, out, 1, act) for _ in range(count - 1)]
            stages.append(nn.Sequential(*blocks))
            channels = out
        self.stages = nn.Sequential(*stages)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))
