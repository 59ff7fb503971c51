"""ImageDataset: the one type every dataset loader returns, and the conversion from raw arrays into it.

A dataset is held whole in memory as one float32 tensor (N, C, H, W) in [0, 1]. The datasets this
package teaches with are small enough for that, and whole-tensor access keeps training loops and the
app's galleries simple: no DataLoader workers, no per-item transforms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor | Sequence

ACCEPTED_LAYOUTS = "(N, H, W), (N, H, W, C) with C in 1, 3, 4, or (N, C, H, W) with C in 1, 3"


@dataclass(eq=False, repr=False)
class ImageDataset:
    """Images in [0, 1], with optional labels and, for synthetic sets, the factors that made them."""

    images: torch.Tensor  # (N, C, H, W) float32 in [0, 1]
    labels: torch.Tensor | None = None  # (N,) int64; None when the images carry no labels
    classes: list[str] = field(default_factory=list)  # classes[label] names a label; [] if unlabelled
    name: str = "dataset"
    factors: dict[str, torch.Tensor] | None = None  # factor name -> (N,) values, e.g. dSprites-style

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.dtype != torch.float32:
            raise ValueError(
                f"ImageDataset.images must be a float32 tensor (N, C, H, W); got {self.images.dtype} "
                f"{tuple(self.images.shape)}. Use ImageDataset.from_arrays to convert raw arrays."
            )
        n = len(self.images)
        if self.labels is not None:
            if self.labels.shape != (n,) or self.labels.dtype != torch.int64:
                raise ValueError(f"labels must be an int64 tensor of shape ({n},); got {self.labels.dtype} "
                                 f"{tuple(self.labels.shape)}")
            if n and int(self.labels.max()) >= len(self.classes):
                raise ValueError(f"labels go up to {int(self.labels.max())} but only {len(self.classes)} "
                                 "class names were given; give one name per label value")
        for key, values in (self.factors or {}).items():
            if len(values) != n:
                raise ValueError(f"factor {key!r} has {len(values)} values for {n} images")

    @classmethod
    def from_arrays(
        cls,
        images: ArrayLike,
        labels: ArrayLike | None = None,
        classes: Sequence[str] | None = None,
        name: str = "arrays",
    ) -> ImageDataset:
        """Build a dataset from numpy arrays or tensors in any common image layout.

        images: uint8 0..255 (divided by 255), or float/int either in [0, 1] (kept) or in [0, 255]
        (divided by 255; decided by whether the maximum exceeds 1). Shapes: (N, H, W) for gray;
        (N, H, W, C) with C in 1, 3, 4 (RGBA is composited onto black); or (N, C, H, W) with C in 1, 3.
        When both axis 1 and axis 3 could be channels, axis 1 (channels-first) wins.
        labels: N non-negative integers. classes defaults to "0", "1", ... up to the largest label.
        """
        x = _images_to_tensor(images)
        if labels is None:
            if classes is not None:
                raise ValueError("classes were given without labels; pass labels too, or drop classes")
            return cls(x, None, [], name)
        y = _labels_to_tensor(labels, len(x))
        largest = int(y.max())
        if classes is None:
            names = [str(i) for i in range(largest + 1)]
        else:
            names = [str(c) for c in classes]
            if len(names) <= largest:
                raise ValueError(f"labels go up to {largest} but only {len(names)} class names were given; "
                                 "give one name per label value")
        return cls(x, y, names, name)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        c, h, w = self.images.shape[1:]
        return (int(c), int(h), int(w))

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        c, h, w = self.image_shape
        parts = [f"name={self.name!r}", f"images={len(self)} x {c}x{h}x{w}"]
        parts.append(f"classes={len(self.classes)}" if self.labels is not None else "unlabelled")
        if self.factors:
            parts.append(f"factors={list(self.factors)}")
        return f"ImageDataset({', '.join(parts)})"

    def subset(self, indices: ArrayLike, name: str | None = None) -> ImageDataset:
        """The images at `indices` (ints or a boolean mask), with labels and factors kept aligned."""
        index = torch.as_tensor(np.asarray(indices))
        if index.dtype == torch.bool:
            index = index.nonzero().flatten()
        index = index.long()
        return ImageDataset(
            images=self.images[index],
            labels=None if self.labels is None else self.labels[index],
            classes=list(self.classes),
            name=self.name if name is None else name,
            factors=None if self.factors is None else {k: v[index] for k, v in self.factors.items()},
        )

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[ImageDataset, ImageDataset]:
        """(train, test): a deterministic split, stratified by label when the labels allow it.

        Each part keeps the original order of its images. Stratification is skipped (a plain shuffled
        split is used) when a class has a single image or there are more classes than test images,
        since no split could then keep every class in both parts.
        """
        train, test = self.split_indices(test_fraction, seed)
        return self.subset(train, f"{self.name} (train)"), self.subset(test, f"{self.name} (test)")

    def split_indices(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The positions (sorted) of the train and test images that `split` takes."""
        if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) \
                or not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be a number strictly between 0 and 1, e.g. 0.2; "
                             f"got {test_fraction!r}")
        n = len(self)
        n_test = test_count(n, test_fraction)
        if n_test < 1 or n - n_test < 1:
            raise ValueError(f"cannot split {n} images with test_fraction={test_fraction}: both parts "
                             "need at least one image; use more images or another fraction")
        stratify = self.labels.numpy() if self._can_stratify(n_test) else None
        from sklearn.model_selection import train_test_split  # loads on first use: seconds off the app's start

        train, test = train_test_split(np.arange(n), test_size=n_test, random_state=seed, stratify=stratify)
        return np.sort(train), np.sort(test)

    def _can_stratify(self, n_test: int) -> bool:
        if self.labels is None:
            return False
        counts = torch.bincount(self.labels)
        counts = counts[counts > 0]
        n_classes = len(counts)
        return bool(counts.min() >= 2) and n_test >= n_classes and len(self) - n_test >= n_classes


