"""The app side of the Interpolate and Sample & traverse pages: cached test codes and the figures
drawn from them. Models reach the caches as `_`-prefixed arguments beside `model_key` (docs/streamlit-notes.md).

Every figure is cached by (model key, settings) as a `go.Figure` in st.cache_resource: a rerun with
nothing new decodes and encodes nothing, and st.plotly_chart does not validate a go.Figure again
(it does a plain dict, on every rerun). The figures are shared between sessions: read-only.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aecore import generate
from aecore.latent import encode_dataset, interpolate, project
from ui.core import state
from ui.core.cache import model_key, test_split
from ui.core.concepts import Live
from ui.core.frame_figure import slider_figure, still_figure, with_side_panel
from ui.core.palette import class_colour

SWEEP = np.linspace(-3, 3, 7)  # the traversal grid, in standard deviations
DRAG_SWEEP = np.linspace(-3, 3, 25)  # the finer sweep behind each drag slider
SAMPLE_COLUMNS = 8
# Real images a sample's nearest neighbour is sought among: all of a small test set, a fixed draw from
# a large one (MNIST's 10,000 would take 0.4 s per grid of samples on one busy core).
REFERENCE_IMAGES = 2000


@st.cache_data(show_spinner="Encoding the test set…", max_entries=16)
def _cached_codes(dataset: str, key: str, _model) -> np.ndarray:
    return encode_dataset(_model, test_split(dataset))


def test_codes(active: state.ActiveModel) -> np.ndarray:
    """Codes (N, d) of the active dataset's test images under `active`'s model."""
    return _cached_codes(active.dataset, model_key(active), active.model)


@st.cache_data(show_spinner=False, max_entries=16)
def _plane(dataset: str, key: str, _codes: np.ndarray) -> tuple[np.ndarray, object]:
    if _codes.shape[1] == 2:  # the code is the map
        return _codes, None
    pca = project(_codes, "pca")
    return pca.embedding_, pca


@st.cache_data(show_spinner=False, max_entries=16)
def _kl(dataset: str, key: str, _model) -> np.ndarray:
    return generate.kl_per_dimension(_model, test_split(dataset).images)


def latent_map_selection(size: int) -> list[int]:
    """The Latent map's selected test rows (those within the test set), or an empty list."""
    rows = st.session_state.get(state.SELECTION_KEY) or []
    return [int(r) for r in rows if 0 <= int(r) < size]


def pick_pair(dataset: str, how: str, seed: int, classes: tuple[str, str], rows: tuple[int, int]) -> tuple[int, int]:
    """Two test-set rows, picked `how`: "index" (the given ones), "random", or "class" (a random image of
    each of two classes)."""
    test = test_split(dataset)
    rng = np.random.default_rng(int(seed))
    if how == "random" or (how == "class" and test.labels is None):
        a, b = rng.choice(len(test), size=2, replace=False)
        return int(a), int(b)
    if how == "class":
        labels = test.labels.numpy()
        a, b = (int(rng.choice(np.flatnonzero(labels == test.classes.index(c)))) for c in classes)
        return a, b
    return int(rows[0]) % len(test), int(rows[1]) % len(test)


def row_name(dataset: str, row: int) -> str:
    test = test_split(dataset)
    return f"#{row} ({test.classes[int(test.labels[row])]})" if test.labels is not None else f"#{row}"


def interpolation_figures(active: state.ActiveModel, rows: tuple[int, int], steps: int, mode: str,
                          tile_px: int = 240) -> tuple[go.Figure, go.Figure]:
    """(film strip, the large pair behind a slider over the path with the path's map beside it, whose
    marker shows where on the path the frame on screen is)."""
    return _interpolation(active.dataset, model_key(active), tuple(int(r) for r in rows), int(steps), mode,
                          int(tile_px), active)


@st.cache_resource(show_spinner=False, max_entries=64)
def _path(dataset: str, key: str, rows: tuple[int, int], steps: int, mode: str,
          _active: state.ActiveModel) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    """(codes (steps, d), their decoded images, the pixel cross-fade) from one test image to another:
    decoded once for the figures and for the nearness numbers."""
    test, codes = test_split(dataset), test_codes(_active)
    path = interpolate(codes[rows[0]], codes[rows[1]], steps, mode)
    return path, generate.decode_codes(_active.model, path), generate.cross_fade(test.images[rows[0]],
                                                                                 test.images[rows[1]], steps)


