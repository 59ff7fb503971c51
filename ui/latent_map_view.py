"""The latent map's app side: the test codes and their 2-D maps (stored, fitted or computing in the
background), the map figure with the user's pick drawn in, decoding a point of the plane, and what a
selection shows.

Pretrained models read their stored codes and projections (`aecore.load_latent`): nothing is
computed on opening. Other models are encoded once; PCA is fitted at once, UMAP and t-SNE run as
`aecore.studies.jobs.project` in the server's job queue (one job per model and method for the whole server),
which a fragment polls. Models reach the caches as `_`-prefixed
arguments beside `model_key` (docs/streamlit-notes.md, "Caches": modules cannot be hashed).

The hover decoder beside the map is drawn by `latent_map_figure.hover_panel`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

import aecore
from aecore.latent import PCAProjection, encode_dataset
from aecore.latent.decode import MapInverse, grid_points
from aecore.latent.shape import NEIGHBOURS, map_shape
from aecore.workers import DONE, FAILED, Job
from ui.core import jobs, presenter, state
from ui.core.cache import model_key, split_positions, test_split
from ui.core.gallery import compose_grid
from ui.latent_map_figure import HEIGHT_PX, Pick, map_figure, pick_from_event, with_marks
from ui.latent_map_figure import hover_panel as figure_hover_panel

MAX_POINTS = 10_000  # more points than this are subsampled (seeded) for the map
METHOD_LABELS = {"raw": "2-D code", "pca": "PCA", "umap": "UMAP", "tsne": "t-SNE"}
MANIFOLD_SIZE = 15  # images per side of the manifold grid
MAX_SHOWN = 32  # selected images drawn beside the map
PICK_KEY = "lm_pick"  # session state: the last pick on a map (see `remember_pick`)
DRAWN_KEY = "lm_drawn"  # session state: the figure key and marks the chart in the browser was drawn with
INVERSE_NOTES = {
    "exact": "exact: the code is the point itself",
    "linear": "through PCA's inverse: the code's part along the two principal axes",
    "learned": "through UMAP's learned inverse_transform",
    "approximate": "an approximation: the codes of the nearest map points, weighted by distance "
                   "(this map has no inverse of its own)",
}


@dataclass
class LatentData:
    """The test split's codes of one model; `rows[i]` is the position of codes[i] in the test split."""

    codes: np.ndarray  # (N, d)
    rows: np.ndarray  # (N,)
    stored: dict[str, np.ndarray]  # a pretrained model's stored (N, 2) maps by method


@dataclass
class MapProjection:
    """A 2-D map ready to draw, or the job still computing it."""

    method: str
    embedding: np.ndarray | None = None  # (N, 2)
    estimator: Any = None  # the fitted projection, when there is one
    job: Job | None = None  # the queue's job while it runs or after it failed

    @property
    def pending(self) -> bool:
        return self.embedding is None and self.job is not None and not self.job.finished

    @property
    def error(self) -> str | None:
        return self.job.error if self.job is not None and self.job.state == FAILED else None


@st.cache_data(show_spinner="Encoding the test images…", max_entries=16)
def _latent_data(dataset: str, key: str, _active: state.ActiveModel) -> LatentData:
    test = test_split(dataset)
    if _active.source == "pretrained" and aecore.pretrained.has_results(_active.name):
        stored = aecore.load_latent(_active.name)
        position = {int(full): i for i, full in enumerate(load_test_indices(dataset))}
        rows = np.array([position[int(full)] for full in stored["index"]])
        maps = {name: stored[name] for name in ("raw", "pca", "umap", "tsne") if name in stored}
        codes = stored["codes"]
    else:
        rows, maps = np.arange(len(test)), {}
        codes = encode_dataset(_active.model, test)
    if len(rows) > MAX_POINTS:
        keep = np.sort(np.random.default_rng(0).choice(len(rows), MAX_POINTS, replace=False))
        rows, codes, maps = rows[keep], codes[keep], {k: v[keep] for k, v in maps.items()}
    return LatentData(codes.astype(np.float32), rows, maps)


