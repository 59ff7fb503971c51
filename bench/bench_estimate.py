"""How right is the Train page's "Time left"? The estimate's error early in a run, for the default
digits recipe (MLP, 100 epochs, batch 64) and the default shapes recipe (conv, 20 epochs, batch 128).

Each repeat trains each recipe twice, with no browser:
  run    `aecore.runner.run(spec, progress=...)` in this process (one torch thread, as a worker),
         snapshots at most every --every s (the app's worker sends one every 0.5 s);
  queue  `aecore.studies.jobs.train` through `aecore.workers.JobQueue(workers=1)`, the job's `.progress`
         polled every 0.02 s, as the Train page reads it (every 0.5 s).
Each snapshot gives (fraction done, seconds_left, seconds since the run started, in the run's own
clock). At the first snapshot at or past 10%, 25% and 50% with an estimate (it is nan until the run
has measured its own pace), the error is estimate / true remaining - 1, where the true remaining
time ends (a) when training ends (the first "evaluating" snapshot: what the estimate counts) and
(b) when the run is done (evaluation and PCA included: what the user waits for). Medians over
repeats (the worst in brackets); the fraction actually hit is shown. Goal: |median error| <= 25% at
~10%, against both ends; the number of repeats within 25% is shown too. On a shared CPU a change of
load during a run moves the truth away from any pace-based estimate: the load average is printed.
The queue's first job pays for the worker's start outside the run's clock, so it is not skewed.
Where the queue's "evaluating" snapshot passed between two polls, training's end is taken from
the checkpoint's history.wall_time (fit's own clock, which starts a few ms after the run's).

    python bench/bench_estimate.py [--repeats 3] [--datasets digits,shapes] [--every 0.1]
"""

from __future__ import annotations

import argparse
import math
import os
import time

from appbench import median, verdict

TARGETS = (0.10, 0.25, 0.50)
GOAL = 0.25
JOB_TIMEOUT_S = 1200


def snapshot_row(snapshot) -> tuple[float, float, float, str]:
    return snapshot.fraction, snapshot.seconds_left, snapshot.seconds, snapshot.state


def in_process(spec, data, every: float) -> list[tuple[float, float, float, str]]:
    from aecore.runner import run

    rows: list[tuple[float, float, float, str]] = []
    run(spec, progress=lambda snapshot: rows.append(snapshot_row(snapshot)), data=data, every=every)
    return rows


def through_queue(queue, spec) -> list[tuple[float, float, float, str]]:
    import aecore
    import aecore.studies.jobs

    job = queue.submit(aecore.studies.jobs.train, spec, name="bench_estimate")
    rows, last, deadline = [], None, time.monotonic() + JOB_TIMEOUT_S
    while not job.finished and time.monotonic() < deadline:
        job.touch()  # an untouched job counts as abandoned after a minute
        if job.progress is not None and job.progress is not last:
            last = job.progress
            rows.append(snapshot_row(last))
        time.sleep(0.02)
    if job.state != "done":
        raise RuntimeError(f"the job ended {job.state}: {job.error}")
    if not any(state == "evaluating" for *_, state in rows):  # it passed between two polls
        history = aecore.load(job.result["checkpoint"]).checkpoint["metadata"]["history"]  # fit's own clock
        rows.append((1.0, 0.0, history["wall_time"], "evaluating"))
    rows.append(snapshot_row(job.result["snapshot"]))  # the final one, maybe not read as progress
    return rows


def training_end(rows: list[tuple[float, float, float, str]]) -> float:
    return next((seconds for *_, seconds, state in rows if state == "evaluating"), float("nan"))


def errors(rows: list[tuple[float, float, float, str]]) -> dict[float, tuple[float, float, float]]:
    """target -> (fraction hit, error against the end of training, error against the end of the run)."""
    fit_end = training_end(rows)
    run_end = rows[-1][2]
    found = {}
    for target in TARGETS:
        for fraction, left, seconds, state in rows:
            if state == "running" and fraction >= target and math.isfinite(left):
                found[target] = (fraction, left / (fit_end - seconds) - 1, left / (run_end - seconds) - 1)
                break
        else:
            found[target] = (float("nan"),) * 3
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--datasets", default="digits,shapes")
    parser.add_argument("--every", type=float, default=0.1, help="in-process snapshot interval, s")
    args = parser.parse_args()
    import torch

    import aecore.studies.jobs
    from aecore.recipes import default_spec
    from aecore.workers import JobQueue

    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    results: dict[tuple[str, str], list[dict]] = {}
    durations: dict[tuple[str, str], list[tuple[float, float]]] = {}
    queue = JobQueue(workers=1)
    try:
        for dataset in args.datasets.split(","):
            spec = default_spec(dataset)
            data = aecore.studies.jobs.data_for(spec)
            for repeat in range(args.repeats):
                order = ["run", "queue"] if repeat % 2 == 0 else ["queue", "run"]
                for mode in order:
                    rows = in_process(spec, data, args.every) if mode == "run" else through_queue(queue, spec)
                    results.setdefault((dataset, mode), []).append(errors(rows))
                    fit_end = training_end(rows)
                    durations.setdefault((dataset, mode), []).append((fit_end, rows[-1][2]))
                    print(f"{dataset} {mode} repeat {repeat + 1}: training {fit_end:.1f} s, run {rows[-1][2]:.1f} s, "
                          f"{len(rows)} snapshots", flush=True)
    finally:
        queue.shutdown(wait=True)

    print(f"\nload average at start {load:.1f}, at end {os.getloadavg()[0]:.1f}; repeats={args.repeats}; "
          f"in-process snapshots every {args.every} s, the queue's every 0.5 s")
    print("error = estimate / true remaining - 1 (+ over-estimates); medians over repeats (worst in brackets)\n")
    header = "| recipe | mode | training s / run s |"
    for target in TARGETS:
        header += f" at {target:.0%}: fraction hit | error to training end | error to run end |"
    print(header + f" \\|error\\| <= {GOAL:.0%} at 10% |")
    print("|---|---|---:|" + "---:|---:|---:|" * len(TARGETS) + ":---:|")
    for (dataset, mode), found in results.items():
        fits, runs = zip(*durations[(dataset, mode)])
        row = f"| {dataset} | {mode} | {median(fits):.1f} / {median(runs):.1f} |"
        for target in TARGETS:
            hits = [f[target] for f in found]
            worst = [max((h[i] for h in hits), key=lambda e: abs(e) if e == e else -1) for i in (1, 2)]
            row += (f" {median(h[0] for h in hits):.1%} | {median(h[1] for h in hits):+.1%} ({worst[0]:+.0%}) |"
                    f" {median(h[2] for h in hits):+.1%} ({worst[1]:+.0%}) |")
        ten = [f[0.10] for f in found]
        within = sum(abs(h[1]) <= GOAL and abs(h[2]) <= GOAL for h in ten)
        ok = abs(median(h[1] for h in ten)) <= GOAL and abs(median(h[2] for h in ten)) <= GOAL
        print(row + f" {verdict(ok)} (median); {within}/{len(ten)} repeats |")


if __name__ == "__main__":
    main()
