"""The latent map as a plotly figure: one WebGL scatter of the codes over an invisible grid.

Trace 0 is a grid of invisible markers covering the plane, trace 1 the data (row ids in
`customdata`). `st.plotly_chart(on_select=...)` reports only selected points, so a click on empty
space selects the nearest grid point and hands back its x, y (STACK.md). For a 2-D code the decoder's
images over the plane can lie under the points as one layout image (the manifold view).
"""

from __future__ import annotations

import base64
import io
from typing import Sequence

import numpy as np
import plotly.colors
import torch
from PIL import Image

from aecore.latent.decode import grid_points
from ui.core.gallery import tile

CLICK_GRID = 60  # grid markers per side: a click lands within half a cell of where it was aimed
HEIGHT_PX = 620
CLASS_COLOURS = plotly.colors.qualitative.Plotly + plotly.colors.qualitative.Dark24


def map_figure(embedding: np.ndarray, rows: np.ndarray, values: np.ndarray, classes: Sequence[str] | None,
               colour: str, axes: str, manifold: dict | None, revision: str) -> dict:
    """The map figure as a dict for `st.plotly_chart`.

    embedding (N, 2); rows (N,) row ids of the points; values (N,) what to colour by, class indices
    when `classes` names them; manifold: `manifold_images`' dict or None; revision: keeps the user's
    zoom across reruns until it changes (plotly's uirevision).
    """
    xs, ys = grid_points(embedding, CLICK_GRID, margin=0.08)
    gx, gy = np.meshgrid(xs, ys)
    grid = {"type": "scattergl", "mode": "markers", "x": gx.ravel().tolist(), "y": gy.ravel().tolist(),
            "marker": {"size": 8, "opacity": 0}, "hoverinfo": "none", "showlegend": False, "name": "plane",
            "unselected": {"marker": {"opacity": 0}}, "selected": {"marker": {"opacity": 0}}}
    data = {"type": "scattergl", "mode": "markers", "x": embedding[:, 0].tolist(), "y": embedding[:, 1].tolist(),
            "customdata": [int(r) for r in rows], "showlegend": False, "name": "test images",
            "marker": {"size": 6, "line": {"width": 0}, **_colours(values, classes, colour)},
            "text": [classes[int(v)] for v in values] if classes else [f"{v:.2f}" for v in values],
            "hovertemplate": f"test image %{{customdata}}<br>{colour}: %{{text}}<extra></extra>",
            "unselected": {"marker": {"opacity": 1}}}
    layout = {
        "height": HEIGHT_PX, "margin": {"l": 50, "r": 20, "t": 30, "b": 50}, "uirevision": revision,
        "xaxis": {"title": {"text": f"{axes} 1"}, "range": [xs[0], xs[-1]], "zeroline": False},
        "yaxis": {"title": {"text": f"{axes} 2"}, "range": [ys[0], ys[-1]], "zeroline": False},
        "hovermode": "closest", "clickmode": "event+select", "dragmode": "pan",  # like a map: drag pans, the wheel zooms; box and lasso in the toolbar
    }
    if manifold is not None:
        layout["images"] = [_manifold_image(manifold)]
    return {"data": [grid, data], "layout": layout}


def _colours(values: np.ndarray, classes: Sequence[str] | None, colour: str) -> dict:
    if not classes:
        return {"color": values.tolist(), "colorscale": "Viridis", "showscale": True,
                "colorbar": {"title": {"text": colour}, "thickness": 12}}
    n = len(classes)
    palette = [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(n)]
    # A stepped scale: each class gets one flat band, and the colour bar names the bands.
    scale = [[edge / n, palette[i]] for i in range(n) for edge in (i, i + 1)]
    return {"color": values.tolist(), "colorscale": scale, "cmin": -0.5, "cmax": n - 0.5, "showscale": True,
            "colorbar": {"title": {"text": colour}, "tickvals": list(range(n)), "ticktext": list(classes),
                         "thickness": 12}}


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
