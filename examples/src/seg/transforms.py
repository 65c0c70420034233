"""Transforms of an (image, mask) pair: image ``float32 (C, H, W)``, mask ``int64 (H, W)``."""

# Optional/Union on purpose: the checker and the editor must understand both spellings.
# ruff: noqa: UP007, UP045

from __future__ import annotations

from typing import Literal, Optional, Union

import torch
from torch.nn import functional as F

from seg.registries import TRANSFORMS

Sample = tuple[torch.Tensor, torch.Tensor]


class Transform:
    """Base class: a callable from one (image, mask) pair to another."""

    def __call__(self, image: torch.Tensor, mask: torch.Tensor) -> Sample:
        raise NotImplementedError


def _pair(size: Union[int, list[int], tuple[int, int]]) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if len(size) != 2:
        raise ValueError(f"size must be an int or [height, width], got {size}")
    return int(size[0]), int(size[1])


@TRANSFORMS.register()
class Resize(Transform):
    """Resize so that the longer side is ``size``, keeping the aspect ratio.

    Args:
        size: Length of the longer side after resizing, in pixels.
        mode: Interpolation of the image; the mask always uses nearest neighbours.
    """

    def __init__(self, size: int, mode: Literal["bilinear", "nearest"] = "bilinear") -> None:
        if size < 1:
            raise ValueError(f"size must be positive, got {size}")
        self.size = size
        self.mode = mode

    def __call__(self, image: torch.Tensor, mask: torch.Tensor) -> Sample:
        height, width = image.shape[-2:]
        scale = self.size / max(height, width)
        new = (max(round(height * scale), 1), max(round(width * scale), 1))
        if self.mode == "bilinear":
            image = F.interpolate(image[None], size=new, mode="bilinear", align_corners=False)[0]
        else:
            image = F.interpolate(image[None], size=new, mode="nearest")[0]
        mask = F.interpolate(mask[None, None].float(), size=new, mode="nearest")[0, 0].long()
        return image, mask


@TRANSFORMS.register()
class Pad(Transform):
    """Pad at the bottom and right up to ``size`` (larger inputs are left as they are).

    Args:
        size: Target size, one int for a square or ``[height, width]``.
        value: Fill value of the padded image pixels.
        ignore_index: Fill value of the padded mask pixels (ignored by the loss).
    """

    def __init__(
        self,
        size: Union[int, list[int]],
        value: float = 0.0,
        ignore_index: int = 255,
    ) -> None:
        self.size = _pair(size)
        self.value = value
        self.ignore_index = ignore_index

    def __call__(self, image: torch.Tensor, mask: torch.Tensor) -> Sample:
        height, width = image.shape[-2:]
        pad_h, pad_w = max(self.size[0] - height, 0), max(self.size[1] - width, 0)
        if pad_h or pad_w:
            image = F.pad(image, (0, pad_w, 0, pad_h), value=self.value)
            mask = F.pad(mask, (0, pad_w, 0, pad_h), value=self.ignore_index)
        return image, mask


@TRANSFORMS.register()
class Normalize(Transform):
    """Subtract a per-channel mean and divide by a per-channel standard deviation.

    Args:
        mean: Mean of each image channel.
        std: Standard deviation of each image channel (all positive).
    """

    def __init__(
        self,
        mean: list[float] = [0.5, 0.5, 0.5],  # noqa: B006 - never mutated
        std: list[float] = [0.5, 0.5, 0.5],  # noqa: B006 - never mutated
    ) -> None:
        if len(mean) != len(std) or any(s <= 0 for s in std):
            raise ValueError(f"mean and std need the same length and std > 0: {mean}, {std}")
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, image: torch.Tensor, mask: torch.Tensor) -> Sample:
        return (image - self.mean) / self.std, mask


@TRANSFORMS.register()
class RandomFlip(Transform):
    """Flip image and mask horizontally with probability ``prob``.

    Args:
        prob: Probability of flipping a sample.
        seed: Seed of this transform's random generator; ``None`` draws a fresh seed.
    """

    def __init__(self, prob: float = 0.5, seed: Optional[int] = None) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must be in [0, 1], got {prob}")
        self.prob = prob
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)

    def __call__(self, image: torch.Tensor, mask: torch.Tensor) -> Sample:
        if torch.rand((), generator=self.generator).item() < self.prob:
            return image.flip(-1), mask.flip(-1)
        return image, mask
