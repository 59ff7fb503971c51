"""The anomaly page's app side: the one-class training job in the server's queue, scores, figures.

Both detectors are compared with PCA fit on the images they learned from, so the comparison is fair:
a one-class model with PCA fit on the normal classes' training images, the active model (trained on
every class) with PCA fit on every training image. Nothing is computed in a script run: a shipped
model's reconstruction errors are stored with the zoo; PCA on every class, a user's model and a
one-class model come from jobs in the server's queue, and a finished one is kept for every session
of the server (the same recipe and seed give the same model), so a class opening a teacher's link
sees what the teacher trained. Moving the threshold only recounts.
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
from aecore.runner import RunSnapshot
from aecore.workers import Job
from ui.core import jobs, page_results, presenter
from ui.core import verdict as verdict_words
from ui.core.cache import model_key, train_test_split
from ui.core.concepts import Live
from ui.core.gallery import compose_grid
from ui.core.painting import heat_rgb
from ui.core.state import ActiveModel

PURPOSE = "anomaly"  # the session's one-class training job in ui.core.jobs
ACTIVE_PURPOSE = "anomaly_active"  # the session's job scoring the active model (or PCA) as it is
FOR_KEY = "anomaly_job_for"  # (dataset, normal classes) that job was trained for
# The detector radio's options are its URL values (?an_mode=active), so they are short words.
ONE_CLASS, ACTIVE = "one-class", "active"
MODES = {ONE_CLASS: "train on the normal classes only", ACTIVE: "the active model as it is"}
DEFAULT_PERCENTILE = 95.0  # the threshold starts where 5% of normal test images raise a false alarm
KEEP_SHARED = 16  # finished one-class results kept for every session of the server
AE_COLOR, PCA_COLOR = "#1f77b4", "#ff7f0e"
NORMAL_COLOR, ANOMALY_COLOR = "#2ca02c", "#d62728"


@dataclass
class Scored:
    """Every test image scored by the autoencoder and by PCA fit on the same images, with the truth."""

    scores: np.ndarray  # (N,) autoencoder per-pixel MSE
    pca_scores: np.ndarray  # (N,) PCA's, same k as the code size
    is_anomaly: np.ndarray  # (N,) bool
    roc: dict[str, Any]
    pca_roc: dict[str, Any]
    k: int
    fit_on: str  # the images both were fit on, in words


@st.cache_resource(show_spinner=False, max_entries=32)
def split(dataset: str, normal: tuple[int, ...]) -> tuple[aecore.ImageDataset, aecore.ImageDataset, np.ndarray]:
    """(normal training images, test images, is_anomaly) of the active dataset's usual split."""
    return anomaly.one_class_split(train_test_split(dataset), normal)


def opening_normal(dataset: aecore.ImageDataset) -> str:
    """The class the page opens on (`aecore.anomaly.OPENING_NORMAL`: where the two methods differ)."""
    return dataset.classes[anomaly.opening_normal(dataset.name, len(dataset.classes))]


# --- one-class mode: a model trained on the normal classes only -----------------------------------
def start_training(dataset: str, normal: tuple[int, ...]) -> Job:
    """Queue the one-class recipe, trained on the normal classes only; it scores every test image."""
    spec = aecore.recipes.one_class_spec(dataset, normal)
    st.session_state[FOR_KEY] = (dataset, normal)
    return jobs.submit(PURPOSE, aecore.studies.jobs.one_class, spec, name=f"one-class model of {dataset}")


def current_job(dataset: str, normal: tuple[int, ...]) -> Job | None:
    """The session's one-class job if it was trained for these normal classes of this dataset."""
    return jobs.current(PURPOSE) if st.session_state.get(FOR_KEY) == (dataset, normal) else None


def shared_one_class(dataset: str, normal: tuple[int, ...]) -> dict[str, Any] | None:
    """A one-class result for these classes that any session of this server trained, or None."""
    return jobs.shared_result("one-class", (dataset, normal))


@st.cache_resource(show_spinner=False, max_entries=8)
def job_model(key: str, _checkpoint: bytes) -> aecore.Autoencoder:
    """The one-class model a job returned, loaded once."""
    return aecore.load(_checkpoint)


@st.cache_data(show_spinner=False, max_entries=32)
def _one_class_scores(key: str, _result: dict[str, Any]) -> Scored:
    # The worker scored every test image; only the curves are computed here (milliseconds).
    scores, pca, is_anomaly = _result["scores"], _result["pca_scores"], _result["is_anomaly"]
    return Scored(scores, pca, is_anomaly, anomaly.roc(scores, is_anomaly), anomaly.roc(pca, is_anomaly),
                  _result["k"], "the normal classes' training images only")


def one_class_result(dataset: str, normal: tuple[int, ...], result: dict[str, Any]) -> tuple[aecore.Autoencoder, Scored, str]:
    """(model, scores, cache key) of a finished one-class job's result, kept for every session."""
    jobs.share_result("one-class", (dataset, normal), result, KEEP_SHARED)
    key = f"one-class:{dataset}:{normal}"
    return job_model(key, result["checkpoint"]), _one_class_scores(key, result), key


