"""Denoising AutoRec: each training step hides a share of every row's observed ratings from the
encoder, and the model is scored on all of them, the hidden ones included.

The corruption of CDAE (Wu, DuBois, Zheng & Ester, "Collaborative denoising auto-encoders for top-N
recommender systems", WSDM 2016): dropout noise on the input, the ratings kept scaled by 1/(1 − q)
so that a row's total stays the same on average. CDAE's extra per-user input node is left out, so
that a new user's ratings can be encoded without training. Rebuilding ratings it cannot see is the
task recommendation asks for: predict the items a user has not rated from those they have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aecore.models.autorec import AutoRec, AutoRecConfig
from aecore.models.registry import register_model


@dataclass
class DenoisingAutoRecConfig(AutoRecConfig):
    drop: float = field(default=0.2, metadata={  # q: CDAE's dropout level on the input
        "help": "The share of each row's observed ratings hidden from the encoder in every training step; "
                "the model must still predict them."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.drop < 1:
            raise ValueError(f"drop must be in [0, 1), got {self.drop}")


@register_model("denoising-autorec")
class DenoisingAutoRec(AutoRec):
    config_class = DenoisingAutoRecConfig
    config: DenoisingAutoRecConfig

    def corrupt_input(self, x: torch.Tensor) -> torch.Tensor:
        # Draws from torch's global generator, which fit() seeds, so runs repeat.
        kept = (torch.rand(x.shape, device=x.device) >= self.config.drop).to(x.dtype)
        return x * kept / (1 - self.config.drop)
