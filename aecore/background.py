"""Work in a daemon thread, the one way the long jobs run (training, rate-distortion sweeps,
projections): start it, poll it from a timer, ask it to stop, never block on it.

A subclass does its work in `_work` and publishes its results there; `finished` says when they are
final. Nobody joins the thread, so an exception in `_work` is never raised: `_failed` records it.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod

import torch


class BackgroundJob(ABC):
    """Runs `self._work()` once in a daemon thread on `threads` torch threads (None: leave torch's
    setting alone; torch applies it process-wide, so the previous count is put back at the end)."""

    def __init__(self, name: str, threads: int | None = None) -> None:
        self.threads = threads
        self._stop = threading.Event()
        self._started: float | None = None
        self._ended: float | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> BackgroundJob:
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the work to end at its next check; what it has done so far is kept."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished or `timeout` seconds passed; True if it has finished."""
        self._thread.join(timeout)
        return self.finished

    @property
    @abstractmethod
    def finished(self) -> bool:
        """True once the job's results are final (done, stopped or failed)."""

    @property
    def seconds(self) -> float:
        """Time since the start while running; the job's duration once it has ended."""
        if self._started is None:
            return 0.0
        return (self._ended or time.perf_counter()) - self._started

    def _end_clock(self) -> None:
        """Stop the clock: call it just before publishing a final state, so `seconds` is final then."""
        self._ended = time.perf_counter()

    @abstractmethod
    def _work(self) -> None:
        """The job itself, run once in the thread; it checks `self._stop` to end early."""

    @abstractmethod
    def _failed(self, error: Exception) -> None:
        """Record `error`, raised by `_work`, as the job's final state."""

    def _main(self) -> None:
        previous = torch.get_num_threads()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            self._work()
        except Exception as error:  # noqa: BLE001 - nobody joins this thread: report, never raise
            self._end_clock()
            self._failed(error)
        finally:
            if self._ended is None:
                self._end_clock()
            if self.threads is not None:
                torch.set_num_threads(previous)
