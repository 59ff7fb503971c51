"""Long work in worker processes: one queue for a whole server, users' jobs first, the jobs of pages
on a screen before those of pages left behind, then round-robin between sessions, then in order.

A training step of these small models is many tiny torch calls, and each hands the GIL away: run in
a thread of a web server, it crawls while every page's script competes with it, and it makes every
page crawl. So long work runs in worker processes (`concurrent.futures.ProcessPoolExecutor` with the
spawn start method, one torch thread each), fed from one queue in submission order.

    queue = JobQueue(workers=1)
    job = queue.submit(aecore.studies.jobs.train, spec, name="train vae")   # a top-level, importable function
    job.state, job.position, job.progress        # "queued" 3 / "running" 0 JobProgress / "done"
    job.result                                   # what the function returned, once done
    job.cancel()                                 # queued: never starts; running: asked to stop
    queue.submit(aecore.studies.jobs.zoo_results, ..., background=True)  # in its own low-priority worker

Inside a job, `aecore.in_worker` has `report(text, fraction, detail)`, which sends progress back
(an `aecore.job_progress.JobProgress`; the latest one wins), `stage(done, total, text)`, which nests
the reports of work it calls, and `cancel_flag()`, an object with `is_set()` for `fit(stop=...)`.
A job nobody has `touch`ed for `abandon_after` seconds (its browser session has gone) is
cancelled. Background jobs (measuring the zoo on a new download) run one at a time in a worker of
their own, at the lowest CPU priority: a student's Train, or a page's own job, never waits behind
them, and takes the CPU before them (a page's job waited 18 to 37 s behind the zoo's when both
shared the workers). Nothing here knows about any user interface.

When one server is not enough, `JobQueue(cluster=address)` (or $AECORE_CLUSTER) runs the users'
jobs on a Dask distributed cluster's workers, with the same order, places, turns, cancels and
progress (`aecore.cluster`; docs/class-server.md); the local pool, with no extra service, is the default.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue as queue_module
import threading
import time
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from aecore.cluster import ClusterPool, cluster_address
from aecore.in_worker import BACKGROUND_NICENESS, CANCEL, PAUSE, RUN, SLOTS, CancelledBeforeStart, run_in_worker
from aecore.job import (ABANDON_AFTER, CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING,  # noqa: F401  (the queue's vocabulary)
                        SHOWN_WITHIN, TURN_SECONDS, Job, log_event)
from aecore.job_progress import as_progress
from aecore.pools import Pools, default_workers, main_hidden, stand_in_ready


class JobQueue:
    """A pool of `workers` processes and the jobs submitted to it, shared round-robin between the
    groups (sessions) that wait and in submission order within one; and one more process, started on
    the first background job, that runs those one at a time. With a `cluster` (a Dask scheduler's
    address; default $AECORE_CLUSTER) the users' jobs run on its workers instead (`aecore.cluster`)."""

    def __init__(self, workers: int | None = None, abandon_after: float = ABANDON_AFTER,
                 background_niceness: int = BACKGROUND_NICENESS, turn_seconds: float = TURN_SECONDS,
                 cluster: str | None = None) -> None:
        cluster = cluster or cluster_address()
        self._size = workers if workers is not None or cluster else default_workers()  # None: the cluster's
        self.background_niceness = background_niceness  # the background lane's CPU priority (19: the lowest)
        if self._size is not None and self._size < 1:
            raise ValueError(f"a job queue needs at least one worker, got {self._size}")
        self.abandon_after = abandon_after
        context = multiprocessing.get_context("spawn")
        self._messages = context.Queue()
        shared_flags = context.Array("b", SLOTS, lock=False)  # read by the local pools' processes
        self._cluster = ClusterPool(cluster, self._messages) if cluster else None
        self._flags = self._cluster.flags(shared_flags) if self._cluster else shared_flags
        self._pools = Pools(self._size or 1, context, self._messages, shared_flags, background_niceness, self._cluster)
        self._jobs: dict[int, Job] = {}
        self._waiting: dict[int, tuple[Job, Callable[..., Any], tuple, dict[str, Any]]] = {}  # not yet in the pool
        self._in_pool = {False: 0, True: 0}  # jobs handed to each lane (background?) and not yet ended
        self._ids = itertools.count(1)
        self._handed = itertools.count(1)
        self.turn_seconds = turn_seconds  # how long a session's job runs before it lends its worker to another's
        self._lent: list[int] = []  # paused jobs (acknowledged) whose worker no job has taken yet
        self._stand_ins: dict[int, int] = {}  # a job running in a lent worker -> the paused job it stands in for
        self._last_served: dict[str, int] = {}  # group -> when (the count of jobs handed out) it last got a worker
        self._lock = threading.Lock()
        self._closed = False
        self._listener = threading.Thread(target=self._listen, name="aecore-job-queue", daemon=True)
        self._listener.start()

    @property
    def workers(self) -> int:
        """How many users' jobs run at once: the local pool's size, or the cluster's worker threads."""
        return self._size if self._size is not None else self._cluster.slots()

    # --- submitting and asking ---
    def submit(self, function: Callable[..., Any], *args: Any, name: str = "", background: bool = False,
               group: str | None = None, **kwargs: Any) -> Job:
        """Queue `function(*args, **kwargs)` (a module-level function and picklable arguments). A
        `background` job runs in the background lane (one low-priority worker), never before or
        in the way of users' jobs. `group` says whose job it is (the app passes its browser
        session): the workers go round the groups that wait, so one student's five jobs never hold
        back a classmate's one."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this job queue has been shut down")
            job = Job(next(self._ids), name or getattr(function, "__name__", "job"), self, background, group)
            job.module = getattr(function, "__module__", None) or __name__
            self._flags[job.id % SLOTS] = RUN
            self._jobs[job.id] = job
            self._waiting[job.id] = (job, function, args, kwargs)
        log_event(job, "submitted")
        self._dispatch()
        return job

    def _order(self, job: Job) -> tuple[bool, bool, int, int]:
        # Its lane, then the jobs of pages on a screen, then round-robin between groups (the group
        # served longest ago first; one never served, or a job without a group, at once), then
        # first come first served.
        served = self._last_served.get(job.group, 0) if job.group is not None else 0
        return job.background, time.monotonic() - job.last_shown > SHOWN_WITHIN, served, job.id

    def position(self, job: Job) -> int:
        if job.state != QUEUED:
            return 0
        with self._lock:
            mine = self._order(job)
            # Ahead of it in its lane: jobs the pool holds that have not started yet, and waiting jobs that go first.
            return 1 + sum(1 for other in self._jobs.values() if other is not job and other.state == QUEUED
                           and other.background == job.background
                           and (other.id not in self._waiting or self._order(other) < mine))

    def jobs(self) -> list[Job]:
        """Every job not yet forgotten, oldest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda job: job.id)

    def cancel(self, job: Job) -> None:
        if job.finished:
            return
        self._flags[job.id % SLOTS] = CANCEL
        with self._lock:
            waiting = self._waiting.pop(job.id, None) is not None
        if waiting:  # it never reached a worker: it ends now, for the user who pressed Cancel
            self._end(job, CANCELLED)

    def shutdown(self, wait: bool = False) -> None:
        """Cancel what is queued, stop what runs, and let the workers go. Once is enough: a second
        call does nothing (a cluster's client may be gone by then)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            self.cancel(job)
        self._pools.shutdown(wait)

    def _dispatch(self) -> None:
        """Hand waiting jobs to their lane while it has a free worker, oldest first: users' jobs to
        the pool of `workers`, background ones to the background worker. A lane never holds more
        than it can run, so a job waits here, where `cancel` can still take it out. A worker lent by
        a paused job (`_take_turns`) takes the first waiting job of another session."""
        while True:
            with self._lock:
                if self._closed:
                    return
                stand_in_for = None
                free = [i for i in self._waiting
                        if self._in_pool[self._jobs[i].background] < (1 if self._jobs[i].background else self.workers)]
                while not free and self._lent:
                    lender = self._jobs[self._lent[0]]
                    free = [i for i in self._waiting if not self._jobs[i].background and self._jobs[i].group != lender.group]
                    stand_in_for = lender.id if free else None
                    if not free:  # the job it paused for found a worker meanwhile: resume at once
                        self._lent.pop(0)
                        if self._flags[lender.id % SLOTS] == PAUSE:
                            self._flags[lender.id % SLOTS] = RUN
                if not free:
                    return
                job, function, args, kwargs = self._waiting.pop(min(free, key=lambda i: self._order(self._jobs[i])))
                if job.group is not None:
                    self._last_served[job.group] = next(self._handed)
                if stand_in_for is not None:
                    pool = self._pools.lending()
                else:
                    pool = self._pools.background() if job.background else self._pools.users(getattr(function, "on_server", False))
                try:
                    with main_hidden(unless=getattr(function, "__module__", None) == "__main__"):
                        job.future = pool.submit(run_in_worker, job.id, function, args, kwargs)
                except RuntimeError:  # the interpreter is exiting: the pool takes no more work
                    job.future = None
                else:
                    if stand_in_for is None:
                        self._in_pool[job.background] += 1
                    else:
                        self._lent.remove(stand_in_for)
                        self._stand_ins[job.id] = stand_in_for
            if job.future is None:
                self._end(job, CANCELLED, "the server is shutting down")
                continue
            job.future.add_done_callback(lambda future, job=job: self._finish(job, future))

    def _take_turns(self) -> None:
        """When every users' worker is busy and a session with nothing running waits, ask the job of
        another session that has had its turn (`turn_seconds`) the longest to pause: it lends its
        worker, as soon as it acknowledges (`_dispatch`), to the waiting jobs of other sessions, one
        after another, and resumes when none is left. One request at a time."""
        now = time.monotonic()
        with self._lock:
            if self._closed or self._in_pool[False] < self.workers or self._lent:
                return
            running = [j for j in self._jobs.values() if j.state == RUNNING and not j.background]
            outlasted = [j for j in running if j.turn_started is not None and now - j.turn_started >= self.turn_seconds]
            if "lending" not in self._pools.executors and self._cluster is None and outlasted:
                # A run has outlasted its turn: start a stand-in worker now, so that its start
                # (importing torch and the jobs' module, seconds) is not paid by the first student who waits.
                with main_hidden():
                    self._pools.lending().submit(stand_in_ready, outlasted[0].module)
            if any(self._flags[j.id % SLOTS] == PAUSE and not j.paused for j in running):
                return  # a request is on its way
            busy_groups = {j.group for j in running if not j.paused}
            waiting = [j for j, *_ in self._waiting.values()
                       if not j.background and j.group is not None and j.group not in busy_groups]
            if not waiting:
                return
            first = min(waiting, key=self._order)
            turns = [j for j in outlasted if j.id not in self._stand_ins and not j.paused and j.group is not None
                     and j.group != first.group]
            if turns:
                self._flags[min(turns, key=lambda j: j.turn_started).id % SLOTS] = PAUSE

    # --- the listener thread: progress in, abandoned jobs out, turns taken ---
    def _listen(self) -> None:
        last_sweep = time.monotonic()
        while True:
            try:
                job_id, kind, payload = self._messages.get(timeout=1.0)
            except queue_module.Empty:
                job_id = None
            except (EOFError, OSError):  # the queue was closed with the process: nothing more to read
                return
            job = self._jobs.get(job_id) if job_id is not None else None
            if job is not None and not job.finished:
                if kind == "started":
                    job.state, job.started = RUNNING, time.monotonic()
                    job.turn_started = job.started
                    log_event(job, "started")
                elif kind == "paused":
                    job.paused = True
                    with self._lock:
                        self._lent.append(job.id)
                    log_event(job, "paused")
                    self._dispatch()
                elif kind == "resumed":
                    job.paused, job.turn_started = False, time.monotonic()
                    log_event(job, "resumed")
                elif kind == "progress":
                    job.progress = as_progress(payload)
            if time.monotonic() - last_sweep >= 1.0:
                last_sweep = time.monotonic()
                self._sweep()
                self._take_turns()
                self._dispatch()  # workers may have joined a cluster

    def _sweep(self) -> None:
        """Cancel abandoned jobs; forget finished ones nobody has looked at for a while."""
        now = time.monotonic()
        for job in self.jobs():
            idle = now - job.last_touch
            if not job.finished and idle > self.abandon_after:
                job.error = f"nobody asked for it for {self.abandon_after:.0f} s (its page was closed)"
                self.cancel(job)
            elif job.finished and idle > 10 * self.abandon_after:
                with self._lock:
                    self._jobs.pop(job.id, None)

    def _finish(self, job: Job, future: Future) -> None:
        with self._lock:
            lender = self._stand_ins.pop(job.id, None)
            if lender is None:
                self._in_pool[job.background] -= 1
            elif self._flags[lender % SLOTS] == PAUSE:
                # The worker goes back to the paused job, unless another session's job waits: then
                # it stands in next (`_dispatch`), so a class's short runs are not held back one
                # turn each by a long one, which goes on once nobody else waits.
                self._lent.insert(0, lender)
            if job.id in self._lent:  # a paused job that ended (cancelled) lends nothing any more
                self._lent.remove(job.id)
        try:
            self._settle(job, future)
        finally:
            self._dispatch()

    def _settle(self, job: Job, future: Future) -> None:
        try:
            result = future.result()
        except CancelledError:
            self._end(job, CANCELLED)
        except BrokenProcessPool:
            self._end(job, FAILED, "a worker process died (out of memory?); try again")
        except Exception as error:  # noqa: BLE001 - the job's own error, reported to its submitter
            self._end(job, FAILED, str(error) or type(error).__name__)
        else:
            if isinstance(result, CancelledBeforeStart) or self._flags[job.id % SLOTS] == CANCEL:
                job.result = None if isinstance(result, CancelledBeforeStart) else result
                self._end(job, CANCELLED)
            else:
                job.result = result
                self._end(job, DONE)

    def _end(self, job: Job, state: str, error: str | None = None) -> None:
        if job.finished:
            return
        job.error = error or job.error
        job.ended = time.monotonic()
        if job.started is None:
            job.started = job.ended
        job.state = state
        job.ended_event.set()
        log_event(job, state)


__all__ = ["ABANDON_AFTER", "CANCELLED", "DONE", "FAILED", "FINISHED", "Job", "JobQueue", "QUEUED", "RUNNING",
           "default_workers"]
