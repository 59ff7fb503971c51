"""The app side of the "Inside the code" page: which models each section compares, their
measurements from `aecore.inspect_code`, and the figures drawn from them.

What no control changes (codes, sensitivity at every σ offered, Jacobian norms, KL per unit) is
measured once: stored with the zoo for a shipped model, by a job in the server's queue for a user's
own (`ui.core.page_results`). The controls then pick or threshold those arrays in numpy."""

from __future__ import annotations

from typing import Any, Callable

import plotly.graph_objects as go
import streamlit as st

import aecore
from aecore import inspect_code
from ui.core import jobs, page_results, state
from ui.core.cache import model_key
from ui.core.models import pretrained_entries, pretrained_model

# What each section compares: the zoo's models of these kinds (the plain ae comes first in the zoo).
SPARSE = ("ae", "sparse")
CONTRACTIVE = ("ae", "contractive")
VARIATIONAL = ("vae",)
WARMUP_DATASET = "digits"  # the warm-up experiment always trains on digits (aecore.recipes.warmup_specs)
WARMUP_BETA_KEY = "regularizers_warmup_beta"
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
NOISES = list(inspect_code.NOISES)  # the σ the select_slider offers: each one is stored
PURPOSE = "regularizers_measures"  # a user's model's measuring job in ui.core.jobs


def compared_models(active: state.ActiveModel, kinds: tuple[str, ...], kind: str | None = None) -> list[state.ActiveModel]:
    """The active dataset's zoo models of `kinds`, in manifest order, leaving out 2-D codes (those
    are there for maps); then the active model when it is none of them (and, with `kind`, only
    when it is of that kind)."""
    entries = [e for e in pretrained_entries(active.dataset) if e["kind"] in kinds and e["latent_dim"] > 2
               and aecore.pretrained.has_results(e["name"])]  # a downloaded set's: once measured here
    models = [pretrained_model(e["name"]) for e in entries]
    if active.name not in {m.name for m in models} and (kind is None or active.model.kind == kind):
        models.append(active)
    return models


def _label(active: state.ActiveModel) -> str:
    return active.name if active.source == "pretrained" else f"{active.name} (active)"


def _measures(active: state.ActiveModel) -> tuple[dict[str, Any] | None, jobs.Job | None]:
    if page_results.has_stored(active):
        return page_results.stored(active.name), None
    return page_results.background(PURPOSE, model_key(active), aecore.page_jobs.code_measures,
                                   lambda: (aecore.to_zip_bytes(active.model), active.dataset),
                                   name=f"code measures of {active.name}")


def pending_job(active: state.ActiveModel) -> jobs.Job | None:
    """The job measuring the active model when it is a user's own whose measures are not ready
    (the page draws it once; until it is done, the sections compare the zoo's models only)."""
    return _measures(active)[1]


def _measured(models: list[state.ActiveModel]) -> dict[str, dict[str, Any]]:
    # label -> measures, leaving out a user's model whose job has not finished
    found = {_label(m): _measures(m)[0] for m in models}
    return {label: measures for label, measures in found.items() if measures is not None}


@st.cache_resource(show_spinner=False, max_entries=64)
def _normalized(key: str, _codes) -> Any:
    # threshold-independent, so made once per model: |z_j| / max |z_j| of every test code
    return inspect_code.normalized_activations(_codes).ravel()


def sparsity(models: list[state.ActiveModel], threshold: float) -> dict[str, dict[str, Any]]:
    """Per model: active fraction per image at `threshold`, its mean, exact zeros, normalized activations."""
    keys = {_label(m): model_key(m) for m in models}
    stats = {}
    for label, measures in _measured(models).items():
        summary = inspect_code.sparsity_of_codes(measures["codes"], threshold)
        summary.pop("codes")
        stats[label] = {**summary, "normalized": _normalized(keys[label], measures["codes"])}
    return stats


def contraction(models: list[state.ActiveModel], noise: float) -> dict[str, dict[str, Any]]:
    """Per model: code sensitivity at σ = `noise` per test image, its mean, and the Jacobian norms."""
    return {label: {"sensitivity": m["sensitivity"][float(noise)],
                    "mean_sensitivity": float(m["sensitivity"][float(noise)].mean()), "jacobian": m["jacobian"]}
            for label, m in _measured(models).items()}


def kl_per_dim(models: list[state.ActiveModel]) -> dict[str, list[float]]:
    return {label: list(m["kl_per_dim"]) for label, m in _measured(models).items() if m["kl_per_dim"] is not None}


WARMUP_PURPOSE = "warmup"  # the session's warm-up experiment in ui.core.jobs


def start_warmup(beta: float) -> None:
    """Queue the warm-up experiment: the small VAE trained twice, with and without KL warm-up."""
    jobs.submit(WARMUP_PURPOSE, aecore.jobs.warmup, float(beta), name=f"warm-up experiment, beta {beta:g}")
    st.session_state[WARMUP_BETA_KEY] = float(beta)


