"""The baselines every recommender here is judged against, fit on the same training ratings.

Means (global, per user, per item), popularity (how many users rated each item) and truncated SVD
of the mean-centred table, scikit-learn's TruncatedSVD: the PCA of a ratings table, the linear
twin of an autoencoder's code. Each returns a (users, items) table of scores: predicted stars where
the method predicts ratings, a count for popularity (which predicts no rating, so no RMSE).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.dummy import DummyRegressor

from aecore.recommend.split import RatingsSplit


def _train(split: RatingsSplit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, keep = split.ratings, split.train
    return r.user[keep], r.item[keep], r.rating[keep].astype(np.float64)


def global_mean(split: RatingsSplit) -> np.ndarray:
    users, _, stars = _train(split)
    mean = DummyRegressor(strategy="mean").fit(users[:, None], stars).predict([[0]])[0]
    return np.full((split.ratings.users, split.ratings.items), mean)


def _group_means(index: np.ndarray, stars: np.ndarray, size: int, fallback: float) -> np.ndarray:
    # One mean per user (or item) over its training ratings; one with none gets the global mean.
    counts = np.bincount(index, minlength=size)
    sums = np.bincount(index, weights=stars, minlength=size)
    return np.divide(sums, counts, out=np.full(size, fallback), where=counts > 0)


def user_mean(split: RatingsSplit) -> np.ndarray:
    users, _, stars = _train(split)
    means = _group_means(users, stars, split.ratings.users, stars.mean())
    return np.repeat(means[:, None], split.ratings.items, 1)


def item_mean(split: RatingsSplit) -> np.ndarray:
    _, items, stars = _train(split)
    means = _group_means(items, stars, split.ratings.items, stars.mean())
    return np.repeat(means[None, :], split.ratings.users, 0)


def popularity(split: RatingsSplit) -> np.ndarray:
    """Every user gets the same ranking: the items most users rated in training first."""
    _, items, _ = _train(split)
    return np.repeat(np.bincount(items, minlength=split.ratings.items)[None, :].astype(np.float64),
                     split.ratings.users, 0)


def svd(split: RatingsSplit, k: int, seed: int = 0) -> np.ndarray:
    """Each item's mean plus the rank-k truncated SVD of the training ratings centred by it (the
    unrated cells at 0, i.e. at the item's mean): k taste directions, found linearly."""
    users, items, stars = _train(split)
    shape = (split.ratings.users, split.ratings.items)
    means = _group_means(items, stars, shape[1], stars.mean())
    centred = sparse.csr_matrix((stars - means[items], (users, items)), shape=shape)
    k = max(1, min(k, min(shape) - 1))
    model = TruncatedSVD(n_components=k, random_state=seed).fit(centred)
    return means[None, :] + model.transform(centred) @ model.components_


__all__ = ["global_mean", "item_mean", "popularity", "svd", "user_mean"]
