"""Semantic hashing: an autoencoder whose code is a string of bits, searched by Hamming distance.

Salakhutdinov & Hinton, "Semantic hashing", International Journal of Approximate Reasoning 2009:
the code units are logistic, and Gaussian noise added to their input during training forces them
towards 0 or 1, so that rounding them afterwards loses little ("noise"). The straight-through
estimator (Bengio, Léonard & Courville, arXiv:1308.3432, 2013) is the other common way: the
forward pass uses the bits themselves, the backward pass the sigmoid's gradient ("straight-through").
Either way the decoder learns to rebuild images from bits, and `encode` returns them as 0/1 floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aecore.models.base import Autoencoder, ModelConfig
from aecore.models.registry import register_model

BINARIZERS = ("noise", "straight-through")


@dataclass
class HashingConfig(ModelConfig):
    # How training makes the code binary: noisy sigmoid units (the paper's), or straight-through bits
    binarize: str = field(default="noise", metadata={
        "choices": BINARIZERS,
        "help": "How training makes the code binary: noise adds Gaussian noise to each code unit's input "
                "so that only a unit far from its threshold keeps its message (Salakhutdinov and Hinton); "
                "straight-through trains on the bits themselves, passing the sigmoid's gradient back."})
    noise: float = field(default=4.0, metadata={  # standard deviation of the noise, for binarize="noise"
        "help": "The standard deviation of the Gaussian noise added to each code unit's input in training "
                "(binarize=noise). Larger pushes the units harder towards 0 or 1."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.binarize not in BINARIZERS:
            raise ValueError(f"unknown binarize {self.binarize!r}; valid: {', '.join(BINARIZERS)}")
        if self.noise < 0:
            raise ValueError(f"noise (a standard deviation) must be >= 0, got {self.noise}")


@register_model("hashing")
class HashingAutoencoder(Autoencoder):
    """Codes are bits: 1 where the code unit's input is above 0, else 0 (outside training)."""

    config_class = HashingConfig
    config: HashingConfig
    binary_code = True  # aecore.retrieval searches its codes by Hamming distance

    def bottleneck(self, features: torch.Tensor, sample: bool) -> dict[str, torch.Tensor]:
        bits = (features > 0).to(features.dtype)  # (B, k) the hash, 0/1
        if not sample:
            return {"z": bits}
        if self.config.binarize == "noise":
            return {"z": torch.sigmoid(features + self.config.noise * torch.randn_like(features))}
        soft = torch.sigmoid(features)
        return {"z": bits + soft - soft.detach()}  # the bits forward, the sigmoid's gradient backward
