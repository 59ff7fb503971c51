"""Variational autoencoder and beta-VAE.

Kingma & Welling, "Auto-encoding variational Bayes", ICLR 2014: a Gaussian posterior
q(z|x) = N(mu, diag(exp(logvar))), sampled with the reparameterisation z = mu + exp(logvar / 2) * eps,
and the loss -ELBO = recon + KL(q(z|x) || N(0, I)) (their Appendix B, closed form).
Higgins et al., "beta-VAE", ICLR 2017: the KL term scaled by beta > 1 for disentangled codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aecore.models.base import Autoencoder, AutoencoderOutput, Labels, ModelConfig
from aecore.models.registry import register_model


@dataclass
class VAEConfig(ModelConfig):
    beta: float = field(default=1.0, metadata={  # weight of the KL term: 1 is the plain VAE, > 1 a beta-VAE
        "help": "How much the KL term counts against the reconstruction error. 1 is the plain VAE; above "
                "1 (a beta-VAE) the codes stay closer to the prior, at the cost of blurrier images."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample and dimension, shape (B, k), in nats."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


@register_model("vae")
class VariationalAutoencoder(Autoencoder):
    config_class = VAEConfig
    config: VAEConfig
    code_multiplier = 2  # the encoder emits mu and logvar

    def bottleneck(self, features: torch.Tensor, sample: bool) -> dict[str, torch.Tensor]:
        mu, logvar = features.chunk(2, dim=1)  # (B, k) each
        logvar = logvar.clamp(-30.0, 20.0)  # keeps exp() finite early in training
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if sample else mu
        return {"z": z, "mu": mu, "logvar": logvar}

    def regularizer(self, x: torch.Tensor, output: AutoencoderOutput) -> dict[str, torch.Tensor]:
        return {"kl": kl_standard_normal(output.mu, output.logvar).sum(1).mean()}

    def weights(self) -> dict[str, float]:
        return {"kl": self.config.beta}

    def encode_distribution(self, x: torch.Tensor, labels: Labels = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior parameters (mu, logvar), each (B, latent_dim); labels: for a conditional kind."""
        self._check_input(x)
        code = self.bottleneck(self.encoder_features(x, labels), sample=False)
        return code["mu"], code["logvar"]

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, seed: int | None = None, labels: Labels = None) -> torch.Tensor:
        """n images (n, C, H, W) decoded from z ~ N(0, temperature^2 I); a conditional kind decodes them
        under `labels` (one class for all, or one per sample; None: no class)."""
        if n < 1 or temperature < 0:
            raise ValueError(f"sample needs n >= 1 and temperature >= 0, got n={n}, temperature={temperature}")
        device = next(self.parameters()).device
        generator = torch.Generator(device=device).manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=device) * temperature
        return self.decode(z, labels)
