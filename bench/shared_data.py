"""The real 28x28 images in ../shared/data (never part of the project), for recipes and quality bars.

Each file holds the first images of MNIST's or Fashion-MNIST's official training split. The last
`held` images are the held-out test set of every quality figure: no recipe or shipped model trains
on them.

    train, test = held_out_split("mnist")      # ImageDatasets, 28x28 gray, labelled
    install("/tmp/aecore-data")                # the rest as IDX files where the `mnist` loader looks,
                                               # so `AECORE_DATA=/tmp/aecore-data python -m aecore zoo`
                                               # trains the shipped models on them

`install` writes the training part as MNIST's train files and the held-out part as its t10k files,
so the loaders read them as they would read the official download.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aecore.data import ImageDataset  # noqa: E402

SHARED = Path(os.environ.get("AECORE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
FILES = {"mnist": "mnist-train-prefix.npz", "fashion-mnist": "fashion-train-prefix.npz"}
FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
CLASSES = {"mnist": [str(i) for i in range(10)],
           "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                             "Bag", "Ankle boot"]}
HELD = {"mnist": 5000, "fashion-mnist": 2000}  # of 25,206 and 8,517 images


def available(name: str = "mnist") -> bool:
    return (SHARED / FILES[name]).is_file()


def arrays(name: str) -> tuple[np.ndarray, np.ndarray]:
    if not available(name):
        raise FileNotFoundError(f"{SHARED / FILES[name]} is not here (../shared/data is only on the team's machines)")
    with np.load(SHARED / FILES[name]) as data:
        return data["x"], data["y"]


def held_out_split(name: str = "mnist", held: int | None = None) -> tuple[ImageDataset, ImageDataset]:
    """(train, test): all but the last `held` images, and those last ones."""
    x, y = arrays(name)
    held = HELD[name] if held is None else held
    make = lambda a, b, tag: ImageDataset.from_arrays(torch.from_numpy(a), b, CLASSES[name], name=f"{name} {tag}")  # noqa: E731
    return make(x[:-held], y[:-held], "(shared prefix)"), make(x[-held:], y[-held:], "(held out)")


def _write_idx(path: Path, array: np.ndarray) -> None:
    code = 0x0803 if array.ndim == 3 else 0x0801  # unsigned bytes; 3 or 1 dimensions
    with open(path, "wb") as out:
        out.write(struct.pack(">I", code) + b"".join(struct.pack(">I", n) for n in array.shape))
        out.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def install(root: str | Path, names: tuple[str, ...] = ("mnist", "fashion-mnist")) -> Path:
    """Write each dataset's training part and held-out part as IDX files under root/<Folder>/raw."""
    root = Path(root)
    for name in names:
        x, y = arrays(name)
        raw = root / FOLDERS[name] / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        cut = len(x) - HELD[name]
        for prefix, part in (("train", slice(0, cut)), ("t10k", slice(cut, None))):
            _write_idx(raw / f"{prefix}-images-idx3-ubyte", x[part])
            _write_idx(raw / f"{prefix}-labels-idx1-ubyte", y[part])
    return root


if __name__ == "__main__":
    print(install(sys.argv[1] if len(sys.argv) > 1 else "/tmp/aecore-data"))
