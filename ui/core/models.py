"""Models for the app: cached pretrained loading, checkpoint uploads, and what the model card says.

Everything here returns `ui.core.active.ActiveModel`s; which one is active lives in `ui.core.state`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import streamlit as st

import aecore
from aecore.pretrained import MANIFEST_NAME, pretrained_root
from ui.core.cache import load_dataset, offline_datasets
from ui.core.active import ActiveModel

# Settings every kind shares; the others (beta, penalty, noise...) are what makes a kind's model.
_SHARED_SETTINGS = {f.name for f in dataclasses.fields(aecore.ModelConfig)}


def zoo_stamp() -> str:
    """The zoo's folder and its manifest's modification time: the caches below are keyed on it, so
    models added to the zoo while the server runs (`python -m aecore zoo`) appear on the next rerun."""
    root = pretrained_root()
    try:
        modified = (root / MANIFEST_NAME).stat().st_mtime_ns
    except OSError:
        modified = 0
    return f"{root}@{modified}"


@st.cache_data(show_spinner=False, max_entries=16)
def _entries(dataset: str | None, stamp: str) -> list[dict]:
    return aecore.list_pretrained(dataset)


@st.cache_resource(show_spinner=False, max_entries=64)
def _pretrained(name: str, stamp: str) -> aecore.Autoencoder:
    # Shared by every session: used for inference only (eval mode, no_grad), never trained in place.
    return aecore.load_pretrained(name)


def pretrained_entries(dataset: str | None = None) -> list[dict]:
    """The zoo's manifest entries (see `aecore.list_pretrained`), optionally for one dataset."""
    return _entries(dataset, zoo_stamp())


def pretrained_names(dataset: str) -> list[str]:
    """Names of the pretrained models of `dataset`, in manifest order."""
    return [entry["name"] for entry in pretrained_entries(dataset)]


def pretrained_model(name: str) -> ActiveModel:
    """A pretrained model wrapped as the session's ActiveModel, with its recorded metrics."""
    stamp = zoo_stamp()
    entry = next((e for e in _entries(None, stamp) if e["name"] == name), None)
    if entry is None:
        entry = aecore.pretrained_entry(name)  # raises ValueError listing the valid names
    return ActiveModel(model=_pretrained(name, stamp), name=name, source="pretrained", dataset=entry["dataset"],
                       metrics=entry["metrics"], pca=entry["pca"])


def kind_options(model: aecore.Autoencoder) -> dict[str, Any]:
    """The settings of the model's own kind (beta, penalty, noise...), without the shared ones."""
    return {k: v for k, v in dataclasses.asdict(model.config).items() if k not in _SHARED_SETTINGS}


# --- uploads ------------------------------------------------------------------------------------
def uploaded_model(filename: str, data: bytes) -> ActiveModel:
    """Load an uploaded checkpoint .zip as an ActiveModel (source "uploaded").

    Raises ValueError (aecore.CheckpointError for a file that is no checkpoint) with a message saying
    what is wrong, also when the model fits none of the datasets this app offers.
    """
    model = aecore.load(data)
    test, pca = _recorded_metrics(model.checkpoint)
    dataset = _dataset_for(model)
    # The sidebar lists models by name: never let an upload shadow a pretrained one.
    name = f"uploaded: {filename}" if filename in pretrained_names(dataset) else filename
    return ActiveModel(model=model, name=name, source="uploaded", dataset=dataset, metrics=test, pca=pca)


