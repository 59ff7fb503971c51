"""The VAE's reparameterisation for one image, unit by unit: the posterior's mean and spread, one
draw of the noise, the code it gives, that image's KL term, and what the decoder makes of it.

    r = reparameterise(vae, x, seed=0)   # x: one image (C, H, W)
    r.z == r.mu + r.sigma * r.eps         # (d,) each, float64
    r.kl.sum() == r.kl_total              # KL(q(z|x) || N(0, I)) in nats, per unit in r.kl
    r.decoded                             # g(z) (C, H, W); r.decoded_mean is g(mu)

Kingma & Welling, "Auto-encoding variational Bayes", ICLR 2014, section 2.4 (the trick) and
Appendix B (the closed-form KL against N(0, I)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aecore.generate import decode_codes, is_variational
from aecore.models import Autoencoder
from aecore.models.vae import kl_standard_normal


@dataclass(frozen=True)
class Reparameterisation:
    """One image's draw z = mu + sigma * eps; arrays are (d,) float64, images (C, H, W) in [0, 1]."""

    mu: np.ndarray
    sigma: np.ndarray
    eps: np.ndarray
    z: np.ndarray
    kl: np.ndarray  # KL of each unit's posterior against N(0, 1), nats
    decoded: torch.Tensor  # g(z): this draw decoded
    decoded_mean: torch.Tensor  # g(mu): the draw with eps = 0

    @property
    def kl_total(self) -> float:
        """The image's whole KL term: the sum over units (the loss sums it, see `VariationalAutoencoder`)."""
        return float(self.kl.sum())

    @property
    def shift(self) -> float:
        """How far the noise moved the code from its mean, ||z - mu|| = ||sigma * eps||."""
        return float(np.linalg.norm(self.z - self.mu))


def draw_noise(latent_dim: int, seed: int) -> np.ndarray:
    """eps ~ N(0, I) of size (d,), the same for the same seed (a link shows the same draw)."""
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be at least 1, got {latent_dim}")
    return np.random.default_rng(int(seed)).standard_normal(latent_dim)


@torch.no_grad()
def reparameterise(model: Autoencoder, image: torch.Tensor, seed: int) -> Reparameterisation:
    """Encode one image (C, H, W) to its posterior and draw z = mu + sigma * eps with noise `seed`.

    Only a model with a posterior (a VAE, see `is_variational`) has a sigma to draw with; another
    kind raises a ValueError that says so. The model's train/eval mode is left alone (shared models)."""
    if not is_variational(model):
        raise ValueError(f"a {model.kind!r} autoencoder gives each image one code and no spread (sigma): "
                         "only a VAE or beta-VAE has a posterior to reparameterise; load one of those")
    if image.dim() != 3:
        raise ValueError(f"reparameterise takes one image shaped (C, H, W), got {tuple(image.shape)}")
    device = next(model.parameters()).device
    mu, logvar = model.encode_distribution(image.unsqueeze(0).to(device))  # (1, d) each
    kl = kl_standard_normal(mu, logvar)[0].double().cpu().numpy()
    mu, sigma = mu[0].double().cpu().numpy(), (0.5 * logvar[0]).exp().double().cpu().numpy()
    eps = draw_noise(len(mu), seed)
    z = mu + sigma * eps
    decoded = decode_codes(model, np.stack([z, mu]))  # (2, C, H, W)
    return Reparameterisation(mu=mu, sigma=sigma, eps=eps, z=z, kl=kl, decoded=decoded[0], decoded_mean=decoded[1])


__all__ = ["Reparameterisation", "draw_noise", "reparameterise"]
