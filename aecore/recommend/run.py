"""The run layer for ratings: `aecore.runner.run(spec)` hands a spec of a ratings kind (AutoRec,
denoising AutoRec: `list_models("ratings")`) to `run_ratings`, which trains it on the held-out split
of its table and scores it beside truncated SVD of the same rank, as an image run is scored beside
PCA of the same size (SVD of the mean-centred table is the PCA of a ratings table).

So a ratings model has one spec and one command wherever it is trained (the Recommend page's job,
`aecore.recommend.compare`, `python -m aecore train --dataset tastes --model autorec`), and its
checkpoint records its recipe, its split and its scores the same way:

    spec = RunSpec(dataset="tastes", kind="denoising-autorec", latent_dim=8, options={"rows": "users"})
    result = run(spec)   # result.metrics: held-out RMSE, recall@10, NDCG@10; result.pca: SVD's
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from aecore.data.dataset import ImageDataset
from aecore.data.ratings import BUNDLED, Ratings, RatingsError, bundled_ratings, read_ratings_csv
from aecore.models.autorec import AutoRec, encode_ratings
from aecore.recommend.baselines import svd
from aecore.recommend.split import RatingsSplit, holdout, ranking, rmse
from aecore.run_report import DONE, STOPPED, RunResult, RunSnapshot, build_model, fit_reported, run_metadata
from aecore.spec import RunSpec
from aecore.train import check_arguments


def load_ratings(source: str, root: str | None = None, progress: Callable[[int, int], None] | None = None) -> Ratings:
    """An embedded table by name, MovieLens 100k (downloaded first when missing, with `progress`) or
    the path of a CSV file with the columns user, item, rating."""
    from aecore.data import movielens  # its parser imports this package's tables: loaded on use

    if source in BUNDLED:
        return bundled_ratings(source)
    if source == movielens.NAME:
        return movielens.load_movielens(root, download=True, progress=progress)
    path = Path(source).expanduser()
    if not path.is_file():
        raise RatingsError(f"{source!r} is neither a ratings table ({', '.join([*BUNDLED, movielens.NAME])}) nor a "
                           "CSV file: give one of those names, or the path of a CSV with the columns user, item, "
                           "rating.")
    return read_ratings_csv(path.read_bytes(), path.name)


def split_of(spec: RunSpec) -> RatingsSplit:
    """The spec's table with its seeded held-out share of each user's ratings."""
    return holdout(load_ratings(spec.dataset, spec.dataset_options.get("root")), spec.test_fraction, spec.split_seed)


def rows_of(split: RatingsSplit, rows: str) -> np.ndarray:
    """The training table as the model reads it: (users, items) for rows="users", else transposed."""
    table = split.train_matrix()
    return table if rows == "users" else np.ascontiguousarray(table.T)


def predict(model: AutoRec, split: RatingsSplit) -> np.ndarray:
    """(users, items) predicted stars for every cell, from each row's training ratings."""
    predicted = model.predict(rows_of(split, model.config.rows))
    return predicted if model.config.rows == "users" else predicted.T


def scores(split: RatingsSplit, predicted: np.ndarray, rates: bool = True, ranks: bool = True) -> dict[str, float]:
    """Held-out RMSE in stars (nan when `rates` is False: a popularity count is no rating), recall@10
    and NDCG@10 on held-out liked items (nan when `ranks` is False: a constant per user ranks nothing)."""
    ranked = ranking(split, predicted) if ranks else {"recall": math.nan, "ndcg": math.nan}
    return {"rmse": rmse(split, predicted) if rates else math.nan, "recall@10": ranked["recall"],
            "ndcg@10": ranked["ndcg"]}


def _rows(spec: RunSpec, split: RatingsSplit) -> ImageDataset:
    table = rows_of(split, spec.options.get("rows", "users"))
    return ImageDataset(encode_ratings(table).view(len(table), 1, 1, -1), name=split.ratings.name)


def check_ratings(spec: RunSpec, split: RatingsSplit | None = None) -> None:
    """Raise ValueError (RatingsError for a table) for anything `run_ratings` would refuse."""
    data = _rows(spec, split if split is not None else split_of(spec))
    check_arguments(build_model(spec, data.image_shape), data, None, spec.fit.epochs, spec.fit.batch_size,
                    spec.fit.lr)


def run_ratings(spec: RunSpec, progress: Callable[[RunSnapshot], None] | None = None, stop: Any = None,
                split: RatingsSplit | None = None, every: float = 0.5) -> RunResult:
    """`aecore.runner.run` for a ratings kind. split: the table already split as `split_of(spec)`
    would (a caller's own table, or one split for many models); None loads the spec's table. There is
    no validation set: the held-out ratings are scored once, after training, as every baseline is."""
    split = split if split is not None else split_of(spec)
    model, history, reporter = fit_reported(spec, _rows(spec, split), None, progress, stop, every)
    model.cpu().eval()
    metrics = scores(split, predict(model, split))  # type: ignore[arg-type]  (fit_reported built an AutoRec)
    twin = {"method": "truncated SVD", "k": spec.latent_dim,
            **scores(split, svd(split, spec.latent_dim, spec.split_seed))}
    held_out = {"test_fraction": spec.test_fraction, "seed": spec.split_seed, "ratings": len(split.test),
                "held_out": int(split.test.sum()), "per": "user"}
    metadata = run_metadata(spec, metrics, twin, history, split=held_out)
    reporter.update(state=STOPPED if history.stopped else DONE, metrics=metrics, pca=twin,
                    train_history=list(history.train), val_history=list(history.val))
    reporter.send(force=True)
    return RunResult(spec, model, metrics, twin, history, metadata)


def evaluate_ratings(model: AutoRec, source: str, test_fraction: float, seed: int) -> dict[str, Any]:
    """A trained ratings model's held-out scores on `source` split with (test_fraction, seed), beside
    SVD of its code size: what `python -m aecore evaluate` prints for a ratings checkpoint."""
    split = holdout(load_ratings(source), test_fraction, seed)
    width, columns = model.config.input_shape[-1], "items" if model.config.rows == "users" else "users"
    if getattr(split.ratings, columns) != width:
        raise RatingsError(f"the model reads rows of {width} {columns}, but {split.ratings.name} has "
                           f"{split.ratings.users} users and {split.ratings.items} items")
    k = model.config.latent_dim
    return {"split": {"test_fraction": test_fraction, "seed": seed, "held_out": int(split.test.sum())},
            "latent_dim": k, "metrics": scores(split, predict(model, split)),
            "pca": {"method": "truncated SVD", "k": k, **scores(split, svd(split, k, seed))}}


__all__ = ["check_ratings", "evaluate_ratings", "load_ratings", "predict", "rows_of", "run_ratings", "scores", "split_of"]
