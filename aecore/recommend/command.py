"""`python -m aecore recommend`: every method on a held-out split of a ratings table, as a table.

    python -m aecore recommend                          # the embedded "tastes" table
    python -m aecore recommend --ratings movielens-100k # downloaded first, with a progress bar
    python -m aecore recommend --ratings mine.csv --json
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from typing import Sequence

import torch

from aecore.console import DownloadBar
from aecore.data import movielens
from aecore.data.ratings import BUNDLED, Ratings
from aecore.recommend.run import load_ratings
from aecore.recommend.autorec_fit import Recipe
from aecore.recommend.comparison import compare


def ratings_from(source: str, root: str | None = None, quiet: bool = False) -> Ratings:
    """An embedded table by name, MovieLens 100k (downloaded first when missing, with a bar) or a CSV file."""
    bar = None if quiet or source != movielens.NAME or movielens.is_downloaded(root) else DownloadBar(movielens.NAME)
    return load_ratings(source, root, progress=bar)


def fetch_movielens(source: str, root: str | None = None, quiet: bool = False) -> None:
    """Download MovieLens 100k with a bar when `source` names it and it is not here; nothing otherwise."""
    if source == movielens.NAME and not movielens.is_downloaded(root):
        movielens.download_movielens(root, None if quiet else DownloadBar(movielens.NAME))


def _cell(value: float, digits: int) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def format_table(table: dict[str, dict[str, float]]) -> str:
    """The comparison as aligned text, one method a line."""
    lines = [f"{'method':<32} {'RMSE':>7} {'recall@10':>10} {'NDCG@10':>8} {'train s':>8}"]
    for name, row in table.items():
        lines.append(f"{name:<32} {_cell(row['rmse'], 4):>7} {_cell(row['recall@10'], 4):>10} "
                     f"{_cell(row['ndcg@10'], 4):>8} {row['seconds']:>8.2f}")
    return "\n".join(lines)


def recommend_command(argv: Sequence[str]) -> str:
    parser = argparse.ArgumentParser(
        prog="python -m aecore recommend",
        description="AutoRec against SVD, popularity and the means on a held-out split of a ratings table: RMSE "
                    "on held-out ratings, recall@10 and NDCG@10 on held-out liked items (4 stars or more), and "
                    "each method's training time.")
    parser.add_argument("--ratings", default="tastes",
                        help=f"{', '.join(BUNDLED)} (embedded), {movielens.NAME} (downloaded first), or a CSV file "
                             "with the columns user, item, rating")
    parser.add_argument("--seed", type=int, default=0, help="the split and the models' weights")
    parser.add_argument("--epochs", type=int, default=Recipe.epochs)
    parser.add_argument("--latent-dim", type=int, default=Recipe.latent_dim, help="AutoRec's code and SVD's rank")
    parser.add_argument("--root", help="the data folder for MovieLens (default: $AECORE_DATA, else the cache)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1: these small models run fastest on one thread when "
                             "anything else shares the cores)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no download bar")
    args = parser.parse_args(argv)
    if min(args.epochs, args.latent_dim, args.threads) < 1:
        raise ValueError("--epochs, --latent-dim and --threads must be at least 1")
    torch.set_num_threads(args.threads)
    ratings = ratings_from(args.ratings, args.root, args.quiet)
    table = compare(ratings, seed=args.seed, recipe=replace(Recipe(), epochs=args.epochs, latent_dim=args.latent_dim))
    if args.json:
        plain = {name: {k: None if math.isnan(v) else v for k, v in row.items()} for name, row in table.items()}
        return json.dumps({"ratings": ratings.name, "seed": args.seed, "methods": plain}, indent=2)
    return f"{ratings.about}\n\n{format_table(table)}"


__all__ = ["fetch_movielens", "format_table", "ratings_from", "recommend_command"]
