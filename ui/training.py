"""The Train page's session state and views: its background job, the trained result, chart and previews.

The job itself (`aecore.TrainingJob`) knows nothing of Streamlit; this module keeps it in the
session, turns its snapshots into a figure and an image, and makes a finished model the active one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import streamlit as st
import torch

import aecore
from aecore.jobs import DONE, EVALUATING, STOPPED, JobSnapshot
from ui import state
from ui.cache import load_dataset
from ui.gallery import compose_grid

JOB_KEY = "train_job"  # the session's latest TrainingJob, running or finished
RESULT_KEY = "train_result"  # the TrainedResult of the latest job that finished with a model
COUNT_KEY = "train_count"  # models trained in this session, for the "#n" in their names

# The digits and shapes recipes of the pretrained zoo (aecore/zoo.py): digits trains in seconds on
# one CPU core; shapes (10,000 images of 32x32) suits the conv net and takes a minute or two.
RECIPES: dict[str, dict[str, Any]] = {
    "digits": {"kind": "ae", "arch": "mlp", "latent_dim": 8, "epochs": 100, "batch_size": 64, "lr": 0.002},
    "shapes": {"kind": "ae", "arch": "conv", "latent_dim": 8, "epochs": 20, "batch_size": 128, "lr": 0.002},
}
# Measured on the 2-core machine this app is tested on, beside other work: the digits recipe takes
# 4 s with one torch thread and 165 s with two (threads waiting on each other when one loses its
# core). These models are far too small to gain from more threads anyway.
TRAINING_THREADS = 1
PREVIEW_IMAGES = 10
TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#ff7f0e"


@dataclass
class TrainedResult:
    """A finished job's model as the app knows it: its name in the sidebar and its checkpoint."""

    job: aecore.TrainingJob
    name: str
    zip_bytes: bytes
    file_name: str


def recipe(dataset: str) -> dict[str, Any]:
    """Default kind, arch, code size and training settings for `dataset` (digits' for unknown ones)."""
    return RECIPES.get(dataset, RECIPES["digits"])


def current_job() -> aecore.TrainingJob | None:
    return st.session_state.get(JOB_KEY)


def start_job(dataset: str, kind: str, arch: str, latent_dim: int, options: dict[str, Any], *,
              epochs: int, batch_size: int, lr: float, warmup_epochs: float) -> aecore.TrainingJob:
    """Start training in the background and make it the session's job. Raises ValueError for a bad
    option or setting (nothing is started then). A job still running is stopped: one at a time."""
    job = aecore.TrainingJob(load_dataset(dataset), kind, arch=arch, latent_dim=latent_dim, options=options,
                             epochs=epochs, batch_size=batch_size, lr=lr, warmup_epochs=warmup_epochs,
                             preview=PREVIEW_IMAGES, threads=TRAINING_THREADS)
    previous = current_job()
    if previous is not None and not previous.finished:
        previous.stop()
    st.session_state[JOB_KEY] = job.start()
    return job


def current_result() -> TrainedResult | None:
    """The result of the session's current job, if that job has finished with a model."""
    result = st.session_state.get(RESULT_KEY)
    return result if result is not None and result.job is current_job() else None


def adopt_if_finished(job: aecore.TrainingJob) -> bool:
    """Once `job` has finished with a model (done or stopped), make it the active model, once.

    Returns True when it did so just now: the caller reruns the app so the sidebar shows it.
    """
    snapshot = job.snapshot()
    if snapshot.state not in (DONE, STOPPED) or current_result() is not None:
        return False
    number = st.session_state[COUNT_KEY] = st.session_state.get(COUNT_KEY, 0) + 1
    config = job.model.config
    name = f"trained: {config.kind} {config.arch} {config.latent_dim}-D #{number}"
    model = job.model.cpu()  # the other pages run inference on the CPU
    state.set_active_model(state.ActiveModel(model=model, name=name, source="trained", dataset=job.dataset_name,
                                             metrics=snapshot.metrics or {}, pca=snapshot.pca or {}))
    file_name = f"trained-{job.dataset_name}-{config.kind}-{config.arch}-{config.latent_dim}d-{number}.zip"
    st.session_state[RESULT_KEY] = TrainedResult(job, name, aecore.to_zip_bytes(model, metadata=job.metadata()),
                                                 file_name)
    return True


def loss_figure(snapshot: JobSnapshot) -> go.Figure:
    """One panel per named loss term (recon, kl, sparsity, ...; the total last), each with its own
    y scale, since the terms differ by orders of magnitude: train solid, validation dashed, by epoch."""
    terms = list(snapshot.train_history[0]) if snapshot.train_history else []
    if len(terms) == 2:  # recon alone: the total is the same curve
        terms.remove("total")
    figure = make_subplots(rows=1, cols=max(1, len(terms)), subplot_titles=terms, horizontal_spacing=0.08)
    for column, term in enumerate(terms, start=1):
        for split, history, color, dash in (("train", snapshot.train_history, TRAIN_COLOR, "solid"),
                                            ("validation", snapshot.val_history, VAL_COLOR, "dash")):
            values = [epoch[term] for epoch in history]
            figure.add_scatter(x=list(range(1, len(values) + 1)), y=values, name=split, legendgroup=split,
                               showlegend=column == 1, mode="lines", line={"color": color, "dash": dash},
                               hovertemplate=f"{term} ({split}), epoch %{{x}}: %{{y:.4g}}<extra></extra>",
                               row=1, col=column)
    figure.update_xaxes(title_text="epoch")
    figure.update_yaxes(title_text="nats per image", row=1, col=1)
    figure.update_layout(height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         legend={"orientation": "h", "y": -0.3})
    return figure


def preview_image(snapshot: JobSnapshot) -> np.ndarray:
    """The fixed test images (top row) over their latest reconstructions, as one RGB picture."""
    originals = torch.from_numpy(snapshot.originals)
    rows = [originals]
    if snapshot.reconstructions is not None:
        rows.append(torch.from_numpy(snapshot.reconstructions))
    return compose_grid(torch.cat(rows), ncols=len(originals), tile_px=56)


def comparison_rows(metrics: dict[str, Any], pca: dict[str, Any]) -> list[dict[str, Any]]:
    """Test metrics of the model beside PCA's at the same latent dim, one row per metric."""
    better = {"mse": "lower", "psnr": "higher", "bce": "lower"}
    return [{"metric": f"{name} ({better[name]} is better)", "this model": round(metrics[name], 4),
             f"PCA, {pca.get('k', '?')} components": round(pca[name], 4)}
            for name in better if name in metrics and name in pca]


def status_text(snapshot: JobSnapshot) -> str:
    """The progress bar's label."""
    if snapshot.state == EVALUATING:
        return "Evaluating on the test split…"
    if snapshot.finished:
        return f"Finished ({snapshot.state}) after {len(snapshot.train_history)} of {snapshot.epochs} epochs"
    return f"Epoch {snapshot.epoch} of {snapshot.epochs}"


def format_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "…"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest} s"  # short: it sits in a narrow column
