"""How every AutoRec here is built and trained: a `Recipe`, turned into the run layer's `RunSpec`
for one kind and one side of the table, and trained by `aecore.runner.run` like every other model
(through `aecore.recommend.run`: the registry, the one `fit`, scores beside SVD, a checkpoint record).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from aecore.models.autorec import AutoRec
from aecore.recommend.split import HOLDOUT, RatingsSplit
from aecore.runner import RunResult, RunSnapshot, run
from aecore.spec import FitSettings, RunSpec


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

    def spec(self, dataset: str, kind: str, rows: str, seed: int = 0) -> RunSpec:
        """The run of `kind` ("autorec", "denoising-autorec") over the user or item rows of `dataset`,
        its ratings held out with `seed`, its weights drawn from `seed`."""
        options: dict[str, Any] = {"rows": rows, "l2": self.l2}
        if kind == "denoising-autorec":
            options["drop"] = self.drop
        return RunSpec(dataset=dataset, kind=kind, arch="mlp", latent_dim=self.latent_dim, options=options,
                       fit=self.fit_settings(seed), test_fraction=HOLDOUT, split_seed=seed, preview=0)


def run_autorec(split: RatingsSplit, kind: str, rows: str, recipe: Recipe = Recipe(), seed: int = 0,
                progress: Callable[[RunSnapshot], None] | None = None, stop: Any = None) -> RunResult:
    """`recipe`'s run of `kind` on `split` (the split's own seed holds the ratings out; `seed` draws
    the weights), through the run layer: the model, its held-out scores beside SVD, its record."""
    spec = replace(recipe.spec(split.ratings.name, kind, rows, seed), split_seed=split.seed)
    return run(spec, progress=progress, stop=stop, data=split)


def train_autorec(split: RatingsSplit, kind: str, rows: str, recipe: Recipe = Recipe(), seed: int = 0,
                  progress: Callable[[RunSnapshot], None] | None = None, stop: Any = None) -> AutoRec:
    """The model of `run_autorec`, in eval mode on the CPU."""
    return run_autorec(split, kind, rows, recipe, seed, progress, stop).model  # type: ignore[return-value]


__all__ = ["Recipe", "run_autorec", "train_autorec"]
