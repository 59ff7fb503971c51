"""Time the latent map's three costs: fitting a UMAP of 10,000 codes, decoding a film strip, and
opening a pretrained model's stored map.

(a) UMAP of the 10,000 shapes images encoded by shapes-ae-8: `project`'s fast settings (median of
    --repeats) against umap-learn's defaults (once: it is the slow one), with PCA as the baseline,
    all after `aecore.latent.warm_up()`. Faithfulness: "agreement" is the share of each point's 10
    nearest neighbours in the map that have its shape (its value among the codes themselves is
    printed too), "trust" is scikit-learn's trustworthiness (10 neighbours) on 2,000 of the points,
    "distance corr." the Spearman correlation of pairwise distances (codes vs map) among 1,000.
    --tsne adds t-SNE fast and default (minutes). --digits adds the 1,797 digits codes.
(b) One film strip: `interpolate` 32 codes and `model.decode` them, median of 20.
(c) Opening a stored map: `load_pretrained` + `load_latent` + a plotly Scattergl figure of the stored
    UMAP, median of 10.

    OMP_NUM_THREADS=1 python bench/bench_latent.py [--repeats 3] [--tsne] [--digits]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import torch  # noqa: E402
from scipy.spatial.distance import pdist  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.manifold import trustworthiness  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402

import aecore  # noqa: E402
from aecore.latent import encode_dataset, interpolate, project, warm_up  # noqa: E402

MODELS = {"digits": "digits-ae-8", "shapes": "shapes-ae-8"}


def seconds(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_seconds(fn, repeats: int) -> float:
    return statistics.median(seconds(fn)[0] for _ in range(repeats))


def agreement(embedding: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Share of each point's k nearest neighbours (in `embedding`) that have its label."""
    neighbours = NearestNeighbors(n_neighbors=k + 1).fit(embedding).kneighbors(embedding, return_distance=False)
    return float((labels[neighbours[:, 1:]] == labels[:, None]).mean())


def distance_correlation(codes: np.ndarray, embedding: np.ndarray, n: int = 1000) -> float:
    """Spearman correlation of all pairwise distances among n points, codes against map: the global
    layout, which the two local measures do not see."""
    rows = np.random.default_rng(1).choice(len(codes), min(n, len(codes)), replace=False)
    return float(spearmanr(pdist(codes[rows]), pdist(embedding[rows])).statistic)


def trust(codes: np.ndarray, embedding: np.ndarray, n: int = 2000) -> float:
    rows = np.random.default_rng(0).choice(len(codes), min(n, len(codes)), replace=False)
    return float(trustworthiness(codes[rows], embedding[rows], n_neighbors=10))


def projection_table(dataset: str, methods: list[str], repeats: int) -> None:
    data = aecore.load_dataset(dataset)
    codes, labels = encode_dataset(aecore.load_pretrained(MODELS[dataset]), data), data.labels.numpy()
    print(f"\n### {len(codes):,} codes of {MODELS[dataset]} ({dataset}); agreement among the codes themselves: "
          f"{agreement(codes, labels):.3f}\n")
    print("| projection | settings | seconds (median) | runs | agreement | trust | distance corr. |")
    print("|---|---|---|---|---|---|---|")
    runs = [("pca", "", {}, repeats)]
    for method in methods:
        runs += [(method, "fast (project's default)", {}, repeats), (method, "library defaults (fast=False)",
                                                                      {"fast": False}, 1)]
    for method, label, options, n in runs:
        times = []
        for _ in range(n):
            took, fitted = seconds(lambda: project(codes, method, seed=0, **options))
            times.append(took)
        embedding = fitted.embedding_
        print(f"| {method} | {label} | {statistics.median(times):.3f} | {n} | {agreement(embedding, labels):.3f} "
              f"| {trust(codes, embedding):.3f} | {distance_correlation(codes, embedding):.3f} |", flush=True)


@torch.no_grad()
def strip_table() -> None:
    print("\n| model | 32-frame film strip (interpolate + decode), ms, median of 20 |")
    print("|---|---|")
    for dataset, name in MODELS.items():
        model = aecore.load_pretrained(name)
        codes = aecore.load_latent(name)["codes"]

        def strip() -> torch.Tensor:
            path = interpolate(codes[0], codes[1], 32, "slerp")
            return model.decode(torch.from_numpy(path))

        strip()  # the first call allocates
        print(f"| {name} | {median_seconds(strip, 20) * 1e3:.1f} |", flush=True)


def open_table() -> None:
    print("\n| model | points | load_pretrained + load_latent + Scattergl figure, ms, median of 10 |")
    print("|---|---|---|")
    for name in MODELS.values():
        def open_map() -> go.Figure:
            aecore.load_pretrained(name)
            latent = aecore.load_latent(name)
            xy = latent["umap"]
            return go.Figure(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=latent["index"],
                                          marker={"color": latent["labels"], "size": 4}))

        open_map()
        print(f"| {name} | {len(aecore.load_latent(name)['codes']):,} | {median_seconds(open_map, 10) * 1e3:.1f} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tsne", action="store_true", help="also t-SNE, fast and default (minutes)")
    parser.add_argument("--digits", action="store_true", help="also the 1,797 digits codes")
    args = parser.parse_args()
    print(f"torch threads: {torch.get_num_threads()} (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}), "
          f"CPU cores: {os.cpu_count()}")
    took, _ = seconds(warm_up)
    print(f"warm_up: {took:.1f} s")
    methods = ["umap", "tsne"] if args.tsne else ["umap"]
    for dataset in (["shapes", "digits"] if args.digits else ["shapes"]):
        projection_table(dataset, methods, args.repeats)
    strip_table()
    open_table()


if __name__ == "__main__":
    main()
