"""A map's point -> code rule as plain data, for a browser to apply on every pointer move.

    mapping = pointer_mapping(inverse)        # inverse: a `MapInverse` of the shown map
    mapping.to_codes([[0.5, -1.0]])           # (1, d): what the browser computes, in numpy
    mapping.to_data()                         # JSON-ready dict (arrays as base64 float32)

Three kinds, as `MapInverse` decodes a click:
- "exact": a 2-D code is the point itself;
- "linear": PCA's inverse, code = origin + x * axes[0] + y * axes[1] (its mean and components);
- "grid": any other map (UMAP, t-SNE): `MapInverse.to_codes` evaluated once on a grid over the
  map, interpolated bilinearly in between and held at the edge outside. At the grid's nodes it is
  the click's code exactly; in between it is an approximation of an approximation, which the page
  says.
`to_codes` here is the reference the browser's JavaScript is tested against.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from aecore.latent.decode import MapInverse, grid_points

GRID_SIZE = 48  # nodes per side of the grid kind: 2,304 codes, a few hundred kB for 32-D codes
KINDS = ("exact", "linear", "grid")


@dataclass
class PointerMapping:
    """How a point (x, y) of a map becomes a code of `dim` numbers.

    linear: origin (d,), axes (2, d). grid: xs (nx,), ys (ny,) increasing, codes (ny, nx, d) with
    codes[j, i] at (xs[i], ys[j])."""

    kind: str
    dim: int
    origin: np.ndarray | None = None
    axes: np.ndarray | None = None
    xs: np.ndarray | None = None
    ys: np.ndarray | None = None
    codes: np.ndarray | None = None

    def to_codes(self, points: Any) -> np.ndarray:
        """Points (M, 2) -> codes (M, d) as float32, with the browser's arithmetic (float32 tables)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if self.kind == "exact":
            return points.astype(np.float32)
        if self.kind == "linear":
            return (self.origin + points[:, :1] * self.axes[0] + points[:, 1:] * self.axes[1]).astype(np.float32)
        (i, fx), (j, fy) = _cell(self.xs, points[:, 0]), _cell(self.ys, points[:, 1])
        c = self.codes.astype(np.float64)
        bottom = c[j, i] * (1 - fx)[:, None] + c[j, i + 1] * fx[:, None]
        top = c[j + 1, i] * (1 - fx)[:, None] + c[j + 1, i + 1] * fx[:, None]
        return (bottom * (1 - fy)[:, None] + top * fy[:, None]).astype(np.float32)

    def to_data(self) -> dict[str, Any]:
        """The mapping as JSON-ready data: numbers as lists, tables as base64 little-endian float32."""
        data: dict[str, Any] = {"kind": self.kind, "dim": self.dim}
        if self.kind == "linear":
            data.update(origin=_b64(self.origin), axes=_b64(self.axes))
        elif self.kind == "grid":
            data.update(xs=[float(v) for v in self.xs], ys=[float(v) for v in self.ys], codes=_b64(self.codes))
        return data


def pointer_mapping(inverse: MapInverse, grid_size: int = GRID_SIZE) -> PointerMapping:
    """The browser's version of `inverse`: exact, linear (read off the same least-squares fit, which
    is PCA's mean and components), or a grid of its codes for every other map."""
    dim = inverse.codes.shape[1]
    if inverse.kind_ == "exact":
        return PointerMapping("exact", dim)
    if inverse.kind_ == "linear":
        origin = inverse.to_codes([[0.0, 0.0]])[0]
        axes = np.stack([inverse.to_codes([[1.0, 0.0]])[0] - origin, inverse.to_codes([[0.0, 1.0]])[0] - origin])
        return PointerMapping("linear", dim, origin=origin.astype(np.float32), axes=axes.astype(np.float32))
    xs, ys = grid_points(inverse.embedding, grid_size, margin=0.08)  # the plotly map's own margin
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx): row j runs along x at ys[j]
    codes = inverse.to_codes(np.c_[gx.ravel(), gy.ravel()]).reshape(len(ys), len(xs), dim)
    return PointerMapping("grid", dim, xs=xs.astype(np.float32), ys=ys.astype(np.float32), codes=codes)


def _cell(edges: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per value: the index of the cell's lower node and the fraction across it, held at the ends."""
    edges = edges.astype(np.float64)
    step = (edges[-1] - edges[0]) / (len(edges) - 1)
    position = np.clip((values - edges[0]) / step, 0, len(edges) - 1)
    index = np.minimum(np.floor(position).astype(int), len(edges) - 2)
    return index, position - index


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")
