"""Search by code on MNIST: precision@10 of every code, then query time, memory and recall of faiss's
exact and approximate indexes at 10,000, 100,000 and 1,000,000 codes.

1. precision@10 by label on the 5,000 held-out MNIST images of ../shared/data (`shared_data.py`; no
   shipped model trained on them), two ways: each held-out image against the 4,999 others
   (leave-one-out), and each against the 20,206 training images. Codes: the pixels, PCA-32 and PCA-2
   (fit on the training images), mnist-ae-32 and mnist-ae-2, the trained hash (--hashing, 32 bits),
   the signs of centred PCA-32 and mnist-ae-32's units cut at their training medians (no training
   for either).
2. Collections of 10,000, 100,000 and 1,000,000 codes, made from the real codes of all 25,206 images
   (mnist-ae-32's floats, the hash's bits) repeated with small noise (Gaussian of 5% of each unit's
   spread; each bit flipped with probability 2%), searched by --queries held-out codes, 10 nearest:
   per index (exact IndexFlatL2 / IndexBinaryFlat, HNSW, IVF) its build time, the median query time
   (batches of all queries, --repeats times, one thread) with its ratio to the exact search of the
   same collection, the index's bytes per code, and the recall of the exact 10 nearest.

    .venv/bin/python bench/bench_retrieval.py [--hashing mnist-hashing-32] [--sizes 10000 100000 1000000]
        [--queries 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
import torch  # noqa: E402

import aecore  # noqa: E402
from aecore import retrieval  # noqa: E402
from shared_data import held_out_split  # noqa: E402

FLOAT_NOISE, BIT_FLIP = 0.05, 0.02


def precision_table(hashing: str) -> dict[str, retrieval.Codes]:
    """Part 1; returns the float and bit codes of all images (training first) for part 2."""
    train, test = held_out_split("mnist")
    y_train, y_test = train.labels.numpy(), test.labels.numpy()
    ae32, ae2, bits = (aecore.load_pretrained(name) for name in ("mnist-ae-32", "mnist-ae-2", hashing))
    pca32, pca2 = retrieval.fit_pca(train, 32), retrieval.fit_pca(train, 2)
    train_32 = retrieval.model_codes(ae32, train)
    coders = {
        "pixels (784 numbers)": retrieval.pixel_codes,
        "PCA-32": lambda x: retrieval.pca_codes(pca32, x),
        "mnist-ae-32 (32 numbers)": lambda x: retrieval.model_codes(ae32, x),
        "PCA-2": lambda x: retrieval.pca_codes(pca2, x),
        "mnist-ae-2": lambda x: retrieval.model_codes(ae2, x),
        f"{hashing} (32 bits, trained)": lambda x: retrieval.model_codes(bits, x),
        "signs of centred PCA-32 (32 bits)": lambda x: retrieval.pca_codes(pca32, x, binary=True),
        "mnist-ae-32 cut at its medians (32 bits)": lambda x: retrieval.median_bits(retrieval.model_codes(ae32, x),
                                                                                   train_32),
    }
    print(f"## precision@10 by label, {len(test):,} held-out MNIST images as queries\n")
    print(f"| code | bytes per image | among the {len(test) - 1:,} other held-out | among the {len(train):,} training |")
    print("|---|---:|---:|---:|")
    for name, code in coders.items():
        queries, database = code(test), code(train)
        alone = retrieval.precision_at_k(retrieval.leave_one_out(queries, 10).ids, y_test, y_test)
        against = retrieval.precision_at_k(retrieval.CodeIndex(database).search(queries, 10).ids, y_test, y_train)
        print(f"| {name} | {queries.bytes_per_image:g} | {alone:.3f} | {against:.3f} |", flush=True)
    everything = torch.cat([train.images, test.images])
    return {"floats": retrieval.model_codes(ae32, everything), "bits": retrieval.model_codes(bits, everything),
            "held": len(test)}


def grown(codes: retrieval.Codes, size: int, rng: np.random.Generator) -> retrieval.Codes:
    """`size` codes: the real ones repeated, each copy after the first with small noise."""
    picks = np.arange(size) % len(codes)
    values = codes.values[picks]
    fresh = np.arange(size) >= len(codes)  # the real codes stay as they are
    if codes.binary:
        flips = (rng.random(values.shape) < BIT_FLIP) & fresh[:, None]
        return retrieval.Codes(values ^ flips.astype(np.uint8), binary=True)
    spread = codes.values.std(0, keepdims=True)
    noise = rng.standard_normal(values.shape, dtype=np.float32) * FLOAT_NOISE * spread * fresh[:, None]
    return retrieval.Codes((values + noise).astype(np.float32), binary=False)


def timed_search(index: retrieval.CodeIndex, queries: retrieval.Codes, repeats: int) -> tuple[float, retrieval.Neighbours]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        found = index.search(queries, 10)
        times.append((time.perf_counter() - start) / len(queries))
    return statistics.median(times), found


def scale_table(codes: dict, sizes: list[int], n_queries: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    print(f"\n## {n_queries} held-out queries, 10 nearest, one thread: median query time (ratio to exact), "
          "bytes per code, recall of the exact 10\n")
    print("| codes | code | index | build s | µs per query | × exact | bytes per code | recall@10 |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for kind in ("floats", "bits"):
        real = codes[kind]
        queries = retrieval.Codes(real.values[-codes["held"]:][:n_queries], real.binary)
        collection_of = retrieval.Codes(real.values[:-codes["held"]], real.binary)  # the queries stay out
        for size in sizes:
            database = grown(collection_of, size, rng)
            exact_time, exact = None, None
            for method in retrieval.METHODS:
                start = time.perf_counter()
                index = retrieval.CodeIndex(database, method)
                built = time.perf_counter() - start
                seconds, found = timed_search(index, queries, repeats)
                if method == "exact":
                    exact_time, exact = seconds, found
                name = "32 numbers" if kind == "floats" else "32 bits"
                print(f"| {size:,} | {name} | {method} | {built:.1f} | {1e6 * seconds:.1f} | "
                      f"{seconds / exact_time:.2f} | {index.nbytes / size:.1f} | {retrieval.recall(found, exact):.3f} |",
                      flush=True)
                del index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashing", default="mnist-hashing-32", help="the shipped hashing model of MNIST")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import faiss

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)  # one thread, as the app's workers: the 2 shared cores serve many
    codes = precision_table(args.hashing)
    scale_table(codes, args.sizes, args.queries, args.repeats)


if __name__ == "__main__":
    main()
