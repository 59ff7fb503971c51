"""The server-wide job queue: worker processes, first in first out, progress, cancel, abandonment."""

from __future__ import annotations

import os
import time

import pytest

import aecore
from aecore.studies import jobs
from aecore.runner import FitSettings, RunSpec
from aecore.in_worker import BACKGROUND_NICENESS, RUN, SLOTS, WORKER_NICENESS, cancel_flag, report, stage
from aecore.job_progress import JobProgress, as_progress
from aecore.workers import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, default_workers

WAIT_S = 180  # generous: a busy machine starts worker processes slowly


def wait_until(condition, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def own_niceness() -> int:
    return os.nice(0)


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
    # The background lane one step below the users' workers: at the lowest priority (the app's), a
    # machine busy with other work can starve its start-up for minutes, and these tests would wait.
    q = JobQueue(workers=1, background_niceness=WORKER_NICENESS + 1)
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


def test_a_training_job_says_its_time_left_and_can_be_waited_for(queue):
    # A page waits for a run that ends within one poll, so the model shows as the run ends.
    job = queue.submit(jobs.train, digits_spec(400), name="a run")
    assert job.seconds_left != job.seconds_left  # nan: no estimate before it reports
    wait_until(lambda: job.state == RUNNING and job.seconds_left > 0, "the run to estimate its time left")
    assert not job.wait(0.01) and not job.finished
    job.cancel()
    assert job.wait(WAIT_S) and job.finished and job.state == CANCELLED


def test_the_job_of_the_page_on_screen_goes_before_those_of_pages_left(queue):
    blocker = queue.submit(count_until_cancelled, 100_000, name="running")
    left = queue.submit(count_until_cancelled, 3, name="a page the user has left")
    wait_until(lambda: blocker.state == RUNNING, "the blocker to start")
    left.last_shown -= 60  # its page stopped polling a minute ago; only the sidebar still touches it
    left.touch(shown=False)
    open_page = queue.submit(count_until_cancelled, 3, name="the page on screen")
    assert (open_page.position, left.position) == (1, 2)
    blocker.cancel()
    wait_until(lambda: open_page.finished and left.finished, "the queue to drain")
    assert open_page.state == left.state == DONE and open_page.started <= left.started


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


def test_users_jobs_never_wait_behind_background_jobs(queue):
    running = queue.submit(count_until_cancelled, 100_000, name="running", background=True)
    wait_until(lambda: running.state == RUNNING, "the first background job to start")
    later_background = queue.submit(count_until_cancelled, 3, background=True)
    users = queue.submit(count_until_cancelled, 3, name="a student's Train")
    # Background jobs have a worker of their own, one job at a time: the student's job starts at once,
    # beside the running one, and the later background job waits for that one alone.
    assert later_background.position == 1
    wait_until(lambda: users.finished, "the student's job to run beside the background one")
    assert users.state == DONE and running.state == RUNNING and later_background.state == QUEUED
    running.cancel()
    wait_until(lambda: later_background.finished, "the background lane to drain")
    assert later_background.state == DONE and later_background.started >= running.ended
    # And the background worker yields the CPU to the users' workers (and those to the server).
    lanes = [queue.submit(own_niceness, background=background) for background in (False, True)]
    wait_until(lambda: all(job.finished for job in lanes), "both lanes to report their niceness")
    assert lanes[1].result - lanes[0].result == queue.background_niceness - WORKER_NICENESS > 0
    default = JobQueue(workers=1)  # the app's queue: its background lane at the lowest priority
    assert default.background_niceness == BACKGROUND_NICENESS
    default.shutdown()


def nested_stages(models: int) -> str:
    for index in range(models):
        with stage(index, models, f"model {index + 1} of {models}"):
            report("fitting the classifiers", 0.5, {"any": "detail"})
            time.sleep(0.3)
    return "done"


def report_anything() -> None:
    report(("a", "tuple", "from", "old", "code"))
    time.sleep(0.5)


def test_nested_reports_keep_the_outer_place_and_every_report_is_typed(queue):
    job = queue.submit(nested_stages, 4)
    seen: list[JobProgress] = []
    wait_until(lambda: job.finished or seen.append(job.progress), "the staged job")
    assert job.state == DONE, job.error
    reports = [p for p in seen if p is not None]
    assert reports and all(isinstance(p, JobProgress) for p in reports)
    inner = [p for p in reports if "fitting" in p.text]
    assert inner and all(p.text.startswith("model ") and p.text.endswith(": fitting the classifiers") for p in inner)
    assert all(p.detail == {"any": "detail"} for p in inner)
    assert all(0 <= p.fraction <= 1 for p in reports)
    assert max(p.fraction for p in inner) > min(p.fraction for p in inner)  # the outer place moved on
    odd = queue.submit(report_anything)
    wait_until(lambda: odd.finished or odd.progress is not None, "the odd report")
    assert odd.progress is None or isinstance(odd.progress, JobProgress)


def test_job_progress_clips_and_reads_any_payload():
    assert JobProgress("x", 1.7).fraction == 1.0 and JobProgress("x", float("nan")).fraction is None
    assert as_progress("measuring").text == "measuring" and as_progress("measuring").share == 0.0
    assert as_progress((1, 2, "name")).detail == (1, 2, "name")
    assert JobProgress("fitting", 0.5).within(1, 4, "model 2 of 4") == JobProgress("model 2 of 4: fitting", 0.375)


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
    snapshots = [p.detail for p in seen if p is not None]
    assert snapshots and len({s.batches_done for s in snapshots}) >= 2  # it streamed, not only the end
    model = aecore.load(job.result["checkpoint"])
    final = job.result["snapshot"]
    assert final.state == "done" and final.metrics["mse"] == model.checkpoint["metrics"]["test"]["mse"]
    assert final.samples_per_second > 0 and not job.result["stopped"]


def test_stopping_a_training_run_keeps_its_weights(queue):
    job = queue.submit(jobs.train, digits_spec(epochs=10_000))
    wait_until(lambda: job.progress is not None and job.progress.detail.batches_done > 0, "the first batches")
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
    print(job.result if job.finished else queue._pools.executors["users"]._processes and list(queue._pools.executors["users"]._processes)[0], flush=True)
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


def test_the_workers_go_round_the_sessions_that_wait(queue):
    """One session's queued jobs do not hold back another's: the session served longest ago goes
    first, then submission order."""
    blocker = queue.submit(count_until_cancelled, 100_000, name="a's run", group="a")
    a_jobs = [queue.submit(count_until_cancelled, 3, name=f"a's job {i}", group="a") for i in range(3)]
    b_job = queue.submit(count_until_cancelled, 3, name="b's one job", group="b")
    wait_until(lambda: blocker.state == RUNNING, "the blocker to start")
    assert b_job.position == 1 and [job.position for job in a_jobs] == [2, 3, 4]
    blocker.cancel()
    wait_until(lambda: all(job.finished for job in [b_job, *a_jobs]), "the queue to drain")
    starts = sorted([b_job, *a_jobs], key=lambda job: job.started)
    assert starts == [b_job, *a_jobs], [job.name for job in starts]


def test_a_long_job_lends_its_worker_to_another_sessions_job_and_resumes():
    """One worker, one session's endless job: after its turn it pauses between two steps, another
    session's job runs in its stead and ends, and the long job goes on from where it was."""
    turns = JobQueue(workers=1, turn_seconds=0.5)
    try:
        long = turns.submit(count_until_cancelled, 1_000_000, name="a's long run", group="a")
        wait_until(lambda: long.state == RUNNING and long.progress is not None, "the long run to report")
        short = turns.submit(count_until_cancelled, 3, name="b's job", group="b")
        wait_until(lambda: short.finished, "b's job to run while a's waits")
        assert short.state == DONE and short.result == 3
        assert not long.finished  # it lent its worker; it did not give up its run
        wait_until(lambda: not long.paused, "the long run to resume")
        before = as_progress(long.progress).text
        wait_until(lambda: as_progress(long.progress).text != before, "the long run to count on")
        mine = turns.submit(count_until_cancelled, 3, name="a's second job", group="a")
        long.turn_started -= 60  # a turn long over, and the queue's periodic look, now:
        turns._take_turns()  # a's own job waits for a's run, it never pauses it
        assert mine.state == QUEUED and turns._flags[long.id % SLOTS] == RUN and not long.paused
        long.cancel()
        wait_until(lambda: mine.finished and long.finished, "the queue to drain")
        assert long.state == CANCELLED and mine.state == DONE
    finally:
        turns.shutdown()
