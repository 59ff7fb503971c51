"""Can one student's endless run hold the class back? The job queue with one worker (a 2-core server),
the app's own Train job on digits with its default recipe.

  alone      four sessions press Train at once: each one's time from the click to its model;
  long run   one session's 10,000-epoch run has trained for its turn (`TURN_SECONDS`) and 10 s more,
             then the same four press Train: each one's time again, and how far the long run got
             meanwhile and after them.
Goal: each of the four within 1.5x its time alone (paired by place in the line), and the long run
still progressing. The queue lends a paused long run's worker to the waiting sessions one after
another (`aecore.workers.JobQueue`), and the long run goes on once none is left.

    python bench/bench_fairness.py [--sessions 4] [--turn 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import aecore.studies.jobs  # noqa: E402
from aecore.job import TURN_SECONDS  # noqa: E402
from aecore.recipes import default_spec  # noqa: E402
from aecore.workers import DONE, JobQueue  # noqa: E402

GOAL = 1.5


def wait(condition, jobs, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the jobs did not finish in time")
        for job in jobs:
            job.touch()  # as each session's page does: the queue cancels jobs nobody polls
        time.sleep(0.1)


def class_presses_train(queue: JobQueue, sessions: int, others: list) -> list[float]:
    """Each session's seconds from its click to its trained model, in the order they pressed."""
    spec = default_spec("digits")
    jobs = [queue.submit(aecore.studies.jobs.train, spec, name=f"student {i}", group=f"student {i}")
            for i in range(sessions)]
    submitted = time.monotonic()
    wait(lambda: all(job.finished for job in jobs), jobs + others)
    assert all(job.state == DONE for job in jobs), [job.error for job in jobs]
    return [job.ended - submitted for job in jobs]


def batches(job) -> int:
    return job.progress.detail.batches_done if job.progress is not None else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--turn", type=float, default=TURN_SECONDS, help="the queue's turn, seconds")
    args = parser.parse_args()

    queue = JobQueue(workers=1, turn_seconds=args.turn)
    try:
        warm = queue.submit(aecore.studies.jobs.train, default_spec("digits").with_fit(epochs=1), group="warm-up")
        wait(lambda: warm.finished, [warm])  # the worker spawns and imports torch: not anyone's time
        alone = class_presses_train(queue, args.sessions, [])

        long = queue.submit(aecore.studies.jobs.train, default_spec("digits").with_fit(epochs=10_000),
                            name="the long run", group="the long run")
        # A run started before class: well past its turn (the queue has started its stand-in worker).
        wait(lambda: long.turn_started is not None and time.monotonic() - long.turn_started > args.turn + 10, [long])
        before = batches(long)
        shared = class_presses_train(queue, args.sessions, [long])
        during = batches(long)
        after_class = time.monotonic()
        wait(lambda: time.monotonic() - after_class > 10 and not long.paused, [long])
        after = batches(long)
        long.cancel()
        wait(lambda: long.finished, [long])
    finally:
        queue.shutdown()

    ratios = [s / a for s, a in zip(shared, alone)]
    print(f"{args.sessions} sessions press Train on digits (default recipe), one worker, turn {args.turn:g} s")
    for i, (a, s, r) in enumerate(zip(alone, shared, ratios)):
        print(f"  student {i}: alone {a:6.1f} s, beside the long run {s:6.1f} s, ratio {r:.2f}x")
    print(f"  median ratio {statistics.median(ratios):.2f}x, worst {max(ratios):.2f}x (goal <= {GOAL}x: "
          f"{'met' if max(ratios) <= GOAL else 'NOT met'})")
    print(f"  the long run: {before} batches before the class, {during} when the last finished, "
          f"{after} 10 s later ({'still progressing' if after > during else 'NOT progressing'})")


if __name__ == "__main__":
    main()
