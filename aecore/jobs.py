"""Background training: a `TrainingJob` runs `fit` in a daemon thread and publishes snapshots.

Whoever started the job (an app's page, a notebook) reads `job.snapshot()` whenever it wants to
draw, and may call `job.stop()`; the worker thread is the only one that touches the model until
the job has finished. Nothing here knows about any user interface.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from aecore.background import BackgroundJob
from aecore.data import ImageDataset
from aecore.metrics import evaluate, pca_baseline
from aecore.models import Autoencoder, create_model
from aecore.train import Progress, _check_arguments, fit

RUNNING, EVALUATING, DONE, STOPPED, FAILED = "running", "evaluating", "done", "stopped", "failed"
FINISHED = (DONE, STOPPED, FAILED)


@dataclass(frozen=True)
class JobSnapshot:
    """The state of a job at one moment. Its lists and arrays are never modified afterwards."""

    state: str  # running, evaluating (fit is over, metrics are being computed), done, stopped, failed
    epoch: int  # the epoch in progress (1-based), or the last one once finished
    epochs: int
    batches_done: int  # over the whole run
    batches_per_epoch: int
    losses: dict[str, float] = field(default_factory=dict)  # the latest batch's loss terms
    train_history: list[dict[str, float]] = field(default_factory=list)  # per-epoch means of each term
    val_history: list[dict[str, float]] = field(default_factory=list)
    samples_per_second: float = 0.0
    seconds_left: float = float("nan")
    seconds: float = 0.0  # since the job started
    originals: np.ndarray | None = None  # (n, C, H, W) fixed test images
    reconstructions: np.ndarray | None = None  # (n, C, H, W) their reconstructions ...
    reconstructions_epoch: int = 0  # ... after this many epochs (0: the untrained model)
    metrics: dict[str, Any] | None = None  # aecore.evaluate on the test split, once finished
    pca: dict[str, Any] | None = None  # aecore.pca_baseline at the same latent dim
    error: str | None = None  # why the job failed

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def fraction(self) -> float:
        """Share of all batches done, in [0, 1]; 1 once finished, however it ended."""
        total = self.epochs * self.batches_per_epoch
        return 1.0 if self.finished else min(1.0, self.batches_done / total) if total else 0.0


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


class TrainingJob(BackgroundJob):
    """Train a new model of `kind` on `dataset` in a daemon thread; see `start`, `snapshot`, `stop`.

    The dataset is split as the CLI splits it (`test_fraction`, `split_seed`); the test part is the
    validation set during training and the evaluation set after it, as in the CLI. The model is
    built here, in the caller's thread, so a bad kind, option or fit setting raises ValueError at
    once; its initial weights come from `seed` without disturbing the caller's random state.
    `threads` sets torch's intra-op thread count in the worker (None leaves it alone): for small
    models on a shared CPU, 1 is far faster than threads contending for cores. torch applies it to
    threads started in the process meanwhile as well; the previous count is restored at the end.
    """

    def __init__(self, dataset: ImageDataset, kind: str, *, arch: str = "mlp", latent_dim: int = 8,
                 options: dict[str, Any] | None = None, epochs: int = 10, batch_size: int = 128,
                 lr: float = 1e-3, warmup_epochs: float = 0.0, seed: int = 0, device: str = "auto",
                 test_fraction: float = 0.2, split_seed: int = 0, preview: int = 10,
                 threads: int | None = None) -> None:
        super().__init__(name=f"aecore-train-{kind}", threads=threads)
        self.dataset_name = dataset.name
        self.train, self.test = dataset.split(test_fraction, seed=split_seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model: Autoencoder = create_model(kind, arch=arch, input_shape=dataset.image_shape,
                                                   latent_dim=latent_dim, **(options or {}))
        # fit's own checks, here rather than in the thread, so a bad setting is refused at once.
        _check_arguments(self.model, self.train, self.test, epochs, batch_size, lr)
        self.fit_options = {"epochs": epochs, "batch_size": batch_size, "lr": lr,
                            "warmup_epochs": warmup_epochs, "seed": seed, "device": device}
        self.split = {"test_fraction": test_fraction, "seed": split_seed}
        self._preview = self.test.images[preview_indices(self.test, preview)]  # (n, C, H, W)
        self._lock = threading.Lock()
        self._snapshot = JobSnapshot(state=RUNNING, epoch=0, epochs=epochs, batches_done=0,
                                     batches_per_epoch=-(-len(self.train) // batch_size),
                                     originals=self._preview.numpy())

    # --- what the caller uses (start, stop and wait come from BackgroundJob) ----------------
    def snapshot(self) -> JobSnapshot:
        """The latest progress, safe to read from any thread."""
        with self._lock:
            snapshot = self._snapshot
        return snapshot if snapshot.finished else replace(snapshot, seconds=self.seconds)

    @property
    def finished(self) -> bool:
        return self.snapshot().finished

    def metadata(self) -> dict[str, Any]:
        """Checkpoint metadata in the CLI's layout: dataset, split, metrics beside PCA, fit settings,
        loss history. Call it once the job has finished."""
        snapshot = self.snapshot()
        return {
            "dataset": self.dataset_name,
            "split": dict(self.split),
            "metrics": {"test": snapshot.metrics or {}, "pca": snapshot.pca or {}},
            "fit": dict(self.fit_options),
            "history": {"train_loss": [e["total"] for e in snapshot.train_history],
                        "val_loss": [e["total"] for e in snapshot.val_history],
                        "stopped": snapshot.state == STOPPED},
        }

    # --- the worker thread ------------------------------------------------------------------
    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._snapshot = replace(self._snapshot, **changes)

    def _work(self) -> None:
        self._update(reconstructions=self._reconstruct(), reconstructions_epoch=0)
        history = fit(self.model, self.train, self.test, callbacks=[self._on_progress], stop=self._stop,
                      **self.fit_options)
        self._update(state=EVALUATING, seconds_left=0.0)
        metrics = evaluate(self.model, self.test)
        k = min(self.model.config.latent_dim, len(self.train), self.train.images[0].numel())
        pca = pca_baseline(self.train, self.test, k=k)
        reconstructions = self._reconstruct()
        self._end_clock()
        self._update(state=STOPPED if history.stopped else DONE, metrics=metrics, pca=pca,
                     reconstructions=reconstructions, reconstructions_epoch=len(history.train),
                     seconds=self.seconds)

    def _failed(self, error: Exception) -> None:
        self._update(state=FAILED, error=str(error) or type(error).__name__, seconds=self.seconds)

    def _on_progress(self, progress: Progress) -> None:
        changes: dict[str, Any] = {
            "epoch": progress.epoch, "batches_done": progress.history.batches_done,
            "samples_per_second": progress.samples_per_second, "seconds_left": progress.seconds_left,
        }
        if progress.event == "batch":
            changes["losses"] = progress.losses
        elif progress.event == "epoch":
            # New lists each epoch, so a snapshot handed out earlier never changes under its reader.
            changes.update(train_history=list(progress.history.train), val_history=list(progress.history.val),
                           reconstructions=self._reconstruct(), reconstructions_epoch=progress.epoch)
        self._update(**changes)

    @torch.no_grad()
    def _reconstruct(self) -> np.ndarray:
        was_training = self.model.training
        self.model.eval()
        try:
            device = next(self.model.parameters()).device
            return self.model(self._preview.to(device)).x_hat.cpu().numpy()
        finally:
            self.model.train(was_training)
