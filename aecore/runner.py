"""The run layer: a `RunSpec` says what to train and how; `run(spec)` trains it, evaluates it beside
PCA and returns everything a checkpoint records.

Every training in the project goes through here: the CLI (`python -m aecore train`), the zoo, the
app's Train page, one-class models for anomaly detection, rate-distortion sweeps and the warm-up
experiment. So one recipe gives one checkpoint wherever it runs. A spec is plain data (picklable,
JSON-able), which is what lets a worker process run it.

    spec = RunSpec(dataset="digits", kind="vae", latent_dim=8, fit=FitSettings(epochs=30))
    result = run(spec, progress=print)        # progress: a RunSnapshot now and then
    result.model, result.metrics, result.pca  # the model, its test metrics, PCA's at the same size
    aecore.save(result.model, "vae.zip", metadata=result.metadata)
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable

import numpy as np
import torch

from aecore import distributed
from aecore.data import ImageDataset, StreamedImages, load_split
from aecore.data.splits import split_record
from aecore.metrics import evaluate, pca_baseline
from aecore.models import Autoencoder, create_model, model_class
from aecore.spec import FitSettings, RunSpec  # noqa: F401  (re-exported: the run layer's vocabulary)
from aecore.train import History, Progress, check_arguments, fit

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


EVALUATION_SAMPLE = 10_000  # test (and PCA's training) images read whole when a dataset streams from disk


def split_for(spec: RunSpec, dataset: ImageDataset | StreamedImages | None = None) -> tuple[ImageDataset, ImageDataset]:
    """(train, test) of the spec's data (`aecore.data.load_split`: a dataset's own test file, else the
    spec's seeded split; of `dataset` when given), narrowed to the normal classes for a one-class run."""
    if dataset is None:
        train, test = load_split(spec.dataset, test_fraction=spec.test_fraction, seed=spec.split_seed,
                                 **spec.dataset_options)
    else:  # the caller's own images (a stream, a set loaded once): split them
        train, test = dataset.split(spec.test_fraction, seed=spec.split_seed)
    return narrowed(spec, train, test)


def narrowed(spec: RunSpec, train: ImageDataset, test: ImageDataset) -> tuple[ImageDataset, ImageDataset]:
    """(train, test) narrowed to the spec's normal classes for a one-class run; as they are otherwise."""
    if spec.normal_classes is None:
        return train, test
    from aecore.anomaly import normal_mask  # anomaly builds on this module

    return (train.subset(normal_mask(train, spec.normal_classes), f"{spec.dataset} (normal train)"),
            test.subset(normal_mask(test, spec.normal_classes), f"{spec.dataset} (normal test)"))


def build_model(spec: RunSpec, input_shape: tuple[int, ...]) -> Autoencoder:
    """The untrained model of `spec`, its weights drawn from the fit seed without touching the
    caller's random state. Raises ValueError for an unknown kind or a bad option."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.fit.seed)
        return create_model(spec.kind, arch=spec.arch, input_shape=input_shape, latent_dim=spec.latent_dim,
                            **spec.options)


def check(spec: RunSpec, dataset: ImageDataset | StreamedImages | None = None) -> None:
    """Raise ValueError for anything `run` would refuse, before any training (a bad kind, option,
    setting, or a dataset that cannot load)."""
    if is_ratings_kind(spec.kind):
        from aecore.recommend.run import check_ratings

        return check_ratings(spec, dataset)
    train, test = split_for(spec, dataset)
    check_arguments(build_model(spec, train.image_shape), train, test, spec.fit.epochs, spec.fit.batch_size,
                    spec.fit.lr)


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


def run(spec: RunSpec, progress: Callable[[RunSnapshot], None] | None = None, stop: Any = None,
        data: tuple[ImageDataset, ImageDataset] | Any = None, every: float = 0.5) -> RunResult:
    """Train the spec's model, evaluate it on the test split beside PCA, return a RunResult.

    progress: receives a RunSnapshot at the start, at most every `every` seconds during training,
    after each epoch (with reconstructions of the preview images, at most every `every` seconds) and
    once at the end. stop: anything with `is_set()` (a threading.Event, a worker's cancel flag);
    when set, training ends after the current batch and the weights so far are kept.
    data: (train, test) already loaded and split as `split_for(spec)` would (a caller that runs
    many specs on one dataset loads it once); None loads the spec's dataset. A ratings kind
    (`is_ratings_kind`) runs in `aecore.recommend.run`, and its data is a ratings split.
    Launched by torchrun as one of several ranks, the run joins their process group (aecore.
    distributed.session) and trains with DistributedDataParallel; only rank 0 reports progress.
    A dataset that streams from disk is validated, evaluated and compared with PCA on a sample of
    EVALUATION_SAMPLE images of each split, read whole.
    """
    if is_ratings_kind(spec.kind):  # rows of a ratings table, scored on held-out ratings beside SVD
        from aecore.recommend.run import run_ratings

        return run_ratings(spec, progress, stop, data, every)
    with distributed.session():
        train, test = data if data is not None else split_for(spec)
        test = resident_sample(test, spec.split_seed)
        model = build_model(spec, train.image_shape)
        check_arguments(model, train, test, spec.fit.epochs, spec.fit.batch_size, spec.fit.lr)
        progress = progress if distributed.is_main() else None
        reporter = RunReporter(spec, model, test, len(train), progress, every)
        reporter.send(force=True)
        with torch.random.fork_rng(devices=[]):  # fit seeds torch's generator: leave the caller's as it was
            history = fit(model, train, test, callbacks=[reporter.on_progress] if progress else (), stop=stop,
                          batch_interval=every / 2, **asdict(spec.fit))
    reporter.update(state=EVALUATING, seconds_left=0.0)
    reporter.send(force=True)
    model.cpu()
    metrics = evaluate(model, test)
    pca_train = resident_sample(train, spec.split_seed)
    pca = pca_baseline(pca_train, test, k=min(spec.latent_dim, len(pca_train), pca_train.images[0].numel()))
    metadata = run_metadata(spec, metrics, pca, history)
    reporter.update(state=STOPPED if history.stopped else DONE, metrics=metrics, pca=pca,
                    reconstructions=reporter.reconstruct(), reconstructions_epoch=len(history.train),
                    train_history=list(history.train), val_history=list(history.val))
    reporter.send(force=True)
    return RunResult(spec, model, metrics, pca, history, metadata)


def resident_sample(data: ImageDataset | StreamedImages, seed: int = 0) -> ImageDataset:
    """`data` itself when in memory; else up to EVALUATION_SAMPLE of its images drawn with `seed`,
    read whole (a random draw: files are often sorted by class)."""
    if isinstance(data, ImageDataset):
        return data
    if len(data) > EVALUATION_SAMPLE:
        picked = np.random.default_rng(seed).choice(len(data), EVALUATION_SAMPLE, replace=False)
        data = data.subset(np.sort(picked))
    return data.to_dataset()


def is_ratings_kind(kind: str) -> bool:
    """Whether `kind` reads rows of a ratings table (`list_models("ratings")`) rather than images.
    Raises ValueError, listing the valid kinds, for an unknown one."""
    return getattr(model_class(kind), "data", "images") == "ratings"


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


__all__ = ["CANCELLED", "DONE", "EVALUATING", "FAILED", "FINISHED", "FitSettings", "RUNNING", "RunReporter", "RunResult",
           "EVALUATION_SAMPLE", "RunSnapshot", "RunSpec", "STOPPED", "build_model", "check", "is_ratings_kind", "preview_indices", "resident_sample", "run",
           "narrowed", "run_metadata", "split_for"]
