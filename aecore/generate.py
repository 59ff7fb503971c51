"""Making images from codes rather than from inputs: samples from a Gaussian over code space, the
pixel cross-fade an interpolation is compared with, the per-dimension scales of a traversal, and
how close decoded samples come to real images.

    mean, cov = fit_gaussian(Z)                          # Z: (N, d) codes of a test set
    z = sample_codes(16, d, seed=0, mean=mean, cov=cov)  # (16, d), or N(0, T^2 I) without mean/cov
    x = decode_codes(model, z)                           # (16, C, H, W) in [0, 1]
    nearest_rmse(x, test.images)                         # (16,) pixel RMSE to the closest real image
    restyle(cvae, images, labels)                        # (N, classes, C, H, W): each code under every class
"""

from __future__ import annotations

import numpy as np
import torch

from aecore.latent import traverse
from aecore.models import Autoencoder
from aecore.models.base import _MODE_DEPENDENT  # the layers whose output depends on train/eval mode
from aecore.models.vae import kl_standard_normal

COVARIANCE_JITTER = 1e-6  # added to the diagonal so a dead (constant) code unit still factorises
NEAREST_CHUNK = 256  # rows of the distance matrix at once: 256 x 10,000 floats is 10 MB


def is_variational(model: Autoencoder) -> bool:
    """Whether the model has a posterior and a N(0, I) prior to sample (a VAE or beta-VAE)."""
    return hasattr(model, "encode_distribution")


def fit_gaussian(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) of codes Z (N, d), as float64."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or len(Z) < 2:
        raise ValueError(f"fit_gaussian needs at least two codes shaped (N, d), got {Z.shape}")
    return Z.mean(0), np.atleast_2d(np.cov(Z, rowvar=False))


def sample_codes(n: int, latent_dim: int, seed: int, temperature: float = 1.0,
                 mean: np.ndarray | None = None, cov: np.ndarray | None = None) -> np.ndarray:
    """n codes (n, d) float32 from N(mean, T^2 cov); without mean and cov from N(0, T^2 I).

    The same seed gives the same codes; the standard normal draws are shared by both Gaussians, so a
    seed shows "the same" samples pushed through either one."""
    if n < 1 or latent_dim < 1 or temperature < 0:
        raise ValueError(f"sample_codes needs n >= 1, latent_dim >= 1 and temperature >= 0, "
                         f"got n={n}, latent_dim={latent_dim}, temperature={temperature}")
    eps = np.random.default_rng(int(seed)).standard_normal((n, latent_dim)) * temperature  # (n, d)
    if mean is None and cov is None:
        return eps.astype(np.float32)
    mean, cov = np.asarray(mean, np.float64), np.asarray(cov, np.float64)
    if mean.shape != (latent_dim,) or cov.shape != (latent_dim, latent_dim):
        raise ValueError(f"mean must be ({latent_dim},) and cov ({latent_dim}, {latent_dim}), "
                         f"got {mean.shape} and {cov.shape}")
    factor = np.linalg.cholesky(cov + COVARIANCE_JITTER * np.eye(latent_dim))  # cov = L L^T
    return (mean + eps @ factor.T).astype(np.float32)


@torch.no_grad()
def decode_codes(model: Autoencoder, Z: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) in [0, 1] decoded from codes (N, d), on the CPU.

    The model's train/eval mode is never switched (models are shared between sessions, see
    `Autoencoder.infer`): our decoders behave the same in both; one with dropout or batch norm must
    already be in eval mode."""
    if model.training and any(isinstance(m, _MODE_DEPENDENT) for m in model.decoder.modules()):
        raise RuntimeError("this decoder has dropout or batch norm and is in training mode; decode codes "
                           "with a model in eval mode (as `aecore.load` returns it)")
    device = next(model.parameters()).device
    return model.decode(torch.as_tensor(np.asarray(Z, np.float32), device=device)).cpu()


@torch.no_grad()
def restyle(model: Autoencoder, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Same style, other class: each image's code under its own label (N,), decoded under every class
    of a conditional model, as images (N, num_classes, C, H, W) on the CPU. The decoder is told the
    class, so what the code keeps of the image is the rest: its style."""
    if not model.conditional:
        raise ValueError(f"restyling needs a conditional model (kind 'cvae'); this one is a {model.kind!r}")
    if len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images; give one label per image")
    device, classes = next(model.parameters()).device, model.config.num_classes
    z = model.encode(images.to(device), labels.to(device))  # (N, d)
    every = torch.arange(classes, device=device).repeat(len(z))  # (N * classes,): 0, 1, ..., 0, 1, ...
    return model.decode(z.repeat_interleave(classes, 0), every).view(len(z), classes, *images.shape[1:]).cpu()