@st.cache_data(show_spinner=False, max_entries=8)
def load_test_indices(dataset: str) -> np.ndarray:
    """Positions of the test split in the full dataset (the stored maps name their images so)."""
    return split_positions(dataset)[1]


def latent_data(active: state.ActiveModel) -> LatentData:
    """The active model's test codes (stored for a pretrained model, else encoded once)."""
    return _latent_data(active.dataset, model_key(active), active)


def methods(active: state.ActiveModel) -> list[str]:
    """Map methods this model offers: its own plane first when the code is 2-D."""
    return (["raw"] if active.model.config.latent_dim == 2 else []) + ["pca", "umap", "tsne"]


@st.cache_resource(show_spinner=False, max_entries=16)
def _pca(key: str, _codes: np.ndarray) -> PCAProjection:
    return PCAProjection(n_components=2, random_state=0).fit(_codes)


def projection(active: state.ActiveModel, method: str) -> MapProjection:
    """The map of `method`: stored, fitted now (raw, PCA) or from its background job."""
    data, key = latent_data(active), model_key(active)
    if method in data.stored:
        return MapProjection(method, data.stored[method])
    if method == "raw":
        return MapProjection(method, data.codes)
    if method == "pca":
        fitted = _pca(key, data.codes)
        return MapProjection(method, fitted.embedding_, fitted)
    job = map_job(key, method, data.codes)
    if job.state == DONE:
        return MapProjection(method, job.result, None, job)
    return MapProjection(method, job=job)


def map_job(key: str, method: str, codes: np.ndarray) -> Job:
    """The server's job mapping a model's test codes with `method`: one per model and method."""
    return jobs.server_job(("map", key, method), aecore.studies.jobs.project, lambda: (codes, method, 0),
                           name=f"{METHOD_LABELS[method]} map")


@st.cache_resource(show_spinner=False, max_entries=32)
def _inverse(key: str, method: str, _embedding: np.ndarray, _codes: np.ndarray, _estimator: Any) -> MapInverse:
    return MapInverse(_embedding, _codes, method, _estimator if method == "umap" else None)


def map_inverse(active: state.ActiveModel, shown: MapProjection) -> MapInverse:
    """How points of the shown map become codes (see `aecore.latent.decode`), built once per map."""
    return _inverse(model_key(active), shown.method, shown.embedding, latent_data(active).codes, shown.estimator)


@torch.no_grad()
def decode(model: aecore.Autoencoder, codes: np.ndarray) -> torch.Tensor:
    """Codes (M, d) -> images (M, C, H, W) in [0, 1]."""
    # The mode is left alone: the model may be shared by other sessions, and decode samples nothing,
    # so its output is the same in training and eval mode.
    device = next(model.parameters()).device
    return model.decode(torch.as_tensor(codes, dtype=torch.float32, device=device)).cpu()


def colour_options(dataset: str) -> list[str]:
    """"class", then the generative factors of a synthetic dataset."""
    factors = test_split(dataset).factors or {}
    return ["class", *[name for name in factors if name != "shape"]] if factors else ["class"]


def colour_values(dataset: str, rows: np.ndarray, colour: str) -> tuple[np.ndarray, list[str] | None]:
    """Per point: the value to colour by, and the class names when it is categorical."""
    test = test_split(dataset)
    if colour == "class":
        return test.labels[rows].numpy(), list(test.classes)
    return test.factors[colour][rows].numpy(), None


@st.cache_resource(show_spinner=False, max_entries=32)
def _figure(key: str, dataset: str, method: str, colour: str, manifold: bool, height: int,
            _active: state.ActiveModel, _shown: MapProjection) -> go.Figure:
    # A go.Figure, validated once here: st.plotly_chart validates a plain dict of these thousands of
    # points on every rerun. Shared between sessions: read-only.
    data = latent_data(_active)
    values, classes = colour_values(dataset, data.rows, colour)
    picture = _manifold(key, method, _active, _shown) if manifold else None
    axes = "code" if method == "raw" else METHOD_LABELS[method]
    return go.Figure(map_figure(_shown.embedding, data.rows, values, classes, colour, axes, picture, f"{key}/{method}",
                                height))


