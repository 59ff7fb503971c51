"""The Train page's session side: its job in the server's queue, the trained result, chart and previews.

The run itself is `aecore.jobs.train` in a worker process (see `ui.core.jobs`); this module submits it,
turns its snapshots into a figure and an image, and turns a finished run's checkpoint bytes into the
session's active model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import streamlit as st
import torch

import aecore
from aecore.run import DONE, EVALUATING, STOPPED, RunSnapshot, RunSpec, check
from ui.core import jobs, state
from ui.core.cache import load_dataset, test_split
from ui.core.gallery import compose_grid

PURPOSE = "train"  # the session's training job in ui.core.jobs
RESULT_KEY = "train_result"  # the TrainedResult of the latest job that returned a model
COUNT_KEY = "train_count"  # models trained in this session, for the "#n" in their names
PREVIEW_IMAGES = 10
TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#ff7f0e"


@dataclass
class TrainedResult:
    """A finished run as the app knows it: its model, name in the sidebar and checkpoint."""

    job_id: int
    active: state.ActiveModel
    snapshot: RunSnapshot  # the run's final state: metrics, history, reconstructions
    zip_bytes: bytes
    file_name: str
    stopped: bool  # stopped early: the weights learned so far

    @property
    def name(self) -> str:
        return self.active.name


def recipe(dataset: str) -> RunSpec:
    """Where the form starts for `dataset` (`aecore.recipes.default_spec`): a 28x28 set's epochs
    follow its size (the dataset is cached by the sidebar already)."""
    train_images = None
    if dataset in aecore.recipes.LIVE_DATASETS:
        train_images = len(load_dataset(dataset)) - len(test_split(dataset))
    return aecore.recipes.default_spec(dataset, train_images)


def current_job() -> jobs.Job | None:
    return jobs.current(PURPOSE)


def start_job(spec: RunSpec) -> jobs.Job:
    """Queue `spec` for training. Raises ValueError for a bad option or setting, at once, with
    nothing queued. A job of this session still queued or running is cancelled: one at a time."""
    check(spec)
    return jobs.submit(PURPOSE, aecore.jobs.train, spec, name=f"training {spec.kind} {spec.arch} {spec.latent_dim}-D")


def current_result() -> TrainedResult | None:
    """The result of the session's current job, if that job has returned a model."""
    result = st.session_state.get(RESULT_KEY)
    job = current_job()
    return result if result is not None and job is not None and result.job_id == job.id else None


def collect(job: jobs.Job) -> TrainedResult | None:
    """Once `job` has returned a model (done, or stopped with the weights so far), keep it as the
    session's result, once. A completed run becomes the active model; a stopped one is only offered
    (`adopt`): half-trained weights should not replace the user's model without a word."""
    if job.result is None or job.state not in (DONE, jobs.CANCELLED) or current_result() is not None:
        return current_result()
    outcome = job.result
    snapshot, model = outcome["snapshot"], aecore.load(outcome["checkpoint"])
    number = st.session_state[COUNT_KEY] = st.session_state.get(COUNT_KEY, 0) + 1
    config = model.config
    dataset = model.checkpoint.get("dataset", state.active_dataset_name())
    stopped = bool(outcome["stopped"])
    name = f"trained: {config.kind} {config.arch} {config.latent_dim}-D #{number}" + (" (stopped)" if stopped else "")
    active = state.ActiveModel(model=model, name=name, source="trained", dataset=dataset,
                               metrics=snapshot.metrics or {}, pca=snapshot.pca or {})
    file_name = f"trained-{dataset}-{config.kind}-{config.arch}-{config.latent_dim}d-{number}.zip"
    result = st.session_state[RESULT_KEY] = TrainedResult(job.id, active, snapshot, outcome["checkpoint"],
                                                          file_name, stopped)
    if not stopped:
        adopt(result)
    return result


def collect_finished() -> None:
    """The router's hook: a run that ended while the user was on another page still becomes the
    active model at once (the sidebar's heartbeat reruns the app when it ends)."""
    job = st.session_state.get(jobs.JOBS_KEY, {}).get(PURPOSE)
    if job is not None and job.finished and current_result() is None:
        collect(job)


def adopt(result: TrainedResult) -> None:
    """Make the trained model the active model of every page."""
    state.set_active_model(result.active)


def loss_figure(snapshot: RunSnapshot) -> go.Figure:
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


def preview_image(snapshot: RunSnapshot) -> np.ndarray:
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


def status_text(snapshot: RunSnapshot) -> str:
    """The progress bar's label."""
    if snapshot.state == EVALUATING:
        return "Evaluating on the test split…"
    if snapshot.state == STOPPED:
        return f"Stopped after {len(snapshot.train_history)} of {snapshot.epochs} epochs"
    if snapshot.finished:
        return f"Finished: {len(snapshot.train_history)} of {snapshot.epochs} epochs"
    return f"Epoch {snapshot.epoch} of {snapshot.epochs}"
