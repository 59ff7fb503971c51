"""MNIST, Fashion-MNIST, KMNIST and CIFAR-10 through torchvision, converted to ImageDataset.

Files live under one cache folder (see `default_data_root`) in the layout torchvision expects, so a
user without internet can copy them there by hand. `download=True` fetches what is missing through
`aecore.data.download` (progress, checksums, no half files) and torchvision only reads. When the
files are missing and cannot be downloaded the error says exactly which files go where, instead of
torchvision's stack trace.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import torch

from aecore.data.dataset import ImageDataset
from aecore.data.download import download_dataset, is_downloaded, unavailable_message
from aecore.data.paths import default_data_root
from aecore.data.registry import DatasetNotAvailableError, register_dataset

_MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
_MNIST_LIKE = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}  # name -> torchvision class


def _tvd():
    # torchvision is imported on first use: its import pulls in torch._dynamo (over a second on
    # 2 cores), which the app's start-up should not pay for datasets it may never open.
    # torchvision is an extra (`aecore[app]`): the core install trains on digits, shapes and your own
    # arrays without it.
    try:
        import torchvision.datasets
    except ImportError as error:
        raise ImportError("MNIST, Fashion-MNIST, KMNIST and CIFAR-10 are read with torchvision, which the core "
                          "install leaves out; install it with: pip install 'aecore[app]'") from error

    return torchvision.datasets


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


def _fetch(name: str, root: Path, download: bool) -> None:
    """Make sure the files of `name` are under `root`: download them (download=True) or say what to
    put where. torchvision is then asked only to read."""
    if is_downloaded(name, root):
        return
    if not download:
        raise DatasetNotAvailableError(unavailable_message(name, root, "is not there and download=False")) from None
    download_dataset(name, root)  # raises DatasetNotAvailableError saying what to put where


def _load_mnist_like(name: str, root: str | Path | None, download: bool, train: bool) -> ImageDataset:
    cls = getattr(_tvd(), _MNIST_LIKE[name])
    root = _check_flags(root, download, train)
    raw = root / cls.__name__ / "raw"
    _fetch(name, root, download)
    try:
        _unpack_gz(raw)
        data = cls(str(root), train=train, download=False)
    except (RuntimeError, OSError, EOFError, ValueError) as error:  # damaged files (torchvision's checks)
        raise ValueError(f"the {name} files in {raw} could not be read ({error}); they may be damaged: "
                         "delete them and load again with download=True") from None
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
    _fetch("cifar10", root, download)
    try:
        # torchvision checks each batch file's md5 before unpickling it: only the published files load.
        data = _tvd().CIFAR10(str(root), train=train, download=False)
    except (RuntimeError, OSError) as error:
        raise ValueError(f"the cifar10 files in {root / _tvd().CIFAR10.base_folder} could not be read ({error}); "
                         "they may be damaged: delete them and load again with download=True") from None
    images = torch.from_numpy(np.asarray(data.data))  # (N, 32, 32, 3) uint8, channels last
    return ImageDataset.from_arrays(images, np.asarray(data.targets), data.classes, name=_split_name("cifar10", train))
