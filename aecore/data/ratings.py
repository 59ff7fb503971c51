"""Ratings tables for recommendation: the embedded "tastes" table, MovieLens 100k, a user's CSV.

A ratings table is a list of (user, item, stars) triples, 1 to 5 stars, each pair at most once;
most (user, item) cells are empty. Every source gives the same `Ratings`, so the recommenders
(`aecore.recommend`) never ask where it came from.

    ratings = bundled_ratings("tastes")            # seeded, no network, tastes planted in it
    ratings = read_ratings_csv(open("mine.csv", "rb").read(), "mine.csv")
    ratings = aecore.data.movielens.load_movielens()   # downloaded first (never shipped: its licence)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from aecore.data.table import TableError, _rows

RATING_LOW, RATING_HIGH = 1.0, 5.0  # the scale of every table here (MovieLens' stars)
LIKED = 4.0  # a rating of this many stars or more is a liked item (recall@10 and NDCG@10 count these)
MIN_RATINGS = 50  # fewer leave too little to train on once some are held out
MIN_USERS, MIN_ITEMS = 5, 5
MAX_CELLS = 4_000_000  # users x items: the dense table a model reads stays within 16 MB
GENRES = ("action", "comedy", "drama", "horror", "romance", "sci-fi")


class RatingsError(TableError):
    """A ratings table the app cannot use; the message says what to fix."""


@dataclass(frozen=True, eq=False)
class Ratings:
    """(user, item, stars) triples, users and items numbered from 0, with what is known about them."""

    name: str
    user: np.ndarray  # (M,) int: each rating's user, 0 .. users - 1
    item: np.ndarray  # (M,) int: each rating's item, 0 .. items - 1
    rating: np.ndarray  # (M,) float: stars, RATING_LOW .. RATING_HIGH
    user_names: tuple[str, ...]  # the users' ids as the source writes them
    item_names: tuple[str, ...]  # the items' titles (or ids)
    item_genres: np.ndarray | None = None  # (items,) str: each item's genre, where the source says
    # What is known of each user, by name ("favourite genre", planted; "age", "gender" ...): (users,) str.
    user_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    about: str = ""  # where the table comes from, in a sentence

    @property
    def users(self) -> int:
        return len(self.user_names)

    @property
    def items(self) -> int:
        return len(self.item_names)

    def matrix(self, mask: np.ndarray | None = None) -> np.ndarray:
        """The (users, items) table of stars, 0 where not rated; only the ratings in `mask` when given."""
        keep = slice(None) if mask is None else mask
        table = np.zeros((self.users, self.items), dtype=np.float32)
        table[self.user[keep], self.item[keep]] = self.rating[keep]
        return table

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the triples: the same table gives the same key in every process."""
        digest = hashlib.blake2b(digest_size=12)
        for array in (self.user, self.item, self.rating):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update("\x1f".join(self.item_names).encode())
        return digest.hexdigest()


# --- the embedded table: tastes planted in it ------------------------------------------------------
def tastes(users: int = 600, items: int = 400, density: float = 0.05, seed: int = 0) -> Ratings:
    """A seeded table with known tastes: each item has one of six genres, each user a favourite genre
    (liked most), a second one (liked a little) and dislikes the rest; a user's stars for an item are
    their taste for its genre plus the user's and the item's own leanings and noise, rounded to 1..5.
    Who rates what is not random: about `density` of the cells, drawn more from popular items and
    from the genres a user likes (people watch what they expect to enjoy), as in real tables."""
    rng = np.random.default_rng(seed)
    genre = rng.permutation(np.arange(items) % len(GENRES))  # (items,)
    quality = rng.normal(0.0, 0.4, items)
    favourite = rng.integers(len(GENRES), size=users)
    second = (favourite + rng.integers(1, len(GENRES), users)) % len(GENRES)
    taste = np.full((users, len(GENRES)), -0.8)
    taste[np.arange(users), favourite] = 1.3
    taste[np.arange(users), second] = 0.4
    taste += rng.normal(0.0, 0.25, taste.shape)
    leaning = rng.normal(0.0, 0.3, users)
    stars = np.clip(np.round(3.0 + leaning[:, None] + quality[None, :] + taste[:, genre]
                             + rng.normal(0.0, 0.5, (users, items))), RATING_LOW, RATING_HIGH)
    popularity = rng.permutation(1.0 / (np.arange(items) + 20.0) ** 0.7)
    chance = popularity[None, :] * np.exp(taste[:, genre])  # (users, items)
    counts = np.clip(rng.poisson(density * items, users), 8, items)
    rows = [np.sort(rng.choice(items, counts[u], replace=False, p=chance[u] / chance[u].sum())) for u in range(users)]
    user = np.repeat(np.arange(users), counts)
    item = np.concatenate(rows)
    names = [GENRES[g] for g in genre]
    item_names = tuple(f"{name} {sum(1 for n in names[:i] if n == name) + 1}" for i, name in enumerate(names))
    return Ratings("tastes", user, item, stars[user, item].astype(np.float32),
                   tuple(f"user {u + 1}" for u in range(users)), item_names, np.array(names),
                   {"favourite genre": np.array([GENRES[g] for g in favourite])},
                   f"Embedded, seeded: {users} users, {items} items in {len(GENRES)} genres, {len(user):,} ratings "
                   f"({len(user) / users / items:.0%} of the cells); each user has a planted favourite genre.")


