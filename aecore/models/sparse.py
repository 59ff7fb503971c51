"""Sparse autoencoder: the code is pushed to have few active units per image.

Two classic penalties (Ng, "Sparse autoencoder", CS294A lecture notes, 2011):
- "l1": weight * sum_j |z_j| per image, on a ReLU code (zero means inactive);
- "kl": weight * sum_j KL(rho || rho_hat_j), where rho_hat_j is unit j's mean activation over the
  batch of a sigmoid code and rho the target rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aecore.models.base import Autoencoder, AutoencoderOutput, ModelConfig
from aecore.models.registry import register_model

PENALTIES = ("l1", "kl")


@dataclass
class SparseConfig(ModelConfig):
    # "l1" on a ReLU code, or "kl" on a sigmoid code
    penalty: str = field(default="l1", metadata={
        "choices": PENALTIES,
        "help": "How few active units are rewarded: l1 charges for the size of every unit of the code, "
                "kl pushes each unit's average activity towards the target rate."})
    weight: float = field(default=0.1, metadata={  # multiplier of the sparsity term in the total loss
        "help": "How much the sparsity penalty counts against the reconstruction error (lambda). "
                "Larger: fewer active units and blurrier reconstructions."})
    rho: float = field(default=0.05, metadata={  # target mean activation of each unit, for penalty="kl"
        "help": "The target average activity of each code unit, between 0 and 1: 0.05 means a unit "
                "should be on for about 5% of the images."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.penalty not in PENALTIES:
            raise ValueError(f"unknown sparsity penalty {self.penalty!r}; valid: {', '.join(PENALTIES)}")
        if self.weight < 0:
            raise ValueError(f"sparsity weight must be >= 0, got {self.weight}")
        if not 0 < self.rho < 1:
            raise ValueError(f"rho (target activation rate) must be in (0, 1), got {self.rho}")


def kl_sparsity(z: torch.Tensor, rho: float, eps: float = 1e-6) -> torch.Tensor:
    """sum_j KL(Bernoulli(rho) || Bernoulli(rho_hat_j)) for codes z (B, k) in (0, 1)."""
    rho_hat = z.mean(0).clamp(eps, 1 - eps)  # (k,) mean activation of each unit over the batch
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


@register_model("sparse")
class SparseAutoencoder(Autoencoder):
    config_class = SparseConfig
    config: SparseConfig

    def bottleneck(self, features: torch.Tensor, sample: bool) -> dict[str, torch.Tensor]:
        # Both penalties need a code whose zero (or near-zero) means "off".
        z = torch.sigmoid(features) if self.config.penalty == "kl" else torch.relu(features)
        return {"z": z}

    def regularizer(self, x: torch.Tensor, output: AutoencoderOutput) -> dict[str, torch.Tensor]:
        if self.config.penalty == "kl":
            return {"sparsity": kl_sparsity(output.z, self.config.rho)}
        return {"sparsity": output.z.abs().sum(1).mean()}

    def weights(self) -> dict[str, float]:
        return {"sparsity": self.config.weight}
