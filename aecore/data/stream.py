"""Images that stay on disk: a memory-mapped .npy array or a folder of image files, read batch by
batch through DataLoader workers, and the rule that decides when to read them whole instead.

    data = load_dataset("stream", path="images.npy")      # StreamedImages: nothing read yet
    data = load_dataset("stream", path="photos/", image_size=28, num_workers=4)
    fit(model, data, epochs=5)  # fit reads it whole when it fits the budget, else streams it
    python -m aecore train --data images.npy --out ae.zip

`fit` keeps its resident path (the whole set as one tensor on the device, batches by indexing)
wherever the data fits: it is several times faster for these small models. The budget is a
quarter of the memory free on the training device when training starts (`resident_budget`), or
`memory_budget_mb` when given; the chosen path is recorded on the History (`feed`, `feed_reason`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from aecore.data.dataset import ImageDataset
from aecore.data.files import IMAGE_SUFFIXES, _decode, _existing_path, _labels_from_parts
from aecore.data.registry import register_dataset

BUDGET_SHARE = 0.25  # of the device's free memory: room left for the model, its activations, the app
_CHUNK = 4096  # images per read when a streamed set is read whole


class StreamedImages(Dataset):
    """Images in [0, 1] read from disk on demand, with ImageDataset's `image_shape`, `labels`,
    `classes`, `name`, `subset` and `split` (the same split as the resident set would take).

    One item is a float32 (C, H, W) tensor; `__getitems__` reads a whole batch at once, which
    DataLoader uses, so a memory-mapped array is read with one fancy index per batch.
    """

    def __init__(self, path: Path, kind: str, shape: tuple[int, ...], files: Sequence[Path] | None = None,
                 labels: torch.Tensor | None = None, classes: Sequence[str] = (), name: str = "stream",
                 image_size: int = 28, mode: str = "L", num_workers: int | None = None,
                 memory_budget_mb: float | None = None, index: np.ndarray | None = None) -> None:
        self.path, self.kind, self.shape, self.files = path, kind, tuple(shape), list(files or [])
        self.image_size, self.mode, self.name = image_size, mode, name
        self.index = np.arange(shape[0]) if index is None else np.asarray(index, dtype=np.int64)
        self.labels, self.classes = labels, list(classes)
        self.num_workers = default_workers() if num_workers is None else int(num_workers)
        self.memory_budget_mb = memory_budget_mb
        self._array: np.ndarray | None = None  # the memory map, opened in each process on first use

    # --- what ImageDataset offers -------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        c, h, w = _chw(self.shape)
        return (c, h, w)

    def __len__(self) -> int:
        return len(self.index)

    def __repr__(self) -> str:
        c, h, w = self.image_shape
        return f"StreamedImages(name={self.name!r}, images={len(self)} x {c}x{h}x{w}, from {self.path})"

    def subset(self, indices: Any, name: str | None = None) -> StreamedImages:
        positions = torch.as_tensor(np.asarray(indices))
        if positions.dtype == torch.bool:
            positions = positions.nonzero().flatten()
        positions = positions.long().numpy()
        copy = StreamedImages(self.path, self.kind, self.shape, self.files, None, self.classes,
                              self.name if name is None else name, self.image_size, self.mode, self.num_workers,
                              self.memory_budget_mb, self.index[positions])
        copy.labels = None if self.labels is None else self.labels[torch.from_numpy(positions)]
        return copy

    # The split must be ImageDataset's own, so a set splits the same streamed or resident: borrow it.
    split_indices = ImageDataset.split_indices
    _can_stratify = ImageDataset._can_stratify

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[StreamedImages, StreamedImages]:
        train, test = self.split_indices(test_fraction, seed)
        return self.subset(train, f"{self.name} (train)"), self.subset(test, f"{self.name} (test)")

    # --- reading ------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_array": None}  # a worker opens its own memory map

    def __getitem__(self, position: int) -> torch.Tensor:
        return self.__getitems__([position])[0]

    def __getitems__(self, positions: Sequence[int]) -> torch.Tensor:
        """(n, C, H, W) float32 in [0, 1]: the images at these positions, in this order."""
        rows = self.index[np.asarray(positions, dtype=np.int64)]
        if self.kind == "npy":
            if self._array is None:
                self._array = np.load(self.path, mmap_mode="r", allow_pickle=False)
            raw = np.asarray(self._array[rows])
        else:
            raw = np.stack([_decode(self.files[r].read_bytes(), str(self.files[r]), self.image_size, self.mode)
                            for r in rows]) if len(rows) else np.zeros((0, *self.shape[1:]), np.uint8)
        return _to_tensor(raw, self.shape)

    @property
    def resident_bytes(self) -> int:
        """What the set takes held whole as float32, as fit's resident path holds it."""
        c, h, w = self.image_shape
        return len(self) * c * h * w * 4

    def to_dataset(self, limit: int | None = None) -> ImageDataset:
        """The first `limit` images (all by default) read whole into an ImageDataset."""
        n = len(self) if limit is None else min(limit, len(self))
        images = torch.cat([self.__getitems__(range(start, min(start + _CHUNK, n))) for start in range(0, n, _CHUNK)])
        labels = None if self.labels is None else self.labels[:n].clone()
        return ImageDataset(images, labels, list(self.classes) if labels is not None else [], self.name)

    def loader(self, batches: Iterable[Sequence[int]], pin_memory: bool = False) -> DataLoader:
        """A DataLoader yielding the batches `batches` names (positions), read by worker processes."""
        workers = self.num_workers
        return DataLoader(self, batch_sampler=batches, num_workers=workers, collate_fn=_as_batch,
                          pin_memory=pin_memory, persistent_workers=workers > 0,
                          prefetch_factor=4 if workers > 0 else None)


