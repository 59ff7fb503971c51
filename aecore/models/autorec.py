"""AutoRec: an autoencoder over one row of a ratings table, trained on the observed ratings only.

Sedhain, Menon, Sanner & Xie, "AutoRec: Autoencoders meet collaborative filtering", WWW 2015.
A row is one user's ratings of every item (user-based, U-AutoRec: the code is the user's taste) or
one item's ratings by every user (item-based, I-AutoRec). The net is the paper's one layer,
r̂ = f(W g(V r + μ) + b), with g the sigmoid (the code) and, here, f the sigmoid too, so every
prediction stays inside the rating scale. The missing cells are zeros on input and count for
nothing in the loss, the paper's masked objective (its eq. 2):

    L = Σ_rows Σ_{i observed} (r_i − r̂_i)²  +  λ/2 (‖W‖² + ‖V‖²)

A row enters shaped (B, 1, 1, N), as the registry's (C, H, W) asks (as `aecore.tabular` feeds a
table row), with each rating of 1 to 5 stars written as 0.1 to 0.9 (`encode_ratings`) so that 0 is
free to mean "not rated" and the sigmoid output never has to saturate to reach 1 or 5 stars.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from aecore.models.base import Autoencoder, AutoencoderOutput, ModelConfig
from aecore.models.registry import register_model

RATING_LOW, RATING_HIGH = 1.0, 5.0  # the scale every ratings table here uses (MovieLens' stars)
_LOW_CODE, _HIGH_CODE = 0.1, 0.9  # where 1 and 5 stars sit on the model's [0, 1] scale; 0 = not rated
STARS_PER_UNIT = (RATING_HIGH - RATING_LOW) / (_HIGH_CODE - _LOW_CODE)  # 5 stars per unit of that scale
ROWS = ("users", "items")


def encode_ratings(ratings: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Stars (..., N), 0 where not rated -> the model's scale: 1..5 stars as 0.1..0.9, 0 kept."""
    r = torch.as_tensor(ratings, dtype=torch.float32)
    return torch.where(r > 0, _LOW_CODE + (r - RATING_LOW) / STARS_PER_UNIT, torch.zeros_like(r))


def decode_ratings(x_hat: torch.Tensor) -> torch.Tensor:
    """The model's outputs in [0, 1] -> predicted stars, clipped to the rating scale."""
    return (RATING_LOW + (x_hat - _LOW_CODE) * STARS_PER_UNIT).clamp(RATING_LOW, RATING_HIGH)


@dataclass
class AutoRecConfig(ModelConfig):
    hidden: tuple[int, ...] = field(default=(), metadata={  # () is the paper's net: the code is its one layer
        "help": "Extra hidden layers between a row and its code (empty: AutoRec's one-layer net)."})
    likelihood: str = "gaussian"  # unused: the loss is the masked squared error in stars (below)
    rows: str = field(default="users", metadata={  # what one input row is; fixes N (items or users)
        "choices": ROWS,
        "help": "users: each row is a user's ratings and the code is that user's taste (U-AutoRec); items: "
                "each row is an item's ratings by every user (I-AutoRec)."})
    l2: float = field(default=0.003, metadata={  # λ of the weight decay term, per row of the batch
        "help": "λ, the weight decay: how strongly large weights are penalised, against memorising the few "
                "ratings each row has."})

    def __post_init__(self) -> None:
        # The base checks an MLP's hidden widths and asks for at least one; AutoRec's has none beyond
        # the code, so the base checks a stand-in and the widths are checked here.
        hidden, self.hidden = tuple(int(h) for h in self.hidden), (1,)
        super().__post_init__()
        self.hidden = hidden
        if min(hidden, default=1) < 1:
            raise ValueError(f"hidden widths must be positive, got {hidden}")
        if self.arch != "mlp":
            raise ValueError(f"a ratings model is a fully connected net: arch must be 'mlp', got {self.arch!r}")
        if self.input_shape[:2] != (1, 1):
            raise ValueError(f"a ratings row is shaped (1, 1, N), got input_shape={self.input_shape}")
        if self.rows not in ROWS:
            raise ValueError(f"rows must be one of {', '.join(ROWS)}, got {self.rows!r}")
        if not self.l2 >= 0:
            raise ValueError(f"l2 must be 0 or more, got {self.l2}")


@register_model("autorec")
class AutoRec(Autoencoder):
    """The masked reconstruction in stars, a sigmoid code, and AutoRec's weight decay as a loss term."""

    config_class = AutoRecConfig
    config: AutoRecConfig
    data = "ratings"  # not an image kind: list_models("ratings") lists it (aecore.models.registry)

    def bottleneck(self, features: torch.Tensor, sample: bool) -> dict[str, torch.Tensor]:
        return {"z": torch.sigmoid(features)}  # g in the paper: the code of a row

    def reconstruction_loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Squared error in stars over the observed ratings of each row (x > 0), summed over the row,
        mean over the batch: unrated cells teach nothing (AutoRec's eq. 2)."""
        observed = x > 0
        error = (torch.sigmoid(logits) - x) * STARS_PER_UNIT
        return (error.pow(2) * observed).flatten(1).sum(1).mean()

    def regularizer(self, x: torch.Tensor, output: AutoencoderOutput) -> dict[str, torch.Tensor]:
        # ‖W‖² + ‖V‖²: the weight matrices, not the biases, as in the paper.
        return {"l2": sum(m.weight.pow(2).sum() for m in self.modules() if isinstance(m, nn.Linear))}

    def weights(self) -> dict[str, float]:
        return {"l2": self.config.l2 / 2}

    @torch.no_grad()
    def predict(self, ratings: np.ndarray | torch.Tensor) -> np.ndarray:
        """Rows of stars (B, N), 0 where not rated -> predicted stars (B, N) for every cell."""
        x = encode_ratings(ratings).view(-1, *self.config.input_shape)
        return decode_ratings(self.infer(x).x_hat).flatten(1).numpy()

    @torch.no_grad()
    def codes(self, ratings: np.ndarray | torch.Tensor) -> np.ndarray:
        """Rows of stars (B, N) -> their codes (B, latent_dim): a user's taste for U-AutoRec."""
        return self.infer_codes(encode_ratings(ratings).view(-1, *self.config.input_shape)).numpy()


__all__ = ["AutoRec", "AutoRecConfig", "RATING_HIGH", "RATING_LOW", "ROWS", "STARS_PER_UNIT", "decode_ratings",
           "encode_ratings"]