# --- active mode: the model as it is, trained on every class --------------------------------------
@st.cache_data(show_spinner=False, max_entries=32)
def _scored(key: str, normal: tuple[int, ...], k: int, _scores: np.ndarray, _pca: np.ndarray,
            _is_anomaly: np.ndarray) -> Scored:
    # Only the curves are computed here, from scores measured before (milliseconds).
    return Scored(_scores, _pca, _is_anomaly, anomaly.roc(_scores, _is_anomaly), anomaly.roc(_pca, _is_anomaly), k,
                  "every class's training images, the anomalies included")


def score_active(dataset: str, normal: tuple[int, ...], active: ActiveModel) -> tuple[Scored | None, Job | None]:
    """(the active model's and PCA's scores of every test image, None), or (None, the job computing
    them). PCA is fit on every training image, as the model was; neither score depends on which
    classes are normal, so changing them only recounts."""
    is_anomaly = split(dataset, normal)[2]
    k, key = active.model.config.latent_dim, model_key(active)
    pca = jobs.shared_result("pca-all", (dataset, k))
    if page_results.has_stored(active):
        scores = page_results.stored(active.name)["anomaly"]["scores"]
        if pca is None:
            result, job = page_results.background(ACTIVE_PURPOSE, f"pca-all:{dataset}:{k}",
                                                  aecore.studies.page_jobs.active_anomaly_scores,
                                                  lambda: (None, dataset, k), name=f"PCA scores of {dataset}")
            if result is None:
                return None, job
            pca = result["pca_scores"]
    else:
        result, job = page_results.background(ACTIVE_PURPOSE, key, aecore.studies.page_jobs.active_anomaly_scores,
                                              lambda: (aecore.to_zip_bytes(active.model), dataset, k, pca is None),
                                              name=f"anomaly scores of {active.name}")
        if result is None:
            return None, job
        scores, pca = result["scores"], result["pca_scores"] if pca is None else pca
    jobs.share_result("pca-all", (dataset, k), pca, KEEP_SHARED)
    return _scored(f"{key}:pca-all", normal, k, scores, pca, is_anomaly), None


# --- the threshold and what it flags -----------------------------------------------------------------
def threshold_at(result: Scored, percentile: float) -> float:
    """The score τ below which `percentile` % of the normal test images fall: at 95, 5% false alarms.
    A percentile rather than a raw score keeps one slider (and one link) meaningful for every model."""
    return float(np.percentile(result.scores[~result.is_anomaly], percentile))


def lesson_facts(result: Scored, percentile: float) -> dict[str, float]:
    """The numbers a lesson's claim may name: the AUROCs, and the anomalies caught and false alarms
    at the threshold's percentile and at one 10 points lower."""
    lower = threshold_at(result, max(percentile - 10.0, 0.0))
    at, below = (anomaly.confusion(result.scores, result.is_anomaly, t) for t in (threshold_at(result, percentile), lower))
    return {"auroc": result.roc["auroc"], "auroc_pca": result.pca_roc["auroc"], "caught": at["tp"],
            "caught_lower": below["tp"], "false_alarms": at["fp"], "false_alarms_lower": below["fp"]}


def concept_numbers(result: Scored, threshold: float) -> list[Live]:
    """The live numbers beside the anomaly concept's formula, measured on the scores shown."""
    flagged = result.scores > threshold
    caught = flagged[result.is_anomaly].mean()
    return [Live("AUROC, autoencoder", f"{result.roc['auroc']:.3f}",
                 "The chance that a random anomaly scores above a random normal image."),
            Live(f"AUROC, PCA-{result.k}", f"{result.pca_roc['auroc']:.3f}",
                 f"PCA with {result.k} components, fit on {result.fit_on}, as the autoencoder was."),
            Live("Flagged: s(x) > τ", f"{flagged.mean():.1%}",
                 f"The share of all test images scoring above τ = {threshold:.4f}; "
                 f"{caught:.1%} of the anomalies.")]


def draw_counts(result: Scored, threshold: float) -> None:
    """The confusion counts, precision and recall at the threshold, as one row of metrics."""
    counts = anomaly.confusion(result.scores, result.is_anomaly, threshold)
    cols = st.columns(6)
    cols[0].metric("Anomalies caught", counts["tp"], help="True positives.")
    cols[1].metric("Anomalies missed", counts["fn"], help="False negatives.")
    cols[2].metric("False alarms", counts["fp"], help="Normal images flagged: false positives.")
    cols[3].metric("Normal passed", counts["tn"], help="True negatives.")
    cols[4].metric("Precision", f"{counts['precision']:.3f}", help="Of the flagged images, the share that are anomalies.")
    cols[5].metric("Recall", f"{counts['recall']:.3f}", help="Of the anomalies, the share flagged.")


