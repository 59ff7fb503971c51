"""What a run reports and returns, whatever it trains on: its states, the `RunSnapshot` its progress
callback receives, the `RunResult` it returns, the checkpoint record (`run_metadata`) and the
reporter that turns `fit`'s callbacks into snapshots. The image runs (`aecore.runner`) and the
ratings runs (`aecore.recommend.run`) share them; `aecore.runner` re-exports every name.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable

import numpy as np
import torch

from aecore.data import ImageDataset
from aecore.data.splits import split_record
from aecore.history import History, Progress
from aecore.models import Autoencoder, create_model
from aecore.spec import RunSpec
from aecore.train import check_arguments, fit

RUNNING, EVALUATING, DONE, STOPPED, FAILED, CANCELLED = "running", "evaluating", "done", "stopped", "failed", "cancelled"
FINISHED = (DONE, STOPPED, FAILED, CANCELLED)


@dataclass(frozen=True)
class RunSnapshot:
    """The state of a run at one moment, as its progress callback receives it. Plain data (numpy
    arrays, lists, floats): it crosses process boundaries, and is never modified after it is sent."""

    state: str  # running, evaluating (fit is over), done, stopped, failed, cancelled
    epoch: int  # the epoch in progress (1-based), or the last one once finished
    epochs: int
    batches_done: int  # over the whole run
    batches_per_epoch: int
    losses: dict[str, float] = field(default_factory=dict)  # the latest batch's loss terms
    train_history: list[dict[str, float]] = field(default_factory=list)  # per-epoch means of each term
    val_history: list[dict[str, float]] = field(default_factory=list)
    samples_per_second: float = 0.0  # training samples per second (validation excluded)
    seconds_left: float = float("nan")  # from this run's own measured speed; nan until measured
    seconds: float = 0.0  # since the run started
    originals: np.ndarray | None = None  # (n, C, H, W) fixed test images
    reconstructions: np.ndarray | None = None  # (n, C, H, W) their reconstructions ...
    reconstructions_epoch: int = 0  # ... after this many epochs (0: the untrained model)
    metrics: dict[str, Any] | None = None  # test metrics, once finished
    pca: dict[str, Any] | None = None  # PCA's at the same code size
    error: str | None = None  # why the run failed
    feed: str = ""  # how the training data reached the model: "resident" or "streamed" (see aecore.fit)
    world_size: int = 1  # processes training together

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def fraction(self) -> float:
        """Share of the run's batches done, in [0, 1]. A stopped run shows how far it got."""
        total = self.epochs * self.batches_per_epoch
        if self.state == DONE:
            return 1.0
        return min(1.0, self.batches_done / total) if total else 0.0

    @property
    def text(self) -> str:
        """Where the run stands, in words, for any progress bar."""
        if self.state == "evaluating":
            return f"measuring the test images after {self.epochs} epochs"
        return f"{self.state}: epoch {self.epoch} of {self.epochs}" if self.finished else f"epoch {self.epoch} of {self.epochs}"


@dataclass
class RunResult:
    """What `run` returns: the trained model (in eval mode, on the CPU) and what its checkpoint records."""

    spec: RunSpec
    model: Autoencoder
    metrics: dict[str, Any]
    pca: dict[str, Any]
    history: History
    metadata: dict[str, Any]  # checkpoint metadata: dataset, split, metrics beside PCA, fit, history, recipe

    @property
    def stopped(self) -> bool:
        return self.history.stopped


def build_model(spec: RunSpec, input_shape: tuple[int, ...]) -> Autoencoder:
    """The untrained model of `spec`, its weights drawn from the fit seed without touching the
    caller's random state. Raises ValueError for an unknown kind or a bad option."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.fit.seed)
        return create_model(spec.kind, arch=spec.arch, input_shape=input_shape, latent_dim=spec.latent_dim,
                            **spec.options)


def preview_indices(dataset: ImageDataset, n: int) -> list[int]:
    """Up to `n` fixed images to watch: the first of each class in turn, so every class shows."""
    if dataset.labels is None:
        return list(range(min(n, len(dataset))))
    seen: dict[int, int] = {}
    ranked = []  # (rank within its class, class, index): sorting interleaves the classes
    for index, label in enumerate(dataset.labels.tolist()):
        ranked.append((seen.get(label, 0), label, index))
        seen[label] = seen.get(label, 0) + 1
    return [index for _, _, index in sorted(ranked)[:n]]


def run_metadata(spec: RunSpec, metrics: dict[str, Any], pca: dict[str, Any], history: History,
                 split: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a checkpoint records of a run; `split` describes the held-out part (default: the image
    split's record, `aecore.data.splits.split_record`)."""
    return {
        "dataset": spec.dataset,
        "dataset_options": dict(spec.dataset_options),
        "split": split if split is not None else split_record(spec.dataset, spec.test_fraction, spec.split_seed,
                                                              **spec.dataset_options),
        **({"normal_classes": list(spec.normal_classes)} if spec.normal_classes is not None else {}),
        "metrics": {"test": metrics, "pca": pca},
        "fit": asdict(spec.fit),
        "history": {"train_loss": history.train_loss, "val_loss": history.val_loss, "stopped": history.stopped,
                    "wall_time": history.wall_time, "samples_per_second": history.samples_per_second,
                    "device": history.device, "feed": history.feed, "feed_reason": history.feed_reason,
                    "world_size": history.world_size},
        "spec": spec.to_dict(),
        "recipe": spec.command(),
    }


