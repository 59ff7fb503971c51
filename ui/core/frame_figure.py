"""Plotly figures of image grids, still or with frames behind an in-figure slider.

Shared by the latent pages and the denoise lab (`ui.ladder_figure`, whose Painter and GridGeometry
compose the pictures here). A slider whose steps `animate` between precomputed frames swaps the
picture in the browser while the thumb is dragged, with no rerun (docs/streamlit-notes.md).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ui.core.painting import GridGeometry, Painter

MARGIN = {"l": 110, "r": 20, "t": 60, "b": 10}  # left: row names; top: title and column names
SLIDER_PX = 90


def animate_steps(names: Sequence[str]) -> list[dict]:
    """Slider steps that show the frame of each name at once."""
    # redraw: image traces are not animatable; mode immediate: a drag skips stale frames.
    return [{"label": name, "method": "animate",
             "args": [[name], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                               "transition": {"duration": 0}}]} for name in names]


def _pictures(rows: Sequence[torch.Tensor | np.ndarray]) -> tuple[str, object]:
    """Rows of (cols, C, H, W) images in [0, 1] -> (data URI of the composed picture, geometry)."""
    arrays = [r.numpy() if isinstance(r, torch.Tensor) else np.asarray(r) for r in rows]
    geometry = GridGeometry(len(arrays), max(len(a) for a in arrays), *arrays[0].shape[-2:])
    painter = Painter(arrays[0].shape[1])
    picture = geometry.compose([painter.images(a) for a in arrays], painter.gap)
    return painter.data_uri(picture), geometry


def _layout(geometry, tile_px: int, row_names: Sequence[str], column_names: Sequence[str], title: str,
            slider: bool) -> dict:
    scale = tile_px / geometry.width
    hidden = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    height = geometry.size[0] * scale + MARGIN["t"] + MARGIN["b"] + (SLIDER_PX if slider else 0)
    return {
        "height": round(height), "margin": MARGIN, "title": {"text": title, "x": 0, "font": {"size": 14}},
        "xaxis": {**hidden, "side": "top", "tickmode": "array", "tickvals": geometry.column_centers(),
                  "ticktext": list(column_names), "range": [-0.5, geometry.size[1] - 0.5]},
        "yaxis": {**hidden, "tickmode": "array", "tickvals": geometry.row_centers(), "ticktext": list(row_names),
                  "range": [geometry.size[0] - 0.5, -0.5], "scaleanchor": "x"},
    }


def _image_trace(uri: str) -> dict:
    return {"type": "image", "source": uri, "hoverinfo": "skip"}


def still_figure(rows: Sequence[torch.Tensor], row_names: Sequence[str], column_names: Sequence[str],
                 title: str = "", tile_px: int = 48) -> dict:
    """One picture of rows of (cols, C, H, W) images, rows and columns named on the axes."""
    uri, geometry = _pictures(rows)
    return {"data": [_image_trace(uri)], "layout": _layout(geometry, tile_px, row_names, column_names, title, False)}


def slider_figure(frames: Sequence[Sequence[torch.Tensor]], names: Sequence[str], titles: Sequence[str],
                  row_names: Sequence[str], column_names: Sequence[str], prefix: str, tile_px: int = 200,
                  active: int = 0) -> dict:
    """A picture per frame (each a list of rows as in `still_figure`) behind a slider named `prefix`."""
    pictures = [_pictures(rows) for rows in frames]
    geometry = pictures[0][1]
    layout = _layout(geometry, tile_px, row_names, column_names, titles[active], True)
    layout["sliders"] = [{"active": active, "steps": animate_steps(names), "pad": {"t": 10}, "len": 1.0, "x": 0,
                          "currentvalue": {"prefix": prefix, "font": {"size": 13}}}]
    plotly_frames = [{"name": name, "data": [_image_trace(uri)], "traces": [0], "layout": {"title": {"text": title}}}
                     for (uri, _), name, title in zip(pictures, names, titles)]
    return {"data": [_image_trace(pictures[active][0])], "frames": plotly_frames, "layout": layout}


def with_side_panel(figure: dict, traces: Sequence[dict], moving: Sequence[dict], axes: dict,
                    panel_title: str = "", share: float = 0.55) -> dict:
    """`figure` (a `slider_figure`) with a chart beside its pictures whose last trace follows the slider.

    The pictures keep the left `share` of the width and the slider runs under them; `traces` are
    drawn on axes x2/y2 at the right, with `axes` as their layout ({"xaxis": ..., "yaxis": ...}).
    `moving` holds one trace per frame (a marker, say): each frame swaps it in with its picture,
    so the marker moves while the thumb is dragged, in the browser, with no rerun (docs/streamlit-notes.md)."""
    if len(moving) != len(figure["frames"]):
        raise ValueError(f"one moving trace per frame: {len(figure['frames'])} frames, {len(moving)} traces")
    on_panel = {"xaxis": "x2", "yaxis": "y2"}
    data = list(figure["data"]) + [{**t, **on_panel} for t in traces]
    active = figure["layout"]["sliders"][0]["active"]
    index = len(data)  # the moving trace comes last
    data.append({**moving[active], **on_panel})
    layout = {**figure["layout"], "showlegend": False,
              "xaxis": {**figure["layout"]["xaxis"], "domain": [0, share]},
              "xaxis2": {**axes.get("xaxis", {}), "domain": [min(share + 0.08, 0.95), 1], "anchor": "y2"},
              "yaxis2": {**axes.get("yaxis", {}), "anchor": "x2"}}
    layout["sliders"] = [{**figure["layout"]["sliders"][0], "len": share}]
    if panel_title:  # the figure's own title is the frame's: the panel's goes above the panel
        layout["annotations"] = [{"text": panel_title, "xref": "x2 domain", "yref": "y2 domain", "x": 0.5, "y": 1.0,
                                  "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 13}}]
    frames = [{**frame, "data": [*frame["data"], {**marker, **on_panel}], "traces": [*frame["traces"], index]}
              for frame, marker in zip(figure["frames"], moving)]
    return {"data": data, "frames": frames, "layout": layout}
