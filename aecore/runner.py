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

from typing import Any, Callable

import numpy as np

from aecore import distributed
from aecore.data import ImageDataset, StreamedImages, load_split
from aecore.metrics import evaluate, pca_baseline
from aecore.models import model_class
# Re-exported: the run layer's vocabulary (a run's states, snapshot, result, record, reporter).
from aecore.run_report import (CANCELLED, DONE, EVALUATING, FAILED, FINISHED, RUNNING, STOPPED,  # noqa: F401
                               RunReporter, RunResult, RunSnapshot, build_model, fit_reported, preview_indices,
                               run_metadata)
from aecore.spec import FitSettings, RunSpec  # noqa: F401
from aecore.train import check_arguments

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


def check(spec: RunSpec, dataset: ImageDataset | StreamedImages | None = None) -> None:
    """Raise ValueError for anything `run` would refuse, before any training (a bad kind, option,
    setting, or a dataset that cannot load)."""
    if is_ratings_kind(spec.kind):
        from aecore.recommend.run import check_ratings

        return check_ratings(spec, dataset)
    train, test = split_for(spec, dataset)
    check_arguments(build_model(spec, train.image_shape), train, test, spec.fit.epochs, spec.fit.batch_size,
                    spec.fit.lr)


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
        model, history, reporter = fit_reported(spec, train, test, progress if distributed.is_main() else None,
                                                stop, every)
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


__all__ = ["CANCELLED", "DONE", "EVALUATING", "FAILED", "FINISHED", "FitSettings", "RUNNING", "RunReporter", "RunResult",
           "EVALUATION_SAMPLE", "RunSnapshot", "RunSpec", "STOPPED", "build_model", "check", "is_ratings_kind", "preview_indices", "resident_sample", "run",
           "narrowed", "run_metadata", "split_for"]
