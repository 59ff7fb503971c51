"""How the queue's worker processes start (`aecore.workers.JobQueue`): how many, in which pools,
without re-running a Streamlit server's app script, and a stand-in worker's head start."""

from __future__ import annotations

import importlib
import os
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from aecore.in_worker import WORKER_NICENESS, init_worker


def default_workers() -> int:
    """$AECORE_WORKERS if set, else one fewer than the cores (the server keeps one), at least one."""
    configured = os.environ.get("AECORE_WORKERS", "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"AECORE_WORKERS must be a whole number of at least 1, got {configured!r}")
        return int(configured)
    return max(1, (os.cpu_count() or 1) - 1)


def stand_in_ready(module: str) -> None:
    """A stand-in worker's first task: start, and import the module of the jobs it will stand in for
    (the app's job catalogue loads scikit-learn and more: seconds a waiting student need not pay)."""
    importlib.import_module(module)


@contextmanager
def main_hidden(unless: bool = False):
    """Hide `__main__` while the pool may start a process (it does so inside `submit`).

    A spawned process first re-runs the parent's `__main__` file. In a Streamlit server that is the
    app script (Streamlit runs each page as `__main__` with the app's path), so every worker would
    run the whole app, with no browser, before its first job: seconds and hundreds of MB. Jobs are
    module-level functions of aecore, which a worker imports by name anyway; a function defined in
    `__main__` itself (`unless`) needs the real one.
    """
    main = sys.modules.get("__main__")
    if unless or main is None:
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class Pools:
    """The queue's lanes of processes, each started on first use (and again if its processes died):
    the users' workers (`size`), the background lane's one worker, and the stand-ins for paused
    jobs (at most one per users' worker). With a `cluster` (`aecore.cluster.ClusterPool`) the users'
    jobs and stand-ins run there (a paused job's thread leaves its slot to the stand-in); the
    background lane, and the jobs that work on this server's own files (`aecore.cluster.on_server`:
    a download into its data folder), stay in local processes."""

    def __init__(self, size: int, context: Any, messages: Any, flags: Any, background_niceness: int,
                 cluster: Any = None) -> None:
        self.size, self.cluster, self.background_niceness = size, cluster, background_niceness
        self._start = (context, messages, flags)
        self.executors: dict[str, ProcessPoolExecutor] = {}  # "users", "background", "lending"

    def users(self, on_server: bool = False) -> Any:
        return self.cluster if self.cluster is not None and not on_server else self._fresh("users", self.size,
                                                                                            WORKER_NICENESS)

    def background(self) -> ProcessPoolExecutor:
        return self._fresh("background", 1, self.background_niceness)

    def lending(self) -> Any:
        return self.cluster if self.cluster is not None else self._fresh("lending", self.size, WORKER_NICENESS)

    def shutdown(self, wait: bool) -> None:
        for executor in [*self.executors.values(), self.cluster]:
            if executor is not None:
                executor.shutdown(wait=wait, cancel_futures=True)

    def _fresh(self, lane: str, size: int, niceness: int) -> ProcessPoolExecutor:
        pool = self.executors.get(lane)
        if pool is None or getattr(pool, "_broken", False):
            context, messages, flags = self._start
            pool = self.executors[lane] = ProcessPoolExecutor(size, mp_context=context, initializer=init_worker,
                                                              initargs=(messages, flags, niceness))
        return pool
