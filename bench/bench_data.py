"""Time the embedded datasets: rendering `shapes` (10,000 images of 32x32, the latent map's size)
against loading `digits` from scikit-learn (1,797 images of 8x8), the baseline of the same run.
Median of `--repeats`, each pair timed back to back so load on a shared machine hits both alike.

    python bench/bench_data.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import aecore  # noqa: E402


def seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    shapes, digits = [], []
    for _ in range(args.repeats):
        shapes.append(seconds(lambda: aecore.load_dataset("shapes", size=10000, image_size=32)))
        digits.append(seconds(lambda: aecore.load_dataset("digits")))
    ratio = statistics.median(s / d for s, d in zip(shapes, digits))
    print(f"shapes 10,000 x 32x32: median {statistics.median(shapes) * 1000:.0f} ms")
    print(f"digits (baseline):     median {statistics.median(digits) * 1000:.0f} ms")
    print(f"shapes / digits: {ratio:.2f}x")


if __name__ == "__main__":
    main()
