"""Probe accuracies on digits: logistic regression and kNN on the codes of three 8-D pretrained models,
against PCA-8 codes and raw pixels, with 10, 100 and all labels per class, and the time each takes.

The split is the zoo's (`split(0.2, seed=0)`: 1,437 training and 360 test images). Counts below all
labels are averaged over --draws seeded draws (mean ± std). PCA and pixels do not depend on the model,
so they are printed once (from the first model's run). --dataset shapes probes the shapes models.

    OMP_NUM_THREADS=1 python bench/bench_probe.py [--draws 5] [--dataset digits]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import torch  # noqa: E402

import aecore  # noqa: E402
from aecore.probe import CLASSIFIERS, LABEL_COUNTS, linear_probe  # noqa: E402

KINDS = ("ae-8", "vae-8", "contractive-8")


def cell(result: dict, representation: str, classifier: str, count: str) -> str:
    row = next(r for r in result["rows"] if (r["representation"], r["classifier"], r["labels_per_class"])
               == (representation, classifier, count))
    spread = f" ± {100 * row['std']:.1f}" if row["draws"] > 1 else ""
    return f"{100 * row['accuracy']:.1f}{spread}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--dataset", default="digits")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, test = aecore.load_split(args.dataset)
    results = {f"{args.dataset}-{kind}": linear_probe(aecore.load_pretrained(f"{args.dataset}-{kind}"), train, test,
                                                      LABEL_COUNTS, repeats=args.draws) for kind in KINDS}
    first = next(iter(results.values()))
    counts = first["label_counts"]
    print(f"{args.dataset}: {len(train)} train / {len(test)} test images, test accuracy (%), "
          f"{args.draws} draws for counts below all labels")
    print("| representation | classifier | " + " | ".join(c if c == "all" else f"{c} / class" for c in counts) + " |")
    print("|---|---|" + "---|" * len(counts))
    rows = [(name, "autoencoder", result) for name, result in results.items()]
    rows += [("PCA-8", "pca", first), ("pixels", "pixels", first)]
    for label, representation, result in rows:
        for classifier in CLASSIFIERS:
            cells = " | ".join(cell(result, representation, classifier, c) for c in counts)
            print(f"| {label} | {classifier} | {cells} |")
    print()
    for name, result in results.items():
        print(f"{name}: whole probe (encode, PCA fit, 3 representations x 2 classifiers x "
              f"{len(counts)} counts x draws) {result['seconds']:.2f} s")


if __name__ == "__main__":
    main()