def cross_fade(x0: torch.Tensor, x1: torch.Tensor, steps: int) -> torch.Tensor:
    """`steps` pixel blends (1 - t) x0 + t x1 from image x0 to x1 (C, H, W), ends included."""
    if x0.shape != x1.shape:
        raise ValueError(f"cross_fade needs two images of one shape, got {tuple(x0.shape)} and {tuple(x1.shape)}")
    if int(steps) != steps or steps < 2:
        raise ValueError(f"steps must be an integer of at least 2 (both ends), got {steps}")
    t = torch.linspace(0, 1, int(steps)).view(-1, *([1] * x0.dim()))  # (steps, 1, 1, 1)
    return (1 - t) * x0 + t * x1


@torch.no_grad()
def kl_per_dimension(model: Autoencoder, images: torch.Tensor) -> np.ndarray:
    """Mean KL(q(z|x) || N(0, 1)) of each code unit over `images` (d,), in nats: near 0 for a unit
    the model does not use (it says nothing about x), large for an active one."""
    mu, logvar = model.encode_distribution(images)
    return kl_standard_normal(mu, logvar).mean(0).double().numpy()


@torch.no_grad()
def posterior_std(model: Autoencoder, images: torch.Tensor) -> np.ndarray:
    """Mean over `images` of each unit's posterior standard deviation exp(logvar / 2), (d,)."""
    _, logvar = model.encode_distribution(images)
    return (0.5 * logvar).exp().mean(0).double().numpy()


def traversal_frame(model: Autoencoder, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centre, scale) per code unit, each (d,), that a traversal sweeps around and in units of.

    A VAE: centre 0 and the prior's standard deviation 1, so -3..+3 spans the prior where the decoder
    was trained (the posterior's own std is far smaller for an active unit: see `posterior_std`).
    Another kind: the mean and standard deviation of its codes Z (N, d), the only scale it has."""
    Z = np.asarray(Z, np.float64)
    if is_variational(model):
        return np.zeros(Z.shape[1]), np.ones(Z.shape[1])
    return Z.mean(0), np.maximum(Z.std(0), 1e-6)  # a dead unit still gets a (tiny) sweep


def traversal_codes(z: np.ndarray, values: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Codes (d, len(values), d): row k sweeps unit k over centre_k + values * scale_k, others as z."""
    values = np.asarray(values, np.float64)
    return np.stack([traverse(z, k, centre[k] / scale[k] + values, float(scale[k])) for k in range(len(z))])


@torch.no_grad()
def nearest_rmse(images: torch.Tensor, references: torch.Tensor, exclude_self: bool = False) -> np.ndarray:
    """Pixel RMSE (N,) from each of `images` (N, C, H, W) to its closest image among `references`
    (M, C, H, W): near the real images' own spacing for a sample that looks real, far above it for
    one that lands where no data is. With `exclude_self`, images[i] is references[i] and is skipped."""
    x, y = images.flatten(1).float(), references.flatten(1).float()  # (N, D), (M, D)
    if x.shape[1] != y.shape[1] or len(y) < 1 + exclude_self:
        raise ValueError(f"nearest_rmse needs images and references of one size, and at least one reference "
                         f"besides the image itself; got {tuple(images.shape)} and {tuple(references.shape)}")
    nearest = []
    for start in range(0, len(x), NEAREST_CHUNK):
        squared = torch.cdist(x[start:start + NEAREST_CHUNK], y).pow(2)  # (chunk, M)
        if exclude_self:
            rows = torch.arange(len(squared))
            squared[rows, rows + start] = float("inf")
        nearest.append(squared.min(1).values)
    return (torch.cat(nearest).clamp_min(0) / x.shape[1]).sqrt().double().numpy()


def real_spacing(references: torch.Tensor, count: int = 256, seed: int = 0) -> np.ndarray:
    """`nearest_rmse` of `count` real images (drawn with `seed`) to the nearest *other* real image:
    the yardstick a sample's distance is read against."""
    order = np.random.default_rng(int(seed)).permutation(len(references))
    picked = torch.as_tensor(order[:count])
    rest = torch.as_tensor(order)  # picked first, so row i of the picked is reference i
    return nearest_rmse(references[picked], references[rest], exclude_self=True)
