"""One progress type for every background job: `JobProgress`, what any page can draw of any job.

A job says where it stands with `aecore.workers.report(text, fraction, detail)`; the queue hands each
report to the page as a `JobProgress`. Every page and the sidebar can draw any job from its `text` and
`fraction` alone; a view that knows the job's own data (a training run's `RunSnapshot`, a sweep's
state) reads it from `detail`, after checking its type. Work nested in a larger job (the zoo's
measuring runs the probe, which reports its own steps) reports inside `stage(...)`, and the outer job's
place stays in the text and fraction: the sidebar once unpacked a tuple that an inner report had
replaced with a bare string, and crashed for the sixteen minutes the measuring took.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobProgress:
    """Where a running job stands. Plain data: it crosses from the worker process to the server."""

    text: str = ""  # what the job is doing now, in words ("epoch 3 of 10", "model 2 of 16: mnist-ae-2")
    fraction: float | None = None  # share done, in [0, 1]; None while the job cannot tell
    detail: Any = None  # the job's own data for the view that knows it (a RunSnapshot, a SweepProgress)

    def __post_init__(self) -> None:
        if self.fraction is not None:
            value = float(self.fraction)
            object.__setattr__(self, "fraction", min(1.0, max(0.0, value)) if math.isfinite(value) else None)

    @property
    def share(self) -> float:
        """`fraction`, or 0 when unknown: what a progress bar shows."""
        return self.fraction if self.fraction is not None else 0.0

    def within(self, done: int, total: int, text: str) -> JobProgress:
        """This report, seen from a job that runs it as step `done` (0-based) of `total` named `text`."""
        share = (done + self.share) / total if total else self.share
        words = f"{text}: {self.text}" if text and self.text else (text or self.text)
        return JobProgress(words, share, self.detail)


@dataclass(frozen=True)
class Early:
    """A report's detail that is part of the job's result, sent ahead of the rest (the probe's codes
    and PCA scores before the pixels'), for a page that can draw it meanwhile."""

    result: Any


def as_progress(payload: Any) -> JobProgress:
    """Any report as a JobProgress: a bare value (from code written before this type) becomes its text,
    with its `fraction` when it has one, so that a page never has to guess a payload's shape."""
    if isinstance(payload, JobProgress):
        return payload
    if isinstance(payload, str):
        return JobProgress(payload)
    fraction = getattr(payload, "fraction", None)
    return JobProgress("", fraction if isinstance(fraction, (int, float)) else None, payload)


__all__ = ["Early", "JobProgress", "as_progress"]
