"""The Home page's chart of the pretrained models: each one's test error beside PCA's at the same
code size, read from the zoo's manifest (nothing is run); and what Home says of a downloaded
dataset's size, counted from the files on disk against the official release.

The chart is Streamlit's own bar chart (Vega-Lite), not plotly: Home is the page every new tab
opens first, and plotly.js (4.6 MB of script to parse) added 5 s to it per tab on a loaded 2-core
server, against under 1 s for the Vega-Lite chart (measured in Chromium, fresh contexts)."""

from __future__ import annotations

import pandas as pd

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


def zoo_table(dataset: str) -> pd.DataFrame | None:
    """Test MSE of the dataset's pretrained models (rows, by code size) and of PCA with as many
    components: the columns of Home's grouped bar chart; None when the dataset has no pretrained model."""
    entries = sorted(pretrained_entries(dataset), key=lambda e: (e["latent_dim"], e["name"]))
    if not entries:
        return None
    names = [e["name"].removeprefix(f"{dataset}-") for e in entries]
    return pd.DataFrame({"autoencoder": [e["metrics"]["mse"] for e in entries],
                         "PCA, same code size": [e["pca"]["mse"] for e in entries]},
                        index=pd.Index(names, name="pretrained model"))
