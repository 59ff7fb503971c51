"""The denoise lab's figure: the image grid at every noise level as animation frames, the headline
PSNR numbers above it and the PSNR-against-level curve below it, all moved by one in-figure slider.

The slider's steps `animate` between precomputed frames, so dragging it swaps frames in the browser
with no rerun (docs/streamlit-notes.md). A plotly slider drives only its own figure, so everything that depends on
the level lives in the frames of this one figure, and nothing on screen can disagree with the
pictures: the grid (one PNG per frame, far smaller than a JSON array per pixel), the PSNR under each
tile, the headline means (annotations) and the level's marker on the curve.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from aecore.studies.lab import NOISY, DenoiseLadder
from ui.core.frame_figure import animate_steps
from ui.core.painting import ERROR_BAR_SCALE, PAD, GridGeometry, Painter

MARGIN = {"l": 170, "r": 70, "t": 160, "b": 55}  # left: row names; top: title, headline, column names
SLIDER_PX = 95  # the slider under the grid, with its current value and step labels
CURVE_TOP_PX = 60  # the curve's title and legend
CURVE_PX = 250  # the curve's plot area
HEADLINE_PX = 40  # from the grid's top to the headline's lowest line: room for the column names
ANIMATED = 4  # traces 0-3 change with the level: picture, tile labels, curve markers, level line
NOISY_COLOR = "rgb(127, 127, 127)"
MODEL_COLORS = ["rgb(31, 119, 180)", "rgb(214, 39, 40)", "rgb(44, 160, 44)", "rgb(148, 103, 189)"]
GAIN_COLORS = ("rgb(27, 135, 63)", "rgb(200, 30, 30)")  # a gain, a loss against the noisy input


class _LabelledGeometry(GridGeometry):
    """GridGeometry with a text band of `band_px` screen pixels under each row (two lines of labels
    need more than the default one)."""

    def __init__(self, rows: int, cols: int, height: int, width: int, band_px: float) -> None:
        super().__init__(rows, cols, height, width)
        self.band = max(2, math.ceil(band_px / self.scale))
        self.row_height = height + self.band
        self.size = (rows * self.row_height, self.size[1])


def psnr_text(value: float, unit: str = " dB") -> str:
    """PSNR for a person; an untouched image has no finite PSNR (aecore caps it at 100 dB)."""
    return "∞ (no noise)" if value >= 99.9 else f"{value:.1f}{unit}"


def label_style(cols: int, width: int = 28) -> tuple[str, int, bool]:
    """(unit, font px, staggered) of the PSNR under each tile, so neighbours never overlap.

    Sized on the screen pixels a column of `width`-pixel images gets at the grid's assumed width: "14.2 dB" needs ~42 px at
    11 px type, "14.2" ~20 px at 9 px; below ~30 px a column, alternate labels drop to a second line,
    so each has two columns of room.
    """
    column_px = GridGeometry(1, cols, width, width).scale * (width + PAD)
    if column_px >= 54:
        return " dB", 11, False
    if column_px >= 30:
        return "", 10, False
    return "", 9, True


def ladder_figure(ladders: Sequence[DenoiseLadder], column_names: Sequence[str], level_name: str,
                  summary: DenoiseLadder, curves: Mapping[str, Sequence[float]] | None = None,
                  curve_title: str = "PSNR against noise level", zoom: float = 1.0) -> dict:
    """The lab's figure (a plain dict, ready for `st.plotly_chart`) with one frame per level.

    ladders: computed with the same levels and models; their images become consecutive columns
    (e.g. an uploaded image's ladder, then the test images'). summary: the ladder whose mean PSNR
    the headline reports. curves: NOISY and each model -> mean PSNR per level, drawn below the grid
    with a marker at the frame's level (None: `summary`'s means). zoom: grows the grid and the
    headline (presenter mode). Rows: clean, noisy, then each model's output and |error|.
    """
    models = list(ladders[0].outputs)
    row_names = ["clean", NOISY] + [f"{kind}: {name}" for name in models for kind in ("output", "|error|")]
    scored = [None, NOISY] + [score for name in models for score in (name, None)]  # PSNR under which rows
    first = ladders[0]
    unit, font, staggered = label_style(len(column_names), first.clean.shape[-1])
    geometry = _LabelledGeometry(len(row_names), len(column_names), *first.clean.shape[-2:], 30 if staggered else 18)
    painter = Painter(first.clean.shape[1])
    clean = painter.images(_stack(ladders, lambda ld: ld.clean))
    means = summary.mean_psnr()
    curves = {name: list(values) for name, values in (curves or means).items()}
    colors = {NOISY: NOISY_COLOR} | {name: MODEL_COLORS[i % len(MODEL_COLORS)]
                                     for i, name in enumerate(n for n in curves if n != NOISY)}
    top = max([v for values in curves.values() for v in values if v < 99] or [30]) + 3
    text_x, text_y = _label_positions(geometry, staggered)
    bands = _Bands(geometry, zoom)
    frames = []
    for i, level in enumerate(first.levels):
        rows = [clean, painter.images(_stack(ladders, lambda ld: ld.noisy[i]))]
        for name in models:
            rows.append(painter.images(_stack(ladders, lambda ld: ld.outputs[name][i])))
            rows.append(painter.errors(_stack(ladders, lambda ld: ld.error(name, i))))
        labels = {"type": "scatter", "mode": "text", "x": text_x, "y": text_y, "text": _texts(ladders, scored, i, unit),
                  "textfont": {"size": font}, "hoverinfo": "skip", "showlegend": False}
        frames.append({
            "name": f"{level:.2f}",
            "data": [{"type": "image", "source": painter.data_uri(geometry.compose(rows, painter.gap)), "hoverinfo": "skip"},
                     labels, *_level_marks(curves, colors, i, level, top)],
            "traces": list(range(ANIMATED)),
            "layout": {"title": {"text": f"{level_name} = {level:.2f}"},
                       "annotations": _headline(means, models, i, len(summary.clean), zoom)
                       + [_curve_title(curve_title, bands.curve_title_y)]},
        })
    lines = [{"type": "scatter", "mode": "lines", "name": name, "x": list(first.levels), "y": values,
              "xaxis": "x2", "yaxis": "y2", "line": {"color": colors[name], "dash": "dot" if name == NOISY else "solid"},
              "hovertemplate": f"{name}: %{{y:.1f}} dB at %{{x:.2f}}<extra></extra>"} for name, values in curves.items()]
    layout = _layout(geometry, bands, row_names, column_names, frames, level_name, top)
    figure = {"data": [*frames[0]["data"], _error_colorbar(layout), *lines], "frames": frames, "layout": layout}
    return at_level(figure, 0)


def _stack(ladders: Sequence[DenoiseLadder], pick: Callable[[DenoiseLadder], torch.Tensor]) -> np.ndarray:
    """One array of the picked tensor of every ladder, their images side by side (axis 0)."""
    return np.concatenate([pick(ladder).numpy() for ladder in ladders])


def _texts(ladders: Sequence[DenoiseLadder], scored: list[str | None], index: int, unit: str) -> list[str]:
    """The text under every tile at level `index`, row by row: its PSNR, or nothing."""
    count = sum(len(ladder.clean) for ladder in ladders)
    texts = []
    for score in scored:
        values = _stack(ladders, lambda ld: ld.psnr[score][index]) if score else None
        texts += [psnr_text(float(v), unit).replace(" (no noise)", "") for v in values] if score else [""] * count
    return texts


def _label_positions(geometry: GridGeometry, staggered: bool) -> tuple[list[float], list[float]]:
    """(x, y) of the label under every tile, row by row; staggered: every other column a line lower."""
    xs, ys = geometry.text_positions()
    if not staggered:
        return xs, ys
    shift = 6.5 / geometry.scale  # half a line of 9 px type, in image pixels
    return xs, [y + (shift if i % 2 else -shift) for i, y in enumerate(ys)]


def _level_marks(curves: Mapping[str, list[float]], colors: Mapping[str, str], index: int, level: float,
                 top: float) -> list[dict]:
    """The curve's marker of each line at level `index`, and a dashed vertical line at the level."""
    names = list(curves)
    markers = {"type": "scatter", "mode": "markers", "x": [level] * len(names), "y": [curves[n][index] for n in names],
               "xaxis": "x2", "yaxis": "y2", "text": names, "showlegend": False,
               "marker": {"size": 12, "color": [colors[n] for n in names], "line": {"color": "white", "width": 1.5}},
               "hovertemplate": "%{text}: %{y:.1f} dB<extra></extra>"}
    line = {"type": "scatter", "mode": "lines", "x": [level, level], "y": [0, top], "xaxis": "x2", "yaxis": "y2",
            "line": {"dash": "dash", "width": 1, "color": "gray"}, "hoverinfo": "skip", "showlegend": False}
    return [markers, line]


