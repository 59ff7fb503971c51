"""The latent map as a plotly figure, and what a user picked on it.

Trace 0 is a grid of invisible markers covering the plane; the data follow, one WebGL trace per class
(so the legend names the classes) or one trace coloured by a continuous factor, each with the row ids
of its points in `customdata`. `st.plotly_chart(on_select=...)` reports only selected points, so a
click on empty space selects the nearest grid point and hands back its x, y (docs/streamlit-notes.md). A selected
grid point is drawn as a cross: plotly marks the clicked spot itself, in the browser, with no change
to the figure (a changed figure is a new chart, which forgets the user's zoom). Selected rows are
drawn into the figure (`with_marks`): selected dots larger, the others dimmed. For a 2-D code the
decoder's images over the plane can lie under the points as one layout image (the manifold view).

Beside the figure, `hover_panel` mounts the hover decoder (`ui.core.hover_decoder`, shared with
Draw and see): the image under the pointer, decoded in the browser with no rerun.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image

from aecore.latent.decode import MapInverse, grid_points
from ui.core import hover_decoder, state
from ui.core.gallery import tile
from ui.core.hover_decoder import POINTER_KEY, decoder_onnx, pointer_data  # noqa: F401  (callers and tests import them from here)
from ui.core.palette import CLASS_COLOURS  # one colour per class on every page

CLICK_GRID = 60  # grid markers per side: a click lands within half a cell of where it was aimed
HEIGHT_PX = 620
SPOT_COLOUR = "rgb(20, 20, 20)"
DIMMED = 0.2  # opacity of the dots left out of a selection


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


def hover_panel(active: state.ActiveModel, method: str, inverse: MapInverse) -> None:
    """The image under the pointer of the map `method` (whose point -> code rule is `inverse`),
    decoded in the browser (`ui.core.hover_decoder`, shared with Draw and see)."""
    hover_decoder.panel(active, method, inverse)
