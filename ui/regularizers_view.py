"""The app side of the "Inside the code" page: which models each section compares, cached
measurements from `aecore.inspect_code`, and the figures drawn from them."""

from __future__ import annotations

from typing import Any, Callable

import plotly.graph_objects as go
import streamlit as st

import aecore
from aecore import inspect_code
from ui import jobs, state
from ui.cache import model_key, test_split
from ui.models import pretrained_entries, pretrained_model

# What each section compares: the zoo's models of these kinds (the plain ae comes first in the zoo).
SPARSE = ("ae", "sparse")
CONTRACTIVE = ("ae", "contractive")
VARIATIONAL = ("vae",)
WARMUP_DATASET = "digits"  # the warm-up experiment always trains on digits (aecore.recipes.warmup_specs)
WARMUP_BETA_KEY = "regularizers_warmup_beta"
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def compared_models(active: state.ActiveModel, kinds: tuple[str, ...], kind: str | None = None) -> list[state.ActiveModel]:
    """The active dataset's zoo models of `kinds`, in manifest order, leaving out 2-D codes (those
    are there for maps); then the active model when it is none of them (and, with `kind`, only
    when it is of that kind)."""
    entries = [e for e in pretrained_entries(active.dataset) if e["kind"] in kinds and e["latent_dim"] > 2]
    models = [pretrained_model(e["name"]) for e in entries]
    if active.name not in {m.name for m in models} and (kind is None or active.model.kind == kind):
        models.append(active)
    return models


def _label(active: state.ActiveModel) -> str:
    return active.name if active.source == "pretrained" else f"{active.name} (active)"


@st.cache_data(show_spinner="Encoding the test set…", max_entries=32)
def _sparsity(dataset: str, key: str, threshold: float, _model) -> dict[str, Any]:
    summary = inspect_code.sparsity_summary(_model, test_split(dataset).images, threshold)
    summary["normalized"] = inspect_code.normalized_activations(summary.pop("codes")).ravel()
    return summary


@st.cache_data(show_spinner="Measuring how far the codes move…", max_entries=32)
def _contraction(dataset: str, key: str, noise: float, _model) -> dict[str, Any]:
    images = test_split(dataset).images
    sensitivity = inspect_code.code_sensitivity(_model, images, noise)
    return {"sensitivity": sensitivity, "mean_sensitivity": float(sensitivity.mean()),
            "jacobian": inspect_code.jacobian_norms(_model, images)}


@st.cache_data(show_spinner=False, max_entries=32)
def _kl(dataset: str, key: str, _model) -> list[float]:
    return inspect_code.kl_per_dimension(_model, test_split(dataset).images).tolist()


def sparsity(models: list[state.ActiveModel], threshold: float) -> dict[str, dict[str, Any]]:
    return {_label(m): _sparsity(m.dataset, model_key(m), threshold, m.model) for m in models}


def contraction(models: list[state.ActiveModel], noise: float) -> dict[str, dict[str, Any]]:
    return {_label(m): _contraction(m.dataset, model_key(m), noise, m.model) for m in models}


def kl_per_dim(models: list[state.ActiveModel]) -> dict[str, list[float]]:
    return {_label(m): _kl(m.dataset, model_key(m), m.model) for m in models}


WARMUP_PURPOSE = "warmup"  # the session's warm-up experiment in ui.jobs


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
