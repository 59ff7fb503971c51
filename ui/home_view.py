"""The Home page's chart of the pretrained models: each one's test error beside PCA's at the same
code size, read from the zoo's manifest (nothing is run); and what Home says of a downloaded
dataset's size, counted from the files on disk against the official release."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from aecore.data import default_data_root
from aecore.data.download import DATASETS as DOWNLOADS
from ui.core import downloads
from ui.core.models import pretrained_entries


def count_note(dataset: str, train: int, test: int) -> str | None:
    """For a downloaded dataset: where its `train` and `test` images were counted, beside the official
    release's (a mirror or a hand-copied prefix may hold fewer); None for an embedded one."""
    if dataset not in DOWNLOADS:
        return None
    spec = DOWNLOADS[dataset]
    official_train, official_test = spec.official_images
    if (train, test) == spec.official_images:
        compared = "as many as the official release"
    else:
        compared = f"the official release has {official_train:,} and {official_test:,}"
    return (f"{train:,} training and {test:,} test images, counted in the files in "
            f"`{spec.target(default_data_root())}`: {compared}.")


def zoo_note(dataset: str) -> str:
    """The caption under the chart, saying where its errors were measured when not on these images."""
    where = downloads.zoo_errors_where(dataset)
    return ("Each pretrained model's error on test images it never saw" + (f" ({where})" if where else "") +
            ", beside PCA keeping as many numbers per image: where the autoencoder's bar is shorter, its nonlinear "
            "code is worth it. Open one on **Load a model**, or pick it in the sidebar.")


def zoo_figure(dataset: str) -> go.Figure | None:
    """Grouped bars of test MSE for the dataset's pretrained models and PCA with as many components;
    None when the dataset has no pretrained model."""
    entries = sorted(pretrained_entries(dataset), key=lambda e: (e["latent_dim"], e["name"]))
    return _zoo_figure(dataset, entries) if entries else None


@st.cache_resource(show_spinner=False, max_entries=8)
def _zoo_figure(dataset: str, entries: list[dict]) -> go.Figure:
    # Built (and validated) once per zoo listing, not on every rerun of Home. Shared: read-only.
    names = [e["name"].removeprefix(f"{dataset}-") for e in entries]
    figure = go.Figure([
        go.Bar(name="autoencoder", x=names, y=[e["metrics"]["mse"] for e in entries],
               hovertemplate="%{x}: MSE %{y:.4f}<extra></extra>"),
        go.Bar(name="PCA, same code size", x=names, y=[e["pca"]["mse"] for e in entries],
               customdata=[e["pca"]["k"] for e in entries],
               hovertemplate="PCA with %{customdata} components: MSE %{y:.4f}<extra></extra>"),
    ])
    figure.update_layout(barmode="group", height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         yaxis_title="test MSE (lower is better)", legend={"orientation": "h", "y": 1.12})
    return figure
