"""The Compare page's measuring job (`aecore.studies.compare.measure`) per model set, against a PCA baseline
measured the same way in the same run: medians of --repeats runs on one thread.

For each dataset and model set, three timings, all of the whole set:
- "from scratch": what a job does for models with nothing stored (a user's own): encode the shown
  test images, map them (PCA, or the 2-D code), trustworthiness against the pixels, and the probe
  (encode every training and test image, fit the logistic regression);
- "zoo": what the app's job does for zoo models, whose codes, map and probe are stored: the
  trustworthiness alone;
- "PCA baseline": the same steps with PCA of the pixels (k = each model's code size) as the encoder,
  fitted on the training images.
The worker's start (a spawned process importing torch, seconds, once per server) is not included.
Also printed: each model's numbers beside PCA's at the same code size.

    OMP_NUM_THREADS=1 python bench/bench_compare.py [--datasets digits shapes] [--repeats 3] [--method pca]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

import aecore  # noqa: E402
from aecore.studies import compare  # noqa: E402


def model_sets(dataset: str) -> dict[str, list[str]]:
    """The page's default set (one model per regularizer) and the smallest set (plain AE beside VAE)."""
    default = compare.default_selection(aecore.list_pretrained(dataset), aecore.recipes.DEFAULT_MODELS[dataset])
    return {"default (one per regularizer)": default, "pair (ae, vae)": [default[0], default[-1]]}


def pca_baseline(train, test, rows: np.ndarray, k: int, method: str) -> dict[str, float]:
    """The measuring steps with PCA-k of the pixels as the encoder."""
    pca = PCA(n_components=k, random_state=0).fit(train.images.flatten(1).numpy())
    z_train, z_test = (pca.transform(part.images.flatten(1).numpy()) for part in (train, test))
    shown = torch.as_tensor(rows)
    embedding = compare.plane(z_test[rows], method)
    return {"trustworthiness": compare.map_trustworthiness(test.images[shown], embedding),
            "probe": compare.codes_probe_accuracy(z_train, train.labels.numpy(), z_test, test.labels.numpy())}


def timed(function, repeats: int) -> tuple[float, object]:
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def bench_set(dataset: str, names: list[str], train, test, rows: np.ndarray, method: str, repeats: int) -> None:
    models = {name: aecore.load_pretrained(name) for name in names}
    stored = {name: aecore.load_latent(name) for name in names}
    position = {int(full): i for i, full in enumerate(aecore.data.split_positions(train, test, dataset)[1])}

    def known(name: str) -> dict:
        where = {position[int(full)]: i for i, full in enumerate(stored[name]["index"])}
        codes = stored[name]["codes"][[where[int(r)] for r in rows]]
        # The stored probe is a number read from disk: 0.0 stands in for it here.
        return {"codes": codes, "map": compare.plane(codes, method), "probe": 0.0}

    scratch, results = timed(lambda: {n: compare.measure(m, train, test, rows, method) for n, m in models.items()},
                             repeats)
    knowns = {name: known(name) for name in names}
    zoo, _ = timed(lambda: [compare.measure(m, train, test, rows, method, knowns[n]) for n, m in models.items()],
                   repeats)
    dims = [m.config.latent_dim for m in models.values()]
    baseline, pca_results = timed(lambda: [pca_baseline(train, test, rows, k, method) for k in dims], repeats)
    print(f"| {dataset} | {', '.join(names)} | {scratch:.2f} s | {zoo:.2f} s | {baseline:.2f} s | "
          f"{scratch / baseline:.2f}x |")
    for (name, result), pca, k in zip(results.items(), pca_results, dims):
        print(f"|  | {name}: trust {result['trustworthiness']:.3f}, probe {result['probe']:.1%} | "
              f"PCA-{k}: trust {pca['trustworthiness']:.3f}, probe {pca['probe']:.1%} | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "shapes"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--method", default="pca", choices=["pca"],
                        help="UMAP's time is umap-learn's (bench/bench_latent.py), not this job's")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"medians of {args.repeats} runs, one thread, {args.method} maps of up to {compare.SUBSET_SIZE:,} test images")
    print("| dataset | model set | from scratch | zoo (stored codes) | PCA baseline | scratch / PCA |")
    print("|---|---|---|---|---|---|")
    for dataset in args.datasets:
        train, test = aecore.load_split(dataset)
        rows = compare.subset_rows(len(test))
        for names in model_sets(dataset).values():
            bench_set(dataset, names, train, test, rows, args.method, args.repeats)


if __name__ == "__main__":
    main()
