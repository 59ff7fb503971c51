"""The anomaly page's app side: the one-class training job in the server's queue, cached scores, figures.

The active model's scores are never computed in a script run: a shipped model's reconstruction
errors and PCA's scores for each single normal class are stored with the zoo; a user's model, or
several normal classes, get a job in the server's queue (`ui.core.page_results`). Moving the threshold
only recounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

import aecore
from aecore import anomaly
from aecore.pretrained import SPLIT_SEED, TEST_FRACTION
from aecore.workers import Job
from ui.core import jobs, page_results
from ui.core.cache import load_dataset, model_key
from ui.core.gallery import compose_grid
from ui.core.painting import heat_rgb
from ui.core.state import ActiveModel

PURPOSE = "anomaly"  # the session's one-class training job in ui.core.jobs
ACTIVE_PURPOSE = "anomaly_active"  # the session's job scoring the active model (or PCA) as it is
FOR_KEY = "anomaly_job_for"  # (dataset, normal classes) that job was trained for
AE_COLOR, PCA_COLOR = "#1f77b4", "#ff7f0e"
NORMAL_COLOR, ANOMALY_COLOR = "#2ca02c", "#d62728"


@dataclass
class Scored:
    """Every test image scored by the autoencoder and by PCA, with the truth."""

    scores: np.ndarray  # (N,) autoencoder per-pixel MSE
    pca_scores: np.ndarray  # (N,) PCA's, same k as the code size
    is_anomaly: np.ndarray  # (N,) bool
    roc: dict[str, Any]
    pca_roc: dict[str, Any]
    k: int


@st.cache_resource(show_spinner=False, max_entries=32)
def split(dataset: str, normal: tuple[int, ...]) -> tuple[aecore.ImageDataset, aecore.ImageDataset, np.ndarray]:
    """(normal training images, test images, is_anomaly) of the active dataset's usual split."""
    return anomaly.one_class_split(load_dataset(dataset), normal, TEST_FRACTION, SPLIT_SEED)


def start_training(dataset: str, normal: tuple[int, ...]) -> Job:
    """Queue the one-class recipe, trained on the normal classes only; it scores every test image."""
    spec = aecore.recipes.one_class_spec(dataset, normal)
    st.session_state[FOR_KEY] = (dataset, normal)
    return jobs.submit(PURPOSE, aecore.jobs.one_class, spec, name=f"one-class model of {dataset}")


def current_job(dataset: str, normal: tuple[int, ...]) -> Job | None:
    """The session's one-class job if it was trained for these normal classes of this dataset."""
    return jobs.current(PURPOSE) if st.session_state.get(FOR_KEY) == (dataset, normal) else None


def job_model_key(job: Job) -> str:
    return f"one-class:{job.id}"


@st.cache_resource(show_spinner=False, max_entries=8)
def job_model(key: str, _checkpoint: bytes) -> aecore.Autoencoder:
    """The one-class model a job returned, loaded once."""
    return aecore.load(_checkpoint)


@st.cache_data(show_spinner=False, max_entries=32)
def _job_scores(key: str, _result: dict[str, Any]) -> Scored:
    # The worker scored every test image; only the curves are computed here (milliseconds).
    scores, pca, is_anomaly = _result["scores"], _result["pca_scores"], _result["is_anomaly"]
    return Scored(scores, pca, is_anomaly, anomaly.roc(scores, is_anomaly), anomaly.roc(pca, is_anomaly), _result["k"])


def score_job(job: Job) -> tuple[aecore.Autoencoder, Scored]:
    """The finished job's model and the scores it computed."""
    key = job_model_key(job)
    return job_model(key, job.result["checkpoint"]), _job_scores(key, job.result)


@st.cache_data(show_spinner=False, max_entries=32)
def _scored(key: str, normal: tuple[int, ...], k: int, _scores: np.ndarray, _pca: np.ndarray,
            _is_anomaly: np.ndarray) -> Scored:
    # Only the curves are computed here, from scores measured before (milliseconds).
    return Scored(_scores, _pca, _is_anomaly, anomaly.roc(_scores, _is_anomaly), anomaly.roc(_pca, _is_anomaly), k)


def score_active(dataset: str, normal: tuple[int, ...], active: ActiveModel) -> tuple[Scored | None, Job | None]:
    """(the active model's and PCA's scores of every test image, None), or (None, the job computing
    them): a user's model, or a shipped one with several normal classes (PCA's fit is then new)."""
    train, _, is_anomaly = split(dataset, normal)
    k, key = min(active.model.config.latent_dim, len(train)), model_key(active)
    if page_results.has_stored(active):
        stored = page_results.stored(active.name)["anomaly"]
        scores, pca = stored["scores"], stored["pca_scores"].get(normal[0]) if len(normal) == 1 else None
        if pca is not None and stored["k"] == k:
            return _scored(key, normal, k, scores, pca, is_anomaly), None
        result, job = page_results.background(ACTIVE_PURPOSE, f"{key}:{normal}", aecore.page_jobs.anomaly_scores,
                                              lambda: (None, dataset, normal, k), name=f"PCA scores of {dataset}")
    else:
        result, job = page_results.background(ACTIVE_PURPOSE, f"{key}:{normal}", aecore.page_jobs.anomaly_scores,
                                              lambda: (aecore.to_zip_bytes(active.model), dataset, normal, k),
                                              name=f"anomaly scores of {active.name}")
        scores = None if result is None else result["scores"]
    if result is None:
        return None, job
    return _scored(key, normal, k, scores, result["pca_scores"], is_anomaly), None


