"""MNIST, Fashion-MNIST, KMNIST and CIFAR-10 through torchvision, converted to ImageDataset.

Files live under one cache folder (see `default_data_root`) in the layout torchvision expects, so a
user without internet can copy them there by hand. When they are missing and cannot be downloaded
the error says exactly which files go where, instead of torchvision's stack trace.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from aecore.data.dataset import ImageDataset
from aecore.data.registry import DatasetNotAvailableError, register_dataset

_MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
# name -> (torchvision class name, where the original files can be fetched by hand)
_MNIST_LIKE = {
    "mnist": ("MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/"),
    "fashion-mnist": ("FashionMNIST", "https://github.com/zalandoresearch/fashion-mnist"),
    "kmnist": ("KMNIST", "https://github.com/rois-codh/kmnist"),
}


def _tvd():
    # torchvision is imported on first use: its import pulls in torch._dynamo (over a second on
    # 2 cores), which the app's start-up should not pay for datasets it may never open.
    import torchvision.datasets

    return torchvision.datasets


def default_data_root() -> Path:
    """$AECORE_DATA if set, else $XDG_CACHE_HOME/aecore/datasets, else ~/.cache/aecore/datasets."""
    if os.environ.get("AECORE_DATA"):
        return Path(os.environ["AECORE_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "aecore" / "datasets"


def _check_flags(root: str | Path | None, download: bool, train: bool) -> Path:
    for option, value in (("download", download), ("train", train)):
        if not isinstance(value, bool):
            raise ValueError(f"{option} must be True or False; got {value!r}")
    return default_data_root() if root is None else Path(root).expanduser()


def _unpack_gz(raw: Path) -> None:
    """Unpack hand-copied `*.gz` MNIST files: torchvision reads only the unpacked ones."""
    for stem in _MNIST_FILES:
        packed, plain = raw / f"{stem}.gz", raw / stem
        if packed.is_file() and not plain.exists():
            with gzip.open(packed, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)


def _load_mnist_like(name: str, root: str | Path | None, download: bool, train: bool) -> ImageDataset:
    class_name, source = _MNIST_LIKE[name]
    cls = getattr(_tvd(), class_name)
    root = _check_flags(root, download, train)
    raw = root / cls.__name__ / "raw"
    if raw.is_dir():
        _unpack_gz(raw)
    try:
        data = cls(str(root), train=train, download=download)
    except (RuntimeError, OSError) as error:  # torchvision's "not found", or no network (URLError)
        missing = [f for f in _MNIST_FILES if not (raw / f).is_file()]
        if not missing:
            raise ValueError(f"the {name} files in {raw} could not be read ({error}); they may be damaged: "
                             "delete them and load again with download=True") from None
        reason = "could not be downloaded (no network?)" if download else "is not there and download=False"
        raise DatasetNotAvailableError(
            f"{name} {reason}. Put these files (each may also be gzipped, ending in .gz) in the folder "
            f"{raw}: {', '.join(missing)}. They are available from {source}. Or connect to the "
            "internet and load with download=True, or set root= (or $AECORE_DATA) to a folder that has them."
        ) from None
    classes = [c.split(" - ")[0] for c in cls.classes]  # MNIST's "0 - zero" becomes "0", as in digits
    return ImageDataset.from_arrays(data.data, data.targets, classes, name=_split_name(name, train))


def _split_name(name: str, train: bool) -> str:
    return name if train else f"{name} (test)"


@register_dataset("mnist")
def load_mnist(*, root: str | Path | None = None, download: bool = True, train: bool = True) -> ImageDataset:
    """MNIST handwritten digits, 28x28 gray: 60,000 training or (train=False) 10,000 test images."""
    return _load_mnist_like("mnist", root, download, train)


@register_dataset("fashion-mnist")
def load_fashion_mnist(*, root: str | Path | None = None, download: bool = True,
                       train: bool = True) -> ImageDataset:
    """Fashion-MNIST clothing, 28x28 gray: 60,000 training or (train=False) 10,000 test images."""
    return _load_mnist_like("fashion-mnist", root, download, train)


@register_dataset("kmnist")
def load_kmnist(*, root: str | Path | None = None, download: bool = True, train: bool = True) -> ImageDataset:
    """Kuzushiji-MNIST cursive Japanese, 28x28 gray: 60,000 training or (train=False) 10,000 test images."""
    return _load_mnist_like("kmnist", root, download, train)


@register_dataset("cifar10")
def load_cifar10(*, root: str | Path | None = None, download: bool = True, train: bool = True) -> ImageDataset:
    """CIFAR-10 photos, 32x32 RGB in 10 classes: 50,000 training or (train=False) 10,000 test images."""
    root = _check_flags(root, download, train)
    folder = root / _tvd().CIFAR10.base_folder
    try:
        data = _tvd().CIFAR10(str(root), train=train, download=download)
    except (RuntimeError, OSError):  # missing or damaged files, or no network (URLError)
        reason = "could not be downloaded (no network?)" if download else "is not there and download=False"
        raise DatasetNotAvailableError(
            f"cifar10 {reason}. Put {_tvd().CIFAR10.filename} (from {_tvd().CIFAR10.url}) in the folder {root} "
            f"and load with download=True (it is only unpacked, not downloaded), or unpack it there so that "
            f"{folder} holds data_batch_1 ... data_batch_5, test_batch and batches.meta."
        ) from None
    images = torch.from_numpy(np.asarray(data.data))  # (N, 32, 32, 3) uint8, channels last
    return ImageDataset.from_arrays(images, np.asarray(data.targets), data.classes, name=_split_name("cifar10", train))
