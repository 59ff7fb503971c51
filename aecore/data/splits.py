"""Which images train and which test: one rule for every page, job, the zoo and the CLI.

A dataset published with its own test file (MNIST, Fashion-MNIST and KMNIST `t10k`, CIFAR-10
`test_batch`) is tested on that file, and trains on its training file only: every image called a test
image is one no model trained on, whoever trained it and on however many of the training images.
Every other dataset (the embedded digits and shapes, a folder of your own) is split by a seeded,
stratified draw (`ImageDataset.split`).

    train, test = load_split("mnist")    # the 60,000 training images, the 10,000 official test ones
    train, test = load_split("digits")   # 80/20 of the 1,797 images, seed 0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aecore.data.dataset import ImageDataset, test_count
from aecore.data.registry import dataset_options, list_datasets, load_dataset

TEST_FRACTION, SPLIT_SEED = 0.2, 0  # the seeded split of a dataset without a test file of its own


def has_test_file(name: str) -> bool:
    """Whether dataset `name` ships its own test images (its loader takes `train=`); False for a name
    that is no registered dataset (images a caller loaded and named itself)."""
    if name not in list_datasets():
        return False
    return "train" in dataset_options(name)


def _official(name: str, options: dict[str, Any]) -> bool:
    # A caller that picks the file itself (train=False) gets that file, split like any other set.
    return has_test_file(name) and "train" not in options


def load_split(name: str, *, test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED,
               **options: Any) -> tuple[ImageDataset, ImageDataset]:
    """(train, test) of dataset `name` (options go to its loader): its own test file where it has
    one (`test_fraction` and `seed` are then unused), else the seeded split of all its images."""
    if _official(name, options):
        return load_dataset(name, train=True, **options), load_dataset(name, train=False, **options)
    return load_dataset(name, **options).split(test_fraction, seed=seed)


def split_sizes(name: str, *, test_fraction: float = TEST_FRACTION, **options: Any) -> tuple[int, int]:
    """(training images, test images) of `load_split(name, ...)`, counted without drawing the split:
    the seeded draw loads scikit-learn, over two seconds of a cold start, and a page that shows only
    the counts (Home) need not wait for it."""
    if _official(name, options):
        return len(load_dataset(name, train=True, **options)), len(load_dataset(name, train=False, **options))
    n = len(load_dataset(name, **options))
    return n - test_count(n, test_fraction), test_count(n, test_fraction)


def split_positions(train: ImageDataset, test: ImageDataset, name: str, *, test_fraction: float = TEST_FRACTION,
                    seed: int = SPLIT_SEED, **options: Any) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the images of `load_split(name, ...)`'s (train, test) in the whole dataset, which
    for a dataset with a test file is its training images followed by its test images. Stored maps
    name their images so; pass the split already loaded."""
    if _official(name, options):
        return np.arange(len(train)), len(train) + np.arange(len(test))
    return load_dataset(name, **options).split_indices(test_fraction, seed)


def split_record(name: str, test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED,
                 **options: Any) -> dict[str, Any]:
    """How a model's data was split, as its checkpoint records it."""
    if _official(name, options):
        return {"test": "official test file"}
    return {"test_fraction": test_fraction, "seed": seed}


def split_tag(name: str, **options: Any) -> str:
    """A short name of the split `load_split(name)` makes, for the folders of results measured on it."""
    return "official-test" if _official(name, options) else f"split-{TEST_FRACTION:g}-{SPLIT_SEED}"


__all__ = ["SPLIT_SEED", "TEST_FRACTION", "has_test_file", "load_split", "split_positions", "split_record", "split_sizes",
           "split_tag"]
