"""Streamed against resident training on CPU: `fit` on a memory-mapped .npy of generated images.

Writes N generated 28x28 uint8 images (default 200,000: 157 MB) as a .npy in a temporary folder,
opens it with `load_dataset("stream", path=...)`, and trains an MLP `ae` (latent 8, batch 128,
Adam) for one epoch per run along both of fit's paths, in the same process:
- streamed: memory_budget_mb=0 forces the DataLoader path (workers read batches from the memory
  map, one fancy index per batch);
- resident: the same file read whole into one float32 tensor (its read time is reported apart;
  fit's samples/s counts training time only, as History.samples_per_second does).
Runs alternate streamed and resident (order flipped every repeat) so both see the same load on a
shared machine; the table gives the median samples/s of each and the median of the paired ratios.

    python bench/bench_stream.py [--samples 200000] [--repeats 3] [--workers 1] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import aecore  # noqa: E402
from aecore.train import fit  # noqa: E402

BATCH_SIZE = 128


def generate(path: Path, n: int, seed: int = 0) -> None:
    """Blurry random blobs, written in chunks straight into the .npy (never all in memory)."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, 28, 28))
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    for start in range(0, n, 10_000):
        m = min(10_000, n - start)
        cy, cx = rng.uniform(6, 22, (2, m, 1, 1))
        radius = rng.uniform(3, 9, (m, 1, 1))
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
        array[start : start + m] = (255 * blob).astype(np.uint8)
    array.flush()
    del array


def one_run(data, streamed: bool) -> tuple[float, str]:
    torch.manual_seed(0)
    model = aecore.create_model("ae", arch="mlp", input_shape=(1, 28, 28), latent_dim=8)
    history = fit(model, data, epochs=1, batch_size=BATCH_SIZE, device="cpu")
    expected = "streamed" if streamed else "resident"
    assert history.feed == expected, (history.feed, history.feed_reason)
    return history.samples_per_second, history.feed_reason


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="DataLoader workers of the streamed path")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "images.npy"
        started = time.perf_counter()
        generate(path, args.samples)
        print(f"generated {args.samples:,} images, {path.stat().st_size / 2**20:.0f} MB, "
              f"in {time.perf_counter() - started:.1f} s")
        streamed_set = aecore.load_dataset("stream", path=str(path), num_workers=args.workers, memory_budget_mb=0)
        started = time.perf_counter()
        resident_set = streamed_set.to_dataset()
        print(f"read whole for the resident path in {time.perf_counter() - started:.1f} s "
              f"({resident_set.images.numel() * 4 / 2**20:.0f} MB as float32)")
        speeds: dict[str, list[float]] = {"streamed": [], "resident": []}
        ratios = []
        for repeat in range(args.repeats):
            order = ("streamed", "resident") if repeat % 2 == 0 else ("resident", "streamed")
            pair = {}
            for name in order:
                pair[name], reason = one_run(streamed_set if name == "streamed" else resident_set, name == "streamed")
                speeds[name].append(pair[name])
            ratios.append(pair["streamed"] / pair["resident"])
            print(f"repeat {repeat + 1}: streamed {pair['streamed']:,.0f}/s, resident {pair['resident']:,.0f}/s")
        hidden = "-".join(map(str, aecore.create_model("ae", input_shape=(1, 28, 28), latent_dim=8).config.hidden))
        print(f"\nMLP ae 784-{hidden}-8, batch {BATCH_SIZE}, 1 epoch of {args.samples:,}, CPU, {args.threads} thread(s), "
              f"{args.workers} worker(s), median of {args.repeats}")
        print("| path | samples/s |\n|---|---|")
        for name, values in speeds.items():
            print(f"| {name} | {statistics.median(values):,.0f} |")
        print(f"| streamed / resident (paired) | {statistics.median(ratios):.2f} |")


if __name__ == "__main__":
    main()