class RunReporter:
    """Turns fit's callbacks into RunSnapshots, throttled so a fast run does not spend its time
    (or a process pipe) on progress nobody can read that often."""

    def __init__(self, spec: RunSpec, model: Autoencoder, test: ImageDataset | None, n_train: int,
                 progress: Callable[[RunSnapshot], None] | None, every: float) -> None:
        self.model, self.progress, self.every = model, progress, every
        self.started = time.perf_counter()
        self.last_sent = self.last_preview = -math.inf
        self.preview = self.preview_labels = None  # no test images (a ratings run): no previews
        if test is not None:
            shown = preview_indices(test, spec.preview)
            self.preview = test.images[shown]  # (n, C, H, W)
            self.preview_labels = None if test.labels is None else test.labels[shown]  # a conditional model's classes
        batches = -(-n_train // spec.fit.batch_size)
        self.snapshot = RunSnapshot(state=RUNNING, epoch=0, epochs=spec.fit.epochs, batches_done=0,
                                    batches_per_epoch=batches,
                                    originals=None if self.preview is None else self.preview.numpy(),
                                    reconstructions=self.reconstruct() if progress else None)

    def update(self, **changes: Any) -> None:
        self.snapshot = replace(self.snapshot, seconds=time.perf_counter() - self.started, **changes)

    def send(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.progress is not None and (force or now - self.last_sent >= self.every):
            self.last_sent = now
            self.progress(self.snapshot)

    def on_progress(self, state: Progress) -> None:
        changes: dict[str, Any] = {"epoch": state.epoch, "batches_done": state.history.batches_done,
                                   "samples_per_second": state.samples_per_second,
                                   "seconds_left": state.seconds_left, "feed": state.history.feed,
                                   "world_size": state.history.world_size}
        if state.event == "batch":
            changes["losses"] = state.losses
        elif state.event == "epoch":
            # New lists each epoch, so a snapshot sent earlier never changes under its reader.
            changes.update(train_history=list(state.history.train), val_history=list(state.history.val))
            now = time.perf_counter()
            if now - self.last_preview >= self.every or state.epoch == state.epochs:
                self.last_preview = now
                changes.update(reconstructions=self.reconstruct(), reconstructions_epoch=state.epoch)
        self.update(**changes)
        self.send(force=state.event == "epoch" and "reconstructions" in changes)

    @torch.no_grad()
    def reconstruct(self) -> np.ndarray | None:
        if self.preview is None:
            return None
        # fit owns the model in this thread: switching its mode here and back is safe.
        was_training = self.model.training
        self.model.eval()
        try:
            device = next(self.model.parameters()).device
            labels = None if self.preview_labels is None else self.preview_labels.to(device)
            return self.model(self.preview.to(device), labels).x_hat.cpu().numpy()
        finally:
            self.model.train(was_training)


def fit_reported(spec: RunSpec, train: Any, val: Any, progress: Callable[[RunSnapshot], None] | None, stop: Any,
                 every: float) -> tuple[Autoencoder, History, RunReporter]:
    """What every run does between its data and its scores: build the spec's model, check it against
    the data, train it with `fit` while snapshots go to `progress`, then report "evaluating". Returns
    (the model, its history, the reporter, for the run's last snapshot)."""
    model = build_model(spec, train.image_shape)
    check_arguments(model, train, val, spec.fit.epochs, spec.fit.batch_size, spec.fit.lr)
    reporter = RunReporter(spec, model, val, len(train), progress, every)
    reporter.send(force=True)
    with torch.random.fork_rng(devices=[]):  # fit seeds torch's generator: leave the caller's as it was
        history = fit(model, train, val, callbacks=[reporter.on_progress] if progress else (), stop=stop,
                      batch_interval=every / 2, **asdict(spec.fit))
    reporter.update(state=EVALUATING, seconds_left=0.0)
    reporter.send(force=True)
    return model, history, reporter


__all__ = ["CANCELLED", "DONE", "EVALUATING", "FAILED", "FINISHED", "RUNNING", "RunReporter", "RunResult", "RunSnapshot",
           "STOPPED", "build_model", "fit_reported", "preview_indices", "run_metadata"]