def test_count(n: int, test_fraction: float) -> int:
    """How many of `n` images `ImageDataset.split` holds out: scikit-learn rounds the test part up."""
    return math.ceil(test_fraction * n)


def _as_numpy(values: ArrayLike, what: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        # numpy has no bfloat16; widening keeps every value exact.
        return (values.float() if values.dtype == torch.bfloat16 else values).numpy()
    array = np.asarray(values)
    if array.dtype == object:
        raise ValueError(f"{what} must be a numeric array of one shape; got a ragged or non-numeric object")
    return array


def _images_to_tensor(images: ArrayLike) -> torch.Tensor:
    """Any accepted layout and dtype -> float32 (N, C, H, W) in [0, 1]."""
    array = _as_numpy(images, "images")
    if array.size == 0:
        raise ValueError(f"images is empty (shape {array.shape}); give at least one image")
    if array.ndim not in (3, 4):
        raise ValueError(f"images must be shaped {ACCEPTED_LAYOUTS}; got shape {array.shape}")
    x = _to_unit_range(array)
    if x.ndim == 3:
        x = x[:, None]
    elif x.shape[1] not in (1, 3):
        if x.shape[3] not in (1, 3, 4):
            raise ValueError(f"images shaped {array.shape} have no channel axis of size 1 or 3; "
                             f"accepted shapes are {ACCEPTED_LAYOUTS}")
        x = x.transpose(0, 3, 1, 2)
        if x.shape[1] == 4:
            x = x[:, :3] * x[:, 3:]  # RGBA over black, the background the models expect
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def _to_unit_range(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"images must hold numbers; got dtype {array.dtype}")
    x = array.astype(np.float32)
    if not np.isfinite(x).all():
        raise ValueError("images contain NaN or infinite values; replace them before loading")
    low, high = float(x.min()), float(x.max())
    if low < 0 or high > 255:
        raise ValueError(f"image values must lie in [0, 1] or [0, 255]; got values from {low:g} to {high:g}. "
                         "Rescale them into one of those ranges first")
    # uint8 always means 0..255; for other dtypes a maximum above 1 can only mean that scale.
    if array.dtype == np.uint8 or high > 1:
        x /= 255.0
    return x


def _labels_to_tensor(labels: ArrayLike, n_images: int) -> torch.Tensor:
    array = _as_numpy(labels, "labels")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]  # a column vector is a common way to store labels
    if array.ndim != 1:
        raise ValueError(f"labels must be one integer per image, shape ({n_images},); got shape {array.shape}")
    if len(array) != n_images:
        raise ValueError(f"got {n_images} images but {len(array)} labels; give exactly one label per image")
    is_number = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if not is_number or (np.issubdtype(array.dtype, np.floating) and not np.all(np.mod(array, 1) == 0)):
        raise ValueError(f"labels must be whole numbers 0, 1, 2, ...; got dtype {array.dtype}")
    if array.min() < 0:
        raise ValueError(f"labels must be 0, 1, 2, ...; got a negative label {array.min()}")
    return torch.from_numpy(array.astype(np.int64))
