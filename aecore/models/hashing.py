"""Semantic hashing: an autoencoder whose code is a string of bits, searched by Hamming distance.

Salakhutdinov & Hinton, "Semantic hashing", International Journal of Approximate Reasoning 2009:
train an autoencoder whose code units end up binary, and search a collection by the bits. Their
units were made binary by Gaussian noise added to a pre-trained net's code; trained from scratch
here, noisy units (and bits drawn at random) collapsed to one constant code on MNIST (precision@10 at
chance), so the bits come from the straight-through estimator (Bengio, Léonard & Courville,
arXiv:1308.3432, 2013): the decoder reads the bits themselves, and the gradient passes back through
the sigmoid. A bit-balance term (each bit on for half of the images, as spectral hashing asks of its
bits: Weiss, Torralba & Fergus, NIPS 2008) keeps every bit telling images apart.

Bits that rebuild the pixels best are not the bits that find the same digit: on MNIST, 32 such bits
put 0.855 of an image's 10 nearest in its class (bench/bench_retrieval.py). The `views` term asks
more of them: each image's bits must be nearer to those of the same image moved a little (shifted,
turned, scaled) than to any other image's in the batch, InfoNCE on the bits' probabilities (the
contrastive hashing of CIBHash: Qiu, Su, Chen & Zhang, IJCAI 2021; SimCLR's loss: Chen et al., ICML
2020). It lifted that share to 0.911 at weight 40, for a slightly blurrier reconstruction. Asking
the two views' bits only to agree (their squared gap) gave 0.854 to 0.862: without other images to
be kept apart from, agreeing is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from aecore.models.base import Autoencoder, AutoencoderOutput, ModelConfig
from aecore.models.registry import register_model


@dataclass
class HashingConfig(ModelConfig):
    balance: float = field(default=10.0, metadata={  # weight of the bit-balance term
        "help": "How much each bit is pushed to be on for half of the images (its rate's squared distance "
                "from 0.5, summed over the bits). A bit that is always on or always off tells no image apart."})

    views: float = field(default=0.0, metadata={  # weight of the moved views' InfoNCE term (0: none)
        "help": "How much the bits of an image must be nearer to those of the same image slightly moved, "
                "turned and scaled than to any other image's in the batch (InfoNCE on the bits' "
                "probabilities). Bits that survive small moves name what the image shows, not where its "
                "pixels are."})
    move: float = field(default=0.15, metadata={  # the views' largest shift (share of the side), turn (x 90°), scale
        "help": "How far a view moves: the largest shift as a share of the image's side; the turn is up to "
                "this share of 90 degrees and the scale up to this share bigger or smaller."})

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("balance", "views"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} (a weight) must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.move < 0.5:
            raise ValueError(f"move must be in [0, 0.5), got {self.move}")


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
        soft = output.extras["soft"]
        rate = soft.mean(0)  # (k,) how often each bit is on in this batch
        terms = {"balance": ((rate - 0.5) ** 2).sum()}
        if self.config.views > 0:
            other = torch.sigmoid(self.encoder_features(moved(x, self.config.move)))
            terms["views"] = views_loss(soft, other)
        return terms

    def weights(self) -> dict[str, float]:
        return {"balance": self.config.balance, **({"views": self.config.views} if self.config.views > 0 else {})}


TEMPERATURE = 0.2


def views_loss(soft: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """InfoNCE between two views' soft bits (B, k): each image's bits must be closer (cosine, as ±1
    codes) to those of its own moved view than to any other image's in the batch, both ways."""
    a, b = F.normalize(2 * soft - 1, dim=1), F.normalize(2 * other - 1, dim=1)
    logits = a @ b.T / TEMPERATURE
    target = torch.arange(len(a), device=a.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def moved(x: torch.Tensor, move: float) -> torch.Tensor:
    """Each image (B, C, H, W) shifted, turned and scaled at random by up to `move` (shift as a share
    of the side, turn as a share of 90°, scale as a share of 1), empty space filled with 0."""
    b = x.shape[0]
    draw = (torch.rand(b, 4, device=x.device) * 2 - 1) * move
    angle, scale = draw[:, 0] * (torch.pi / 2), 1 + draw[:, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, draw[:, 2] * 2], 1), torch.stack([sin, cos, draw[:, 3] * 2], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