def verdict(result: Scored, mode: str) -> str:
    """What the comparison with PCA (fit on the same images) says, computed from the two AUROCs
    (`ui.core.verdict.rank`), with why where the numbers give a reason."""
    ae, linear = result.roc["auroc"], result.pca_roc["auroc"]
    said = verdict_words.rank({"the autoencoder": ae, f"PCA with {result.k} components": linear})
    if min(ae, linear) >= 0.5 and ae - linear >= 0.002:
        said += " Its curved code fits the normal images better."
    if max(ae, linear) < 0.5:
        said += (" Train on the normal classes only to see what a one-class model does." if mode == ACTIVE
                 else " Classes that are simple to draw are rebuilt well whatever the model learned.")
    elif mode == ACTIVE:
        said += (" Both learned from every class, the anomalies included, so neither is a real detector: "
                 "train on the normal classes only to see the gap a one-class model opens.")
    return said


def histogram_figure(result: Scored, threshold: float) -> go.Figure:
    figure = go.Figure()
    bins = {"start": 0.0, "end": float(result.scores.max()) * 1.001, "size": float(result.scores.max()) / 60}
    for name, mask, color in (("normal", ~result.is_anomaly, NORMAL_COLOR),
                              ("anomalous", result.is_anomaly, ANOMALY_COLOR)):
        figure.add_histogram(x=result.scores[mask], name=f"{name} ({int(mask.sum())})", xbins=bins,
                             marker_color=color, opacity=0.6, histnorm="probability")
    figure.add_vline(x=threshold, line_dash="dash", line_color="black",
                     annotation_text=f"τ = {threshold:.4f}", annotation_position="top right")
    figure.update_layout(barmode="overlay", height=presenter.scale(340), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         xaxis_title="anomaly score s(x) (reconstruction MSE per pixel)",
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
    figure.add_scatter(x=[fpr], y=[recall], name="the threshold τ", mode="markers",
                       marker={"color": "black", "size": 10})
    figure.update_layout(height=presenter.scale(340), margin={"l": 10, "r": 10, "t": 30, "b": 10},
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
    grid = compose_grid(torch.cat([_rgb(x), _rgb(x_hat), heat_rgb(x_hat - x)]), ncols=len(index),
                        tile_px=presenter.scale(56))
    labels = [f"{test.classes[int(test.labels[i])]}: {result.scores[i]:.4f}" for i in index]
    return grid, labels


def upload_verdict(model: aecore.Autoencoder, image: torch.Tensor, threshold: float) -> tuple[float, np.ndarray]:
    """(score, picture of the image, its reconstruction and error map) of one uploaded image."""
    x = image[None]
    x_hat = anomaly.reconstructions(model, x)
    score = float(anomaly.anomaly_scores(model, x)[0])
    return score, compose_grid(torch.cat([_rgb(x), _rgb(x_hat), heat_rgb(x_hat - x)]), ncols=3, tile_px=112)


def one_class_panel(dataset: str, normal: tuple[int, ...]) -> tuple[aecore.Autoencoder, Scored, str] | None:
    """The one-class mode's training: the recipe in words, the Train button, the job's progress.
    Returns (model, scores, cache key) once a model for these classes is trained on this server,
    else None (what to do next is drawn)."""
    spec = aecore.recipes.one_class_spec(dataset, normal)
    job, shared = current_job(dataset, normal), shared_one_class(dataset, normal)
    button_col, note_col = st.columns([1, 4])
    note_col.caption(f"{spec.kind} {spec.arch} with a {spec.latent_dim}-D code, {spec.fit.epochs} epochs on the "
                     f"{len(split(dataset, normal)[0])} normal training images, trained in the background: the "
                     "time left shows once the first epoch has run.")
    if button_col.button("Train" if job is None and shared is None else "Train again", type="primary", key="an_train"):
        start_training(dataset, normal)
        st.rerun()
    if job is not None and not job.finished:
        jobs.job_panel(PURPOSE, _draw_running)
        return None
    if job is not None and job.state != jobs.DONE:
        st.error(f"Training {job.state}: {job.error or 'press Train again'}")
        return None
    if job is None and shared is None:
        st.info("Press **Train** to train a model on the normal classes only; every test image is scored after.")
        return None
    if job is None:
        st.caption("Trained on this server before for these classes, with the same recipe and seed.")
    return one_class_result(dataset, normal, job.result if job is not None else shared)


def _draw_running(running: Job) -> None:
    snapshot = running.progress.detail if running.progress is not None else None
    if not isinstance(snapshot, RunSnapshot):
        st.progress(0.0, text="Starting: loading the data in a worker…")
    else:
        st.progress(snapshot.fraction, text=f"Training: epoch {snapshot.epoch} of {snapshot.epochs}, "
                                            f"{jobs.format_seconds(snapshot.seconds_left)} left")
