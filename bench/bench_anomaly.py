"""One-class anomaly detection on digits: AUROC per class for the autoencoder and for PCA.

Each class in turn is the only normal one: an MLP `ae` with an 8-D code (100 epochs, batch 64,
lr 2e-3, CPU, the app's digits recipe) and PCA with k=8 are fit on that class's training images
of `digits.split(0.2, seed=0)`, and every test image is scored by its reconstruction MSE per pixel;
the anomalies are the test images of the nine other classes. Prints one row per class, the mean,
and the training time per model (wall seconds, one torch thread by default).

    python bench/bench_anomaly.py [--seeds 1] [--threads 1] [--epochs 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aecore  # noqa: E402
from aecore import anomaly  # noqa: E402


def one_class(dataset: aecore.ImageDataset, label: int, seed: int, epochs: int) -> tuple[float, float, float]:
    """(autoencoder AUROC, PCA AUROC, training seconds) with `label` as the only normal class."""
    train, test, is_anomaly = anomaly.one_class_split(dataset, [label])
    # The recipe the Anomaly page trains, through the same run layer (its schedule, augmentation and
    # all), at this bench's epochs, seed and device.
    spec = aecore.recipes.one_class_spec("digits", [label]).with_fit(epochs=epochs, seed=seed, device="cpu")
    started = time.perf_counter()
    model = aecore.run(spec, data=(train, test)).model
    seconds = time.perf_counter() - started
    ae_auroc = anomaly.roc(anomaly.anomaly_scores(model, test), is_anomaly)["auroc"]
    pca_auroc = anomaly.roc(anomaly.pca_scores(train, test, spec.latent_dim), is_anomaly)["auroc"]
    return ae_auroc, pca_auroc, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="models per class (AUROC: mean over seeds)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dataset = aecore.load_dataset("digits")
    print(f"digits, one normal class at a time; MLP ae 8-D, {args.epochs} epochs, batch 64, lr 2e-3, "
          f"{args.seeds} seed(s); PCA k=8; torch threads {args.threads}")
    print(f"{'normal':>6} {'train n':>7} {'AE AUROC':>9} {'PCA AUROC':>9} {'AE - PCA':>9} {'s/model':>8}")
    rows = []
    for label in range(len(dataset.classes)):
        runs = [one_class(dataset, label, seed, args.epochs) for seed in range(args.seeds)]
        ae, pca = statistics.mean(r[0] for r in runs), runs[0][1]
        seconds = statistics.median(r[2] for r in runs)
        n = len(anomaly.one_class_split(dataset, [label])[0])
        rows.append((ae, pca, seconds))
        print(f"{dataset.classes[label]:>6} {n:>7} {ae:>9.4f} {pca:>9.4f} {ae - pca:>+9.4f} {seconds:>8.2f}", flush=True)
    ae, pca = statistics.mean(r[0] for r in rows), statistics.mean(r[1] for r in rows)
    print(f"{'mean':>6} {'':>7} {ae:>9.4f} {pca:>9.4f} {ae - pca:>+9.4f} {statistics.mean(r[2] for r in rows):>8.2f}")


if __name__ == "__main__":
    main()