def default_threshold(result: Scored) -> float:
    """The 95th percentile of the normal test images' scores: about 5% false alarms."""
    return float(np.quantile(result.scores[~result.is_anomaly], 0.95))


def verdict(result: Scored) -> str:
    """Whether the autoencoder earns its place over PCA on this split, in a sentence."""
    gap = result.roc["auroc"] - result.pca_roc["auroc"]
    if abs(gap) < 0.001:
        return f"The autoencoder and PCA with {result.k} components are as good as each other here: PCA is enough."
    if gap > 0:
        return f"The autoencoder beats PCA with {result.k} components here by {gap:.3f} AUROC."
    return f"PCA with {result.k} components beats the autoencoder here by {-gap:.3f} AUROC: PCA is enough."


def histogram_figure(result: Scored, threshold: float) -> go.Figure:
    figure = go.Figure()
    bins = {"start": 0.0, "end": float(result.scores.max()) * 1.001, "size": float(result.scores.max()) / 60}
    for name, mask, color in (("normal", ~result.is_anomaly, NORMAL_COLOR),
                              ("anomalous", result.is_anomaly, ANOMALY_COLOR)):
        figure.add_histogram(x=result.scores[mask], name=f"{name} ({int(mask.sum())})", xbins=bins,
                             marker_color=color, opacity=0.6, histnorm="probability")
    figure.add_vline(x=threshold, line_dash="dash", line_color="black",
                     annotation_text=f"threshold {threshold:.4f}", annotation_position="top right")
    figure.update_layout(barmode="overlay", height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         xaxis_title="anomaly score (reconstruction MSE per pixel)",
                         yaxis_title="share of the class", legend={"orientation": "h", "y": -0.25})
    return figure


def roc_figure(result: Scored, threshold: float) -> go.Figure:
    figure = go.Figure()
    for name, curve, color in ((f"autoencoder (AUROC {result.roc['auroc']:.3f})", result.roc, AE_COLOR),
                               (f"PCA, k={result.k} (AUROC {result.pca_roc['auroc']:.3f})", result.pca_roc, PCA_COLOR)):
        figure.add_scatter(x=curve["fpr"], y=curve["tpr"], name=name, mode="lines", line={"color": color})
    figure.add_scatter(x=[0, 1], y=[0, 1], name="chance", mode="lines", line={"color": "gray", "dash": "dot"})
    counts = anomaly.confusion(result.scores, result.is_anomaly, threshold)
    fpr = counts["fp"] / max(1, counts["fp"] + counts["tn"])
    recall = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    figure.add_scatter(x=[fpr], y=[recall], name="the threshold", mode="markers",
                       marker={"color": "black", "size": 10})
    figure.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         xaxis_title="false positive rate", yaxis_title="true positive rate (recall)",
                         legend={"orientation": "h", "y": -0.25})
    return figure


def _rgb(images: torch.Tensor) -> torch.Tensor:
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def extremes_image(dataset: str, normal: tuple[int, ...], model: aecore.Autoencoder, result: Scored,
                   count: int, most: bool) -> tuple[np.ndarray, list[str]]:
    """The `count` most (or least) anomalous test images over their reconstructions and error maps,
    as one picture, and a caption per column (class and score)."""
    test = split(dataset, normal)[1]
    order = np.argsort(result.scores)
    index = order[::-1][:count] if most else order[:count]
    x = test.images[index.copy()]
    x_hat = anomaly.reconstructions(model, x)
    grid = compose_grid(torch.cat([_rgb(x), _rgb(x_hat), heat_rgb(x_hat - x)]), ncols=len(index), tile_px=56)
    labels = [f"{test.classes[int(test.labels[i])]}: {result.scores[i]:.4f}" for i in index]
    return grid, labels


def upload_verdict(model: aecore.Autoencoder, image: torch.Tensor, threshold: float) -> tuple[float, np.ndarray]:
    """(score, picture of the image, its reconstruction and error map) of one uploaded image."""
    x = image[None]
    x_hat = anomaly.reconstructions(model, x)
    score = float(anomaly.anomaly_scores(model, x)[0])
    return score, compose_grid(torch.cat([_rgb(x), _rgb(x_hat), heat_rgb(x_hat - x)]), ncols=3, tile_px=112)