def _recorded_metrics(checkpoint: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    # (test, pca) as `aecore.save` records them ({"test": ..., "pca": ...} under "metrics"; older
    # files kept them under metadata); anything else a hand-made file holds reads as "not recorded".
    metadata = checkpoint.get("metadata")
    recorded = checkpoint.get("metrics") or (metadata.get("metrics") if isinstance(metadata, dict) else None)
    if not isinstance(recorded, dict):
        return {}, {}
    if "test" not in recorded:
        return dict(recorded), {}
    test, pca = recorded.get("test"), recorded.get("pca")
    return (dict(test) if isinstance(test, dict) else {}), (dict(pca) if isinstance(pca, dict) else {})


def _dataset_for(model: aecore.Autoencoder) -> str:
    # The app shows only embedded datasets, so the model must take their images as they are loaded.
    shape = tuple(model.config.input_shape)
    shapes = {name: tuple(load_dataset(name).image_shape) for name in offline_datasets()}
    offered = ", ".join(f"{name} ({_shape_text(s)})" for name, s in shapes.items())
    recorded = model.checkpoint.get("dataset")
    if recorded is not None and (not isinstance(recorded, str) or recorded not in shapes):
        raise ValueError(f"this checkpoint was trained on {recorded!r}, which this app does not offer; "
                         f"upload a model trained on one of: {offered}")
    if recorded is not None and shapes[recorded] != shape:
        raise ValueError(f"this checkpoint says it was trained on {recorded}, but its model takes "
                         f"{_shape_text(shape)} images and {recorded} has {_shape_text(shapes[recorded])}")
    matches = [recorded] if recorded else [name for name, s in shapes.items() if s == shape]
    if not matches:
        raise ValueError(f"this model takes {_shape_text(shape)} images, which fit none of the datasets "
                         f"this app offers: {offered}")
    return matches[0]


def _shape_text(shape: tuple[int, ...]) -> str:
    return " × ".join(str(v) for v in shape)


def checkpoint_bytes(active: ActiveModel) -> bytes:
    """The active model as a checkpoint .zip that the Load page (or `aecore.load`) reads back,
    keeping its recorded dataset, metrics and, for a loaded checkpoint, its other metadata."""
    recorded = getattr(active.model, "checkpoint", {}).get("metadata")
    metadata = dict(recorded) if isinstance(recorded, dict) else {}
    metadata.update(dataset=active.dataset, metrics={"test": active.metrics, "pca": active.pca},
                    source=active.source, name=active.name)
    return aecore.to_zip_bytes(active.model, metadata)


def download_name(active: ActiveModel) -> str:
    """A file name for the download: the model's name, safe for any file system, ending in .zip."""
    stem = Path(active.name).stem if active.name.endswith(".zip") else active.name
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem).strip("-.") or "model"
    return f"{safe}.zip"


# --- the model card -----------------------------------------------------------------------------
def mse_versus_pca(metrics: dict[str, Any], pca: dict[str, Any]) -> str:
    """"0.0110 vs PCA 0.0236 (0.47x)": test MSE beside PCA's at the same latent dim, as much as is known."""
    mse, pca_mse = (_number(m.get("mse")) for m in (metrics, pca))
    if mse is None:
        return "not recorded"
    if pca_mse is None or pca_mse <= 0:
        return f"{mse:.4f} (no PCA baseline recorded)"
    return f"{mse:.4f} vs PCA {pca_mse:.4f} ({mse / pca_mse:.2f}x)"


def _number(value: Any) -> float | None:
    # An uploaded file may hold anything under "mse"; only a number is shown.
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def card_rows(active: ActiveModel) -> list[tuple[str, str]]:
    """(label, value) rows of the sidebar's model card."""
    config = active.model.config
    options = ", ".join(f"{k} {v}" for k, v in kind_options(active.model).items())
    return [
        ("kind", f"{active.model.kind} ({options})" if options else active.model.kind),
        ("arch", config.arch),
        ("latent dim", str(config.latent_dim)),
        ("dataset", active.dataset),
        ("test MSE", mse_versus_pca(active.metrics, active.pca)),
        ("parameters", f"{active.parameters:,}"),
        ("from", active.source),
    ]


def choice_label(name: str, active: ActiveModel | None) -> str:
    """How the sidebar lists a model: pretrained ones by name, the session's own with their source."""
    if active is None or active.source == "pretrained" or active.name.startswith(f"{active.source}:"):
        return name
    return f"{name} ({active.source})"

