"""Cached model loading for the app: each pretrained model is read from disk once per server."""

from __future__ import annotations

import streamlit as st

import aecore
from ui.state import ActiveModel


@st.cache_resource(show_spinner=False, max_entries=64)
def _pretrained(name: str) -> aecore.Autoencoder:
    # Shared by every session: used for inference only (eval mode, no_grad), never trained in place.
    return aecore.load_pretrained(name)


@st.cache_data(show_spinner=False)
def pretrained_entries(dataset: str | None = None) -> list[dict]:
    """The zoo's manifest entries (see `aecore.list_pretrained`), optionally for one dataset."""
    return aecore.list_pretrained(dataset)


def pretrained_model(name: str) -> ActiveModel:
    """A pretrained model wrapped as the session's ActiveModel, with its recorded metrics."""
    entry = aecore.pretrained_entry(name)
    return ActiveModel(model=_pretrained(name), name=name, source="pretrained", dataset=entry["dataset"],
                       metrics=entry["metrics"], pca=entry["pca"])
