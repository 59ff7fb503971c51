"""What a 2-D map of codes looks like, in numbers: how well it keeps classes together, and how far a
2-D code's cloud is from the unit Gaussian N(0, I) a VAE's prior draws from.

    map_shape(embedding, labels)  # {"same_class_share": 0.83, "chance": 0.1, "spread": (2.4, 0.7), ...}
"""

from __future__ import annotations

from typing import Any

import numpy as np

NEIGHBOURS = 10  # nearest other points on the map whose class is compared


def map_shape(embedding: np.ndarray, labels: np.ndarray | None = None, k: int = NEIGHBOURS) -> dict[str, Any]:
    """Numbers of a map (N, 2) of codes, with its points' labels (N,) when it has them:
    - "spread": each axis's standard deviation, "centre": the mean point;
    - "off_unit": how far the spread is from 1 on the farther axis, as a factor (1: exactly unit
      spread; 3: three times too wide or too narrow), the scale N(0, I) has;
    - "same_class_share": the share of each point's k nearest others on the map that have its label,
      and "chance": what a map that ignores the labels would give (the sum of squared class shares)."""
    points = np.asarray(embedding, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 2:
        raise ValueError(f"a map is (N, 2) with N >= 2 points, got {points.shape}")
    spread = points.std(axis=0)
    safe = np.maximum(spread, 1e-12)
    shape: dict[str, Any] = {"spread": tuple(float(s) for s in spread), "centre": tuple(float(c) for c in points.mean(0)),
                             "off_unit": float(np.max(np.maximum(safe, 1 / safe)))}
    if labels is not None:
        from sklearn.neighbors import NearestNeighbors  # scikit-learn loads on first use

        labels = np.asarray(labels)
        k = min(k, len(points) - 1)
        _, nearest = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
        shares = np.bincount(np.unique(labels, return_inverse=True)[1]) / len(labels)
        shape["same_class_share"] = float((labels[nearest[:, 1:]] == labels[:, None]).mean())
        shape["chance"] = float((shares ** 2).sum())
    return shape


__all__ = ["NEIGHBOURS", "map_shape"]
