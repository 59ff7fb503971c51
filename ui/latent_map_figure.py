"""The latent map as a plotly figure, and what a user picked on it.

Trace 0 is a grid of invisible markers covering the plane; the data follow, one WebGL trace per class
(so the legend names the classes) or one trace coloured by a continuous factor, each with the row ids
of its points in `customdata`. `st.plotly_chart(on_select=...)` reports only selected points, so a
click on empty space selects the nearest grid point and hands back its x, y (docs/streamlit-notes.md). A selected
grid point is drawn as a cross: plotly marks the clicked spot itself, in the browser, with no change
to the figure (a changed figure is a new chart, which forgets the user's zoom). Selected rows are
drawn into the figure (`with_marks`): selected dots larger, the others dimmed. For a 2-D code the
decoder's images over the plane can lie under the points as one layout image (the manifold view).

Beside the figure, `hover_panel` mounts the hover decoder (`pointer_component.js`): an
`st.components.v2` component that follows the pointer over this figure's axes and decodes in the
browser, with no rerun. It gets the model's decoder as ONNX, exported once per weights by
`aecore.export.export_job` in the server's queue into `aecore.export.cache_root()` (never into the
zoo, whose size is capped), and the map's point -> code rule as data (`aecore.latent.mapping`).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from PIL import Image

import aecore.export
from aecore.latent.decode import MapInverse, grid_points
from aecore.latent.mapping import pointer_mapping
from aecore.workers import DONE, FAILED, Job
from ui.core import jobs, presenter, state
from ui.core.cache import model_key
from ui.core.gallery import tile
from ui.core.palette import CLASS_COLOURS  # one colour per class on every page

CLICK_GRID = 60  # grid markers per side: a click lands within half a cell of where it was aimed
HEIGHT_PX = 620
SPOT_COLOUR = "rgb(20, 20, 20)"
DIMMED = 0.2  # opacity of the dots left out of a selection
POINTER_KEY = "lm_pointer"  # the hover decoder's element key: one mount, kept across reruns and models
ORT_FOLDER = "ort"  # ONNX Runtime Web's files under the app's static/ folder (served at app/static/)
_POINTER_HTML = """
<div class="ae-pointer" data-ready="loading" data-decodes="0">
  <div class="ae-title">Under the pointer</div>
  <canvas class="ae-panel" width="160" height="160"></canvas>
  <div class="ae-where"></div>
  <div class="ae-status">Loading the decoder into the browser…</div>
  <div class="ae-note"></div>
  <canvas class="ae-floater" width="96" height="96"></canvas>
