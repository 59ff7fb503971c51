"""Cached access to aecore from the app: each dataset is loaded once per server process, and which
datasets this machine has (the embedded ones, and the downloads that are here)."""

from __future__ import annotations


import hashlib
import io

import numpy as np
import streamlit as st
import torch
from PIL import Image

import aecore
from aecore.data.download import DATASETS as DOWNLOADS, is_downloaded
from aecore.data.splits import TEST_FRACTION, split_positions as aecore_split_positions, split_sizes as aecore_split_sizes
from ui.core.gallery import class_gallery
from ui.core.active import ActiveModel

# Datasets embedded in aecore (no files, no network), always offered.
OFFLINE_DATASETS: tuple[str, ...] = ("digits", "shapes")
# Datasets offered once downloaded (aecore.data.download): MNIST, Fashion-MNIST, KMNIST, CIFAR-10.
DOWNLOADABLE_DATASETS: tuple[str, ...] = tuple(DOWNLOADS)


@st.cache_resource(show_spinner="Loading dataset…")
def load_dataset(name: str) -> aecore.ImageDataset:
    """Load `name` with its default options; shared by all sessions (treat it as read-only). A
    dataset to download is only read here: fetching 11 to 163 MB inside a script run would block
    the page, so downloads run as jobs (ui.core.downloads) and a missing one raises the loader's
    message saying what to put where."""
    return aecore.load_dataset(name, **({"download": False} if name in DOWNLOADABLE_DATASETS else {}))


def offline_datasets() -> list[str]:
    """Names of the datasets this machine has: the embedded ones registered in aecore, then the
    downloaded ones. Nothing is loaded here (only file names are looked at): start-up stays instant,
    and a page that fails to load one shows the loader's message."""
    registered = aecore.list_datasets()
    return [name for name in (*OFFLINE_DATASETS, *DOWNLOADABLE_DATASETS) if name in registered and is_available(name)]


def dataset_choices() -> list[str]:
    """What the sidebar offers: the embedded datasets, then every one that can be downloaded."""
    registered = aecore.list_datasets()
    return [name for name in (*OFFLINE_DATASETS, *DOWNLOADABLE_DATASETS) if name in registered]


def is_available(name: str) -> bool:
    """Whether `name` loads without a download: embedded, or its files are in the data folder."""
    return name in OFFLINE_DATASETS or (name in DOWNLOADABLE_DATASETS and is_downloaded(name))


@st.cache_data(show_spinner=False, max_entries=64)
def gallery_image(name: str, per_class: int, seed: int) -> np.ndarray:
    """The class gallery of dataset `name` as an (H, W, 3) uint8 array, see `class_gallery`."""
    dataset = load_dataset(name)
    return class_gallery(dataset.images, dataset.labels, len(dataset.classes), per_class, seed)


@st.cache_data(show_spinner=False, max_entries=64)
def gallery_png(name: str, per_class: int, seed: int) -> bytes:
    """`gallery_image` as PNG bytes: given an array, st.image would encode it again on every rerun."""
    buffer = io.BytesIO()
    Image.fromarray(gallery_image(name, per_class, seed)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@st.cache_resource(show_spinner=False)
def train_test_split(name: str) -> tuple[aecore.ImageDataset, aecore.ImageDataset]:
    """(train, test) of dataset `name` (`aecore.load_split`: its own test file where it has one, which
    no shipped model trained on); the test images are the ones every page shows. Shared by all
    sessions (read-only)."""
    return aecore.load_split(name)


@st.cache_data(show_spinner=False, max_entries=16)
def split_sizes(name: str) -> tuple[int, int]:
    """(training images, test images) of `train_test_split(name)`, without drawing it (Home shows
    only the counts; `aecore.data.splits.split_sizes`)."""
    return aecore_split_sizes(name)


def test_words(dataset: str) -> str:
    """Where a dataset's test images come from, in words (`aecore.load_split`)."""
    if aecore.data.has_test_file(dataset):
        return "the official test file, read beside the training files"
    return f"{TEST_FRACTION:.0%} of the images, held out by a seeded draw"


@st.cache_data(show_spinner=False, max_entries=8)
def split_positions(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `train_test_split(name)`'s images in the whole dataset: stored maps and results
    name their images so (`aecore.data.split_positions`)."""
    return aecore_split_positions(*train_test_split(name), name)


def test_split(name: str) -> aecore.ImageDataset:
    """The held-out images of dataset `name` (see `train_test_split`)."""
    return train_test_split(name)[1]


def model_key(active: ActiveModel) -> str:
    """A cache key that changes whenever the weights do: the zoo's name, or a hash of the weights of
    a trained or uploaded model (a retrained model may keep its display name)."""
    if active.source == "pretrained":
        return f"pretrained:{active.name}"
    digest = hashlib.blake2b(digest_size=16)
    for tensor in active.model.state_dict().values():
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return f"{active.source}:{active.name}:{digest.hexdigest()}"


@st.cache_data(show_spinner=False, max_entries=16)
def read_upload(file_id: str, _data: bytes, shape: tuple[int, int, int], invert: bool, name: str) -> torch.Tensor:
    """An uploaded file as one (C, H, W) image; ValueError with a message to show otherwise."""
    return aecore.studies.lab.image_from_bytes(_data, shape, invert=invert, name=name)
