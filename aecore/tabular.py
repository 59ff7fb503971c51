"""Anomaly detection on tables: an MLP autoencoder trained on the normal rows, PCA and an isolation forest.

The autoencoder is the registry's `ae` kind with the `mlp` architecture on a flat input of D
features, shaped (1, 1, D) as the registry's (C, H, W) asks. Standardised columns are not in [0, 1],
so the model's sigmoid output (made for pixels) is left out: the decoder's logits are the
reconstruction, trained by mean squared error (a linear output layer, as Sakurada & Yairi 2014
use). A row's anomaly score is its reconstruction MSE per column; each column's share of that error
says which measurements made the row look unusual. PCA with as many components as the code, and
scikit-learn's IsolationForest (Liu et al. 2008), fit on the same normal training rows, are the two
baselines. `detect` is the whole run as one job for the server's queue (`aecore.workers`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from aecore.anomaly import roc
from aecore.data.table import Table, TableError
from aecore.models import Autoencoder, create_model
from aecore.in_worker import cancel_flag, report
from aecore.step import optimiser_step

TEST_FRACTION = 0.3  # of the normal rows, held out to test on beside every anomaly
SPLIT_SEED = 0
TOP_ROWS = 20  # the most anomalous test rows whose column shares a job returns


@dataclass(frozen=True)
class TableRecipe:
    """How the autoencoder is built and trained for a table of D columns (`recipe_for`)."""

    latent_dim: int  # the code size k; PCA gets as many components
    hidden: tuple[int, ...]  # MLP widths, input side first
    steps: int = 1500  # optimizer steps, not epochs: the time stays bounded for any number of rows
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-5
    seed: int = 0


def recipe_for(columns: int, seed: int = 0) -> TableRecipe:
    """A code of about a quarter of the columns (1 to 8), one hidden layer twice as wide as the input
    (16 to 64): narrow enough that the code cannot simply copy every column."""
    k = int(np.clip(round(columns / 4), 1, 8)) if columns > 2 else 1
    return TableRecipe(latent_dim=min(k, columns), hidden=(int(np.clip(2 * columns, 16, 64)),), seed=seed)


@dataclass
class TableSplit:
    """Normal training rows and every test row, as the detectors see them (not yet standardised)."""

    train: np.ndarray  # (n, D) normal rows only
    test: np.ndarray  # (m, D) held-out normal rows and every other row
    test_rows: np.ndarray  # (m,) each test row's index in the table
    is_anomaly: np.ndarray | None  # (m,) bool; None for a table without labels


def one_class_split(table: Table, normal: str | None, test_fraction: float = TEST_FRACTION,
                    seed: int = SPLIT_SEED) -> TableSplit:
    """Train on a part of the `normal` class's rows only; test on the rest of them and on every row of
    the other classes. Without labels (normal None), every row may be normal: a random part trains."""
    rng = np.random.default_rng(seed)
    if table.labels is None:
        if normal is not None:
            raise TableError(f"{table.name} has no label column, so no class can be called normal")
        pool, others = np.arange(len(table.features)), np.arange(0)
    else:
        if normal not in table.classes:
            raise TableError(f"{normal!r} is not a class of {table.name}; its classes: {', '.join(table.classes)}")
        pool, others = np.flatnonzero(table.labels == normal), np.flatnonzero(table.labels != normal)
    held = max(1, int(round(len(pool) * test_fraction)))
    if len(pool) - held < 2:
        raise TableError(f"the normal class {normal!r} has {len(pool)} rows: at least 3 are needed to train on "
                         "some and test on one")
    pool = rng.permutation(pool)
    test_rows = np.sort(np.concatenate([pool[:held], others]))
    is_anomaly = None if table.labels is None else table.labels[test_rows] != normal
    return TableSplit(table.features[np.sort(pool[held:])], table.features[test_rows], test_rows, is_anomaly)


# --- the autoencoder ------------------------------------------------------------------------------
def _flat(model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
    # (B, D) standardised rows -> (B, D) reconstructions: the decoder's logits, no sigmoid (see above).
    return model.decoder(model.encode(x.view(len(x), 1, 1, -1))).flatten(1)


def train_autoencoder(x: np.ndarray, recipe: TableRecipe, progress: Callable[[int, int, float], None] | None = None,
                      stop: Any = None) -> tuple[Autoencoder, float]:
    """An `ae`/`mlp` model fit to standardised rows x (n, D) by MSE; returns (model, last loss).
    progress(step, steps, loss) is called every 100 steps; `stop.is_set()` ends training early.

    Not through the run layer (`aecore.run`), on purpose: standardised rows are unbounded, so the
    loss is the plain MSE, not the image models' Bernoulli likelihood over pixels in [0, 1]; a few
    hundred rows train by steps of random batches with weight decay rather than by epochs; and the
    run layer's evaluation (PCA of images, preview pictures, held-out image metrics) has no meaning
    for a table. The update itself is the one every model takes (`aecore.step.optimiser_step`)."""
    torch.manual_seed(recipe.seed)
    rows = torch.as_tensor(x, dtype=torch.float32)
    model = create_model("ae", arch="mlp", input_shape=(1, 1, rows.shape[1]), latent_dim=recipe.latent_dim,
                         hidden=recipe.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    generator = torch.Generator().manual_seed(recipe.seed)
    batch = min(recipe.batch_size, len(rows))
    loss = torch.tensor(float("nan"))

    def mse(x_batch: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        error = (_flat(model, x_batch) - x_batch).pow(2).mean()
        return error, {"mse": error}

    for step in range(1, recipe.steps + 1):
        x_batch = rows[torch.randint(len(rows), (batch,), generator=generator)]
        loss = optimiser_step(optimizer, mse, x_batch)["mse"]
        if step % 100 == 0 or step == recipe.steps:
            if progress is not None:
                progress(step, recipe.steps, float(loss.detach()))
            if stop is not None and stop.is_set():
                break
    return model.eval(), float(loss.detach())  # a fresh model of our own: switching its mode touches no one else's


@torch.no_grad()
def column_errors(model: Autoencoder, x: np.ndarray) -> np.ndarray:
    """Squared reconstruction error of every standardised value, shape (N, D)."""
    rows = torch.as_tensor(x, dtype=torch.float32)
    return (_flat(model, rows) - rows).pow(2).double().numpy()


def column_shares(errors: np.ndarray) -> np.ndarray:
    """Each column's share of its row's reconstruction error (N, D); every row sums to 1 (a row
    rebuilt exactly shares it evenly)."""
    totals = errors.sum(1, keepdims=True)
    even = np.full_like(errors, 1.0 / errors.shape[1])
    return np.divide(errors, totals, out=even, where=totals > 0)


# --- the baselines --------------------------------------------------------------------------------
def pca_scores(train: np.ndarray, test: np.ndarray, k: int) -> np.ndarray:
    """MSE per column of each standardised test row rebuilt by PCA with k components fit on `train`."""
    pca = PCA(n_components=min(k, *train.shape), random_state=0).fit(train)
    return ((pca.inverse_transform(pca.transform(test)) - test) ** 2).mean(1)


def forest_scores(train: np.ndarray, test: np.ndarray, seed: int = 0) -> np.ndarray:
    """IsolationForest's anomaly score of each test row (higher = more anomalous), fit on `train`."""
    from sklearn.ensemble import IsolationForest  # only workers fit it: the app's server never pays the import

    forest = IsolationForest(n_estimators=200, random_state=seed).fit(train)
    return -forest.score_samples(test)


