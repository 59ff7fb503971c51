"""Training: one `fit` function for every kind, with plain-function callbacks and a stop event.

The whole dataset is moved to the device once and batched there by indexing, so no batch pays a
host-to-device copy. Loss values are read back to Python (a device sync) only when a callback
wants them and at the end of each epoch, which keeps a GPU busy.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

import torch

from aecore.models.base import Autoencoder

if TYPE_CHECKING:
    from aecore.data import ImageDataset


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the model holds the weights from before the bad epoch."""


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


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple's MPS, then the CPU."""
    if str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


SCHEDULES = ("constant", "onecycle")


def check_arguments(model: Autoencoder, train: ImageDataset, val: ImageDataset | None, epochs: int, batch_size: int, lr: float) -> None:
    """Raise ValueError for anything `fit` would refuse, before any work."""
    if len(train) == 0:
        raise ValueError("the training dataset is empty: nothing to learn from")
    for name, data in (("training", train), ("validation", val)):
        if data is not None and tuple(data.image_shape) != tuple(model.config.input_shape):
            raise ValueError(
                f"the {name} images are shaped {tuple(data.image_shape)} but the model takes "
                f"{tuple(model.config.input_shape)}: create the model with input_shape=dataset.image_shape"
            )
    if val is not None and len(val) == 0:
        raise ValueError("the validation dataset is empty: pass val=None to skip validation")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be an integer of at least 1, got {epochs}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer of at least 1, got {batch_size}")
    if not lr > 0:
        raise ValueError(f"the learning rate must be positive, got {lr}")


@torch.no_grad()
def _validate(model: Autoencoder, images: torch.Tensor, names: list[str], batch_size: int) -> dict[str, float]:
    model.eval()
    sums = torch.zeros(len(names), device=images.device)
    # The VAE's loss draws samples; forking the generator keeps validation from shifting training's
    # random draws, so a run learns the same weights with or without validation data.
    with torch.random.fork_rng(devices=[images.device] if images.device.type == "cuda" else []):
        for start in range(0, len(images), batch_size):
            x = images[start : start + batch_size]
            _, logs = model.loss(x)
            sums += torch.stack([logs[n] for n in names]) * len(x)
    model.train()
    return dict(zip(names, (sums / len(images)).tolist()))


class _Clock:
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


def fit(
    model: Autoencoder,
    train: ImageDataset,
    val: ImageDataset | None = None,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    device: str | torch.device = "auto",
    seed: int = 0,
    warmup_epochs: float = 0,
    callbacks: Iterable[Callback] = (),
    batch_interval: float = 0.0,
    stop: threading.Event | Any = None,
    schedule: str = "constant",
) -> History:
    """Train `model` in place with Adam and return its History.

    warmup_epochs: the regularizer weights (the VAE's KL term above all) ramp linearly from 0 over
    this many epochs, the standard cure for posterior collapse (Bowman et al. 2016).
    batch_interval: "batch" events go to the callbacks at most this often (seconds; 0: every
    batch); "epoch" and "end" events always do.
    stop: a threading.Event (or anything with `is_set()`, such as a worker's cancel flag); once set,
    training ends between batches, keeping the weights so far.
    schedule: "constant" keeps lr; "onecycle" (torch's OneCycleLR, Smith & Topin 2018) warms up to
    lr over the first 30% of the batches and anneals to ~0 by the last: in a short run it reaches a
    lower loss than any constant rate (the 28x28 recipes use it).
    Raises ValueError for bad arguments before any work, and TrainingDiverged (with the last good
    weights restored) when the loss becomes NaN or infinite.
    """
    check_arguments(model, train, val, epochs, batch_size, lr)
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; valid: {', '.join(SCHEDULES)}")
    callbacks = list(callbacks)
    target = resolve_device(device)
    torch.manual_seed(seed)  # the model's own randomness: denoising corruption, VAE sampling
    order = torch.Generator().manual_seed(seed)  # batch order, drawn on the CPU so devices agree
    model.to(target).train()
    images = train.images.to(target, torch.float32)  # once: batches are slices on the device
    val_images = val.images.to(target, torch.float32) if val is not None else None
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    batches = -(-len(images) // batch_size)
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=epochs * batches)
                 if schedule == "onecycle" else None)
    history = History(device=str(target))
    clock = _Clock(epochs * len(images))
    started = time.perf_counter()
    last_batch_report = -math.inf

    def report(event: str, epoch: int, batch: int, losses: dict[str, float], val_losses: dict[str, float] | None) -> None:
        clock.pause()
        left = clock.seconds_left
        progress = Progress(event, epoch, epochs, batch, batches, losses, val_losses, clock.speed,
                            max(left, 0.0) if math.isfinite(left) else left, history, model)
        for callback in callbacks:
            callback(progress)
        clock.resume()

    try:
        for epoch in range(1, epochs + 1):
            good_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            permutation = torch.randperm(len(images), generator=order).to(target)
            clock.resume()
            sums, seen = None, 0
            for batch in range(1, batches + 1):
                if stop is not None and stop.is_set():
                    history.stopped = True
                    break
                if warmup_epochs > 0:
                    model.warmup_scale = min(1.0, (epoch - 1 + (batch - 1) / batches) / warmup_epochs)
                x = images[permutation[(batch - 1) * batch_size : batch * batch_size]]
                optimiser.zero_grad(set_to_none=True)
                total, logs = model.loss(x)
                total.backward()
                optimiser.step()
                if scheduler is not None:
                    scheduler.step()
                values = torch.stack(list(logs.values())) * len(x)  # (terms,) summed over the batch
                sums = values if sums is None else sums + values
                seen += len(x)
                clock.samples += len(x)
                history.batches_done += 1
                now = time.perf_counter()
                # Reading the values syncs the device, and a callback costs more than a small
                # model's step: only when someone listens, and at most every batch_interval s.
                if callbacks and now - last_batch_report >= batch_interval:
                    last_batch_report = now
                    batch_losses = dict(zip(logs, (values / len(x)).tolist()))
                    _check_finite(batch_losses, model, good_weights, epoch)
                    report("batch", epoch, batch, batch_losses, None)
            if seen == 0:
                break
            epoch_losses = dict(zip(logs, (sums / seen).tolist()))
            clock.pause()
            _check_finite(epoch_losses, model, good_weights, epoch)
            history.train.append(epoch_losses)
            val_losses = _validate(model, val_images, list(logs), batch_size) if val_images is not None else None
            if val_losses is not None:
                _check_finite(val_losses, model, good_weights, epoch)
                history.val.append(val_losses)
            history.epoch_seconds.append(time.perf_counter() - started - sum(history.epoch_seconds))
            clock.epoch_done()
            clock.resume()
            report("epoch", epoch, batches, epoch_losses, val_losses)
            clock.pause()
            if history.stopped:
                break
    finally:
        model.warmup_scale = 1.0
        model.eval()
        history.wall_time = time.perf_counter() - started
        history.samples_per_second = clock.speed
    report("end", len(history.train), batches, history.train[-1] if history.train else {},
           history.val[-1] if history.val else None)
    return history


def _check_finite(losses: dict[str, float], model: Autoencoder, good_weights: dict[str, torch.Tensor], epoch: int) -> None:
    bad = ", ".join(f"{k}={v}" for k, v in losses.items() if not math.isfinite(v))
    if not bad:
        return
    model.load_state_dict(good_weights)
    raise TrainingDiverged(
        f"training diverged in epoch {epoch} ({bad}); the weights from before that epoch were restored. "
        "Lower the learning rate (or the regularizer weight) and train again."
    )
