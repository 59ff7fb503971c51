"""One job of the queue (`aecore.workers.JobQueue`) as its submitter sees it: its state, place,
progress and result, and the words for its states."""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from aecore.job_progress import JobProgress

if TYPE_CHECKING:
    from aecore.workers import JobQueue

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
ABANDON_AFTER = 60.0  # seconds without a touch before a job counts as abandoned
# A job its page touched this recently is on a screen now: in its lane it goes before the jobs of
# pages the user has left (they stay queued, in order, until abandoned). A queued job's panel polls
# every 2 s.
SHOWN_WITHIN = 5.0
# A session's running job keeps its worker this long while another session's job waits; then it
# pauses between two batches (its weights stay in its process) and lends the worker to the waiting
# job, and resumes when that job ends. A student's Train on digits takes about 20 s alone.
TURN_SECONDS = 20.0
JOB_LOG_ENV = "AECORE_JOB_LOG"  # a file: one line per job submitted, started and ended (where the time goes)


def log_event(job: "Job", event: str) -> None:
    """One line of the job timeline ($AECORE_JOB_LOG): when a job was submitted, started and ended."""
    path = os.environ.get(JOB_LOG_ENV)
    if path:
        lane = "background" if job.background else "users"
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{time.time():.2f}\t{event}\t{job.id}\t{lane}\t{job.name}\n")


class Job:
    """One submitted piece of work, as its submitter sees it. Read it from any thread."""

    def __init__(self, job_id: int, name: str, owner: JobQueue, background: bool = False,
                 group: str | None = None) -> None:
        self.id, self.name, self._owner, self.background = job_id, name, owner, background
        self.group = group  # whose job it is (an app's browser session): workers are shared between groups
        self.state = QUEUED
        self.progress: JobProgress | None = None  # the latest report, once the job has made one
        self.result: Any = None  # what the function returned, once done
        self.error: str | None = None  # why it failed
        self.submitted = time.monotonic()
        self.started: float | None = None
        self.ended: float | None = None
        self.last_touch = self.last_shown = time.monotonic()
        self.future: Future | None = None
        self.paused = False  # paused while another session's job runs in its stead
        self.turn_started: float | None = None  # when it last started or resumed
        self.module = __name__  # where its function lives (a stand-in worker imports it ahead)
        self.ended_event = threading.Event()  # set by the queue when the job ends (`wait`)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def position(self) -> int:
        """0 while running or finished; n when n - 1 queued jobs go before it."""
        return self._owner.position(self)

    @property
    def seconds(self) -> float:
        """Time since it started running (its run time once finished); 0 while queued."""
        if self.started is None:
            return 0.0
        return (self.ended or time.monotonic()) - self.started

    @property
    def seconds_left(self) -> float:
        """The job's own estimate of its time to the end (a training run's `seconds_left`), or nan."""
        detail = self.progress.detail if self.progress is not None else None
        value = getattr(detail, "seconds_left", math.nan)
        return float(value) if isinstance(value, (int, float)) else math.nan

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` s until the job has ended; whether it has."""
        return self.ended_event.wait(timeout) or self.finished

    def touch(self, shown: bool = True) -> None:
        """Say someone still wants the result: a job untouched for `abandon_after` s is cancelled.
        shown: its page is on a screen now (a sidebar's list of the session's jobs is not), which
        puts it before the queued jobs of pages nobody is looking at."""
        self.last_touch = time.monotonic()
        if shown:
            self.last_shown = self.last_touch

    def cancel(self) -> None:
        """A queued job never starts; a running one is asked to stop (it ends as the work allows).
        It ends "cancelled"; `result` keeps whatever the work returned when it stopped (a training
        run returns the weights it had), or None."""
        self._owner.cancel(self)

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.name!r}, {self.state})"
