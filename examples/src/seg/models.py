"""Segmentation models: a backbone and a head, logits upsampled to the input size."""

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from seg.registries import MODELS


@MODELS.register(task="segmentation")
class FCN(nn.Module):
    """Fully convolutional network: ``head(backbone(x))`` resized to the input's size.

    Args:
        backbone: Feature extractor; its output feeds the head.
        head: Maps the backbone's features to per-class logits.
        align_corners: ``align_corners`` of the final bilinear upsampling.
        upsample: Interpolation used to bring the logits back to the input size.
    """

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module,
        align_corners: bool = False,
        upsample: Literal["bilinear", "nearest"] = "bilinear",
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.align_corners = align_corners
        self.upsample = upsample

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.backbone(images))
        if self.upsample == "nearest":
            return F.interpolate(logits, size=images.shape[-2:], mode="nearest")
        return F.interpolate(
            logits, size=images.shape[-2:], mode="bilinear", align_corners=self.align_corners
        )

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """The most likely class of every pixel, shape ``(N, H, W)``."""
        return self.forward(images).argmax(dim=1)