@st.cache_data(show_spinner=False, max_entries=16)
def _manifold(key: str, method: str, _active: state.ActiveModel, _shown: MapProjection) -> dict:
    # Decoded once per model and map, whatever the points are coloured by.
    return manifold_images(_active.model, map_inverse(_active, _shown), _shown.embedding)


def manifold_images(model: aecore.Autoencoder, inverse: MapInverse, embedding: np.ndarray) -> dict:
    """The decoder's images over a MANIFOLD_SIZE grid of the plane, top row = highest y, as
    {"images": (S*S, C, H, W), "xs", "ys"} for `map_figure`."""
    xs, ys = grid_points(embedding, MANIFOLD_SIZE)
    points = np.array([(x, y) for y in ys[::-1] for x in xs])  # row by row, top first
    return {"images": decode(model, inverse.to_codes(points)), "xs": xs, "ys": ys}


@st.cache_data(show_spinner=False, max_entries=32)
def _shape(key: str, method: str, _embedding: np.ndarray, _labels: np.ndarray | None) -> dict[str, Any]:
    return map_shape(_embedding, _labels)


def shape_words(active: state.ActiveModel, shown: MapProjection) -> tuple[str, dict[str, float]]:
    """A sentence of the shown map's numbers (classes kept together; a 2-D code's spread against
    N(0, I)'s), and those numbers by name for a lesson's claim (`aecore.latent.shape.map_shape`)."""
    test = test_split(active.dataset)
    rows = latent_data(active).rows
    labels = test.labels[rows].numpy() if test.labels is not None else None
    shape = _shape(model_key(active), shown.method, shown.embedding, labels)
    words, facts = [], {}
    if "same_class_share" in shape:
        words.append(f"Of each image's {NEIGHBOURS} nearest dots, {shape['same_class_share']:.0%} are of its class "
                     f"(a map blind to the classes: {shape['chance']:.0%}).")
        facts.update(same_class_share=shape["same_class_share"], chance=shape["chance"])
    if shown.method == "raw":  # the code itself: its scale means something (the prior's is 1)
        (sx, sy), (cx, cy) = shape["spread"], shape["centre"]
        words.append(f"The codes' spread (standard deviation) is {sx:.2f} by {sy:.2f} around ({cx:.2f}, {cy:.2f}); "
                     "N(0, I) has 1 by 1 around (0, 0).")
        facts["off_unit"] = shape["off_unit"]
    return " ".join(words), facts


def chart_key(active: state.ActiveModel, shown: MapProjection) -> str:
    """The map chart's widget key: one chart per model and map."""
    return f"latent_map:{active.name}:{shown.method}"


def remember_pick(chart: str, active: state.ActiveModel, shown: MapProjection) -> None:
    """`on_select` callback of the map: keep what was picked, for this and the next runs (the chart's
    own value is lost whenever the figure changes, since a changed figure is a new widget)."""
    pick = pick_from_event(st.session_state.get(chart))
    st.session_state[PICK_KEY] = {"map": (model_key(active), shown.method), "dataset": active.dataset, "pick": pick}
    if pick.rows:
        st.session_state[state.SELECTION_KEY] = pick.rows  # for the Interpolate page


def current_pick(active: state.ActiveModel, shown: MapProjection) -> Pick:
    """The user's pick on this map: selected test images stay selected on every map of the dataset; a
    clicked spot belongs to the map it was clicked on."""
    stored = st.session_state.get(PICK_KEY)
    if not stored or stored["dataset"] != active.dataset:
        return Pick()
    pick = stored["pick"]
    if pick.rows:
        return Pick(rows=pick.rows)
    return pick if stored["map"] == (model_key(active), shown.method) else Pick()


