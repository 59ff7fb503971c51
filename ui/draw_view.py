"""The Draw page's app side: the canvas component, what the model makes of the drawing, and the map.

The canvas (`ui.core.sketch_pad`, which the Search page draws too) sends its strokes once per stroke;
they are kept in session state, so a drawing survives reruns and a visit to another page. A stroke
costs one rasterisation, one encode and one decode per model (milliseconds, cached per drawing).
The test images it is compared with (their codes and errors) are measured once per model: stored
with a shipped model, else by `aecore.studies.sketch.measure` in the server's job queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

import aecore
from aecore.studies import sketch
from aecore.data import default_data_root
from aecore.latent.decode import MapInverse
from aecore.latent.posterior import LinearPlane
from aecore.workers import Job
from ui.core import page_results, presenter, sketch_pad
from ui.core import verdict as verdict_words
from ui.core.active import ActiveModel
from ui.core.cache import DOWNLOADABLE_DATASETS, model_key, test_split
from ui.core.concepts import Live
from ui.core.gallery import compose_grid
from ui.core.models import pretrained_entries, pretrained_model
from ui.core.palette import CLASS_COLOURS

STROKES_KEY = "draw_strokes"  # session state: the canvas's strokes as it last sent them
CANVAS_KEY = "draw_canvas"  # the component's key; not a URL parameter (dw_...): a drawing is no link
PURPOSE = "draw_reference"  # the session's job measuring a user's model's test images
# Pen widths in canvas pixels by dataset: a digit drawn about 200 px tall then has MNIST's stroke
# width once scaled into 20x20 (about 2 px); the 8x8 digits' strokes are relatively thicker.
PENS = {"digits": 40, "fashion-mnist": 24, "shapes": 24}
DEFAULT_PEN = 20
PEN_SCALE = {"thin": 0.7, "medium": 1.0, "thick": 1.5}  # the Pen control's options (URL values)
NEIGHBOURS = 10
TRAIL = 12  # the map shows where the drawing sat after each of its last strokes
MAP_POINTS = 4000  # test images drawn on the map (a seeded sample of larger test sets)
HINTS = {"fashion-mnist": "Draw a piece of clothing", "shapes": "Draw a filled shape"}
COLOURS = CLASS_COLOURS  # one colour per class on every page

def strokes() -> list[dict[str, Any]]:
    """The drawing as the canvas last sent it (empty before the first stroke)."""
    return sketch_pad.strokes(STROKES_KEY)


def pen_width(dataset: str, size: str) -> int:
    """The pen width in canvas pixels for `dataset` and the Pen control's choice."""
    return round(PENS.get(dataset, DEFAULT_PEN) * PEN_SCALE.get(size, 1.0))


def canvas(dataset: str, pen: int) -> None:
    """Draw the canvas (the canvas every page shares, `ui.core.sketch_pad`); a finished stroke reruns
    the script with the new strokes in `strokes()`."""
    sketch_pad.canvas(CANVAS_KEY, STROKES_KEY, pen, HINTS.get(dataset, "Draw a digit"))


# --- the model's test images -------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=8)
def _reference(key: str, dataset: str, _codes: np.ndarray, _scores: np.ndarray) -> sketch.Reference:
    labels = test_split(dataset).labels
    if labels is not None and len(labels) != len(_codes):  # measured on another copy of the dataset: no classes
        labels = None
    return sketch.reference(_codes, _scores, None if labels is None else labels.numpy())


def reference(active: ActiveModel) -> tuple[sketch.Reference | None, Job | None]:
    """(the active model's test codes, map and errors, None), or (None, the job measuring them)."""
    key = model_key(active)
    if page_results.has_stored(active):
        stored = page_results.stored(active.name)
        return _reference(key, active.dataset, stored["codes"], stored["anomaly"]["scores"]), None
    # A downloaded dataset is read from this server's data folder, wherever the worker would look.
    root = str(default_data_root()) if active.dataset in DOWNLOADABLE_DATASETS else None
    result, job = page_results.background(PURPOSE, key, sketch.measure,
                                          lambda: (aecore.to_zip_bytes(active.model), active.dataset, root),
                                          name=f"test images of {active.name}")
    if result is None:
        return None, job
    return _reference(key, active.dataset, result["codes"], result["scores"]), None


def plane(ref: sketch.Reference) -> LinearPlane:
    """The reference map as a linear map of codes (the 2-D code itself, or PCA), for q(z|x) on it."""
    return LinearPlane(ref.mean, ref.axes)


@st.cache_resource(show_spinner=False, max_entries=8)
def _inverse(key: str, _ref: sketch.Reference) -> MapInverse:
    return MapInverse(_ref.embedding, _ref.codes, "raw" if _ref.method == "2-D code" else "pca")


def map_inverse(active: ActiveModel, ref: sketch.Reference) -> MapInverse:
    """How a point of the reference map becomes a code, for the hover decoder (built once per model)."""
    return _inverse(model_key(active), ref)


