"""The conditional VAE's bar: does a pixel classifier name its samples of each class as that class?

For each shipped conditional VAE (kind cvae) of digits and MNIST: an MLP on real training pixels
(`aecore.studies.quality.pixel_classifier`, the judge of the zoo's check) names --per-class samples
of every class, z ~ N(0, I) decoded under that class. Beside each class's share named as asked stand
references from the same run: the judge's accuracy on real held-out images of that class (what it
can read at all), the logistic-regression judge's share of the same samples (it reads only 85-97%
of MNIST's real held-out classes right), and "same style, other digit": held-out images encoded
under their own class and decoded under this one (`aecore.generate.restyle`), named as it.
The bar: at least 90% for every class, by the MLP judge.

Digits uses its seeded held-out split; MNIST the first images of its training split in
../shared/data, the last 5,000 held out (the zoo trained on the rest; skipped when absent).

    python bench/bench_cvae.py [--per-class 100] [--seeds 3] [--restyled 200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shared_data import available, held_out_split  # noqa: E402

import aecore  # noqa: E402
from aecore.data import ImageDataset  # noqa: E402
from aecore.generate import restyle  # noqa: E402
from aecore.studies.quality import BARS, pixel_classifier  # noqa: E402

BAR = BARS["class_sample_accuracy"]


def splits(dataset: str) -> tuple[ImageDataset, ImageDataset] | None:
    if dataset == "digits":
        return aecore.load_split("digits")
    return held_out_split(dataset) if available(dataset) else None


@torch.no_grad()
def per_class(model: aecore.Autoencoder, train: ImageDataset, test: ImageDataset, per_class: int, seeds: int,
              restyled: int) -> dict[str, np.ndarray]:
    """Per class: the judge's accuracy on real held-out images, on the samples (each seed's, as rows),
    the logistic judge's on the first seed's samples, and the judge's on held-out images restyled into
    the class."""
    judge, logistic = pixel_classifier(train, kind="mlp"), pixel_classifier(train)
    name = lambda images, by=judge: by.predict(images.flatten(1).double().numpy())  # noqa: E731
    classes = len(train.classes)
    labels = test.labels.numpy()
    real = np.array([np.mean(name(test.images[labels == c]) == c) for c in range(classes)])
    drawn = [[model.sample(per_class, seed=1000 * seed + c, labels=c) for c in range(classes)] for seed in range(seeds)]
    samples = np.array([[np.mean(name(x) == c) for c, x in enumerate(row)] for row in drawn])  # (seeds, classes)
    by_logistic = np.array([np.mean(name(x, logistic) == c) for c, x in enumerate(drawn[0])])
    picked = np.random.default_rng(0).permutation(len(test))[:restyled]
    grid = restyle(model, test.images[picked], test.labels[picked])[:, :classes]  # (n, classes, C, H, W)
    moved = np.array([np.mean(name(grid[:, c]) == c) for c in range(classes)])
    return {"real": real, "samples": samples, "logistic": by_logistic, "restyled": moved}


def table(dataset: str, model_name: str, result: dict[str, np.ndarray], per_class: int, restyled: int) -> list[str]:
    samples = result["samples"]
    lines = [f"### {model_name} ({dataset}): {per_class} samples per class and seed, {len(samples)} seeds",
             "", "| class | MLP judge on real held-out | samples named as asked (median of seeds) | lowest seed "
             f"| logistic judge, seed 0 | {restyled} held-out images restyled into it |", "|---|---:|---:|---:|---:|---:|"]
    medians = np.median(samples, axis=0)
    for c in range(samples.shape[1]):
        lines.append(f"| {c} | {result['real'][c]:.3f} | {medians[c]:.3f} | {samples[:, c].min():.3f} "
                     f"| {result['logistic'][c]:.3f} | {result['restyled'][c]:.3f} |")
    worst = samples.min()
    lines += ["", f"Lowest class over every seed {worst:.3f} (bar {BAR}: {'met' if worst >= BAR else 'NOT met'}); "
              f"mean {samples.mean():.3f}; the judge on real held-out images: mean {result['real'].mean():.3f}, "
              f"lowest class {result['real'].min():.3f}.", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--restyled", type=int, default=200, help="held-out images restyled into every class")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for dataset in ("digits", "mnist"):
        names = [e["name"] for e in aecore.list_pretrained(dataset) if e["kind"] == "cvae"]
        data = splits(dataset)
        if not names or data is None:
            print(f"{dataset}: {'no shipped cvae' if not names else 'no images in ../shared/data'}; skipped\n")
            continue
        for name in names:
            result = per_class(aecore.load_pretrained(name), *data, args.per_class, args.seeds, args.restyled)
            print("\n".join(table(dataset, name, result, args.per_class, args.restyled)))


if __name__ == "__main__":
    main()
