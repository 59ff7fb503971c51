"""The figures of the "Inside the code" page, each made once per input for every session.

A control of the page changes one or two of its nine figures; the others are the same arrays every
rerun. So each figure is built by a `st.cache_resource` function of small inputs (a histogram's
shares, a code, a box's values) and the display height: a rerun that changes nothing else rebuilds
nothing, and `st.plotly_chart` serialises a copy (it never changes the figure it is given).
Histograms are binned here in numpy, not by plotly.js: MNIST's 10,000 test codes of 32 units would
otherwise send 320,000 raw values per model to the browser on every move of the threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.studies import inspect_code
from ui.core import presenter

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
ACTIVATION_EDGES = inspect_code.ACTIVATION_EDGES  # |z_j| / max |z_j| in bins of 0.025
FRACTION_EDGES = np.arange(18) / 16  # share of units active, bins of 1/16 (the last holds 1.0)
Stats = dict[str, dict[str, Any]]  # label -> one model's measures


def _layout(figure: go.Figure, title: str, x: str, y: str, height: int) -> go.Figure:
    figure.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height, margin=MARGIN,
                         legend={"orientation": "h", "y": -0.25})
    return figure


def _height(pixels: int = 320) -> int:
    return presenter.scale(pixels)


def _bars(shares: dict[str, np.ndarray], edges: np.ndarray) -> go.Figure:
    # Overlaid bars on the bins' centres: what go.Histogram(histnorm="probability") draws.
    centres, width = (edges[:-1] + edges[1:]) / 2, float(edges[1] - edges[0])
    return go.Figure([go.Bar(x=centres, y=share, width=width, name=name, opacity=0.6)
                      for name, share in shares.items()], layout={"barmode": "overlay", "bargap": 0})


@st.cache_resource(show_spinner=False, max_entries=64)
def _activation(shares: dict[str, np.ndarray], threshold: float, height: int) -> go.Figure:
    figure = _bars(shares, ACTIVATION_EDGES)
    figure.add_vline(x=threshold, line_dash="dash", annotation_text="active above")
    return _layout(figure, "Code activations |z_j| / max |z_j| (test set)", "normalized activation",
                   "share of values", height)


def activation_figure(stats: Stats, threshold: float) -> go.Figure:
    """The binned normalized activations of each model (`stats[label]["normalized"]`: shares over
    ACTIVATION_EDGES), with the threshold."""
    return _activation({name: s["normalized"] for name, s in stats.items()}, threshold, _height())


@st.cache_resource(show_spinner=False, max_entries=64)
def _active_fraction(shares: dict[str, np.ndarray], height: int) -> go.Figure:
    return _layout(_bars(shares, FRACTION_EDGES), "Fraction of units active per image",
                   "fraction of code units active", "share of images", height)


def active_fraction_figure(stats: Stats) -> go.Figure:
    return _active_fraction({name: inspect_code.binned_shares(s["active_fraction"], FRACTION_EDGES)
                             for name, s in stats.items()}, _height())


@st.cache_resource(show_spinner=False, max_entries=64)
def _image_code(codes: dict[str, np.ndarray], index: int, height: int) -> go.Figure:
    figure = go.Figure([go.Bar(x=[f"z{j}" for j in range(len(code))], y=code, name=name) for name, code in codes.items()])
    return _layout(figure, f"The code of test image {index}", "code unit", "z_j", height)


def image_code_figure(stats: Stats, index: int) -> go.Figure:
    """One test image's code, unit by unit, in each model: the sparse ones leave most units at 0."""
    return _image_code({name: s["codes"][index] for name, s in stats.items()}, index, _height())


@st.cache_resource(show_spinner=False, max_entries=64)
def _rho(rho_hat: np.ndarray, rho: float, code: np.ndarray, label: str, index: int, height: int) -> go.Figure:
    units = [f"z{j}" for j in range(len(rho_hat))]
    figure = go.Figure([go.Bar(x=units, y=rho_hat, name="ρ̂_j: mean over the test images"),
                        go.Scatter(x=units, y=code, mode="markers", name=f"z_j of test image {index}",
                                   marker={"symbol": "diamond", "size": 9})])
    figure.add_hline(y=rho, line_dash="dash", annotation_text=f"ρ = {rho:g}")
    return _layout(figure, f"Mean activation ρ̂_j of each unit of {label}", "code unit", "activation", height)


def rho_figure(rho_hat: np.ndarray, rho: float, code: np.ndarray, label: str, index: int) -> go.Figure:
    """ρ̂_j per unit against the target ρ, with one test image's own z_j."""
    return _rho(rho_hat, rho, code, label, index, _height())


def _count(values: dict[str, np.ndarray]) -> str:
    """How many test images a box plot holds ("1,000 test images"; sampled seeded, see
    `inspect_code.MEASURED_IMAGES`)."""
    return " / ".join(f"{n:,}" for n in sorted({len(v) for v in values.values()})) + " test images"


@st.cache_resource(show_spinner=False, max_entries=64)
def _boxes(values: dict[str, np.ndarray], title: str, y: str, height: int) -> go.Figure:
    figure = go.Figure([go.Box(y=v, name=name, boxmean=True) for name, v in values.items()])
    return _layout(figure, title, "", y, height)


def jacobian_figure(stats: Stats) -> go.Figure:
    values = {name: s["jacobian"] for name, s in stats.items()}
    return _boxes(values, f"Encoder Jacobian ||dz/dx||_F per test image ({_count(values)})", "Frobenius norm", _height())


def sensitivity_figure(stats: Stats, noise: float) -> go.Figure:
    values = {name: s["sensitivity"] for name, s in stats.items()}
    return _boxes(values, f"||z(x+ε) − z(x)|| / ||ε||, ε ~ N(0, {noise:g}² I), {_count(values)}",
                  "code moved per unit input moved", _height())


@st.cache_resource(show_spinner=False, max_entries=64)
def _kl(kl: dict[str, tuple[float, ...]], title: str, height: int) -> go.Figure:
    figure = go.Figure([go.Bar(x=[f"z{j}" for j in range(len(v))], y=v, name=name) for name, v in kl.items()])
    figure.add_hline(y=inspect_code.KL_ACTIVE, line_dash="dot", annotation_text="collapsed below")
    figure.update_layout(barmode="group")
    return _layout(figure, title, "code unit", "KL(q(z_j|x) || N(0,1)), nats", height)


def kl_figure(kl: dict[str, list[float]], title: str = "KL per dimension (test set)") -> go.Figure:
    return _kl({name: tuple(v) for name, v in kl.items()}, title, _height())


@st.cache_resource(show_spinner=False, max_entries=64)
def _history(train: tuple[float, ...], validation: tuple[float, ...], name: str, height: int) -> go.Figure:
    figure = go.Figure()
    for split, values, dash in (("train", train, "solid"), ("validation", validation, "dash")):
        if values:
            figure.add_scatter(x=list(range(1, len(values) + 1)), y=values, name=split, mode="lines",
                               line={"dash": dash})
    return _layout(figure, f"Loss per epoch of {name}", "epoch", "loss (nats per image)", height)


def history_figure(curves: dict[str, list[float]], name: str) -> go.Figure:
    return _history(tuple(curves["train_loss"]), tuple(curves["val_loss"]), name, _height())
