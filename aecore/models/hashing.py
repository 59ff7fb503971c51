"""Semantic hashing: an autoencoder whose code is a string of bits, searched by Hamming distance.

Salakhutdinov & Hinton, "Semantic hashing", International Journal of Approximate Reasoning 2009:
train an autoencoder whose code units end up binary, and search a collection by the bits. Their
units were made binary by Gaussian noise added to a pre-trained net's code; trained from scratch
here, noisy units (and bits drawn at random) collapsed to one constant code on MNIST (precision@10 at
chance), so the bits come from the straight-through estimator (Bengio, Léonard & Courville,
arXiv:1308.3432, 2013): the decoder reads the bits themselves, and the gradient passes back through
the sigmoid. A bit-balance term (each bit on for half of the images, as spectral hashing asks of its
bits: Weiss, Torralba & Fergus, NIPS 2008) keeps every bit telling images apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aecore.models.base import Autoencoder, AutoencoderOutput, ModelConfig
from aecore.models.registry import register_model


@dataclass
class HashingConfig(ModelConfig):
    balance: float = field(default=10.0, metadata={  # weight of the bit-balance term
        "help": "How much each bit is pushed to be on for half of the images (its rate's squared distance "
                "from 0.5, summed over the bits). A bit that is always on or always off tells no image apart."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.balance < 0:
            raise ValueError(f"balance (a weight) must be >= 0, got {self.balance}")


@register_model("hashing")
class HashingAutoencoder(Autoencoder):
    """Codes are bits: 1 where the code unit's input is above 0, else 0, in training as outside it."""

    config_class = HashingConfig
    config: HashingConfig
    binary_code = True  # aecore.retrieval searches its codes by Hamming distance

    def bottleneck(self, features: torch.Tensor, sample: bool) -> dict[str, torch.Tensor]:
        bits = (features > 0).to(features.dtype)  # (B, k) the hash, 0/1
        if not sample:
            return {"z": bits}
        soft = torch.sigmoid(features)  # (B, k) how sure each bit is
        return {"z": bits + soft - soft.detach(), "soft": soft}  # the bits forward, the sigmoid's gradient back

    def regularizer(self, x: torch.Tensor, output: AutoencoderOutput) -> dict[str, torch.Tensor]:
        rate = output.extras["soft"].mean(0)  # (k,) how often each bit is on in this batch
        return {"balance": ((rate - 0.5) ** 2).sum()}

    def weights(self) -> dict[str, float]:
        return {"balance": self.config.balance}