def _headline(means: Mapping[str, list[float]], models: Sequence[str], index: int, count: int,
              zoom: float) -> list[dict]:
    """The mean PSNR of the noisy input and of each model at level `index`, with each model's gain,
    as three annotations per number (name, value, gain) above the grid."""
    noisy = means[NOISY][index]
    entries = [("Noisy input PSNR", noisy, f"mean of the {count} image{'s' * (count != 1)} shown", NOISY_COLOR)]
    for name in models:
        value = means[name][index]
        gain = round(value, 1) - round(noisy, 1)  # the difference of the numbers shown
        text = "" if noisy >= 99.9 else f"{gain:+.1f} dB vs the noisy input"
        entries.append((f"{name} PSNR", value, text, GAIN_COLORS[gain < 0]))
    small = round(12 * min(zoom, 1.3))  # three lines side by side: the small ones must still fit their third
    notes = []
    for k, (label, value, below, color) in enumerate(entries):
        base = {"xref": "paper", "yref": "paper", "x": k / len(entries), "y": 1, "xanchor": "left",
                "yanchor": "bottom", "showarrow": False}
        notes += [{**base, "text": label, "yshift": HEADLINE_PX + 64 * zoom, "font": {"size": small, "color": "gray"}},
                  {**base, "text": psnr_text(value), "yshift": HEADLINE_PX + 18 * zoom, "font": {"size": round(26 * zoom)}},
                  {**base, "text": below or " ", "yshift": HEADLINE_PX, "font": {"size": small, "color": color}}]
    return notes


