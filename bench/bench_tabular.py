"""Anomaly detection on tables: AUROC of the autoencoder, PCA and an isolation forest, and their cost.

For each bundled table and normal class, each seed draws its own split (30% of the normal rows held
out, every other row an anomaly) and seeds the autoencoder and the forest; the run is exactly the
Anomaly page's job (`aecore.tabular.detect`, its recipe: `recipe_for`). Prints the median AUROC
over seeds of each detector, and the median seconds of the autoencoder's training, of PCA (fit and
score) and of the forest (fit and score), beside a bare PCA fit measured in the same run (one torch
thread, as the app's workers use).

    python bench/bench_tabular.py [--seeds 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import tabular  # noqa: E402
from aecore.data.table import bundled_table  # noqa: E402

# (table, normal class): the page's defaults first, then wine's other classes for comparison.
CASES = [("breast-cancer", "benign"), ("wine", "class_1"), ("wine", "class_0"), ("wine", "class_2")]


def bare_pca_seconds(name: str, normal: str, seed: int, k: int) -> float:
    """Seconds of `PCA(k).fit` alone on the same standardised training rows."""
    split = tabular.one_class_split(bundled_table(name), normal, seed=seed)
    train = StandardScaler().fit_transform(split.train)
    started = time.perf_counter()
    PCA(n_components=k, random_state=0).fit(train)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tabular.detect(bundled_table("wine"), "class_1")  # warm-up: torch's and sklearn's first calls
    print(f"median over {args.seeds} seeds (split and model), {args.threads} torch thread(s)")
    print(f"{'table':14} {'normal':8} {'rows':>9} {'k':>2} | {'AE':>6} {'PCA':>6} {'IForest':>7} | "
          f"{'AE train s':>10} {'PCA s':>7} {'IF s':>6} {'bare PCA fit s':>14}")
    for name, normal in CASES:
        table = bundled_table(name)
        recipe = tabular.recipe_for(len(table.columns))
        runs = [tabular.detect(table, normal, replace(recipe, seed=seed), split_seed=seed) for seed in range(args.seeds)]
        bare = [bare_pca_seconds(name, normal, seed, recipe.latent_dim) for seed in range(args.seeds)]

        def median(pick) -> float:
            return statistics.median(pick(run) for run in runs)

        test_rows = len(runs[0]["scores"])
        print(f"{name:14} {normal:8} {runs[0]['train_rows']:>4}/{test_rows:<4} {recipe.latent_dim:>2} | "
              f"{median(lambda r: r['auroc']['autoencoder']):6.3f} {median(lambda r: r['auroc']['pca']):6.3f} "
              f"{median(lambda r: r['auroc']['forest']):7.3f} | {median(lambda r: r['seconds']['autoencoder']):10.2f} "
              f"{median(lambda r: r['seconds']['pca']):7.4f} {median(lambda r: r['seconds']['forest']):6.2f} "
              f"{statistics.median(bare):14.4f}")


if __name__ == "__main__":
    main()
