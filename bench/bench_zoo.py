"""Time opening each pretrained model (`load_pretrained`) and its stored latent map (`load_latent`).

The promise: any one model loads in well under 0.2 s with no network, and the whole zoo stays
under 25 MB. As a baseline measured in the same run, it also times building the same model with
fresh weights (`create_model`), the least any load can cost.

    python bench/bench_zoo.py [--repeats 11]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import aecore  # noqa: E402


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    entries = aecore.list_pretrained()
    if not entries:
        sys.exit("no pretrained models: run `python -m aecore zoo` first")
    print("| model | load_pretrained ms | load_latent ms | create_model ms (baseline) | load / create | size KB |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for e in entries:
        load = median_seconds(lambda: aecore.load_pretrained(e["name"]), args.repeats)
        latent = median_seconds(lambda: aecore.load_latent(e["name"]), args.repeats)
        create = median_seconds(lambda: aecore.create_model(e["kind"], arch=e["arch"], input_shape=e["input_shape"],
                                                            latent_dim=e["latent_dim"], **e["options"]), args.repeats)
        worst = max(worst, load + latent)
        print(f"| {e['name']} | {load * 1e3:.1f} | {latent * 1e3:.1f} | {create * 1e3:.1f} | {load / create:.2f} "
              f"| {e['size_bytes'] / 1024:.0f} |")
    root = aecore.pretrained.pretrained_root()
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    print(f"\nslowest model + latent map: {worst * 1e3:.1f} ms; whole zoo: {total / 1024**2:.2f} MB in {len(entries)} models")


if __name__ == "__main__":
    main()
