"""Plotly figures of the denoise lab: the image grid at every noise level as animation frames, and
the PSNR-against-level curve.

The grid is one figure whose `frames` hold every level and whose slider steps `animate` between
them, so dragging the slider swaps frames in the browser with no rerun (STACK.md). Each frame is a
single PNG of the whole grid (an image trace with a data-URI source, far smaller than a JSON array
per pixel) plus one text trace with the PSNR under each tile.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from aecore.lab import NOISY, DenoiseLadder
from ui.core.frame_figure import animate_steps
from ui.core.painting import ERROR_BAR_SCALE, GridGeometry, Painter

MARGIN = {"l": 170, "r": 70, "t": 80, "b": 20}  # left: row names; top: title and column names
SLIDER_PX = 90  # the slider under the grid


def ladder_figure(ladders: Sequence[DenoiseLadder], column_names: Sequence[str], level_name: str,
                  summary: DenoiseLadder) -> dict:
    """The grid figure (a plain dict, ready for `st.plotly_chart`) with one frame per level.

    ladders: computed with the same levels and models; their images become consecutive columns
    (e.g. an uploaded image's ladder, then the test images'). summary: the ladder whose mean PSNR
    each frame's title reports. Rows: clean, noisy, then each model's output and |error|.
    """
    models = list(ladders[0].outputs)
    row_names = ["clean", NOISY] + [f"{kind}: {name}" for name in models for kind in ("output", "|error|")]
    scored = [None, NOISY] + [score for name in models for score in (name, None)]  # PSNR under which rows
    first = ladders[0]
    geometry = GridGeometry(len(row_names), len(column_names), *first.clean.shape[-2:])
    painter = Painter(first.clean.shape[1])
    clean = painter.images(_stack(ladders, lambda ld: ld.clean))
    means = summary.mean_psnr()
    text_x, text_y = geometry.text_positions()
    frames = []
    for i, level in enumerate(first.levels):
        rows = [clean, painter.images(_stack(ladders, lambda ld: ld.noisy[i]))]
        for name in models:
            rows.append(painter.images(_stack(ladders, lambda ld: ld.outputs[name][i])))
            rows.append(painter.errors(_stack(ladders, lambda ld: ld.error(name, i))))
        texts = _texts(ladders, scored, i)
        parts = [f"{name} {means[name][i]:.1f}" for name in [NOISY, *models]]
        frames.append({
            "name": f"{level:.2f}",
            "data": [
                {"type": "image", "source": painter.data_uri(geometry.compose(rows, painter.gap)), "hoverinfo": "skip"},
                {"type": "scatter", "mode": "text", "x": text_x, "y": text_y, "text": texts,
                 "textfont": {"size": 11}, "hoverinfo": "skip", "showlegend": False},
            ],
            "traces": [0, 1],
            "layout": {"title": {"text": f"{level_name} = {level:.2f}   mean PSNR (dB): " + " · ".join(parts)}},
        })
    figure = {"data": [], "frames": frames, "layout": _grid_layout(geometry, row_names, column_names, frames)}
    return at_level(figure, 0)


def _stack(ladders: Sequence[DenoiseLadder], pick: Callable[[DenoiseLadder], torch.Tensor]) -> np.ndarray:
    """One array of the picked tensor of every ladder, their images side by side (axis 0)."""
    return np.concatenate([pick(ladder).numpy() for ladder in ladders])


def _texts(ladders: Sequence[DenoiseLadder], scored: list[str | None], index: int) -> list[str]:
    """The text under every tile at level `index`, row by row: its PSNR, or nothing."""
    count = sum(len(ladder.clean) for ladder in ladders)
    texts = []
    for score in scored:
        values = _stack(ladders, lambda ld: ld.psnr[score][index]) if score else None
        texts += [f"{v:.1f} dB" for v in values] if score else [""] * count
    return texts


def _error_colorbar() -> dict:
    """An invisible one-point trace whose only job is to draw the |error| colour bar."""
    return {"type": "scatter", "mode": "markers", "x": [0], "y": [0], "hoverinfo": "skip", "showlegend": False,
            "marker": {"opacity": 0, "color": [0], "cmin": 0, "cmax": 1, "colorscale": ERROR_BAR_SCALE,
                       "showscale": True, "colorbar": {"title": {"text": "|error|"}, "len": 0.5, "thickness": 12}}}


def _grid_layout(geometry: GridGeometry, row_names: list[str], column_names: Sequence[str],
                 frames: list[dict]) -> dict:
    height_px = geometry.size[0] * geometry.scale + MARGIN["t"] + MARGIN["b"] + SLIDER_PX
    steps = animate_steps([frame["name"] for frame in frames])
    hidden = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    return {
        "height": round(height_px), "margin": MARGIN, "title": {"x": 0, "font": {"size": 14}},
        "xaxis": {**hidden, "side": "top", "tickmode": "array", "tickvals": geometry.column_centers(),
                  "ticktext": list(column_names), "range": [-0.5, geometry.size[1] - 0.5]},
        "yaxis": {**hidden, "tickmode": "array", "tickvals": geometry.row_centers(), "ticktext": row_names,
                  "range": [geometry.size[0] - 0.5, -0.5], "scaleanchor": "x"},
        "sliders": [{"active": 0, "steps": steps, "pad": {"t": 10}, "len": 1.0, "x": 0,
                     "currentvalue": {"prefix": "noise level: ", "font": {"size": 13}}}],
    }


def at_level(figure: dict, index: int) -> dict:
    """Show frame `index` of a `ladder_figure` as the figure's first picture and slider position."""
    frame = figure["frames"][index]
    figure["data"] = [*frame["data"], _error_colorbar()]  # the frames animate traces 0 and 1 only
    figure["layout"]["title"]["text"] = frame["layout"]["title"]["text"]
    figure["layout"]["sliders"][0]["active"] = index
    return figure


def psnr_curve_figure(levels: Sequence[float], mean_psnr: dict[str, list[float]], level: float,
                      level_name: str) -> dict:
    """PSNR against noise level, one line for the noisy input and one per model, a mark at `level`."""
    lines = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": list(levels), "y": values,
              "line": {"dash": "dot"} if name == NOISY else {}} for name, values in mean_psnr.items()]
    # PSNR of an unchanged input is capped at 100 dB; the axis stops well below so the lines stay readable.
    finite = [v for values in mean_psnr.values() for v in values if v < 99]
    top = max(finite, default=30) + 3
    return {
        "data": lines,
        "layout": {
            "height": 360, "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
            "xaxis": {"title": {"text": level_name}},
            "yaxis": {"title": {"text": "mean PSNR against the clean image (dB)"}, "range": [0, top]},
            "shapes": [{"type": "line", "x0": level, "x1": level, "yref": "paper", "y0": 0, "y1": 1,
                        "line": {"dash": "dash", "width": 1, "color": "gray"}}],
            "legend": {"orientation": "h", "y": 1.08},
        },
    }
