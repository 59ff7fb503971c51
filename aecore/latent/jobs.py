"""Background 2-D projections: a `ProjectionJob` fits `project` in a daemon thread, and
`projection_job` keeps one job per (key, method, seed, options) so a map is computed once per process.

    job = projection_job("shapes-ae-8/test", Z, "umap", seed=0)   # starts it, or finds the running one
    job.state, job.seconds          # "running" 3.2 ... "done" 9.8 (or "failed", see job.error)
    job.result.embedding_           # (N, 2) once done; UMAP's result also has inverse_transform

Nothing here knows about any user interface: a page polls `job.state` from a timer and never waits.
"""

from __future__ import annotations

import threading
from typing import Any, Hashable

import numpy as np
import torch

from aecore.background import BackgroundJob
from aecore.latent.projection import METHODS, as_codes, project

RUNNING, DONE, FAILED = "running", "done", "failed"


class ProjectionJob(BackgroundJob):
    """Fit `project(Z, method, seed, **options)` in a daemon thread; see `start`, `state`, `result`.

    Bad codes or an unknown method raise ValueError here, in the caller's thread; anything that goes
    wrong during the fit (a bad option, say) is caught and reported as state "failed" with `error`.
    """

    def __init__(self, Z: np.ndarray | torch.Tensor, method: str, seed: int = 0, **options: Any) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown projection method {method!r}; valid methods: {', '.join(METHODS)}")
        super().__init__(name=f"aecore-project-{method}")
        self.codes = as_codes(Z).copy()  # (N, d); a copy, as the caller may reuse its array meanwhile
        self.method, self.seed, self.options = method, seed, dict(options)
        self.state: str = RUNNING  # running, done or failed; written by the worker thread only
        self.result: Any = None  # the fitted estimator (embedding_ is the (N, 2) map) once done
        self.error: str | None = None  # why it failed

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    def _work(self) -> None:
        result = project(self.codes, self.method, seed=self.seed, **self.options)
        self.result = result  # result before state: a reader that sees "done" always finds it there
        self._end_clock()
        self.state = DONE

    def _failed(self, error: Exception) -> None:
        self.error = f"{type(error).__name__}: {error}"
        self.state = FAILED


_jobs: dict[tuple, ProjectionJob] = {}
_jobs_lock = threading.Lock()


def projection_job(key: Hashable, Z: np.ndarray | torch.Tensor, method: str, seed: int = 0,
                   **options: Any) -> ProjectionJob:
    """The job mapping codes Z with `method`: the one already started under the same key, method,
    seed and options in this process (running, done or failed), or a new one started now.

    `key` names the codes (e.g. model name + split); Z is only read when a new job starts, so a
    caller must change the key when the codes change. A failed job stays cached so its error can be
    shown; `forget_projection_jobs(key)` drops it to try again.
    """
    cache_key = (key, method, seed, tuple(sorted((name, repr(value)) for name, value in options.items())))
    with _jobs_lock:  # two reruns at once must not start two fits
        job = _jobs.get(cache_key)
        if job is None:
            job = _jobs[cache_key] = ProjectionJob(Z, method, seed, **options).start()
        return job


def forget_projection_jobs(key: Hashable | None = None) -> None:
    """Drop cached jobs under `key` (all of them when None); running ones finish unseen."""
    with _jobs_lock:
        for cache_key in [k for k in _jobs if key is None or k[0] == key]:
            del _jobs[cache_key]