class EpochBatches:
    """A DataLoader batch sampler whose batches (lists of positions) are set before each epoch, so
    one loader with persistent workers serves every epoch of a run."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def _as_batch(batch: torch.Tensor) -> torch.Tensor:
    return batch  # __getitems__ already returns the stacked batch


def default_workers() -> int:
    """DataLoader workers when none are asked for: one per spare core, at most 4."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def resident_budget(device: torch.device) -> int:
    """Bytes the resident path may take on `device`: BUDGET_SHARE of its free memory now."""
    if device.type == "cuda":
        free = torch.cuda.mem_get_info(device)[0]
    else:
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):  # not Linux: assume a modest machine
            free = 8 * 2**30
    return int(BUDGET_SHARE * free)


def choose_feed(data: ImageDataset | StreamedImages, device: torch.device) -> tuple[ImageDataset | StreamedImages, str, str]:
    """(data to train on, "resident" or "streamed", why): read a streamed set whole when it fits."""
    if isinstance(data, ImageDataset):
        return data, "resident", "already in memory"
    mb = 2**20
    budget = resident_budget(device) if data.memory_budget_mb is None else int(data.memory_budget_mb * mb)
    size = f"{data.resident_bytes / mb:,.1f} MB as float32"
    if data.resident_bytes <= budget:
        return data.to_dataset(), "resident", f"{size} fits the {budget / mb:,.1f} MB budget on {device.type}"
    return data, "streamed", (f"{size} exceeds the {budget / mb:,.1f} MB budget on {device.type}; "
                              f"{data.num_workers} DataLoader worker(s)")


