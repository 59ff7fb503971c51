"""The job queue's users' jobs on a Dask distributed cluster, when one server is not enough.

    export AECORE_CLUSTER=tcp://scheduler-host:8786      # on the app server; unset: local workers
    queue = JobQueue()                                   # the same queue, its jobs run on the cluster

`aecore.workers.JobQueue` keeps its order, places, turns and sweeps; this module is only where its
jobs go: `ClusterPool` stands where a `ProcessPoolExecutor` would (`submit` returns a future with
`add_done_callback` and `result`). What a local pool shares through its processes travels through
the engine's own primitives instead:
- progress and the "started"/"paused" messages: the worker logs them as events on a topic of this
  queue's own (`Worker.log_event`), and the queue's client puts each into the queue's local message
  queue, where its listener reads every message alike;
- the cancel and pause flags: the queue publishes the flags that are not RUN as one Dask `Variable`
  of this queue's own; a thread of each worker reads it every `FLAG_REFRESH_S` while the queue's
  jobs run there (a cancel arrives within that and one batch; a batch never waits on the network);
- a paused job lends its worker by `secede()`: its thread leaves the worker's slots to the stand-in
  job, and `rejoin()`s when the queue lets it go on.
Each queue has its own topic and flags, so two app servers (or tests) can share a cluster.
Results come back as the job returned them (the train job's checkpoint bytes). The workers need
aecore installed, and the data a job names (digits and shapes are generated; MNIST is read from the
worker's ~/.cache/aecore, as on the server). Engine measured against Ray here: bench/bench_cluster.py.
"""

from __future__ import annotations

import importlib
import os
import pickle
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from aecore.in_worker import RUN, WORKER_NICENESS, _thread, init_worker

CLUSTER_ENV = "AECORE_CLUSTER"  # a Dask scheduler's address, e.g. tcp://10.0.0.5:8786
CONNECT_TIMEOUT_S = 30.0  # how long the queue tries to reach the scheduler before it says so
FLAG_REFRESH_S = 0.2  # how stale a worker's copy of the flags may be
FORGET_CANCEL_S = 600.0  # a cancel older than this has been seen: it leaves the published flags
INSTALL_HINT = "the cluster needs Dask distributed: pip install 'aecore[cluster]'"


def cluster_address() -> str | None:
    """$AECORE_CLUSTER, or None (the queue's local process pool, the default)."""
    return os.environ.get(CLUSTER_ENV, "").strip() or None


def on_server(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a job that works on the app server's own files (a download into its data folder): on a
    cluster it still runs in a local worker of the server."""
    function.on_server = True  # type: ignore[attr-defined]
    return function


class ClusterFlags:
    """The queue's cancel flags: the local array (read by the queue, and by the jobs it keeps on
    this server) plus, for the cluster's workers, a Variable holding every slot that is not RUN."""

    def __init__(self, local: Any, variable: Any) -> None:
        self.local, self._variable = local, variable
        self._published: dict[int, tuple[int, float]] = {}  # slot -> (flag, when set)
        self._lock = threading.Lock()  # publishes leave in the order they were made

    def __getitem__(self, slot: int) -> int:
        return self.local[slot]

    def __setitem__(self, slot: int, flag: int) -> None:
        self.local[slot] = flag
        if flag == RUN and slot not in self._published:
            return  # a worker takes an unpublished slot for RUN: a new job costs no round trip
        with self._lock:
            now = time.monotonic()
            self._published = {s: (f, t) for s, (f, t) in self._published.items() if now - t < FORGET_CANCEL_S}
            if flag == RUN:
                self._published.pop(slot, None)
            else:
                self._published[slot] = (flag, now)
            self._variable.set([[s, f] for s, (f, _) in self._published.items()])


