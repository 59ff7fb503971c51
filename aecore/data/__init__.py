"""Datasets: one `ImageDataset` type, a registry of loaders, and the built-in sets.

    load_dataset("digits")                      # bundled with scikit-learn, offline
    load_dataset("shapes", size=10000, seed=0)  # generated, with known factors
    load_dataset("mnist", download=False)       # torchvision sets, cached under default_data_root()
    train, test = load_split("mnist")           # the training file, the official test file (digits: 80/20)
    download_dataset("mnist", progress=print)   # fetch them first, with progress (aecore.data.download)
    load_dataset("folder", path="my_images.zip", image_size=28, mode="L")
    load_dataset("stream", path="images.npy")   # StreamedImages: read from disk batch by batch

Importing this package registers every built-in loader; `register_dataset` adds your own.
"""

from aecore.data import builtin, files, stream, torchvision_sets  # noqa: F401  (importing registers the loaders)
from aecore.data.dataset import ImageDataset
from aecore.data.download import download_dataset, download_size, is_downloaded
from aecore.data.files import read_idx
from aecore.data.registry import (
    DatasetNotAvailableError,
    dataset_options,
    list_datasets,
    load_dataset,
    register_dataset,
)
from aecore.data.splits import has_test_file, load_split, split_positions
from aecore.data.stream import StreamedImages
from aecore.data.paths import default_data_root

__all__ = [
    "DatasetNotAvailableError", "ImageDataset", "dataset_options", "default_data_root", "download_dataset",
    "download_size", "has_test_file", "is_downloaded", "list_datasets", "load_dataset", "load_split", "read_idx",
    "register_dataset", "split_positions", "StreamedImages",
]