def warmup_result() -> tuple[float, dict[str, dict[str, Any]]] | None:
    """(beta, runs) of the session's finished experiment, or None."""
    job = jobs.current(WARMUP_PURPOSE)
    if job is None or job.state != jobs.DONE:
        return None
    return st.session_state.get(WARMUP_BETA_KEY, 0.0), job.result


def warmup_progress(job: jobs.Job) -> None:
    label, fraction = job.progress if job.progress is not None else ("starting", 0.0)
    st.progress(fraction, text=f"Training the small VAE: {label}")


def history(active: state.ActiveModel) -> dict[str, list[float]] | None:
    """The active model's recorded loss curves (a trained model's come back in its checkpoint);
    None when nothing was recorded."""
    return inspect_code.loss_history(active.model)


# --- figures ------------------------------------------------------------------------------------
def draw_comparison(stats: dict[str, dict[str, Any]],
                    metric: Callable[[str, dict[str, Any]], tuple[str, str, str]],
                    figures: list[go.Figure], chart_options: dict[str, Any]) -> None:
    """One metric per compared model in a row (`metric(name, stats)` gives label, value and help),
    then the figures side by side: the layout every regularizer's section shares."""
    for col, (name, model_stats) in zip(st.columns(len(stats)), stats.items()):
        label, value, help_text = metric(name, model_stats)
        col.metric(label, value, help=help_text)
    for col, figure in zip(st.columns(len(figures)), figures):
        col.plotly_chart(figure, **chart_options)


def _layout(figure: go.Figure, title: str, x: str, y: str, height: int = 320) -> go.Figure:
    figure.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height, margin=MARGIN,
                         legend={"orientation": "h", "y": -0.25})
    return figure


def activation_figure(stats: dict[str, dict[str, Any]], threshold: float) -> go.Figure:
    figure = go.Figure([go.Histogram(x=s["normalized"], name=name, histnorm="probability", opacity=0.6,
                                     xbins={"start": 0, "end": 1.0001, "size": 0.025})
                        for name, s in stats.items()])
    figure.add_vline(x=threshold, line_dash="dash", annotation_text="active above")
    figure.update_layout(barmode="overlay")
    return _layout(figure, "Code activations |z_j| / max |z_j| (test set)", "normalized activation", "share of values")


def active_fraction_figure(stats: dict[str, dict[str, Any]]) -> go.Figure:
    figure = go.Figure([go.Histogram(x=s["active_fraction"], name=name, histnorm="probability", opacity=0.6,
                                     xbins={"start": 0, "end": 1.0001, "size": 1 / 16})
                        for name, s in stats.items()])
    figure.update_layout(barmode="overlay")
    return _layout(figure, "Fraction of units active per image", "fraction of code units active", "share of images")


def jacobian_figure(stats: dict[str, dict[str, Any]]) -> go.Figure:
    figure = go.Figure([go.Box(y=s["jacobian"], name=name, boxmean=True) for name, s in stats.items()])
    return _layout(figure, "Encoder Jacobian ||dz/dx||_F per test image", "", "Frobenius norm")


def sensitivity_figure(stats: dict[str, dict[str, Any]], noise: float) -> go.Figure:
    figure = go.Figure([go.Box(y=s["sensitivity"], name=name, boxmean=True) for name, s in stats.items()])
    return _layout(figure, f"||z(x+ε) − z(x)|| / ||ε||, ε ~ N(0, {noise:g}² I)", "", "code moved per unit input moved")


def kl_figure(kl: dict[str, list[float]], title: str = "KL per dimension (test set)") -> go.Figure:
    figure = go.Figure([go.Bar(x=[f"z{j}" for j in range(len(v))], y=v, name=name) for name, v in kl.items()])
    figure.update_layout(barmode="group")
    return _layout(figure, title, "code unit", "KL(q(z_j|x) || N(0,1)), nats")


def history_figure(curves: dict[str, list[float]], name: str) -> go.Figure:
    figure = go.Figure()
    for split, values, dash in (("train", curves["train_loss"], "solid"), ("validation", curves["val_loss"], "dash")):
        if values:
            figure.add_scatter(x=list(range(1, len(values) + 1)), y=values, name=split, mode="lines",
                               line={"dash": dash})
    return _layout(figure, f"Loss per epoch of {name}", "epoch", "loss (nats per image)")


def kl_caption(kl: dict[str, list[float]]) -> str:
    """"name: total KL over its units, k units above 0.01 nats" per model; a collapsed model reads 0."""
    return "; ".join(f"{name}: {sum(v):.2f} nats in all, {sum(x > 0.01 for x in v)} of {len(v)} units above 0.01"
                     for name, v in kl.items())