@st.cache_resource(show_spinner=False, max_entries=64)
def _interpolation(dataset: str, key: str, rows: tuple[int, int], steps: int, mode: str, tile_px: int,
                   _active: state.ActiveModel) -> tuple[go.Figure, go.Figure]:
    active = _active
    path, decoded, faded = _path(dataset, key, rows, steps, mode, active)
    t = [f"{i / (steps - 1):.2f}" for i in range(steps)]
    strip = still_figure([decoded, faded], [f"decoded ({mode})", "pixel cross-fade"], [f"t={v}" for v in t],
                         f"{steps} frames from {row_name(active.dataset, rows[0])} to "
                         f"{row_name(active.dataset, rows[1])}", tile_px=tile_px * 11 // 50)
    names = [f"{i + 1}/{steps}" for i in range(steps)]
    titles = [f"frame {n}, t = {v}" for n, v in zip(names, t)]
    large = slider_figure([[torch.stack([decoded[i], faded[i]])] for i in range(steps)], names, titles, [""],
                          ["decoded path", "pixel cross-fade"], "frame ", tile_px=tile_px)
    traces, xy, axis = path_map(active, path)
    here = [{"type": "scatter", "mode": "markers+text", "x": [float(x)], "y": [float(y)], "text": [f"t = {v}"],
             "textposition": "bottom center", "hoverinfo": "skip", "name": "frame shown",
             "marker": {"size": 18, "symbol": "circle-open", "color": "rgb(255,140,0)", "line": {"width": 4}}}
            for (x, y), v in zip(xy, t)]
    axes = {"xaxis": {"title": {"text": f"{axis} 1"}}, "yaxis": {"title": {"text": f"{axis} 2"}}}
    both = with_side_panel(large, traces, here, axes, f"the path over the test codes ({axis} 1 and 2)")
    return go.Figure(strip), go.Figure(both)


def path_map(active: state.ActiveModel, path: np.ndarray) -> tuple[list[dict], np.ndarray, str]:
    """(traces of the test codes on their first two principal axes, or the raw 2-D code, with the
    path drawn over them; the path's points on that plane (steps, 2); the axes' name)."""
    embedding, pca = _plane(active.dataset, model_key(active), test_codes(active))
    xy = path if pca is None else pca.transform(path)
    labels = test_split(active.dataset).labels
    traces = [
        {"type": "scattergl", "mode": "markers", "x": embedding[:, 0].tolist(), "y": embedding[:, 1].tolist(),
         "hoverinfo": "skip", "marker": {"size": 4, "opacity": 0.5,  # each class its colour on every page
                                         "color": [class_colour(label) for label in labels.tolist()]
                                         if labels is not None else "gray"}},
        {"type": "scatter", "mode": "lines+markers", "x": xy[:, 0].tolist(), "y": xy[:, 1].tolist(),
         "line": {"color": "black", "width": 2}, "marker": {"size": 6, "color": "black"}, "name": "path"},
        {"type": "scatter", "mode": "markers+text", "x": xy[[0, -1], 0].tolist(), "y": xy[[0, -1], 1].tolist(),
         "text": ["start", "end"], "textposition": "top center", "name": "ends",
         "marker": {"size": 12, "symbol": "star", "color": "red"}}]
    return traces, np.asarray(xy)[:, :2], "code" if pca is None else "PC"


def sample_figures(active: state.ActiveModel, count: int, temperature: float, seed: int,
                   tile_px: int = 48) -> dict[str, tuple[go.Figure, np.ndarray]]:
    """By what the codes were drawn from (the prior N(0, T² I) for a VAE; for another kind N(0, T² I)
    and the Gaussian fitted to its test codes, T scaling both): the decoded samples' grid, and each
    sample's pixel RMSE to its nearest test image (of up to REFERENCE_IMAGES, see `generate.nearest_rmse`)."""
    return _samples(active.dataset, model_key(active), int(count), float(temperature), int(seed), int(tile_px), active)


@st.cache_resource(show_spinner=False, max_entries=64)
def _samples(dataset: str, key: str, count: int, temperature: float, seed: int, tile_px: int,
             _active: state.ActiveModel) -> dict[str, tuple[go.Figure, np.ndarray]]:
    active = _active
    d = active.model.config.latent_dim
    sources = {"N(0, T² I)": {}}
    if not generate.is_variational(active.model):
        mean, cov = generate.fit_gaussian(test_codes(active))
        sources["Gaussian fitted to the test codes"] = {"mean": mean, "cov": cov}
    shown = {}
    for label, gaussian in sources.items():
        x = generate.decode_codes(active.model, generate.sample_codes(count, d, seed, temperature, **gaussian))
        rows = [x[i:i + SAMPLE_COLUMNS] for i in range(0, count, SAMPLE_COLUMNS)]
        figure = go.Figure(still_figure(rows, [""] * len(rows), [""] * SAMPLE_COLUMNS,
                                        f"{label}, T = {temperature:.2f}, seed {seed}", tile_px=tile_px))
        shown[label] = (figure, generate.nearest_rmse(x, _references(active.dataset)))
    return shown


@st.cache_resource(show_spinner=False, max_entries=16)
def _references(dataset: str) -> torch.Tensor:
    images = test_split(dataset).images
    keep = np.random.default_rng(0).permutation(len(images))[:REFERENCE_IMAGES]
    return images[torch.as_tensor(np.sort(keep))]


@st.cache_data(show_spinner=False, max_entries=16)
def real_spacing(dataset: str) -> np.ndarray:
    """Real test images' pixel RMSE to their nearest other one (among the same references as the
    samples'): what "close to real" means."""
    return generate.real_spacing(_references(dataset))


def near_cutoff(dataset: str) -> float:
    """The pixel RMSE within which an image counts as near a real one: as close as nine real test
    images in ten are to their nearest other."""
    return float(np.quantile(real_spacing(dataset), 0.9))


def path_nearness(active: state.ActiveModel, rows: tuple[int, int], steps: int, mode: str) -> dict[str, float]:
    """Of the frames between the two ends (the ends are the images themselves), the share as close
    to a real test image as nine real images in ten are to theirs: on the decoded path and on the
    pixel cross-fade. What "a plausible image on the way" means, in numbers."""
    return _path_nearness(active.dataset, model_key(active), tuple(int(r) for r in rows), int(steps), mode, active)


@st.cache_data(show_spinner=False, max_entries=64)
def _path_nearness(dataset: str, key: str, rows: tuple[int, int], steps: int, mode: str,
                   _active: state.ActiveModel) -> dict[str, float]:
    _, decoded, faded = _path(dataset, key, rows, steps, mode, _active)
    close, references = near_cutoff(dataset), _references(dataset)
    return {"path_near_share": float(np.mean(generate.nearest_rmse(decoded[1:-1], references) <= close)),
            "fade_near_share": float(np.mean(generate.nearest_rmse(faded[1:-1], references) <= close)),
            "inner_frames": float(steps - 2)}


def near_share(active: state.ActiveModel, shown: dict[str, tuple[go.Figure, np.ndarray]]) -> dict[str, float]:
    """The numbers a lesson's claim may name: the share of the prior's samples (N(0, T² I)) near a test
    image, as `prior_live` shows it."""
    close = near_cutoff(active.dataset)
    return {"near_share": float(np.mean(nearest <= close)) for label, (_, nearest) in shown.items()
            if label.startswith("N(")}


def prior_live(active: state.ActiveModel, shown: dict[str, tuple[go.Figure, np.ndarray]]) -> list[Live]:
    """The live numbers of concept "prior" for the samples shown: per source, the share of samples as
    close to a real image as nine real images in ten are to their nearest neighbour, and the mean
    distance; then that real spacing itself."""
    spacing = real_spacing(active.dataset)
    close = near_cutoff(active.dataset)
    live = []
    for label, (_, nearest) in shown.items():
        source = "N(0, T² I)" if label.startswith("N(") else "the fitted Gaussian"
        live.append(Live(f"Near a test image, from {source}", f"{np.mean(nearest <= close):.0%}",
                         help=f"Share of the {len(nearest)} samples whose nearest test image is within {close:.3f} "
                              "pixel RMSE: as close as 9 in 10 real test images are to their nearest neighbour. "
                              "A distance in pixels, not a judge of realism: a smooth blur can sit near many "
                              "images (the VAE's samples are checked by a classifier in docs/zoo.md)."))
        live.append(Live(f"Nearest real image, from {source}", f"{nearest.mean():.3f}",
                         help="Pixel RMSE from each decoded sample to its closest test image, mean over the samples."))
    live.append(Live("Real images' own spacing", f"{np.median(spacing):.3f}",
                     help="Median pixel RMSE from a real test image to its nearest other test image: the yardstick."))
    return live


def traversal(active: state.ActiveModel, row: int, tile_px: int = 44) -> tuple[go.Figure, dict]:
    """(the grid: a row per unit swept over SWEEP, the rest held at the base code; its frame: base
    code `z`, `centre` and `scale` per unit, `kl` per unit for a VAE else None). Read-only: shared."""
    return _traversal(active.dataset, model_key(active), int(row), int(tile_px), active)


@st.cache_resource(show_spinner=False, max_entries=64)
def _traversal(dataset: str, key: str, row: int, tile_px: int, _active: state.ActiveModel) -> tuple[go.Figure, dict]:
    active = _active
    test, codes = test_split(active.dataset), test_codes(active)
    centre, scale = generate.traversal_frame(active.model, codes)
    z = codes[row]
    grid = generate.traversal_codes(z, SWEEP, centre, scale)  # (d, sweep, d)
    images = generate.decode_codes(active.model, grid.reshape(-1, len(z)))
    rows = list(images.view(len(z), len(SWEEP), *test.image_shape))
    figure = still_figure(rows, [f"z{k}" for k in range(len(z))], [f"{v:+.0f}σ" for v in SWEEP],
                          f"base image {row_name(active.dataset, row)}, one unit swept at a time", tile_px=tile_px)
    kl = _kl(active.dataset, model_key(active), active.model) if generate.is_variational(active.model) else None
    return go.Figure(figure), {"z": z, "centre": centre, "scale": scale, "kl": kl}


def drag_figure(active: state.ActiveModel, row: int, unit: int, tile_px: int = 150) -> go.Figure:
    """One unit's fine sweep from base image `row`'s code, as frames behind the figure's own slider."""
    return _drag_figure(active.dataset, model_key(active), int(row), int(unit), int(tile_px), active)


@st.cache_resource(show_spinner=False, max_entries=128)
def _drag_figure(dataset: str, key: str, row: int, unit: int, tile_px: int, _active: state.ActiveModel) -> go.Figure:
    active = _active
    frame = traversal(active, row)[1]
    z, centre, scale = frame["z"], frame["centre"], frame["scale"]
    images = generate.decode_codes(active.model, generate.traversal_codes(z, DRAG_SWEEP, centre, scale)[unit])
    names = [f"{v:+.2f}" for v in DRAG_SWEEP]
    titles = [f"z{unit} = {centre[unit] + v * scale[unit]:.2f} ({n}σ)" for v, n in zip(DRAG_SWEEP, names)]
    base = int(np.abs(DRAG_SWEEP - (z[unit] - centre[unit]) / scale[unit]).argmin())
    return go.Figure(slider_figure([[images[i:i + 1]] for i in range(len(names))], names, titles, [""], [""],
                                   "σ: ", tile_px=tile_px, active=base))


def default_units(frame: dict, count: int = 3) -> list[int]:
    """The units worth dragging first: the largest KL for a VAE, else the first ones."""
    if frame["kl"] is None:
        return list(range(min(count, len(frame["z"]))))
    return sorted(np.argsort(-frame["kl"])[:count].tolist())


@st.cache_resource(show_spinner=False, max_entries=16)
def kl_figure(key: str, _kl: np.ndarray) -> go.Figure:
    """The KL per unit of the model whose `model_key` is `key` as bars."""
    kl = _kl
    return go.Figure({"data": [{"type": "bar", "x": [f"z{k}" for k in range(len(kl))], "y": kl.tolist()}],
            "layout": {"height": 320, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
                       "title": {"text": "KL per unit (nats, mean over the test set)", "font": {"size": 13}},
                       "yaxis": {"title": {"text": "KL"}}}})
