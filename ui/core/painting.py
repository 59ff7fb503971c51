"""Tiles into pictures, shared by every image figure: the one gray and error-heat palette, the grid
geometry of composed pictures, and PNG data URIs for plotly image traces.

Errors are drawn everywhere with one colour scale (Inferno: dark = right, bright = wrong), whether
in a frame figure (`Painter`) or a plain image grid (`heat_rgb`).
"""

from __future__ import annotations

import base64
import io
import math
from typing import Sequence

import numpy as np
import plotly.colors
import torch
from PIL import Image

ERROR_COLORSCALE = "Inferno"  # dark = right, bright = wrong, readable in both themes
ASSUMED_PLOT_WIDTH_PX = 650  # to size the text band and the height; a wider column only adds side margins
MAX_TILE_PX = 96  # one or two images should not fill the screen
TEXT_BAND_PX = 18  # room under each tile for its PSNR
PAD = 1  # image pixels between tiles


def _colormap(name: str) -> np.ndarray:
    """A plotly colour scale as a (256, 3) uint8 lookup table."""
    colors = plotly.colors.get_colorscale(name)
    stops = np.array([stop for stop, _ in colors])
    rgb = np.array([plotly.colors.unlabel_rgb(plotly.colors.convert_colors_to_same_type(c, "rgb")[0][0])
                    for _, c in colors])
    ramp = np.linspace(0, 1, 256)
    return np.stack([np.interp(ramp, stops, rgb[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)


ERROR_LUT = _colormap(ERROR_COLORSCALE)
# The colour bar's scale, written from the same table in rgb() form: Streamlit's theme rewrites a few
# placeholder hex colours in every chart (#000001...#000020), and Inferno starts at #000004.
ERROR_BAR_SCALE = [[i / 16, "rgb({}, {}, {})".format(*ERROR_LUT[round(i / 16 * 255)])] for i in range(17)]


class Painter:
    """Turns image and error tiles into picture pixels, and a picture into a data URI.

    Gray images become palette indices (one byte a pixel: half the PNG of RGBA for noisy tiles,
    and the figure is resent on every rerun): 0-127 a gray ramp, 128-254 the error colours, 255 a
    transparent gap. Colour images stay RGBA, the gaps at alpha 0.
    """

    GRAYS, HEATS, GAP = 128, 127, 255

    def __init__(self, channels: int) -> None:
        self.palette = channels == 1
        self.gap = np.uint8(self.GAP) if self.palette else np.zeros(4, np.uint8)

    def images(self, x: np.ndarray) -> np.ndarray:
        """(B, C, H, W) floats in [0, 1] -> (B, H, W) indices or (B, H, W, 4) RGBA."""
        if self.palette:
            return (x[:, 0].clip(0, 1) * (self.GRAYS - 1)).round().astype(np.uint8)
        rgb = (x.clip(0, 1) * 255).round().astype(np.uint8).transpose(0, 2, 3, 1)
        return np.concatenate([rgb, np.full((*rgb.shape[:3], 1), 255, np.uint8)], axis=3)

    def errors(self, error: np.ndarray) -> np.ndarray:
        """(B, H, W) errors in [0, 1] -> indices or RGBA through the error colour scale."""
        if self.palette:
            return (self.GRAYS + (error.clip(0, 1) * (self.HEATS - 1)).round()).astype(np.uint8)
        rgb = ERROR_LUT[(error.clip(0, 1) * 255).round().astype(np.intp)]
        return np.concatenate([rgb, np.full((*rgb.shape[:3], 1), 255, np.uint8)], axis=3)

    def data_uri(self, picture: np.ndarray) -> str:
        buffer = io.BytesIO()
        if self.palette:
            image = Image.fromarray(picture, "P")
            image.putpalette(_PALETTE)
            image.save(buffer, format="PNG", compress_level=1, transparency=self.GAP)  # speed over size
        else:
            Image.fromarray(picture, "RGBA").save(buffer, format="PNG", compress_level=1)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_GRAY_RAMP = np.linspace(0, 255, Painter.GRAYS).round().astype(np.uint8)
_HEAT_RAMP = ERROR_LUT[np.linspace(0, 255, Painter.HEATS).round().astype(np.intp)]
_PALETTE = np.concatenate([np.repeat(_GRAY_RAMP[:, None], 3, axis=1), _HEAT_RAMP,
                           np.zeros((1, 3), np.uint8)]).flatten().tolist()


class GridGeometry:
    """Where each tile and its text go, in image-pixel coordinates of the composed picture."""

    def __init__(self, rows: int, cols: int, height: int, width: int) -> None:
        self.rows, self.cols, self.height, self.width = rows, cols, height, width
        total_width = cols * (width + PAD) - PAD
        # Screen pixels per image pixel if the grid fills the assumed width, capped for few tiles.
        self.scale = min(ASSUMED_PLOT_WIDTH_PX / total_width, MAX_TILE_PX / width)
        self.band = max(2, math.ceil(TEXT_BAND_PX / self.scale))
        self.row_height = height + self.band
        self.size = (rows * self.row_height, total_width)  # (H, W) of the composed picture

    def compose(self, rows: Sequence[np.ndarray], gap: np.ndarray) -> np.ndarray:
        """Rows of (cols, H, W, ...) tiles -> one (H', W', ...) picture, `gap` between the tiles."""
        canvas = np.empty((*self.size, *rows[0].shape[3:]), np.uint8)
        canvas[...] = gap
        for r, tiles in enumerate(rows):
            top = r * self.row_height
            for c, tile in enumerate(tiles):
                left = c * (self.width + PAD)
                canvas[top:top + self.height, left:left + self.width] = tile
        return canvas

    def column_centers(self) -> list[float]:
        return [c * (self.width + PAD) + (self.width - 1) / 2 for c in range(self.cols)]

    def row_centers(self) -> list[float]:
        return [r * self.row_height + (self.height - 1) / 2 for r in range(self.rows)]

    def text_positions(self) -> tuple[list[float], list[float]]:
        """(x, y) of the text under every tile, row by row."""
        band_middle = [r * self.row_height + self.height - 0.5 + self.band / 2 for r in range(self.rows)]
        xs = self.column_centers()
        return xs * self.rows, [y for y in band_middle for _ in xs]


def heat_rgb(error: torch.Tensor) -> torch.Tensor:
    """|error| (N, C, H, W), 0 = right and 1 = fully wrong -> (N, 3, H, W) RGB in [0, 1] on the
    error colour scale, for image grids (`ui.core.gallery.compose_grid`)."""
    e = error.abs().mean(1).clamp(0, 1)  # (N, H, W)
    lut = torch.from_numpy(ERROR_LUT).float() / 255  # (256, 3)
    return lut[(e * 255).round().long()].permute(0, 3, 1, 2)
