"""AutoRec models on a ratings split: built through the registry, trained by the one `fit` every
model takes (`aecore.train.fit`: seeding, batches, Adam, a stop flag, progress), predicted and coded.

The rows a model reads are the training table's rows (users) or columns (items), as a dataset of
(1, 1, N) "images" (`aecore.models.autorec` says why that shape); there is no validation set: the
held-out ratings are scored by `aecore.recommend.split` afterwards, as every baseline is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch

from aecore.data.dataset import ImageDataset
from aecore.history import Progress
from aecore.models import create_model
from aecore.models.autorec import AutoRec, encode_ratings
from aecore.recommend.split import RatingsSplit
from aecore.spec import FitSettings
from aecore.train import fit


@dataclass(frozen=True)
class Recipe:
    """How every AutoRec here is built and trained (the defaults: bench/bench_recommend.py)."""

    latent_dim: int = 8  # the code: a user's taste in 8 numbers (SVD gets as many components)
    l2: float = 0.003  # λ, per row of a batch
    drop: float = 0.2  # the denoising kind's share of ratings hidden from the encoder
    epochs: int = 100
    batch_size: int = 64
    lr: float = 0.01

    def fit_settings(self, seed: int) -> FitSettings:
        return FitSettings(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, seed=seed, device="cpu")


def rows_of(split: RatingsSplit, rows: str) -> np.ndarray:
    """The training table as the model reads it: (users, items) for rows="users", else transposed."""
    table = split.train_matrix()
    return table if rows == "users" else np.ascontiguousarray(table.T)


def train_autorec(split: RatingsSplit, kind: str, rows: str, recipe: Recipe = Recipe(), seed: int = 0,
                  progress: Callable[[Progress], None] | None = None, stop: Any = None) -> AutoRec:
    """A `kind` ("autorec", "denoising-autorec") over the split's user or item rows, trained by `fit`;
    returned in eval mode on the CPU (a fresh model of our own)."""
    table = rows_of(split, rows)
    options: dict[str, Any] = {"rows": rows, "l2": recipe.l2}
    if kind == "denoising-autorec":
        options["drop"] = recipe.drop
    with torch.random.fork_rng(devices=[]):  # the weights from the seed, the caller's generator untouched
        torch.manual_seed(seed)
        model = create_model(kind, arch="mlp", input_shape=(1, 1, table.shape[1]), latent_dim=recipe.latent_dim,
                             **options)
        data = ImageDataset(encode_ratings(table).view(len(table), 1, 1, -1), name=split.ratings.name)
        fit(model, data, None, callbacks=[progress] if progress else (), stop=stop, batch_interval=0.5,
            **asdict(recipe.fit_settings(seed)))
    return model.cpu().eval()  # type: ignore[return-value]


def predict(model: AutoRec, split: RatingsSplit) -> np.ndarray:
    """(users, items) predicted stars for every cell, from each row's training ratings."""
    predicted = model.predict(rows_of(split, model.config.rows))
    return predicted if model.config.rows == "users" else predicted.T


__all__ = ["Recipe", "predict", "rows_of", "train_autorec"]
