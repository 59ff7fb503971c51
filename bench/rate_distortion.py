"""Build the shipped rate-distortion sweeps (pretrained/rate_distortion-<dataset>.json) and print
each as a Markdown table: `python bench/rate_distortion.py [digits] [shapes]`."""

from __future__ import annotations

import sys
import time

import torch

from aecore.studies.compression import SWEEP_RECIPES, build_sweep, format_table


def main(datasets: list[str]) -> None:
    torch.set_num_threads(1)  # small models on a shared CPU: one thread is fastest
    for dataset in datasets or list(SWEEP_RECIPES):
        started = time.perf_counter()
        sweep = build_sweep(dataset, progress=lambda p: print(f"  k={p.latent_dim} done", flush=True)
                            if p.event == "model" else None)
        print(f"\n{dataset}: {sweep['recipe']} ({time.perf_counter() - started:.0f} s)\n")
        print(format_table(sweep["rows"]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
