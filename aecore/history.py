"""What training reports: the per-epoch History, the Progress a callback receives, and the Clock
that measures speed and time left for them (aecore.train.fit fills all three)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from aecore.models.base import Autoencoder


@dataclass
class History:
    """Per-epoch means of every named loss term ("total", "recon", "kl", ...), and timing."""

    train: list[dict[str, float]] = field(default_factory=list)
    val: list[dict[str, float]] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    wall_time: float = 0.0  # seconds for the whole fit
    samples_per_second: float = 0.0  # training samples per second, validation excluded
    batches_done: int = 0
    stopped: bool = False  # ended by the stop event
    device: str = "cpu"
    feed: str = "resident"  # how batches reached the model: "resident" (one tensor on the device) or "streamed"
    feed_reason: str = ""  # why, in words: the data's size against the memory budget
    world_size: int = 1  # processes that trained together (torch.distributed ranks)

    @property
    def train_loss(self) -> list[float]:
        return [epoch["total"] for epoch in self.train]

    @property
    def val_loss(self) -> list[float]:
        return [epoch["total"] for epoch in self.val]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Progress:
    """What a callback receives. event: "batch" after every batch, "epoch" after each epoch's
    validation, "end" once when training ends (finished or stopped)."""

    event: str
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    losses: dict[str, float]  # this batch's ("batch") or this epoch's mean ("epoch", "end")
    val_losses: dict[str, float] | None
    samples_per_second: float
    seconds_left: float  # wall time, from this run's own measured pace; nan until measured
    history: History
    model: Autoencoder


Callback = Callable[[Progress], None]


class Clock:
    """Training speed, and the time left, for progress reports.

    `speed` counts training time only (validation and callbacks excluded): the figure to compare
    with a bare loop. `seconds_left` is wall time, validation and callbacks included, and comes only
    from this run's own pace once it is measured: after the first epoch or the first WARM_SECONDS,
    whichever comes first, so the first batches' one-off costs (allocation, caches) do not skew it.
    Before that it is nan: better no estimate than a wrong one.
    """

    WARM_SECONDS = 2.0

    def __init__(self, total_samples: int) -> None:
        self.total_samples, self.samples, self.seconds = total_samples, 0, 0.0
        self._since: float | None = None  # None while paused
        self._wall_start = time.perf_counter()
        self._mark: tuple[float, int] | None = None  # (wall time, samples) when the pace is measured from
        self._epoch_walls: list[float] = []  # wall seconds of each finished epoch

    def pause(self) -> None:
        if self._since is not None:
            self.seconds += time.perf_counter() - self._since
            self._since = None

    def resume(self) -> None:
        self._since = time.perf_counter()
        if self._mark is None and time.perf_counter() - self._wall_start >= self.WARM_SECONDS:
            self._mark = (time.perf_counter(), self.samples)

    def epoch_done(self) -> None:
        now = time.perf_counter()
        self._epoch_walls.append(now - self._wall_start - sum(self._epoch_walls))
        if self._mark is None:
            self._mark = (now, self.samples)

    @property
    def speed(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float:
        left = self.total_samples - self.samples
        if self._mark is not None and self.samples > self._mark[1]:
            return left * (time.perf_counter() - self._mark[0]) / (self.samples - self._mark[1])
        if self._epoch_walls and self.samples:  # just after the first epoch: its own pace
            return left * sum(self._epoch_walls) / self.samples
        return float("nan")