BUNDLED = {"tastes": tastes}


@lru_cache(maxsize=4)
def bundled_ratings(name: str = "tastes") -> Ratings:
    """An embedded ratings table (`BUNDLED`), made once per process; no network."""
    if name not in BUNDLED:
        raise RatingsError(f"unknown ratings table {name!r}; embedded tables: {', '.join(BUNDLED)}")
    return BUNDLED[name]()


# --- a user's CSV ------------------------------------------------------------------------------------
COLUMNS = ("user", "item", "rating")


def _columns(header: list[str], name: str) -> list[int]:
    names = [cell.strip().lower() for cell in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RatingsError(f"{name} has no {', '.join(repr(c) for c in missing)} column: the header row must name "
                           f"the columns user, item and rating (found: {', '.join(header)[:80] or 'nothing'}).")
    return [names.index(c) for c in COLUMNS]


def _stars(cell: str, row: int) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise RatingsError(f"the rating in row {row} is {cell.strip()[:30]!r}, where a number of stars must be: "
                           f"write a number from {RATING_LOW:g} to {RATING_HIGH:g}.") from None
    if not RATING_LOW <= value <= RATING_HIGH:  # also refuses nan
        raise RatingsError(f"the rating in row {row} is {cell.strip()}, outside the scale of {RATING_LOW:g} to "
                           f"{RATING_HIGH:g} stars: rescale the ratings to it.")
    return value


def read_ratings_csv(data: bytes, name: str = "the file") -> Ratings:
    """A CSV with a header naming the columns user, item and rating (others are ignored), one rating
    per row, as a Ratings; every error says what to fix (RatingsError)."""
    try:
        rows = _rows(data, name)
    except TableError as error:  # size, encoding, emptiness: the table reader's own words
        raise RatingsError(str(error)) from None
    at = _columns(rows[0], name)
    body = rows[1:]
    for number, row in enumerate(body, start=2):  # the header is line 1, as a spreadsheet counts
        if len(row) <= max(at):
            raise RatingsError(f"row {number} has {len(row)} values; the header names {len(rows[0])} columns.")
        if not row[at[0]].strip() or not row[at[1]].strip():
            raise RatingsError(f"row {number} has no {'user' if not row[at[0]].strip() else 'item'}: give every "
                               "rating its user and its item.")
    if len(body) < MIN_RATINGS:
        raise RatingsError(f"{name} has {len(body)} rating{'s' * (len(body) != 1)}; at least {MIN_RATINGS} are "
                           "needed to learn from some and test on others.")
    stars = np.array([_stars(row[at[2]], n) for n, row in enumerate(body, start=2)], dtype=np.float32)
    users_raw = [row[at[0]].strip() for row in body]
    items_raw = [row[at[1]].strip() for row in body]
    seen: dict[tuple[str, str], int] = {}
    for number, pair in enumerate(zip(users_raw, items_raw), start=2):
        if pair in seen:
            raise RatingsError(f"user {pair[0]!r} rates item {pair[1]!r} twice (rows {seen[pair]} and {number}): "
                               "keep one rating per user and item.")
        seen[pair] = number
    user_names, user = np.unique(users_raw, return_inverse=True)
    item_names, item = np.unique(items_raw, return_inverse=True)
    if len(user_names) < MIN_USERS or len(item_names) < MIN_ITEMS:
        raise RatingsError(f"{name} has {len(user_names)} users and {len(item_names)} items; at least {MIN_USERS} "
                           f"of each are needed, or there is nothing to recommend.")
    if len(user_names) * len(item_names) > MAX_CELLS:
        raise RatingsError(f"{name} has {len(user_names):,} users and {len(item_names):,} items, a table of "
                           f"{len(user_names) * len(item_names):,} cells; at most {MAX_CELLS:,} are allowed: keep "
                           "the most active users or the most rated items.")
    return Ratings(name, user, item, stars, tuple(map(str, user_names)), tuple(map(str, item_names)),
                   about=f"{name}: {len(user_names)} users, {len(item_names)} items, {len(body):,} ratings.")


__all__ = ["BUNDLED", "GENRES", "LIKED", "MIN_RATINGS", "RATING_HIGH", "RATING_LOW", "Ratings", "RatingsError",
           "bundled_ratings", "read_ratings_csv", "tastes"]
