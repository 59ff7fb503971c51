"""Codes of a dataset, and their 2-D projections for a map.

Projections follow scikit-learn's conventions: `project` returns the fitted estimator, whose
`embedding_` holds the (N, 2) map and, where the method has one, `inverse_transform` maps points of
the plane back to codes (exact for PCA, learned for UMAP, absent for t-SNE).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.decomposition import PCA

from aecore.data import ImageDataset
from aecore.models import Autoencoder

METHODS = ("pca", "umap", "tsne")


class PCAProjection(PCA):
    """scikit-learn's PCA that also keeps the projected training codes in `embedding_`, like UMAP
    and t-SNE do, so callers treat every method alike."""

    def fit(self, X: Any, y: Any = None) -> "PCAProjection":
        self.embedding_ = super().fit_transform(X, y)
        return self


@torch.no_grad()
def encode_dataset(model: Autoencoder, dataset: ImageDataset | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Deterministic codes (N, latent_dim) as float32 numpy (a VAE gives its posterior means)."""
    images = dataset.images if isinstance(dataset, ImageDataset) else dataset
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        codes = [model.encode(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(codes).numpy().astype(np.float32) if codes else np.zeros((0, model.config.latent_dim), np.float32)


def project(Z: np.ndarray | torch.Tensor, method: str = "pca", seed: int = 0, **options: Any) -> Any:
    """Fit a 2-D projection of codes Z (N, d); the map is in the result's `embedding_` (N, 2).

    method: "pca", "umap" (umap-learn; options such as n_neighbors, n_epochs go to `umap.UMAP`) or
    "tsne" (scikit-learn). The same seed gives the same map.
    """
    Z = np.asarray(Z.detach().cpu() if isinstance(Z, torch.Tensor) else Z, dtype=np.float32)
    if Z.ndim != 2 or len(Z) < 3 or Z.shape[1] < 2:
        raise ValueError(f"project needs codes shaped (N, d) with N >= 3 and d >= 2, got {Z.shape}")
    if method == "pca":
        return PCAProjection(n_components=2, random_state=seed, **options).fit(Z)
    if method == "umap":
        import umap  # imported here: its first import compiles numba code for many seconds

        options.setdefault("n_neighbors", min(15, len(Z) - 1))
        options.setdefault("n_jobs", 1)  # a fixed random_state forces one job anyway; say so to avoid its warning
        threads = torch.get_num_threads()
        try:
            return umap.UMAP(n_components=2, random_state=seed, **options).fit(Z)
        finally:
            # numba's OpenMP layer resets the thread count torch shares with it; left so, later torch
            # training in this process ran 4-40x slower here (2 cores). Put torch's setting back.
            torch.set_num_threads(threads)
    if method == "tsne":
        from sklearn.manifold import TSNE

        options.setdefault("perplexity", min(30.0, (len(Z) - 1) / 3))
        return TSNE(n_components=2, random_state=seed, init="pca", **options).fit(Z)
    raise ValueError(f"unknown projection method {method!r}; valid methods: {', '.join(METHODS)}")


def warm_up() -> None:
    """Do umap-learn's first-call work now (its numba code compiles on the first import and fit,
    about 30-50 s on 2 cores) on tiny data, so the first real map does not wait for it."""
    project(np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32), "umap", n_epochs=10)
