"""Every method on one held-out split: `compare` (the table) and `study` (the Recommend page's job).

The methods: the global, user and item means; popularity; truncated SVD with as many components as
the code; AutoRec user-based and item-based; denoising AutoRec user-based, the model whose codes
are the users' tastes and which recommends to a new user from a few ratings.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from aecore.checkpoint import to_zip_bytes
from aecore.data.ratings import Ratings
from aecore.in_worker import cancel_flag, report
from aecore.recommend import baselines
from aecore.recommend.autorec_fit import Recipe, run_autorec
from aecore.recommend.run import scores
from aecore.recommend.split import RatingsSplit, holdout

PAGE_MODEL = "denoising AutoRec, user-based"  # the model the page encodes new users with
AUTORECS = {  # method name -> (kind, rows)
    "AutoRec, user-based": ("autorec", "users"),
    "AutoRec, item-based": ("autorec", "items"),
    PAGE_MODEL: ("denoising-autorec", "users"),
}
RATES = ("global mean", "user mean", "item mean", "SVD", *AUTORECS)  # the methods that predict stars


def _baselines(split: RatingsSplit, k: int, seed: int) -> dict[str, Callable[[], np.ndarray]]:
    return {"global mean": lambda: baselines.global_mean(split), "user mean": lambda: baselines.user_mean(split),
            "item mean": lambda: baselines.item_mean(split), "popularity": lambda: baselines.popularity(split),
            "SVD": lambda: baselines.svd(split, k, seed)}


def _row(split: RatingsSplit, name: str, predicted: np.ndarray, seconds: float) -> dict[str, float]:
    # A constant score per user ranks nothing: the global and user means get no recall.
    return {**scores(split, predicted, rates=name in RATES, ranks=name not in ("global mean", "user mean")),
            "seconds": seconds}


def _measure(split: RatingsSplit, recipe: Recipe, seed: int, say: Callable[[str, float], None],
             stop: Any = None) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """(the table, the AutoRec models by method name)."""
    table, models = {}, {}
    for name, method in _baselines(split, recipe.latent_dim, seed).items():
        started = time.perf_counter()
        scores = method()
        table[name] = _row(split, name, scores, time.perf_counter() - started)
    for index, (name, (kind, rows)) in enumerate(AUTORECS.items()):
        say(f"training {name}", index / len(AUTORECS))
        result = run_autorec(split, kind, rows, recipe, seed, stop=stop)  # through the run layer
        models[name] = result.model
        table[name] = {**result.metrics, "seconds": result.history.wall_time}
    return table, models


def compare(ratings: Ratings, seed: int = 0, recipe: Recipe = Recipe()) -> dict[str, dict[str, float]]:
    """Method name -> {"rmse": held-out RMSE in stars (nan for popularity), "recall@10", "ndcg@10" (on
    held-out liked items; nan for the global and user means, which rank nothing), "seconds": training
    time}, every method on the same split of `ratings` (seed: the split and the models' weights)."""
    return _measure(holdout(ratings, seed=seed), recipe, seed, lambda text, share: None)[0]


def code_map(codes: np.ndarray) -> dict[str, np.ndarray]:
    """The 2-D PCA of the users' codes: its mean and two directions, so a new code lands on the same
    map (`place`), and every user's place."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(codes)
    return {"mean": pca.mean_, "axes": pca.components_, "points": pca.transform(codes)}


def place(code: np.ndarray, projection: dict[str, np.ndarray]) -> np.ndarray:
    """Where codes (n, k) land on `code_map`'s map: (n, 2)."""
    return (np.atleast_2d(code) - projection["mean"]) @ projection["axes"].T


def probe(codes: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """5-fold cross-validated accuracy of a logistic regression from the codes to `labels`: how much
    of the attribute the codes hold linearly."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _, counts = np.unique(labels, return_counts=True)
    folds = int(min(5, counts.min()))
    if folds < 2 or len(counts) < 2:
        return float("nan")
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(cross_val_score(classifier, codes, labels, cv=StratifiedKFold(folds, shuffle=True,
                                                                               random_state=seed)).mean())


def study(ratings: Ratings, seed: int = 0, recipe: Recipe = Recipe()) -> dict[str, Any]:
    """The Recommend page's job: the comparison table, the page's model as checkpoint bytes, every
    user's code and place on the 2-D map, the probe of each user attribute, and which ratings were
    held out. Plain data back; progress: which model is training."""
    split = holdout(ratings, seed=seed)
    stop = cancel_flag()
    table, models = _measure(split, recipe, seed, lambda text, share: report(text, share), stop)
    model = models[PAGE_MODEL]
    codes = model.codes(split.train_matrix())
    return {"table": table, "checkpoint": to_zip_bytes(model, metadata={"ratings": ratings.name, "seed": seed}),
            "codes": codes, "map": code_map(codes), "test": split.test,
            "probe": {name: probe(codes, values, seed) for name, values in ratings.user_attributes.items()},
            "stopped": bool(stop.is_set())}


__all__ = ["AUTORECS", "PAGE_MODEL", "RATES", "code_map", "compare", "place", "probe", "study"]
