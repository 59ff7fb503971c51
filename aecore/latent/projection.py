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
        try:
            self.embedding_ = super().fit_transform(X, y)
        except np.linalg.LinAlgError:
            # For many codes of few units scikit-learn takes the eigenvalues of their covariance
            # (LAPACK's syevd), which failed to converge once in a full test run on finite 6-D codes
            # and passed on rerunning: the SVD of the centred codes (gesdd) is the same PCA by
            # another routine.
            if self.svd_solver == "full" or not np.isfinite(np.asarray(X, dtype=np.float64)).all():
                raise
            self.set_params(svd_solver="full")
            self.embedding_ = super().fit_transform(X, y)
        return self


@torch.no_grad()
def encode_dataset(model: Autoencoder, dataset: ImageDataset | torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Deterministic codes (N, latent_dim) as float32 numpy (a VAE gives its posterior means)."""
    images = dataset.images if isinstance(dataset, ImageDataset) else dataset
    if len(images) == 0:
        return np.zeros((0, model.config.latent_dim), np.float32)
    # infer_codes never switches the model's mode (the app's models are shared between sessions) and
    # runs no decoder: half the work of a conv net's forward pass.
    return model.infer_codes(images, batch_size=batch_size).numpy().astype(np.float32)


# umap-learn's run time is its layout epochs (500 up to 10,000 points, else 200). 200 epochs with 10
# neighbours instead of 15 map 10,000 codes 4x faster and keep classes together at least as well;
# 200 epochs alone lost class agreement, 30 neighbours lost more (figures in `project`).
UMAP_FAST = {"n_epochs": 200, "n_neighbors": 10}
# scikit-learn's t-SNE runs 1,000 iterations; its 250 early-exaggeration ones set the clusters and
# the next 250 settle them, so half the time gives nearly the same map.
TSNE_FAST = {"max_iter": 500}


def as_codes(Z: np.ndarray | torch.Tensor) -> np.ndarray:
    """Codes as a float32 numpy array (N, d), refused unless N >= 3 and d >= 2."""
    Z = np.asarray(Z.detach().cpu() if isinstance(Z, torch.Tensor) else Z, dtype=np.float32)
    if Z.ndim != 2 or len(Z) < 3 or Z.shape[1] < 2:
        raise ValueError(f"project needs codes shaped (N, d) with N >= 3 and d >= 2, got {Z.shape}")
    return Z


def project(Z: np.ndarray | torch.Tensor, method: str = "pca", seed: int = 0, fast: bool = True,
            **options: Any) -> Any:
    """Fit a 2-D projection of codes Z (N, d); the map is in the result's `embedding_` (N, 2).

    method: "pca", "umap" (umap-learn; options such as n_neighbors, n_epochs go to `umap.UMAP`) or
    "tsne" (scikit-learn's `TSNE`). The same seed gives the same map. Options passed always win.

    fast (default True) trades a little layout polish for time; fast=False gives the libraries'
    own defaults. Measured on 2 shared cores, one thread, after `warm_up`, 10,000 codes of the
    shapes-ae-8 model (bench/bench_latent.py; agreement = share of each point's 10 nearest 2-D
    neighbours of its own shape, trustworthiness on 2,000 of them):
      umap  fast (200 epochs, 10 neighbours)  2.4 s  agreement 0.663  trustworthiness 0.951
      umap  fast=False (500 epochs, 15)      7-12 s            0.634                  0.947
      tsne  fast (max_iter 500)              23 s              0.724                  0.975
      tsne  fast=False (max_iter 1000)       46 s              0.734                  0.976
      pca                                   <10 ms             0.274                  0.885
    (among the 8-D codes themselves agreement is 0.746). On the 1,797 digits codes every UMAP and
    t-SNE setting gives agreement 0.960: umap 2.2-2.7 s fast against 3.0-3.3 s, tsne 2.8 s against 4.9 s.
    Only the first fit after `warm_up` is this quick; without it add 30-60 s of compiling. t-SNE
    has no `transform`, so it cannot be fitted on a sample and extended to the rest: past a few
    thousand codes it takes tens of seconds, so an app runs it as `aecore.studies.jobs.project` in a worker.
    """
    Z = as_codes(Z)
    if method == "pca":
        return PCAProjection(n_components=2, random_state=seed, **options).fit(Z)
    if method == "umap":
        try:
            import umap  # imported here: its first import compiles numba code for many seconds
        except ImportError as error:  # umap-learn is an extra: the core install projects with "pca" and "tsne"
            raise ImportError('method="umap" needs umap-learn, which the core install leaves out; install it '
                              "with: pip install 'aecore[app]' (or use \"pca\" or \"tsne\")") from error

        defaults = dict(UMAP_FAST) if fast else {"n_neighbors": 15}  # 15: umap-learn's own
        defaults["n_neighbors"] = min(defaults["n_neighbors"], len(Z) - 1)  # tiny data has fewer
        options = {**defaults, **options}
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

        options = {**(TSNE_FAST if fast else {}), **options}
        options.setdefault("perplexity", min(30.0, (len(Z) - 1) / 3))
        return TSNE(n_components=2, random_state=seed, init="pca", **options).fit(Z)
    raise ValueError(f"unknown projection method {method!r}; valid methods: {', '.join(METHODS)}")


def embed(Z: np.ndarray | torch.Tensor, method: str = "pca", seed: int = 0, fast: bool = True,
          **options: Any) -> np.ndarray:
    """The (N, 2) map of codes Z by `method`, as `project` fits it, when only the map is wanted (no
    `transform` or `inverse_transform` of new points): what the zoo stores and the map jobs return.

    For UMAP the codes' nearest neighbours come exact from scikit-learn (`precomputed_knn`), so
    pynndescent, which umap-learn uses from 4,097 codes on, never runs: its numba code compiles anew
    in every process, 25-60 s on 2 cores, where the exact neighbours of MNIST's 10,000 32-D test
    codes take about a second. The fitted map then has no search index, hence this function."""
    Z = as_codes(Z)
    if method == "umap" and "precomputed_knn" not in options:
        import warnings

        from sklearn.neighbors import NearestNeighbors

        k = min(options.get("n_neighbors", (UMAP_FAST if fast else {"n_neighbors": 15})["n_neighbors"]), len(Z) - 1)
        distances, indices = NearestNeighbors(n_neighbors=k).fit(Z).kneighbors(Z)  # each code first, at 0
        with warnings.catch_warnings():  # "transforming new data ... will be unavailable": not asked for
            warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
            fitted = project(Z, method, seed, fast, precomputed_knn=(indices, distances.astype(np.float32)),
                             **{"n_neighbors": k, **options})
    else:
        fitted = project(Z, method, seed, fast, **options)
    return np.asarray(fitted.embedding_, dtype=np.float32)


def warm_up() -> None:
    """Do umap-learn's first-call work now on tiny data, so the first real map does not wait for it:
    its numba code compiles on the first import and fit, and pynndescent's (used from 4,097 points
    on, forced here) compiles anew in every process: 25-60 s in all on 2 shared cores. Without the
    forced nearest-neighbour descent the first map of 10,000 codes still spent ~33 s compiling.
    The first `inverse_transform` compiles too (~3 s), so it is called here as well."""
    codes = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    threads = torch.get_num_threads()
    try:
        project(codes, "umap", n_epochs=10)  # the exact-neighbour path, used up to 4,096 points
        fitted = project(codes, "umap", n_epochs=10, force_approximation_algorithm=True)
        fitted.inverse_transform(fitted.embedding_[:2])
    finally:
        torch.set_num_threads(threads)  # as in project: numba may have reset it