def _curve_title(text: str, y: float) -> dict:
    # In every frame too: a frame's annotations replace the figure's one by one.
    return {"xref": "paper", "yref": "paper", "x": 0, "y": y, "xanchor": "left", "yanchor": "top",
            "showarrow": False, "text": f"<b>{text}</b>", "font": {"size": 14}}


def _error_colorbar(layout: dict) -> dict:
    """An invisible one-point trace whose only job is to draw the |error| colour bar beside the grid."""
    low, high = layout["yaxis"]["domain"]
    return {"type": "scatter", "mode": "markers", "x": [0], "y": [0], "hoverinfo": "skip", "showlegend": False,
            "marker": {"opacity": 0, "color": [0], "cmin": 0, "cmax": 1, "colorscale": ERROR_BAR_SCALE,
                       "showscale": True, "colorbar": {"title": {"text": "|error|"}, "len": (high - low) / 2,
                                                       "y": (low + high) / 2, "yanchor": "middle", "thickness": 12}}}


class _Bands:
    """Where the figure's parts sit, top to bottom: margin (title, headline, column names), grid,
    slider, curve title and legend, curve, margin (its axis title). Paper fractions of the plot area."""

    def __init__(self, geometry: GridGeometry, zoom: float) -> None:
        self.grid_px = geometry.size[0] * geometry.scale * zoom
        self.margin = {**MARGIN, "t": round(MARGIN["t"] + 80 * (zoom - 1))}  # a larger headline when presenting
        self.plot_px = self.grid_px + SLIDER_PX + CURVE_TOP_PX + CURVE_PX
        self.height = round(self.plot_px + self.margin["t"] + self.margin["b"])
        self.curve_top = CURVE_PX / self.plot_px
        self.curve_title_y = (CURVE_PX + CURVE_TOP_PX - 4) / self.plot_px
        self.grid_bottom = (CURVE_PX + CURVE_TOP_PX + SLIDER_PX) / self.plot_px


def _layout(geometry: GridGeometry, bands: _Bands, row_names: list[str], column_names: Sequence[str],
            frames: list[dict], level_name: str, top: float) -> dict:
    hidden = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    low, high = float(frames[0]["name"]), float(frames[-1]["name"])
    return {
        "height": bands.height, "margin": bands.margin,
        "title": {"x": 0, "y": 1 - 8 / bands.height, "yanchor": "top", "font": {"size": 14}},
        "xaxis": {**hidden, "side": "top", "tickmode": "array", "tickvals": geometry.column_centers(),
                  "ticktext": list(column_names), "range": [-0.5, geometry.size[1] - 0.5], "constraintoward": "left"},
        "yaxis": {**hidden, "tickmode": "array", "tickvals": geometry.row_centers(), "ticktext": row_names,
                  "range": [geometry.size[0] - 0.5, -0.5], "scaleanchor": "x", "domain": [bands.grid_bottom, 1],
                  "constraintoward": "top"},
        "xaxis2": {"anchor": "y2", "domain": [0, 1], "fixedrange": True, "title": {"text": level_name},
                   "range": [low - 0.02 * (high - low), high + 0.02 * (high - low)]},
        "yaxis2": {"anchor": "x2", "domain": [0, bands.curve_top], "fixedrange": True, "range": [0, top],
                   "title": {"text": "mean PSNR (dB)"}},
        "legend": {"orientation": "h", "x": 0, "y": bands.curve_top, "yanchor": "bottom"},
        "sliders": [{"active": 0, "steps": animate_steps([frame["name"] for frame in frames]), "pad": {"t": 10},
                     "len": 1.0, "x": 0, "y": bands.grid_bottom, "yanchor": "top",
                     "currentvalue": {"prefix": "noise level: ", "font": {"size": 13}}}],
    }


def at_level(figure: dict, index: int) -> dict:
    """Show frame `index` of a `ladder_figure` as the figure's first picture, numbers and slider position."""
    frame = figure["frames"][index]
    figure["data"][:ANIMATED] = frame["data"]  # the static traces (colour bar, curve lines) follow
    figure["layout"]["title"]["text"] = frame["layout"]["title"]["text"]
    figure["layout"]["annotations"] = frame["layout"]["annotations"]
    figure["layout"]["sliders"][0]["active"] = index
    return figure
