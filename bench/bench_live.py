"""Live training: does the Train page's 28x28 recipe reach the reconstruction bar (test MSE at most
0.35x PCA-32's) in under 60 s on 2 CPU cores?

The recipe (`aecore.recipes.default_spec("mnist", training images)`: a budget of LIVE_SAMPLES
training images, so its epochs follow the set's size) runs as the app runs it: a job in a one-worker
`JobQueue` (one torch thread, nice +10), from submit to the checkpoint back in this process. The
images are ../shared/data's MNIST prefix, written as MNIST's files into a temporary folder
(shared_data.install): the recipe trains on the training part with its own split, and the model is
scored on the held-out images that no run sees. In the same run, PCA-32 is fit on the same training
images and timed, as the baseline. Medians over --repeats.

    python bench/bench_live.py [--repeats 3] [--dataset mnist]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from shared_data import held_out_split, install

import aecore
from aecore import quality
from aecore.quality import BARS
from aecore.recipes import default_spec
from aecore.run import split_for

GOAL_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="aecore-live-")
    os.environ["AECORE_DATA"] = str(install(folder, (args.dataset,)))  # workers spawn after this: they see it
    train, test = held_out_split(args.dataset)
    train_images = len(split_for(default_spec(args.dataset))[0])  # as the Train page counts them
    spec = default_spec(args.dataset, train_images)
    queue = aecore.JobQueue(workers=1)
    seconds, ratios, pca_seconds = [], [], []
    try:
        for repeat in range(args.repeats):
            started = time.perf_counter()
            job = queue.submit(aecore.jobs.train, spec, name="live")
            while not job.finished:
                time.sleep(0.05)  # polling a result, not timing by sleeps: the clock reads the finish
            seconds.append(time.perf_counter() - started)
            if job.error:
                raise SystemExit(f"the run failed: {job.error}")
            model = aecore.load(job.result["checkpoint"])
            started = time.perf_counter()
            result = quality.reconstruction(model, train, test)  # includes PCA-32's fit on the same images
            pca_seconds.append(time.perf_counter() - started)
            ratios.append(result["ratio"])
            print(f"repeat {repeat + 1}: {seconds[-1]:.1f} s submit to checkpoint, test MSE {result['mse']:.4f} = "
                  f"{result['ratio']:.3f}x PCA-32's", flush=True)
    finally:
        queue.shutdown()
    load = os.getloadavg()[0]
    print(f"\n{args.dataset}: {spec.command()}\n{len(train)} images in the folder (the recipe trains on 80%), "
          f"{len(test)} held out; 1 worker, 1 torch thread; load average {load:.1f} on {os.cpu_count()} cores")
    print("| median s, submit to checkpoint | goal | test MSE / PCA-32 (median) | bar | PCA-32 fit + scoring s | run / PCA |")
    print("|---:|---:|---:|---:|---:|---:|")
    run_s, pca_s = statistics.median(seconds), statistics.median(pca_seconds)
    print(f"| {run_s:.1f} | < {GOAL_S:.0f} | {statistics.median(ratios):.3f} | <= {BARS['reconstruction_32']} | "
          f"{pca_s:.1f} | {run_s / pca_s:.1f}x |")


if __name__ == "__main__":
    main()
