"""A synthetic segmentation dataset: coloured rectangles on noise, generated in memory."""

# Optional/Union on purpose: the checker and the editor must understand both spellings.
# ruff: noqa: UP045

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Optional

import torch
from torch.utils.data import Dataset

from seg.registries import DATASETS
from seg.transforms import Transform

_SPLIT_SEED = {"train": 0, "test": 1_000_003}


@DATASETS.register()
class SyntheticSegmentation(Dataset):
    """Images of axis-aligned rectangles, each filled with its class's colour, on noise.

    Samples are generated deterministically from ``seed`` and ``split``; nothing is downloaded.
    When ``data_root`` holds ``synthetic-<split>.pt`` (a dict with ``images`` ``(N, 3, H, W)``
    and ``masks`` ``(N, H, W)``), those tensors are used instead.

    Args:
        data_root: Folder searched for ``synthetic-<split>.pt``; it need not exist.
        split: Which split to generate; the two splits never share samples.
        num_samples: Number of samples.
        num_classes: Number of classes, background (0) included.
        image_size: ``[height, width]`` of the generated images.
        max_objects: Maximum number of rectangles per image.
        seed: Seed of the generator.
        transforms: Applied to every (image, mask) pair, in order.
    """

    def __init__(
        self,
        data_root: str,
        split: Literal["train", "test"] = "train",
        num_samples: int = 16,
        num_classes: int = 3,
        image_size: tuple[int, int] = (48, 56),
        max_objects: int = 3,
        seed: int = 0,
        transforms: Optional[Sequence[Transform]] = None,
    ) -> None:
        if split not in _SPLIT_SEED:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        if len(image_size) != 2 or min(image_size) < 8:
            raise ValueError(f"image_size must be [height, width], both >= 8, got {image_size}")
        self.data_root = Path(data_root)
        self.split = split
        self.num_classes = num_classes
        self.transforms = list(transforms or [])
        stored = self.data_root / f"synthetic-{split}.pt"
        if stored.is_file():
            data = torch.load(stored, weights_only=True)
            self.images, self.masks = data["images"], data["masks"]
        else:
            self.images, self.masks = _generate(
                num_samples, num_classes, tuple(image_size), max_objects, seed + _SPLIT_SEED[split]
            )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, mask = self.images[index], self.masks[index]
        for transform in self.transforms:
            image, mask = transform(image, mask)
        return image, mask

    def __repr__(self) -> str:
        return (
            f"SyntheticSegmentation(split={self.split!r}, samples={len(self)}, "
            f"classes={self.num_classes}, transforms={[type(t).__name__ for t in self.transforms]})"
        )


def _generate(
    count: int, num_classes: int, size: tuple[int, ...], max_objects: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    height, width = size
    gen = torch.Generator().manual_seed(seed)
    colours = torch.rand((num_classes, 3, 1, 1), generator=gen)
    images = torch.rand((count, 3, height, width), generator=gen) * 0.2
    masks = torch.zeros((count, height, width), dtype=torch.int64)
    for i in range(count):
        objects = int(torch.randint(1, max_objects + 1, (), generator=gen))
        for _ in range(objects):
            cls = int(torch.randint(1, num_classes, (), generator=gen))
            top, left = (int(torch.randint(0, n - 4, (), generator=gen)) for n in (height, width))
            bottom = top + int(torch.randint(4, max(height - top, 5), (), generator=gen))
            right = left + int(torch.randint(4, max(width - left, 5), (), generator=gen))
            masks[i, top:bottom, left:right] = cls
            images[i, :, top:bottom, left:right] = (
                colours[cls] * 0.8 + images[i, :, top:bottom, left:right]
            )
    return images.clamp_(0, 1), masks