class ClusterPool:
    """Runs the queue's jobs on the Dask scheduler at `address`, in place of a local process pool."""

    _broken = False  # never replaced: a worker lost is the cluster's to replace

    def __init__(self, address: str, messages: Any) -> None:
        try:
            from distributed import Client, Variable
        except ImportError as error:
            raise ImportError(f"{CLUSTER_ENV}={address} is set, but {INSTALL_HINT}") from error
        try:
            self.client = Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT_S)
        except OSError as error:
            raise RuntimeError(f"no Dask scheduler answers at {CLUSTER_ENV}={address}: start one there "
                               "(dask scheduler) or unset the variable for the local workers") from error
        try:  # jobs travel as references to aecore's functions: every worker must import it
            self.client.run(importlib.import_module, "aecore.cluster")
        except ImportError as error:
            self.client.close()
            raise RuntimeError(f"the workers at {CLUSTER_ENV}={address} cannot import aecore ({error}): start each "
                               "from a checkout of the app's commit with PYTHONPATH set to it (docs/class-server.md)") from error
        self.name = f"aecore-{uuid.uuid4().hex[:12]}"  # this queue's topic and flags on the cluster
        self._variable = Variable(self.name, client=self.client)
        self._variable.set([])
        self.client.subscribe_topic(self.name, lambda event: messages.put(pickle.loads(event[1])))
        self._futures: set[Any] = set()
        self._slots = (0, -1.0)  # (worker threads, when counted)

    def flags(self, local: Any) -> ClusterFlags:
        return ClusterFlags(local, self._variable)

    def slots(self) -> int:
        """The cluster's worker threads (counted again at most every 2 s: workers come and go)."""
        count, when = self._slots
        if time.monotonic() - when > 2.0:
            count = sum(self.client.nthreads().values())
            self._slots = (count, time.monotonic())
        return count

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        future = self.client.submit(run_on_cluster, self.name, function, *args, pure=False)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)  # (Dask calls it in a thread of its own)
        return future

    def shutdown(self, wait: bool = False, cancel_futures: bool = True) -> None:
        """Let the jobs go (their flags, set by the queue's shutdown, stop the running ones) and close."""
        if wait:
            for future in self._futures.copy():
                future.exception()
        elif cancel_futures:
            self.client.cancel(list(self._futures.copy()))
        self.client.close()


# --- inside a cluster's worker ---------------------------------------------------------------------
class _TopicMessages:
    """A job's messages to its queue, as events on the queue's topic (pickled: events are msgpack)."""

    def __init__(self, worker: Any, topic: str) -> None:
        self.worker, self.topic = worker, topic

    def put(self, message: tuple) -> None:
        self.worker.log_event(self.topic, pickle.dumps(message))


class _VariableFlags:
    """A worker's copy of one queue's published flags. A thread of its own reads them again every
    FLAG_REFRESH_S while a job of that queue runs here (and a minute after): a training batch never
    waits on the scheduler, which shares a loaded server's cores with everything else."""

    def __init__(self, name: str, client: Any) -> None:
        self.name, self.client, self.flags = name, client, {}
        self.last_read = time.monotonic()  # by a job
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()

    def refresh(self) -> None:
        from distributed import Variable

        try:
            self.flags = dict(Variable(self.name, client=self.client).get(timeout=5))
        except (TimeoutError, OSError):  # the scheduler is slow or away: keep the copy, try again next time
            pass

    def watch(self) -> None:
        """At a job's start: read the flags now (a cancel made while it waited counts at once) and
        keep them fresh while it runs."""
        self.last_read = time.monotonic()
        self.refresh()
        with self._lock:
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._poll, name=f"{self.name}-flags", daemon=True)
                self._watcher.start()

    def _poll(self) -> None:
        while True:
            time.sleep(FLAG_REFRESH_S)
            with self._lock:
                if time.monotonic() - self.last_read > 60.0:  # no job of this queue here any more
                    self._watcher = None
                    return
            self.refresh()

    def __getitem__(self, slot: int) -> int:
        self.last_read = time.monotonic()
        return self.flags.get(slot, RUN)


_queues: dict[str, tuple[_TopicMessages, _VariableFlags]] = {}  # this worker's view of each queue it serves


@contextmanager
def _seceded() -> Iterator[None]:
    from distributed import rejoin, secede

    secede()
    try:
        yield
    finally:
        rejoin()  # waits for a free slot of this worker


def run_on_cluster(queue: str, function: Callable[..., Any], *args: Any) -> Any:
    """A job on a cluster's worker: the first one sets up the process as a local pool's worker is
    (one torch thread, a lower CPU priority), then each runs with its own queue's messages and flags."""
    from distributed import get_client, get_worker

    if not _queues:
        init_worker(None, None, WORKER_NICENESS, watch_parent=False)
    if queue not in _queues:
        _queues[queue] = (_TopicMessages(get_worker(), queue), _VariableFlags(queue, get_client()))
    _thread.messages, _thread.flags = _queues[queue]
    _thread.lend = _seceded
    _thread.flags.watch()
    return function(*args)


__all__ = ["CLUSTER_ENV", "ClusterFlags", "ClusterPool", "cluster_address", "on_server", "run_on_cluster"]
