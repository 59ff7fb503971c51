"""Cached access to aecore from the app: each dataset is loaded once per server process."""

from __future__ import annotations

import numpy as np
import streamlit as st

import aecore
from ui.gallery import class_gallery
from ui.state import OFFLINE_DATASETS


@st.cache_resource(show_spinner="Loading dataset…")
def load_dataset(name: str) -> aecore.ImageDataset:
    """Load `name` with its default options; shared by all sessions (treat it as read-only)."""
    return aecore.load_dataset(name)


def offline_datasets() -> list[str]:
    """Names of the embedded datasets registered in aecore. Nothing is loaded here: start-up stays
    instant, and a page that fails to load one shows the loader's message."""
    registered = aecore.list_datasets()
    return [name for name in OFFLINE_DATASETS if name in registered]


@st.cache_data(show_spinner=False, max_entries=64)
def gallery_image(name: str, per_class: int, seed: int) -> np.ndarray:
    """The class gallery of dataset `name` as an (H, W, 3) uint8 array, see `class_gallery`."""
    dataset = load_dataset(name)
    return class_gallery(dataset.images, dataset.labels, len(dataset.classes), per_class, seed)