def _chw(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(C, H, W) of one image of an array shaped (N, H, W), (N, C, H, W) or (N, H, W, C)."""
    if len(shape) == 3:
        return (1, shape[1], shape[2])
    if shape[1] in (1, 3):
        return (shape[1], shape[2], shape[3])
    return (3 if shape[3] == 4 else shape[3], shape[1], shape[2])


def _to_tensor(raw: np.ndarray, shape: tuple[int, ...]) -> torch.Tensor:
    # The same arithmetic as ImageDataset.from_arrays (float32, then / 255), so a set trains on
    # the same numbers streamed or resident.
    x = raw.astype(np.float32)
    if raw.dtype == np.uint8:
        x /= 255.0
    if x.ndim == 3:
        x = x[:, None]
    elif len(shape) == 4 and shape[1] not in (1, 3):
        x = x.transpose(0, 3, 1, 2)
        if x.shape[1] == 4:
            x = x[:, :3] * x[:, 3:]  # RGBA over black, as from_arrays does
    return torch.from_numpy(np.ascontiguousarray(x))


def _open_npy(path: Path) -> tuple[tuple[int, ...], str]:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)  # never unpickle a user's file
    except (ValueError, OSError):
        raise ValueError(f"{path.name} is not a readable .npy array; save one with numpy.save(path, images) "
                         "(uint8 0..255 or float in [0, 1])") from None
    ok_layout = array.ndim == 3 or (array.ndim == 4 and (array.shape[1] in (1, 3) or array.shape[3] in (1, 3, 4)))
    if not ok_layout or len(array) == 0:
        raise ValueError(f"{path.name} is shaped {array.shape}; stream arrays shaped (N, H, W), (N, C, H, W) "
                         "or (N, H, W, C) with at least one image")
    if array.dtype != np.uint8 and array.dtype != np.bool_:
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"{path.name} holds {array.dtype}; stream uint8 (0..255) or float values in [0, 1]")
        sample = np.asarray(array[: min(len(array), 1000)])
        if not (np.isfinite(sample).all() and sample.min() >= 0 and sample.max() <= 1):
            raise ValueError(f"{path.name} holds floats outside [0, 1]; rescale them (x / 255) or save uint8")
    return tuple(array.shape), "npy"


@register_dataset("stream")
def load_stream(*, path: str | Path, image_size: int = 28, mode: str = "L", num_workers: int | None = None,
                memory_budget_mb: float | None = None) -> StreamedImages:
    """Images streamed from disk: a .npy array (memory-mapped) or a folder of image files.

    A folder is read as the "folder" dataset reads it (sub-folders name the classes; every image
    resized to image_size in mode "L" or "RGB"), one file at a time by the workers. num_workers:
    DataLoader workers (default: one per spare core, at most 4). memory_budget_mb: the most the
    resident path may take (default: a quarter of the free memory); fit reads the set whole when
    it fits, and streams it otherwise.
    """
    source = _existing_path(path)
    common = {"num_workers": num_workers, "memory_budget_mb": memory_budget_mb, "name": source.stem}
    if source.is_file() and source.suffix.lower() == ".npy":
        shape, kind = _open_npy(source)
        return StreamedImages(source, kind, shape, **common)
    if not source.is_dir():
        raise ValueError(f"{source.name} is neither a .npy array nor a folder of images; for a .zip use "
                         "--dataset folder (read whole)")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or not 4 <= image_size <= 256:
        raise ValueError(f"image_size must be a whole number of pixels from 4 to 256; got {image_size!r}")
    if mode not in ("L", "RGB"):
        raise ValueError(f'mode must be "L" (gray) or "RGB"; got {mode!r}')
    files = [f for f in sorted(source.rglob("*")) if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
             and not any(p.startswith(".") for p in f.relative_to(source).parts)]
    if not files:
        raise ValueError(f"no images found in {source} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    labels, classes = _labels_from_parts([f.relative_to(source).parts for f in files], source)
    shape = (len(files), image_size, image_size) if mode == "L" else (len(files), image_size, image_size, 3)
    return StreamedImages(source, "folder", shape, files,
                          None if labels is None else torch.tensor(labels, dtype=torch.int64),
                          classes or (), image_size=image_size, mode=mode, **common)


__all__ = ["BUDGET_SHARE", "EpochBatches", "StreamedImages", "choose_feed", "default_workers", "load_stream", "resident_budget"]
