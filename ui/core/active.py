"""The active model as the app knows it: the model and what the sidebar's card says of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aecore


@dataclass
class ActiveModel:
    """The model every page works with, and what the sidebar's model card shows."""

    model: aecore.Autoencoder
    name: str  # pretrained name, or a label such as "trained: vae mlp 8-D" / the uploaded file name
    source: str  # "pretrained", "trained" or "uploaded"
    dataset: str  # the dataset it was trained on (its images fit the model)
    metrics: dict[str, Any] = field(default_factory=dict)  # test metrics (mse, psnr, ...)
    pca: dict[str, Any] = field(default_factory=dict)  # PCA's metrics at the same latent dim

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())
