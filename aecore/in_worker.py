"""Inside a worker process of `aecore.workers.JobQueue`: what a running job calls.

    report("fitting the classifiers")              # where it stands, in words
    report(f"epoch {e} of {n}", e / n, snapshot)   # with the share done and its own data for a view
    with stage(i, len(models), name): measure(m)   # inner reports read as parts of step i
    fit(..., stop=cancel_flag())                   # set once the job is cancelled

Outside a worker (a notebook, a test, the CLI) `report` does nothing and the flag is never set, so
the same job functions simply run.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator

from aecore.job_progress import JobProgress

SLOTS = 4096  # cancel flags live in a shared array, one slot per job id modulo this
RUN, CANCEL, PAUSE = 0, 1, 2  # a job's flag: go on; stop; wait (the queue lends its worker to another session)

# --- inside a worker process --------------------------------------------------------------------
# What a local pool's process was given by init_worker: the queue back to the server, the cancel
# flags, and how a paused job lends its worker (here: it simply waits; its process stays its own).
_process: dict[str, Any] = {"messages": None, "flags": None, "lend": nullcontext}
# The running job, per thread: its id and stages. A cluster worker (`aecore.cluster`) runs jobs of
# any queue in threads of one process, a paused one beside its stand-in, so each job's thread also
# holds its own queue's messages, flags and lend there.
_thread = threading.local()


def _here(name: str) -> Any:
    """The running job's "messages", "flags" or "lend": its thread's own on a cluster, else its process's."""
    return getattr(_thread, name, _process[name])


WORKER_NICENESS = 10  # workers yield the CPU to the server process: a page answers while a run trains
BACKGROUND_NICENESS = 19  # the background worker yields it to both: its work waits for nobody


def init_worker(messages: Any, cancel_flags: Any, niceness: int = WORKER_NICENESS, watch_parent: bool = True) -> None:
    _process.update(messages=messages, flags=cancel_flags)
    if hasattr(os, "nice"):
        os.nice(niceness)
    # A server that is killed (or stopped by a signal) leaves its pool's processes behind, still
    # training: each worker ends itself once its parent has gone. (A cluster's worker belongs to
    # its own machine's nanny, not to the app server: it stays.)
    if watch_parent:
        parent = os.getppid()
        threading.Thread(target=_exit_with_parent, args=(parent,), name="aecore-parent-watch", daemon=True).start()
    # Many workers (and the server) share the cores: one thread each is far faster for these small
    # models than threads contending for cores (measured: 4 s against 165 s on 2 busy cores).
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


class _CancelFlag:
    """`is_set()` is True once the running job has been cancelled: pass it as fit's `stop`.

    It is also where a job gives up its worker: while the queue asks it to pause (another session's
    job waits and this one has had its turn), `is_set()` waits, the process asleep, and training
    resumes from its weights in memory when the queue lets it. `paused_seconds` adds up the wait."""

    def __init__(self, job_id: int) -> None:
        self.job_id, self.paused_seconds = job_id, 0.0

    def is_set(self) -> bool:
        flags, messages = _here("flags"), _here("messages")
        if flags is None:
            return False
        slot = self.job_id % SLOTS
        if flags[slot] == PAUSE:
            started = time.monotonic()
            messages.put((self.job_id, "paused", None))
            with _here("lend")():  # on a cluster: its thread leaves the worker's slots to the stand-in
                while flags[slot] == PAUSE:
                    time.sleep(0.05)
            self.paused_seconds += time.monotonic() - started
            messages.put((self.job_id, "resumed", None))
        return flags[slot] == CANCEL


class _NeverSet:
    def is_set(self) -> bool:
        return False


def cancel_flag() -> Any:
    """The running job's cancel flag (never set outside a worker), for `fit(stop=...)`."""
    job_id = getattr(_thread, "job_id", None)
    return _CancelFlag(job_id) if job_id is not None else _NeverSet()


def _stages() -> list[tuple[int, int, str]]:
    """(done, total, text) of the running job's enclosing stages, outermost first."""
    if getattr(_thread, "stages", None) is None:
        _thread.stages = []
    return _thread.stages


def report(text: str | JobProgress = "", fraction: float | None = None, detail: Any = None) -> None:
    """Send where the running job stands (words, share done, the job's own data for a view that knows
    it); does nothing outside a worker. Inside `stage`, the stage's place is added."""
    messages, job_id = _here("messages"), getattr(_thread, "job_id", None)
    if messages is None or job_id is None:
        return
    progress = text if isinstance(text, JobProgress) else JobProgress(str(text), fraction, detail)
    for done, total, words in reversed(_stages()):
        progress = progress.within(done, total, words)
    messages.put((job_id, "progress", progress))


@contextmanager
def stage(done: int, total: int, text: str) -> Iterator[None]:
    """Report step `done` (0-based) of `total`, named `text`; reports made inside read as parts of it
    ("model 3 of 16: mnist-ae-2: fitting the classifiers", with the share of the whole job)."""
    _stages().append((done, total, text))
    report()
    try:
        yield
    finally:
        _stages().pop()


def run_in_worker(job_id: int, function: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
    if _here("flags")[job_id % SLOTS] == CANCEL:  # cancelled while it waited in the pool's own small queue
        return CancelledBeforeStart()
    _thread.job_id = job_id
    _here("messages").put((job_id, "started", os.getpid()))
    try:
        import torch

        torch.set_num_threads(1)  # a job's library (numba, say) may have changed it
        return function(*args, **kwargs)
    finally:
        _thread.job_id = None


class CancelledBeforeStart:
    """Returned by a job that was cancelled before it began."""


__all__ = ["CANCEL", "PAUSE", "RUN", "SLOTS", "CancelledBeforeStart", "cancel_flag", "init_worker", "report", "run_in_worker", "stage"]