def marked_figure(active: state.ActiveModel, shown: MapProjection, colour: str, manifold: bool, pick: Pick) -> go.Figure:
    """The map with the pick drawn in (`with_marks`), or left as the browser has it where that already
    shows the pick.

    Any change to the figure makes Streamlit mount a new chart, which forgets the zoom and the drag
    mode. A clicked spot is marked by the chart itself (its grid point is selected), so the figure
    stays as it is while the chart in the browser shows that spot; selected rows are drawn in, which
    also brings the chart back from box or lasso mode to pan, where the next click registers."""
    height = presenter.scale(HEIGHT_PX)
    base_key = (model_key(active), shown.method, colour, manifold, height)
    chart = chart_key(active, shown)
    shown_there = pick_from_event(st.session_state.get(chart)) if chart in st.session_state else None
    drawn = st.session_state.get(DRAWN_KEY)
    keep = (drawn is not None and drawn[0] == base_key and not drawn[1].rows and not pick.rows
            and shown_there is not None and shown_there.grid_index == pick.grid_index)
    marks = drawn[1] if keep else pick
    st.session_state[DRAWN_KEY] = (base_key, marks)
    return with_marks(_figure(base_key[0], active.dataset, shown.method, colour, manifold, height, active, shown), marks)


def selection_view(active: state.ActiveModel, rows: list[int]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Up to MAX_SHOWN selected test images and their reconstructions as two pictures, and the
    selection's class counts (all of it), most frequent first."""
    test = test_split(active.dataset)
    shown = torch.as_tensor(rows[:MAX_SHOWN])
    originals = test.images[shown]
    rebuilt = active.model.infer(originals).x_hat  # never switches the mode of a shared model
    counts = dict(Counter(test.classes[label] for label in test.labels[torch.as_tensor(rows)].tolist()).most_common())
    columns = min(8, len(shown))
    return compose_grid(originals, columns, 48), compose_grid(rebuilt, columns, 48), counts


@st.cache_data(show_spinner="Decoding…", max_entries=256)
def _decoded_spot(key: str, method: str, x: float, y: float, _active: state.ActiveModel,
                  _inverse: MapInverse) -> tuple[np.ndarray, float, bool]:
    code = _inverse.to_codes([[x, y]])
    image = compose_grid(decode(_active.model, code), 1, 160)
    distance = float(_inverse.distance([[x, y]])[0])
    return image, distance, distance > _inverse.far_threshold_


def decoded_spot(active: state.ActiveModel, shown: MapProjection, spot: tuple[float, float]) -> tuple[np.ndarray, float, bool]:
    """The decoder's image at a point of the map, its distance to the nearest data point, and whether
    that is further than most points are from their neighbours."""
    inverse = map_inverse(active, shown)
    return _decoded_spot(model_key(active), shown.method, spot[0], spot[1], active, inverse)


def inverse_note(active: state.ActiveModel, shown: MapProjection) -> str:
    """How the shown map turns a point into a code, in words."""
    return INVERSE_NOTES[map_inverse(active, shown).kind_]


def is_approximate(active: state.ActiveModel, shown: MapProjection) -> bool:
    return map_inverse(active, shown).kind_ == "approximate"


def hover_panel(active: state.ActiveModel, shown: MapProjection) -> None:
    """The image under the pointer, decoded in the browser (`latent_map_figure.hover_panel`)."""
    figure_hover_panel(active, shown.method, map_inverse(active, shown))


@st.fragment(run_every=1)
def progress(active: state.ActiveModel, method: str) -> None:
    """While `method`'s job runs: its elapsed time, redrawn every second; once it has finished, a
    rerun of the page swaps the map in (or shows why it failed)."""
    shown = projection(active, method)
    if shown.pending and shown.job.state == jobs.QUEUED:
        st.info(f"{METHOD_LABELS[method]} waits for a free worker ({shown.job.position - 1} jobs ahead). The PCA map "
                "is shown meanwhile; this one appears by itself when it is ready.", icon=":material/hourglass_top:")
    elif shown.pending:
        st.info(f"Computing {METHOD_LABELS[method]}… {shown.job.seconds:.0f} s (the first UMAP of a worker also "
                "compiles umap-learn, tens of seconds). The PCA map is shown meanwhile; this one appears by itself "
                "when it is ready.", icon=":material/hourglass_top:")
    else:
        st.rerun()
