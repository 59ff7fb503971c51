"""The held-out split of a ratings table and the scores every method is judged by.

Each user keeps most of their ratings to learn from; a seeded fifth of them (at least one, and
never the last) is held out. RMSE is measured on every held-out rating; recall@10 and NDCG@10 on the
held-out *liked* items (LIKED stars or more), among the 10 items a method ranks first of those the
user has not rated in training (He et al. 2017 and Liang et al. 2018 score top-N this way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aecore.data.ratings import LIKED, RATING_HIGH, RATING_LOW, Ratings

HOLDOUT = 0.2  # of each user's ratings
TOP = 10  # recall@10, NDCG@10, the page's top 10


@dataclass(frozen=True, eq=False)
class RatingsSplit:
    """Which ratings train and which are held out; the training table as the models read it."""

    ratings: Ratings
    test: np.ndarray  # (M,) bool: held out
    seed: int

    @property
    def train(self) -> np.ndarray:
        return ~self.test

    def train_matrix(self) -> np.ndarray:
        """(users, items) stars of the training ratings, 0 elsewhere."""
        return self.ratings.matrix(self.train)


def holdout(ratings: Ratings, fraction: float = HOLDOUT, seed: int = 0) -> RatingsSplit:
    """Hold out round(fraction x n) of each user's n ratings, at least one, never all (a user with a
    single rating only trains)."""
    if not 0 < fraction < 1:
        raise ValueError(f"the held-out fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(ratings.rating), dtype=bool)
    order = np.argsort(ratings.user, kind="stable")
    starts = np.searchsorted(ratings.user[order], np.arange(ratings.users + 1))
    for begin, end in zip(starts[:-1], starts[1:]):
        n = end - begin
        if n >= 2:
            held = min(n - 1, max(1, int(round(fraction * n))))
            test[order[begin + rng.choice(n, held, replace=False)]] = True
    return RatingsSplit(ratings, test, seed)


def rmse(split: RatingsSplit, predicted: np.ndarray) -> float:
    """Root mean squared error in stars of `predicted` (users, items), clipped to the scale, on the
    held-out ratings."""
    r = split.ratings
    guess = np.clip(predicted[r.user[split.test], r.item[split.test]], RATING_LOW, RATING_HIGH)
    return float(np.sqrt(np.mean((guess - r.rating[split.test]) ** 2)))


def top_items(scores: np.ndarray, rated: np.ndarray, k: int = TOP) -> np.ndarray:
    """(users, k) the k best-scored items of each row that it has not rated, best first (ties: the
    lower item number first, so every method breaks them alike)."""
    masked = np.where(rated, -np.inf, scores.astype(np.float64))
    best = np.argpartition(-masked, min(k, masked.shape[1] - 1), axis=1)[:, :k]
    order = np.lexsort((best, -np.take_along_axis(masked, best, 1)), axis=1)
    return np.take_along_axis(best, order, 1)


def ranking(split: RatingsSplit, scores: np.ndarray, k: int = TOP) -> dict[str, float]:
    """recall@k and NDCG@k of `scores` (users, items) on each user's held-out liked items, averaged
    over the users who have any. recall@k divides the hits by min(k, liked), so 1 is reachable."""
    r = split.ratings
    liked = np.zeros((r.users, r.items), dtype=bool)
    held = split.test & (r.rating >= LIKED)
    liked[r.user[held], r.item[held]] = True
    who = np.flatnonzero(liked.any(1))
    if not len(who):
        return {"recall": float("nan"), "ndcg": float("nan")}
    rated = split.train_matrix()[who] > 0
    hits = np.take_along_axis(liked[who], top_items(scores[who], rated, k), 1)  # (users, k) bool
    counts = liked[who].sum(1)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discount)[np.minimum(counts, k) - 1]
    return {"recall": float(np.mean(hits.sum(1) / np.minimum(counts, k))),
            "ndcg": float(np.mean((hits * discount).sum(1) / ideal))}


__all__ = ["HOLDOUT", "RatingsSplit", "TOP", "holdout", "ranking", "rmse", "top_items"]
