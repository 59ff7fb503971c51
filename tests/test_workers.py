"""The server-wide job queue: worker processes, first in first out, progress, cancel, abandonment."""

from __future__ import annotations

import time

import pytest

import aecore
from aecore import jobs
from aecore.run import FitSettings, RunSpec
from aecore.workers import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, cancel_flag, default_workers, report

WAIT_S = 180  # generous: a busy machine starts worker processes slowly


def wait_until(condition, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def count_until_cancelled(limit: int) -> int:
    """A job that reports a counter until it is cancelled (or reaches `limit`)."""
    flag = cancel_flag()
    for n in range(limit):
        if flag.is_set():
            return n
        report(n)
        time.sleep(0.01)
    return limit


def fail(message: str) -> None:
    raise ValueError(message)


def digits_spec(epochs: int) -> RunSpec:
    return RunSpec(dataset="digits", latent_dim=4, fit=FitSettings(epochs=epochs, batch_size=64, lr=2e-3, device="cpu"))


@pytest.fixture(scope="module")
def queue():
    q = JobQueue(workers=1)
    yield q
    q.shutdown()


def test_jobs_run_in_order_with_places_in_the_queue(queue):
    first = queue.submit(count_until_cancelled, 100_000, name="first")
    second = queue.submit(count_until_cancelled, 3, name="second")
    third = queue.submit(count_until_cancelled, 3, name="third")
    wait_until(lambda: first.state == RUNNING and first.progress is not None, "the first job to report")
    assert (first.position, second.position, third.position) == (0, 1, 2)
    assert second.state == third.state == QUEUED
    first.cancel()
    wait_until(lambda: third.finished, "the queue to drain")
    assert first.state == CANCELLED and first.result < 100_000  # it stopped when asked
    assert second.state == third.state == DONE and second.result == third.result == 3
    assert second.started <= third.started  # first in, first out


def test_a_queued_job_cancelled_never_runs(queue):
    blocker = queue.submit(count_until_cancelled, 100_000)
    waiting = queue.submit(count_until_cancelled, 5)
    wait_until(lambda: blocker.state == RUNNING, "the blocker to start")
    waiting.cancel()
    # It leaves the queue at once, while the job ahead of it still runs (the pool had already taken
    # it into its own queue, where the executor's cancel cannot reach).
    assert waiting.state == CANCELLED and waiting.position == 0 and not blocker.finished
    after = queue.submit(count_until_cancelled, 3)
    assert after.position == 1  # the cancelled job no longer holds a place in line
    blocker.cancel()
    wait_until(lambda: after.finished, "the queue to drain")
    assert waiting.state == CANCELLED and waiting.result is None and waiting.progress is None
    assert after.state == DONE and after.result == 3


def test_a_failure_comes_back_with_its_message(queue):
    job = queue.submit(fail, "no such thing")
    wait_until(lambda: job.finished, "the failure")
    assert job.state == FAILED and job.error == "no such thing"


def test_an_abandoned_job_is_cancelled():
    q = JobQueue(workers=1, abandon_after=1.0)
    try:
        job = q.submit(count_until_cancelled, 1_000_000)
        wait_until(lambda: job.touch() or job.state == RUNNING, "the job to start")  # touched while queued
        wait_until(lambda: job.finished, "the abandoned job to be cancelled")  # nobody touches it any more
        assert job.state == CANCELLED and "nobody asked for it" in job.error
    finally:
        q.shutdown()


def test_training_streams_snapshots_and_returns_a_checkpoint(queue):
    job = queue.submit(jobs.train, digits_spec(epochs=40))
    seen = []
    wait_until(lambda: job.finished or seen.append(job.progress), "training to end")
    assert job.state == DONE, job.error
    snapshots = [s for s in seen if s is not None]
    assert snapshots and len({s.batches_done for s in snapshots}) >= 2  # it streamed, not only the end
    model = aecore.load(job.result["checkpoint"])
    final = job.result["snapshot"]
    assert final.state == "done" and final.metrics["mse"] == model.checkpoint["metrics"]["test"]["mse"]
    assert final.samples_per_second > 0 and not job.result["stopped"]


def test_stopping_a_training_run_keeps_its_weights(queue):
    job = queue.submit(jobs.train, digits_spec(epochs=10_000))
    wait_until(lambda: job.progress is not None and job.progress.batches_done > 0, "the first batches")
    job.cancel()
    wait_until(lambda: job.finished, "the stopped run")
    assert job.state == CANCELLED and job.result["stopped"]
    assert job.result["snapshot"].state == "stopped" and aecore.load(job.result["checkpoint"]).checkpoint


def test_worker_count_follows_the_configuration(monkeypatch):
    monkeypatch.setenv("AECORE_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("AECORE_WORKERS", "zero")
    with pytest.raises(ValueError, match="AECORE_WORKERS"):
        default_workers()
    monkeypatch.delenv("AECORE_WORKERS")
    assert default_workers() >= 1
    with pytest.raises(ValueError, match="at least one worker"):
        JobQueue(workers=0)


SERVER = """
import sys, time
from aecore.workers import JobQueue
from test_workers import count_until_cancelled
if __name__ == "__main__":
    queue = JobQueue(workers=1)
    job = queue.submit(count_until_cancelled, 10_000_000)
    while job.progress is None:
        job.touch()
        time.sleep(0.05)
    print(job.result if job.finished else queue._executor._processes and list(queue._executor._processes)[0], flush=True)
    time.sleep(600)
"""


def test_workers_end_when_their_server_is_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "server.py"
    script.write_text(SERVER)
    tests = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests, str(Path(tests).parent)])}
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        worker = int(server.stdout.readline())  # the worker's pid, once its job is running
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)

        def worker_gone() -> bool:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                return True
            with open(f"/proc/{worker}/stat") as stat:  # a zombie has ended too
                return stat.read().split()[2] == "Z"

        wait_until(worker_gone, "the orphaned worker to end")
    finally:
        server.kill()
