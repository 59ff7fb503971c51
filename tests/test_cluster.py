"""The job queue on a Dask cluster (`JobQueue(cluster=...)`, as $AECORE_CLUSTER sets it): a local
cluster of two worker processes runs a class's training jobs in order, with places, progress,
cancels (queued, handed to the cluster, running) and turns between sessions, as the local pool does."""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed", reason="the cluster extra (Dask distributed) is not installed")

import aecore  # noqa: E402
from aecore import cluster as cluster_module  # noqa: E402
from aecore.job_progress import as_progress  # noqa: E402
from aecore.runner import FitSettings, RunSpec  # noqa: E402
from aecore.studies import jobs  # noqa: E402
from aecore.workers import CANCELLED, DONE, QUEUED, RUNNING, JobQueue  # noqa: E402
from test_workers import count_until_cancelled, wait_until  # noqa: E402


def digits_spec(epochs: int) -> RunSpec:
    return RunSpec(dataset="digits", latent_dim=4, fit=FitSettings(epochs=epochs, batch_size=64, lr=2e-3, device="cpu"))


@pytest.fixture(scope="module")
def cluster():
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                     worker_dashboard_address=None)
    yield local
    local.close()


@pytest.fixture(scope="module")
def queue(cluster):
    q = JobQueue(cluster=cluster.scheduler_address)
    yield q
    q.shutdown()


def test_the_setting_picks_the_cluster_and_an_unreachable_one_says_what_to_do(cluster, monkeypatch):
    monkeypatch.setenv("AECORE_CLUSTER", cluster.scheduler_address)
    configured = JobQueue()
    try:
        assert configured.workers == 2  # the cluster's worker threads, not this machine's cores
    finally:
        configured.shutdown()
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(RuntimeError, match="no Dask scheduler answers at AECORE_CLUSTER=tcp://127.0.0.1:9"):
        JobQueue(cluster="tcp://127.0.0.1:9")


def test_a_class_of_four_trains_on_two_workers_one_cancelled(queue):
    long = queue.submit(jobs.train, digits_spec(epochs=10_000), name="a long run", group="s0")
    short = [queue.submit(jobs.train, digits_spec(epochs=2), name=f"student {i}", group=f"s{i}") for i in (1, 2, 3)]
    # Two run at once (one per worker); the others wait in line, in order.
    assert short[1].state == short[2].state == QUEUED and 1 <= short[1].position < short[2].position
    wait_until(lambda: long.progress is not None and long.progress.detail.batches_done > 0, "the long run's progress")
    assert long.state == RUNNING and 0 < long.progress.fraction < 1
    long.cancel()
    wait_until(lambda: long.finished and all(job.finished for job in short), "the class to finish")
    assert long.state == CANCELLED and long.result["stopped"]  # asked to stop, it keeps its weights
    assert aecore.load(long.result["checkpoint"]).checkpoint
    for job in short:
        assert job.state == DONE, job.error
        assert isinstance(job.result["checkpoint"], bytes) and not job.result["stopped"]
        assert aecore.load(job.result["checkpoint"]).checkpoint["metrics"]["test"]["mse"] > 0
    assert short[1].started <= short[2].started  # first in, first out


def test_cancelled_before_start_never_runs_here_or_in_the_cluster(queue, cluster):
    blockers = [queue.submit(count_until_cancelled, 1_000_000, group=f"b{i}") for i in range(2)]
    waiting = queue.submit(count_until_cancelled, 5, group="w")
    wait_until(lambda: all(job.state == RUNNING for job in blockers), "both workers to be busy")
    assert waiting.position == 1
    waiting.cancel()  # still in the queue: it ends at once
    assert waiting.state == CANCELLED and waiting.position == 0
    # A queue that counts three workers hands a third job to the cluster, where it waits for a
    # thread; a cancel then reaches it through the published flags before it starts.
    handed = JobQueue(workers=3, cluster=cluster.scheduler_address)
    try:
        pending = handed.submit(count_until_cancelled, 5)
        wait_until(lambda: pending.future is not None, "the job to be handed to the cluster")
        assert pending.state == QUEUED
        pending.cancel()
        for job in blockers:
            job.cancel()
        wait_until(lambda: pending.finished and all(job.finished for job in blockers), "the cancels")
        assert pending.state == CANCELLED and pending.result is None and pending.progress is None
        assert all(job.state == CANCELLED and 0 < job.result < 1_000_000 for job in blockers)
    finally:
        handed.shutdown()


def test_a_long_job_lends_its_cluster_slot_and_resumes(cluster):
    """Both threads busy with one session's endless jobs: after its turn one pauses (its thread
    secedes), another session's job runs in its slot, and the long job goes on."""
    turns = JobQueue(cluster=cluster.scheduler_address, turn_seconds=0.5)
    try:
        longs = [turns.submit(count_until_cancelled, 1_000_000, name=f"a's run {i}", group="a") for i in range(2)]
        wait_until(lambda: all(job.progress is not None for job in longs), "the long runs to report")
        short = turns.submit(count_until_cancelled, 3, name="b's job", group="b")
        wait_until(lambda: short.finished, "b's job to run in a lent slot")
        assert short.state == DONE and short.result == 3
        assert not any(job.finished for job in longs)
        wait_until(lambda: not any(job.paused for job in longs), "the paused run to resume")
        before = [as_progress(job.progress).text for job in longs]
        wait_until(lambda: all(as_progress(j.progress).text != b for j, b in zip(longs, before)), "both to count on")
    finally:
        turns.shutdown()
