"""The VAE's posterior q(z|x) drawn on a 2-D map: its mean, its 1σ and 2σ ellipses, and draws from it.

    q = posterior(model, images)                      # mu, sigma (N, d): q(z|x) = N(mu, diag(sigma^2))
    plane = LinearPlane.identity(2)                   # a 2-D code's own plane; or LinearPlane.fit(codes, pca_map)
    gauss = on_plane(q.mu[0], q.sigma[0], plane)      # the Gaussian the map shows: mean (2,), cov (2, 2)
    ring = ellipse(gauss, 2.0)                        # (P, 2), closed: where the Mahalanobis distance is 2
    z = draws(q.mu[0], q.sigma[0], 200, seed=0)       # (200, d): z = mu + sigma * eps (Kingma & Welling 2014)

A linear map z -> A (z - origin) sends N(mu, Σ) to N(A (mu - origin), A Σ Aᵀ) exactly, so on a 2-D
code's plane and on PCA's the ellipses are the posterior's own contours (of its marginal on PCA's
plane, which keeps `captured` of its variance). A non-linear map (UMAP, t-SNE) sends a Gaussian to
no ellipse: `LinearPlane.fit` returns None for one, and the app says so instead of drawing.
In 2-D, the k-σ ellipse holds 1 - exp(-k²/2) of the mass (`mass_within`): 39.3% for 1σ, 86.5% for 2σ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from aecore.models import Autoencoder

# A least-squares fit of a map on the codes counts as linear when what it leaves unexplained is at
# most this share of the map's spread: PCA's own maps leave ~1e-7 (float32 rounding), UMAP's ~0.3.
LINEAR_TOLERANCE = 1e-4


@dataclass
class Posterior:
    """q(z|x) of each image: N(mu, diag(sigma^2)), each (N, d)."""

    mu: np.ndarray
    sigma: np.ndarray


def has_posterior(model: Autoencoder) -> bool:
    """Whether the model's encoder gives a distribution (a VAE's mu and log-variance), not one code."""
    return callable(getattr(model, "encode_distribution", None))


@torch.no_grad()
def posterior(model: Autoencoder, images: torch.Tensor, labels: torch.Tensor | None = None) -> Posterior:
    """q(z|x) of images (N, C, H, W), or q(z|x, y) of a conditional model given each image's class
    `labels` (N,). `infer` never switches a shared model's mode. ValueError for a model whose encoder
    gives one code per image, or a conditional one without labels."""
    conditional = getattr(model, "conditional", False)
    if conditional and labels is None:
        raise ValueError(f"this {model.kind!r} model's posterior q(z|x, y) needs each image's class: pass labels")
    extra = {"labels": labels} if conditional else {}
    output = model.infer(images, **extra) if has_posterior(model) else None
    if output is None or output.mu is None or output.logvar is None:
        raise ValueError(f"q(z|x) needs a VAE: this {model.kind!r} model's encoder gives one code per image, "
                         "not a distribution; choose a vae model in the sidebar")
    mu, logvar = output.mu.double().numpy(), output.logvar.double().numpy()
    return Posterior(mu, np.exp(0.5 * logvar))  # σ = exp(logvar / 2), as the reparameterisation uses it


@dataclass
class LinearPlane:
    """A linear 2-D map of d-D codes: point = (z - origin) @ axes.T; origin (d,), axes (2, d)."""

    origin: np.ndarray
    axes: np.ndarray

    @classmethod
    def identity(cls, dim: int = 2) -> "LinearPlane":
        """The plane of a 2-D code: the point is the code."""
        if dim != 2:
            raise ValueError(f"only a 2-D code is its own plane, got {dim}-D")
        return cls(np.zeros(2), np.eye(2))

    @classmethod
    def fit(cls, codes: Any, embedding: Any, tolerance: float = LINEAR_TOLERANCE) -> "LinearPlane | None":
        """The linear map that made `embedding` (N, 2) of `codes` (N, d), read off by least squares
        (PCA's mean and components, also for a stored PCA whose estimator is gone), or None when no
        linear map made it (UMAP, t-SNE)."""
        codes, embedding = np.asarray(codes, np.float64), np.asarray(embedding, np.float64)
        if codes.ndim != 2 or embedding.shape != (len(codes), 2) or len(codes) <= codes.shape[1] + 1:
            raise ValueError(f"need codes (N, d) and their map (N, 2) with N > d + 1, got {codes.shape} and {embedding.shape}")
        centre = codes.mean(0)
        design = np.c_[codes - centre, np.ones(len(codes))]
        weights, *_ = np.linalg.lstsq(design, embedding, rcond=None)  # (d + 1, 2)
        left = embedding - design @ weights
        if (left ** 2).sum() > tolerance * ((embedding - embedding.mean(0)) ** 2).sum():
            return None
        axes = weights[:-1].T  # (2, d)
        # point = axes (z - centre) + b = axes (z - origin) with origin = centre - pinv(axes) b
        origin = centre - np.linalg.pinv(axes) @ weights[-1]
        return cls(origin, axes)

    def place(self, codes: Any) -> np.ndarray:
        """Codes (M, d) as points (M, 2) of the map."""
        return (np.asarray(codes, np.float64) - self.origin) @ self.axes.T


@dataclass
class PlaneGaussian:
    """q(z|x) as the map shows it: N(mean, cov) on the plane."""

    mean: np.ndarray  # (2,)
    cov: np.ndarray  # (2, 2)
    captured: float  # share of the posterior's total variance that lies in the plane (1 for a 2-D code)


def on_plane(mu: Any, sigma: Any, plane: LinearPlane) -> PlaneGaussian:
    """N(mu, diag(sigma^2)) in the code (d,) through the plane's linear map: N(A (mu - origin), A Σ Aᵀ)."""
    mu, variance = np.asarray(mu, np.float64), np.asarray(sigma, np.float64) ** 2
    if mu.shape != variance.shape or mu.shape != plane.origin.shape:
        raise ValueError(f"mu and sigma must both be ({len(plane.origin)},) for this plane, got {mu.shape} and {variance.shape}")
    cov = (plane.axes * variance) @ plane.axes.T
    # The plane's axes need not be unit length (a fitted map may scale): the captured share is the
    # variance of the code's projection onto the plane's span over the whole variance.
    basis = np.linalg.qr(plane.axes.T)[0]  # (d, 2) orthonormal span of the axes
    captured = float((basis ** 2 * variance[:, None]).sum() / variance.sum()) if variance.sum() > 0 else 1.0
    return PlaneGaussian(plane.place(mu[None])[0], cov, captured)


def mass_within(k: float) -> float:
    """The share of a 2-D Gaussian's mass inside its k-σ ellipse (Mahalanobis distance <= k): 1 - exp(-k²/2)."""
    return float(1.0 - np.exp(-0.5 * k * k))


def ellipse(gaussian: PlaneGaussian, k: float, points: int = 73) -> np.ndarray:
    """The k-σ ellipse of the Gaussian, {mean + k L u : |u| = 1} with L Lᵀ = cov, as (points, 2),
    closed (the last point is the first)."""
    if not k > 0 or points < 4:
        raise ValueError(f"an ellipse needs k > 0 and at least 4 points, got k={k}, points={points}")
    values, vectors = np.linalg.eigh(gaussian.cov)
    root = vectors * np.sqrt(np.clip(values, 0, None))  # (2, 2): root @ root.T == cov
    angle = np.linspace(0, 2 * np.pi, points)
    circle = np.stack([np.cos(angle), np.sin(angle)])  # (2, P)
    return gaussian.mean + k * (root @ circle).T


def mahalanobis(gaussian: PlaneGaussian, points: Any) -> np.ndarray:
    """Each point's (M, 2) Mahalanobis distance from the Gaussian (M,): inside the k-σ ellipse when <= k."""
    offsets = np.asarray(points, np.float64) - gaussian.mean
    inverse = np.linalg.pinv(gaussian.cov)  # a flat posterior (σ ~ 0 along a direction) has no plain inverse
    return np.sqrt(np.einsum("mi,ij,mj->m", offsets, inverse, offsets).clip(0))


def draws(mu: Any, sigma: Any, n: int, seed: int = 0) -> np.ndarray:
    """n codes (n, d) from q(z|x): z = mu + sigma * eps, eps ~ N(0, I), seeded."""
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a whole number of at least 1, got {n}")
    eps = np.random.default_rng(seed).standard_normal((int(n), len(mu)))
    return mu + sigma * eps
