"""From a point of a 2-D latent map back to a code, and how far that point is from the data.

    inverse = MapInverse(embedding, codes, "pca")        # embedding (N, 2) of codes (N, d)
    z = inverse.to_codes([[0.5, -1.0]])                  # (1, d)
    far = inverse.distance([[0.5, -1.0]]) > inverse.far_threshold_

How a point becomes a code depends on the map: a 2-D code is the point itself; PCA is linear, so a
least-squares fit of codes on map points recovers its inverse exactly (also for a stored PCA whose
estimator is gone); UMAP has a learned `inverse_transform` on its fitted estimator; anything else
(t-SNE, a stored UMAP) falls back to inverse-distance weighting of the nearest points' codes, which
is only an approximation and says so in `kind`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

KINDS = ("exact", "linear", "learned", "approximate")
FAR_PERCENTILE = 95.0  # a point is "far" beyond this percentile of the data's own nearest-neighbour gaps
NEIGHBOURS = 8  # codes averaged by the approximate inverse


class MapInverse:
    """Maps points of the plane of a 2-D map back to codes.

    method: "raw" (the code is 2-D), "pca", or any other name ("umap", "tsne"). estimator: a fitted
    projection with `inverse_transform` (used for every method but "raw" and "pca" when given).
    Learned attributes: `kind_` (one of KINDS), `far_threshold_` (a map distance).
    """

    def __init__(self, embedding: Any, codes: Any, method: str, estimator: Any = None,
                 neighbours: int = NEIGHBOURS, far_percentile: float = FAR_PERCENTILE) -> None:
        self.embedding = np.asarray(embedding, dtype=np.float64)  # (N, 2)
        self.codes = np.asarray(codes, dtype=np.float64)  # (N, d)
        if self.embedding.ndim != 2 or self.embedding.shape[1] != 2 or len(self.embedding) < 2:
            raise ValueError(f"embedding must be (N, 2) with N >= 2, got {self.embedding.shape}")
        if self.codes.ndim != 2 or len(self.codes) != len(self.embedding):
            raise ValueError(f"codes must be (N, d) with N = {len(self.embedding)}, got {self.codes.shape}")
        if method == "raw" and self.codes.shape[1] != 2:
            raise ValueError(f"method 'raw' needs 2-D codes, got {self.codes.shape[1]}-D")
        self.method, self.estimator = method, estimator
        self.neighbours = min(neighbours, len(self.embedding))
        self._tree = cKDTree(self.embedding)
        self.far_threshold_ = float(np.percentile(self._tree.query(self.embedding, k=2)[0][:, 1], far_percentile))
        if method == "raw":
            self.kind_ = "exact"
        elif method == "pca":
            self.kind_ = "linear"
            self._weights = _least_squares(self.embedding, self.codes)  # (3, d)
        elif estimator is not None and hasattr(estimator, "inverse_transform"):
            self.kind_ = "learned"
        else:
            self.kind_ = "approximate"

    def to_codes(self, points: Any) -> np.ndarray:
        """Points (M, 2) of the map -> codes (M, d) as float32."""
        points = _points(points)
        if self.kind_ == "exact":
            return points.astype(np.float32)
        if self.kind_ == "linear":
            return (np.c_[points, np.ones(len(points))] @ self._weights).astype(np.float32)
        if self.kind_ == "learned":
            return np.asarray(self.estimator.inverse_transform(points.astype(np.float32)), dtype=np.float32)
        distances, index = self._tree.query(points, k=self.neighbours)
        distances, index = distances.reshape(len(points), -1), index.reshape(len(points), -1)
        weights = 1.0 / np.maximum(distances, 1e-12) ** 2  # a point on top of a data point takes its code
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("mk,mkd->md", weights, self.codes[index]).astype(np.float32)

    def distance(self, points: Any) -> np.ndarray:
        """Distance (M,) from each point to the nearest data point, in map units."""
        return self._tree.query(_points(points), k=1)[0]

    def is_far(self, points: Any) -> np.ndarray:
        """True where a point lies further from the data than `far_threshold_`."""
        return self.distance(points) > self.far_threshold_


def _points(points: Any) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    array = array.reshape(1, -1) if array.ndim == 1 else array
    if array.ndim != 2 or array.shape[1] != 2 or not np.isfinite(array).all():
        raise ValueError(f"map points must be finite and shaped (M, 2), got {np.asarray(points).shape}")
    return array


def _least_squares(embedding: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """W (3, d) with codes ≈ [embedding, 1] @ W: PCA's inverse, read off any map it made."""
    design = np.c_[embedding, np.ones(len(embedding))]
    return np.linalg.lstsq(design, codes, rcond=None)[0]


def grid_points(embedding: Any, size: int = 15, margin: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """The centres of a size x size grid over the map's range (widened by `margin` each side):
    (xs (size,), ys (size,)); rows of the grid run along y."""
    embedding = np.asarray(embedding, dtype=np.float64)
    low, high = embedding.min(axis=0), embedding.max(axis=0)
    pad = (high - low) * margin + 1e-9
    return np.linspace(low[0] - pad[0], high[0] + pad[0], size), np.linspace(low[1] - pad[1], high[1] + pad[1], size)
