"""Denoising autoencoder: reconstruct the clean image from a corrupted one.

Vincent et al., "Extracting and composing robust features with denoising autoencoders", ICML 2008.
The corruption is applied in training only; evaluation feeds whatever input it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aecore import noise
from aecore.models.base import Autoencoder, ModelConfig
from aecore.models.registry import register_model


@dataclass
class DenoisingConfig(ModelConfig):
    noise: str = field(default="gaussian", metadata={  # aecore.noise kinds
        "choices": tuple(noise.list_noise()),
        "help": "The kind of damage done to each training image before the model sees it; it is "
                "always scored on rebuilding the clean image."})
    noise_level: float = field(default=0.3, metadata={  # its level (sigma for gaussian, a fraction for the others)
        "help": "How strong the damage is: the noise's standard deviation for gaussian, the share of "
                "pixels or of the image side hit for the others."})

    def __post_init__(self) -> None:
        super().__post_init__()
        _, low, high = noise.describe_level(self.noise)  # raises for an unknown kind
        if not low <= self.noise_level <= high:
            raise ValueError(f"noise_level for {self.noise!r} must be in [{low}, {high}], got {self.noise_level}")


@register_model("denoising")
class DenoisingAutoencoder(Autoencoder):
    config_class = DenoisingConfig
    config: DenoisingConfig

    def corrupt_input(self, x: torch.Tensor) -> torch.Tensor:
        # seed=None: draws from torch's global generator, which fit() seeds, so runs repeat.
        return noise.corrupt(x, self.config.noise, self.config.noise_level)