</div>
"""
_POINTER_CSS = """
.ae-pointer { font-family: var(--st-font, sans-serif); color: var(--st-text-color); }
.ae-title { font-weight: 600; margin-bottom: 0.3rem; }
.ae-panel { image-rendering: pixelated; border: 1px solid var(--st-border-color, #ccc); max-width: 100%; }
.ae-where { font-variant-numeric: tabular-nums; min-height: 1.2em; }
.ae-status, .ae-note { font-size: 0.85rem; opacity: 0.75; }
.ae-floater { position: fixed; display: none; pointer-events: none; z-index: 1000; image-rendering: pixelated;
              border: 1px solid rgb(20, 20, 20); box-shadow: 0 2px 6px rgba(0, 0, 0, 0.3); }
"""
_POINTER = st.components.v2.component("ae_pointer_decoder", html=_POINTER_HTML, css=_POINTER_CSS,
                                      js=Path(__file__).with_name("pointer_component.js").read_text())


@dataclass
class Pick:
    """What the user picked on one map: selected rows, or an empty spot (grid point `grid_index`)."""

    rows: list[int] = field(default_factory=list)
    spot: tuple[float, float] | None = None
    grid_index: int | None = None


def map_figure(embedding: np.ndarray, rows: np.ndarray, values: np.ndarray, classes: Sequence[str] | None,
               colour: str, axes: str, manifold: dict | None, revision: str, height: int = HEIGHT_PX) -> dict:
    """The map figure as a dict for `st.plotly_chart`.

    embedding (N, 2); rows (N,) row ids of the points; values (N,) what to colour by, class indices
    when `classes` names them; manifold: `manifold_images`' dict or None; revision: keeps the user's
    zoom across reruns until it changes (plotly's uirevision).
    """
    xs, ys = grid_points(embedding, CLICK_GRID, margin=0.08)
    gx, gy = np.meshgrid(xs, ys)
    # The grid is invisible until plotly selects one of its points (a click on empty space): that one
    # shows as a cross, at once and until the next pick.
    grid = {"type": "scattergl", "mode": "markers", "x": gx.ravel().tolist(), "y": gy.ravel().tolist(),
            "marker": {"size": 8, "opacity": 0, "symbol": "x", "color": SPOT_COLOUR},
            "hoverinfo": "none", "showlegend": False, "name": "plane",
            "unselected": {"marker": {"opacity": 0}}, "selected": {"marker": {"opacity": 1, "size": 18}}}
    layout = {
        "height": height, "margin": {"l": 50, "r": 20, "t": 30, "b": 50}, "uirevision": revision,
        "xaxis": {"title": {"text": f"{axes} 1"}, "range": [xs[0], xs[-1]], "zeroline": False},
        "yaxis": {"title": {"text": f"{axes} 2"}, "range": [ys[0], ys[-1]], "zeroline": False},
        "hovermode": "closest", "clickmode": "event+select", "dragmode": "pan",  # like a map: drag pans, the wheel zooms; box and lasso in the toolbar
        "legend": {"title": {"text": colour}, "itemsizing": "constant"},
    }
    if manifold is not None:
        layout["images"] = [_manifold_image(manifold)]
        # Square tiles: the grid's width and height in data units fill a square of the plot (the
        # plot keeps that ratio at any width), or each decoded image is stretched into a stripe.
        ratio = float((manifold["xs"][-1] - manifold["xs"][0]) / (manifold["ys"][-1] - manifold["ys"][0]))
        layout["yaxis"].update({"scaleanchor": "x", "scaleratio": ratio, "constrain": "domain"})
        layout["xaxis"]["constrain"] = "domain"
    return {"data": [grid, *_data_traces(embedding, rows, values, classes, colour)], "layout": layout}


def _data_traces(embedding: np.ndarray, rows: np.ndarray, values: np.ndarray, classes: Sequence[str] | None,
                 colour: str) -> list[dict]:
    def trace(mask: np.ndarray, name: str, marker: dict, text: list[str], legend: bool) -> dict:
        # Unselected dots keep full opacity: a click on empty space selects a grid point, and the data
        # should not fade for that. `with_marks` dims them when rows are selected.
        return {"type": "scattergl", "mode": "markers", "name": name, "showlegend": legend,
                "x": embedding[mask, 0].tolist(), "y": embedding[mask, 1].tolist(),
                "customdata": [int(r) for r in rows[mask]], "text": text,
                "marker": {"size": 6, "line": {"width": 0}, **marker},
                "hovertemplate": f"test image %{{customdata}}<br>{colour}: %{{text}}<extra></extra>",
                "unselected": {"marker": {"opacity": 1}}, "selected": {"marker": {"opacity": 1, "size": 10}}}

    if not classes:
        marker = {"color": values.tolist(), "colorscale": "Viridis", "showscale": True,
                  "colorbar": {"title": {"text": colour}, "thickness": 12}}
        return [trace(np.ones(len(values), bool), "test images", marker, [f"{v:.2f}" for v in values], False)]
    labels = np.asarray(values).astype(int)
    return [trace(labels == i, name, {"color": CLASS_COLOURS[i % len(CLASS_COLOURS)]}, [name] * int((labels == i).sum()), True)
            for i, name in enumerate(classes) if (labels == i).any()]


def with_marks(base: go.Figure, pick: Pick | None) -> go.Figure:
    """`base` with the pick drawn in: selected rows larger and the rest dimmed, or the grid point of a
    clicked spot selected (a cross). A copy when anything is drawn: `base` is shared between sessions."""
    if pick is None or (not pick.rows and pick.grid_index is None):
        return base
    figure = go.Figure(base)
    if pick.rows:
        chosen = set(pick.rows)
        for trace in figure.data[1:]:
            trace.selectedpoints = [i for i, row in enumerate(trace.customdata) if row in chosen]
            trace.unselected = {"marker": {"opacity": DIMMED}}
    else:
        figure.data[0].selectedpoints = [pick.grid_index]
    return figure


def pick_from_event(event: Any) -> Pick:
    """A plotly selection event -> the rows of the selected data points, or the clicked empty spot.

    Trace 0 is the invisible grid, the others hold data (see `map_figure`); a spot counts only when
    the selection holds no data point and exactly one grid point (a click, not a box)."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    rows = [int(_customdata(p)) for p in points if p.get("curve_number", 0) >= 1 and _customdata(p) is not None]
    grid = [p for p in points if p.get("curve_number") == 0]
    if rows or len(grid) != 1:
        return Pick(rows=list(dict.fromkeys(rows)))
    index = grid[0].get("point_index", grid[0].get("point_number"))
    return Pick(spot=(float(grid[0]["x"]), float(grid[0]["y"])), grid_index=None if index is None else int(index))


def _customdata(point: dict) -> Any:
    value = point.get("customdata")
    return value[0] if isinstance(value, (list, tuple)) else value


def _manifold_image(manifold: dict) -> dict:
    """The decoded grid as one picture stretched over the cells it was decoded at."""
    xs, ys, images = manifold["xs"], manifold["ys"], manifold["images"]
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    picture = tile(images.float().clamp(0, 1), len(xs), padding=0)  # (3, H', W'), top row first
    array = (picture.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return {"source": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(),
            "xref": "x", "yref": "y", "x": float(xs[0] - dx / 2), "y": float(ys[-1] + dy / 2),
            "sizex": float(xs[-1] - xs[0] + dx), "sizey": float(ys[-1] - ys[0] + dy),
            "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below", "opacity": 0.55}


def ort_base() -> str:
    """The URL path of the vendored ONNX Runtime Web files (Streamlit's static serving, behind any base path)."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, "app", "static", ORT_FOLDER) if part) + "/"


# --- the hover decoder: its data, and the decoder exported for it ------------------------------
POINTER_NOTES = {"exact": "The point is the code.", "linear": "Point → code through PCA's inverse.",
                 "grid": "Approximate: the nearest test images' codes, averaged on a grid and blended in between "
                         "(this map has no inverse of its own)."}


@st.cache_data(show_spinner=False, max_entries=64)
def _onnx_path(key: str, _active: state.ActiveModel) -> str:
    return str(aecore.export.cached_path(_active.model))


@st.cache_data(show_spinner=False, max_entries=8)
def _onnx_b64(path: str) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")  # the path names the weights' hash


def decoder_onnx(active: state.ActiveModel) -> tuple[str | None, Job | None]:
    """The active model's decoder as base64 ONNX once it is exported, else None and the export's job
    (queued here the first time: one per model for the whole server, asked again if abandoned)."""
    key = model_key(active)
    path = _onnx_path(key, active)
    if Path(path).is_file():
        return _onnx_b64(path), None
    model = active.model
    job = jobs.server_job(("onnx", key), aecore.export.export_job,
                          lambda: ({**model.config.to_dict(), "kind": model.kind},
                                   {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()},
                                   str(Path(path).parent)),
                          name="in-browser decoder",
                          stale=lambda done: done.state == DONE and not Path(path).is_file())  # cache emptied since
    return (_onnx_b64(path), None) if job.state == DONE and Path(path).is_file() else (None, job)


@st.cache_resource(show_spinner=False, max_entries=32)
def _pointer_mapping(key: str, method: str, _inverse: MapInverse) -> dict:
    return pointer_mapping(_inverse).to_data()


def pointer_data(active: state.ActiveModel, method: str, inverse: MapInverse, onnx: str) -> dict:
    """What the hover decoder needs: the decoder, the image shape and the map's point -> code rule."""
    key = model_key(active)
    mapping = _pointer_mapping(key, method, inverse)
    return {"model_id": key, "onnx": onnx, "shape": list(active.model.config.input_shape), "mapping": mapping,
            "mapping_id": f"{key}/{method}", "note": POINTER_NOTES[mapping["kind"]],
            "size_px": presenter.scale(160), "ort_base": ort_base()}


def hover_panel(active: state.ActiveModel, method: str, inverse: MapInverse) -> None:
    """The image under the pointer of the map `method` (whose point -> code rule is `inverse`),
    decoded in the browser; while the decoder is being exported, a note that polls until it is ready."""
    onnx, job = decoder_onnx(active)
    if onnx is not None:
        _POINTER(key=POINTER_KEY, data=pointer_data(active, method, inverse, onnx), height="content")
    elif job.state == FAILED:
        st.caption(f"The in-browser decoder could not be made ({job.error}); clicks still decode.")
    else:
        _export_progress(active)


@st.fragment(run_every=1)
def _export_progress(active: state.ActiveModel) -> None:
    onnx, job = decoder_onnx(active)
    if onnx is not None or job.finished:
        st.rerun()
    st.caption("Preparing the decoder for your browser (a few seconds, once per model)…")
