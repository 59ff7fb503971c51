"""Image grids for the app: pick a few images per class and compose them into one picture."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# Gray padding separates tiles whether the images are dark-on-light or light-on-dark.
PAD_VALUE = 0.5


def pick_per_class(labels: torch.Tensor | None, n_classes: int, per_class: int, seed: int,
                   n_images: int) -> list[torch.Tensor]:
    """Indices of up to `per_class` images for each class, one tensor per class.

    Seed 0 takes the first images of each class in dataset order; any other seed draws them at
    random, reproducibly. Without labels the whole dataset counts as one class.
    """
    order = torch.arange(n_images)
    if seed != 0:
        order = torch.randperm(n_images, generator=torch.Generator().manual_seed(seed))
    if labels is None:
        return [order[:per_class]]
    return [order[labels[order] == c][:per_class] for c in range(n_classes)]


def upscale(images: torch.Tensor, tile_px: int) -> torch.Tensor:
    """Enlarge (N, C, H, W) images by a whole factor with nearest-neighbour, so pixels stay sharp."""
    factor = max(1, tile_px // images.shape[-1])
    return F.interpolate(images, scale_factor=factor, mode="nearest") if factor > 1 else images


def tile(images: torch.Tensor, ncols: int, padding: int = 2, pad_value: float = PAD_VALUE) -> torch.Tensor:
    """(N, C, H, W) images -> one (3, H', W') picture, `ncols` per row with `padding` pixels of
    `pad_value` around each: torchvision's `make_grid` layout, written here because importing
    torchvision costs well over a second of the app's start-up (it loads torch._dynamo)."""
    n, _, h, w = images.shape
    ncols = max(1, min(ncols, n))
    images = images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
    step_y, step_x = h + padding, w + padding
    canvas = torch.full((3, -(-n // ncols) * step_y + padding, ncols * step_x + padding), float(pad_value))
    for i, image in enumerate(images):
        top, left = (i // ncols) * step_y + padding, (i % ncols) * step_x + padding
        canvas[:, top:top + h, left:left + w] = image
    return canvas


def compose_grid(images: torch.Tensor, ncols: int, tile_px: int = 64) -> np.ndarray:
    """Compose (N, C, H, W) images in [0, 1] into one (H', W', 3) uint8 picture, `ncols` per row."""
    grid = tile(upscale(images.float().clamp(0, 1), tile_px), ncols)  # (3, H', W'), gray -> RGB
    return (grid.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()


def class_gallery(images: torch.Tensor, labels: torch.Tensor | None, n_classes: int,
                  per_class: int, seed: int = 0, tile_px: int = 64) -> np.ndarray:
    """One row per class, `per_class` images in each (fewer if a class is small)."""
    rows = []
    for index in pick_per_class(labels, n_classes, per_class, seed, len(images)):
        # Pad a short class with blank tiles so the next class still starts a new row.
        blank = torch.full((per_class - len(index), *images.shape[1:]), PAD_VALUE)
        rows.append(torch.cat([images[index].float(), blank]))
    return compose_grid(torch.cat(rows), ncols=per_class, tile_px=tile_px)