# --- the whole run, as one job ----------------------------------------------------------------------
def detect(table: Table, normal: str | None, recipe: TableRecipe | None = None,
           split_seed: int = SPLIT_SEED) -> dict[str, Any]:
    """Split, standardise (on the training rows), train the autoencoder, fit PCA and the forest, and
    score every test row by all three. Plain data back: scores, truth, the most anomalous rows'
    column shares, timings. Progress: a sentence (the training step and loss)."""
    split = one_class_split(table, normal, seed=split_seed)
    recipe = recipe or recipe_for(len(table.columns))
    scaler = StandardScaler().fit(split.train)
    train, test = scaler.transform(split.train), scaler.transform(split.test)

    def progress(step: int, steps: int, loss: float) -> None:
        report(f"training the autoencoder: step {step} of {steps}, loss {loss:.3f}")

    started = time.perf_counter()
    model, loss = train_autoencoder(train, recipe, progress, cancel_flag())
    seconds = {"autoencoder": time.perf_counter() - started}
    errors = column_errors(model, test)
    started = time.perf_counter()
    pca = pca_scores(train, test, recipe.latent_dim)
    seconds["pca"] = time.perf_counter() - started
    started = time.perf_counter()
    forest = forest_scores(train, test, recipe.seed)
    seconds["forest"] = time.perf_counter() - started
    scores = errors.mean(1)
    top = np.argsort(-scores, kind="stable")[:TOP_ROWS]
    result = {"scores": scores, "pca_scores": pca, "forest_scores": forest, "is_anomaly": split.is_anomaly,
              "test_rows": split.test_rows, "top": top, "top_shares": column_shares(errors[top]),
              "train_rows": len(train), "loss": loss, "seconds": seconds, "recipe": asdict(recipe)}
    if split.is_anomaly is not None:
        result["auroc"] = {name: roc(result[key], split.is_anomaly)["auroc"]
                           for name, key in (("autoencoder", "scores"), ("pca", "pca_scores"),
                                             ("forest", "forest_scores"))}
    return result


__all__ = ["TableRecipe", "TableSplit", "column_errors", "column_shares", "detect", "forest_scores",
           "one_class_split", "pca_scores", "recipe_for", "train_autoencoder"]