def denoiser(active: ActiveModel) -> ActiveModel | None:
    """The dataset's denoising autoencoder from the zoo (of the active model's architecture where there
    is one), the active model itself if it is one, or None."""
    if active.model.kind == "denoising":
        return active
    entries = [e for e in pretrained_entries(active.dataset) if e["kind"] == "denoising"]
    entries.sort(key=lambda e: e["arch"] != active.model.config.arch)
    return pretrained_model(entries[0]["name"]) if entries else None


# --- what the model makes of the drawing ---------------------------------------------------------
@dataclass
class Drawing:
    """The drawing seen by the active model, and where it sat after each of its last strokes."""

    seen: sketch.Seen
    trail: np.ndarray  # (T, 2) map points after each of the last strokes, the last one included
    denoised: torch.Tensor | None  # (C, H, W), None without a denoising model


@st.cache_data(show_spinner=False, max_entries=64)
def _drawing(key: str, drawn: str, dataset: str, shape: tuple[int, ...], _model: aecore.Autoencoder,
             _ref: sketch.Reference, denoiser_key: str | None, _denoiser: aecore.Autoencoder | None) -> Drawing:
    steps = sketch.sketch_steps(json.loads(drawn), dataset, shape, TRAIL)
    seen = sketch.see(_model, steps[-1], _ref, NEIGHBOURS)
    trail = sketch.places(_model, steps, _ref)
    denoised = None if _denoiser is None else sketch.denoise(_denoiser, seen.image)
    return Drawing(seen, trail, denoised)


def drawing(active: ActiveModel, ref: sketch.Reference, cleaner: ActiveModel | None) -> Drawing:
    """What the active model (and the denoiser) make of the current drawing. ValueError with a message
    to show for an empty or unreadable drawing."""
    value = strokes()
    if not value:
        raise ValueError(sketch.EMPTY_MESSAGE)
    shape = tuple(active.model.config.input_shape)
    return _drawing(model_key(active), json.dumps(value), active.dataset, shape, active.model, ref,
                    None if cleaner is None else model_key(cleaner), None if cleaner is None else cleaner.model)


def picture(image: torch.Tensor) -> np.ndarray:
    """One image (C, H, W) enlarged with sharp pixels, as an (H', W', 3) picture."""
    return compose_grid(image[None], ncols=1, tile_px=presenter.scale(140))


def neighbours_picture(dataset: str, seen: sketch.Seen, count: int = 8) -> np.ndarray:
    """The test images whose codes are nearest the drawing's, nearest first, in one row."""
    images = test_split(dataset).images[torch.from_numpy(seen.neighbours[:count].copy())]
    return compose_grid(images, ncols=count, tile_px=presenter.scale(56))


def verdict(seen: sketch.Seen) -> str:
    """The percentile in words, its own number in them (`ui.core.verdict.percentile`)."""
    return verdict_words.percentile(seen.percentile)


def concept_numbers(seen: sketch.Seen, ref: sketch.Reference) -> list[Live]:
    """The anomaly concept's live numbers for the drawing, measured with the active model."""
    median = float(np.median(ref.scores))
    return [Live("s(x) of your drawing", f"{seen.score:.4f}", "Its reconstruction error: mean squared error per pixel."),
            Live("Median s(x) of the test images", f"{median:.4f}", f"Over the {len(ref.scores):,} test images."),
            Live("Anomaly percentile", f"{seen.percentile:.1f}",
                 "The share of test images rebuilt better than your drawing, in percent.")]


def map_figure(ref: sketch.Reference, classes: list[str], found: Drawing | None) -> go.Figure:
    """The test images' codes on the map, coloured by class, with the drawing (and its trail) marked."""
    figure = go.Figure()
    shown = np.arange(len(ref.embedding))
    if len(shown) > MAP_POINTS:
        shown = np.sort(np.random.default_rng(0).choice(len(shown), MAP_POINTS, replace=False))
    groups = [(c, shown[ref.labels[shown] == i]) for i, c in enumerate(classes)] if ref.labels is not None \
        else [("test images", shown)]
    for i, (name, rows) in enumerate(groups):
        figure.add_scattergl(x=ref.embedding[rows, 0], y=ref.embedding[rows, 1], mode="markers", name=name,
                             marker={"size": 4, "opacity": 0.5, "color": COLOURS[i % len(COLOURS)]},
                             hoverinfo="name")
    if found is not None:
        trail = found.trail
        figure.add_scatter(x=trail[:, 0], y=trail[:, 1], mode="lines+markers", name="after each stroke",
                           line={"color": "rgb(60,60,60)", "dash": "dot"}, marker={"size": 6, "color": "rgb(60,60,60)"})
        figure.add_scatter(x=[found.seen.point[0]], y=[found.seen.point[1]], mode="markers", name="your drawing",
                           marker={"symbol": "star", "size": 20, "color": "rgb(0,0,0)",
                                   "line": {"color": "rgb(255,255,255)", "width": 2}})
    axis = "PCA" if ref.method == "PCA" else "z"
    figure.update_layout(height=presenter.scale(420), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         xaxis_title=f"{axis} 1", yaxis_title=f"{axis} 2", legend={"itemsizing": "constant"})
    return figure
