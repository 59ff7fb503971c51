"""The long work an app hands to worker processes (`aecore.workers.JobQueue`).

Each job is a module-level function of plain, picklable arguments that returns plain data: a model
travels back as checkpoint bytes, never as a pickled module. Inside a worker, progress goes out
through `aecore.in_worker.report` and a cancel arrives through `aecore.in_worker.cancel_flag`; called
directly (in a notebook, a test), the same functions simply run.

    job = queue.submit(aecore.studies.jobs.train, RunSpec(dataset="digits", kind="vae"))
    ...
    model = aecore.load(job.result["checkpoint"])
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from functools import lru_cache
from typing import Any, Callable

import numpy as np

from aecore import anomaly
from aecore.checkpoint import load, to_zip_bytes
from aecore.cluster import on_server
from aecore.data import ImageDataset, load_split
from aecore.data.download import DownloadCancelled, download_dataset, format_size
from aecore.in_worker import cancel_flag, report, stage
from aecore.limits import max_run_minutes
from aecore.recipes import default_spec, warmup_specs
from aecore.runner import RunSnapshot, RunSpec, narrowed, run
from aecore.studies import compression, inspect_code


@lru_cache(maxsize=4)
def _cached_split(name: str, options: str, test_fraction: float, seed: int) -> tuple[ImageDataset, ImageDataset]:
    # A worker serves many jobs: `shapes` renders 10,000 images, MNIST reads 50 MB; do it once.
    return load_split(name, test_fraction=test_fraction, seed=seed, **json.loads(options))


def split_of(spec: RunSpec) -> tuple[ImageDataset, ImageDataset]:
    """The spec's (train, test) before any narrowing to normal classes (`aecore.load_split`), loaded
    once per process."""
    return _cached_split(spec.dataset, json.dumps(spec.dataset_options, sort_keys=True), spec.test_fraction,
                         spec.split_seed)


def data_for(spec: RunSpec) -> tuple[ImageDataset, ImageDataset]:
    """`aecore.runner.split_for(spec)`, from the split loaded once per process."""
    return narrowed(spec, *split_of(spec))


class _Last:
    """Forwards each snapshot to `report` and keeps the last: a job's result carries its final
    state, since the queue may hand back the result before the last progress message is read."""

    def __init__(self) -> None:
        self.snapshot: RunSnapshot | None = None

    def __call__(self, snapshot: RunSnapshot) -> None:
        self.snapshot = snapshot
        report(snapshot.text, snapshot.fraction, snapshot)


class _CancelOrCap:
    """fit's `stop`: set once the job is cancelled, or once the run has reached this server's cap on
    one run's time (`aecore.limits.max_run_minutes`); `capped` says which."""

    def __init__(self, minutes: float | None) -> None:
        self.cancel, self.capped = cancel_flag(), False
        self.deadline = None if minutes is None else time.monotonic() + 60 * minutes

    def is_set(self) -> bool:
        cancelled = self.cancel.is_set()  # waits while the queue has lent this job's worker out
        # The time paused for another session's job does not count against the cap.
        if self.deadline is not None and time.monotonic() - getattr(self.cancel, "paused_seconds", 0.0) >= self.deadline:
            self.capped = True
        return self.capped or cancelled


def train(spec: RunSpec) -> dict[str, Any]:
    """Run `spec`; returns {"checkpoint": zip bytes, "snapshot": the final RunSnapshot, "stopped",
    "capped_minutes"}. A cancel, or this server's cap on one run's time (`capped_minutes`, else None),
    ends training after the current batch and still returns the weights learned so far."""
    last, minutes = _Last(), max_run_minutes()
    stop = _CancelOrCap(minutes)
    result = run(spec, progress=last, stop=stop, data=data_for(spec))
    return {"checkpoint": to_zip_bytes(result.model, metadata=result.metadata), "snapshot": last.snapshot,
            "stopped": result.stopped, "capped_minutes": minutes if stop.capped else None}


def one_class(spec: RunSpec) -> dict[str, Any]:
    """Train `spec` (with normal_classes) as `train` does, then score every test image of the full
    split by reconstruction error, beside PCA fit on the same normal training images."""
    if spec.normal_classes is None:
        raise ValueError("a one-class run needs normal_classes")
    outcome = train(spec)
    model = load(outcome["checkpoint"])
    normal_train, test, is_anomaly = anomaly.one_class_split(split_of(spec), spec.normal_classes,
                                                             spec.test_fraction, spec.split_seed)
    k = min(spec.latent_dim, len(normal_train))
    outcome.update(scores=anomaly.anomaly_scores(model, test), pca_scores=anomaly.pca_scores(normal_train, test, k),
                   is_anomaly=np.asarray(is_anomaly), k=k)
    return outcome


def compression_sweep(dataset: str, kind: str, latent_dims: list[int], epochs: int) -> dict[str, Any]:
    """A complete rate-distortion sweep (`aecore.studies.compression.complete_sweep`: quantized codes and the
    PNG/JPEG anchor) of `kind` on `dataset`, with its default recipe's architecture and settings.
    Progress detail: a SweepProgress (without its rows); a cancel returns the sizes finished so far."""
    recipe = {**compression.sweep_recipe(dataset), "kind": kind, "latent_dims": sorted(latent_dims), "epochs": epochs}
    train, test = data_for(default_spec(dataset))
    return compression.complete_sweep(dataset, recipe, train, test, stop=cancel_flag(),
                                      progress=lambda state: report(state.text, state.fraction, replace(state, rows=[])),
                                      anchor=compression.shipped_anchor(dataset, len(test)))


def warmup(beta: float) -> dict[str, dict[str, Any]]:
    """The KL warm-up experiment (`aecore.studies.inspect_code.warmup_comparison`). Progress: the run's label and its share done."""
    specs = warmup_specs(beta)
    first = next(iter(specs.values()))
    return inspect_code.warmup_comparison(beta, data=data_for(first),
                                          progress=lambda label, fraction: report(label, fraction),
                                          stop=cancel_flag())


def sample_judge(dataset: str, images: int) -> Any:
    """The pixel classifier that judges a conditional model's samples of `dataset`
    (`quality.pixel_classifier`, the MLP) trained on `images` of its real training images: seconds of
    scikit-learn on MNIST, so never in a page's script run."""
    from aecore.studies.quality import pixel_classifier

    return pixel_classifier(load_split(dataset)[0], max_images=images, kind="mlp")


def _download_progress() -> Callable[[int, int], None]:
    """A downloader's progress hook inside a job: reports (bytes done, bytes in all), and stops the
    download at the next chunk once the job is cancelled (DownloadCancelled: no partial file)."""
    stop = cancel_flag()

    def progress(done: int, total: int) -> None:
        if stop.is_set():
            raise DownloadCancelled
        report(f"{format_size(done)} of {format_size(total)}", done / total if total else None, (done, total))

    return progress


@on_server  # into this server's data folder, even where the other jobs run on a cluster
def download(name: str, root: str | None = None, mirror: str | None = None) -> dict[str, Any]:
    """Download dataset `name` (`aecore.data.download.download_dataset`) into `root`, from `mirror`
    if given. Progress detail: (bytes done, bytes in all). A cancel stops it at the next chunk, leaving no
    partial file. The server passes root and mirror: a worker may have started before they were set."""
    try:
        path = download_dataset(name, root, progress=_download_progress(), mirror=mirror)
    except DownloadCancelled:
        return {"dataset": name, "path": None}
    return {"dataset": name, "path": str(path)}


def movielens(root: str | None = None, mirror: str | None = None) -> dict[str, Any]:
    """Download MovieLens 100k (`aecore.data.movielens.download_movielens`) into `root`, from `mirror`
    if given, as `download` does an image dataset: progress (bytes done, bytes in all), a cancel at
    the next chunk leaving no partial file."""
    from aecore.data.movielens import download_movielens

    try:
        return {"path": str(download_movielens(root, _download_progress(), mirror=mirror))}
    except DownloadCancelled:
        return {"path": None}


def recommend(ratings: Any, seed: int = 0) -> dict[str, Any]:
    """The Recommend page's study of a ratings table (`aecore.recommend.study`): every method on one
    held-out split, the page's model as checkpoint bytes, the users' codes and their map."""
    from aecore.recommend import study  # SciPy's sparse tables and the SVD load for this job only

    return study(ratings, seed)


def zoo_results(dataset: str, data_root: str | None = None, zoo_cache: str | None = None,
                pretrained: str | None = None, onnx_cache: str | None = None,
                names: list[str] | None = None) -> list[str]:
    """Measure the latent maps and page results of the zoo's models of a downloaded `dataset` (or
    only `names`) that lack them, on this machine's images (`aecore.studies.zoo.build_local_results`), and
    export their decoders into `onnx_cache` when given. Progress: "name: what it measures now", with
    the share of all of them. A cancel stops before the next model. The server passes the folders: a
    worker may predate their setting."""
    from aecore.pretrained import missing_results
    from aecore.studies.zoo import build_local_results

    _use_folders(data_root, zoo_cache)
    stop = cancel_flag()
    chosen = [n for n in missing_results(dataset, pretrained) if names is None or n in names]
    done = []
    for index, name in enumerate(chosen):
        if stop.is_set():
            break
        with stage(index, len(chosen), name):
            done += build_local_results(dataset, root=pretrained, decoders=onnx_cache, only=[name])
    return done


def zoo_studies(dataset: str, data_root: str | None = None, zoo_cache: str | None = None,
                pretrained: str | None = None, studies: list[str] | None = None) -> list[str]:
    """Measure the Compression page's sweep and the denoise lab's curves of a downloaded `dataset`'s
    shipped models on this machine's images (`aecore.studies.local_studies.measure`; only `studies` of them
    when given), where missing; returns what was measured. Progress: "what: where it stands", with
    its share. The server passes the folders, as to `zoo_results`."""
    from aecore.studies import local_studies

    _use_folders(data_root, zoo_cache)
    return local_studies.measure(dataset, pretrained, progress=lambda share, words: report(words, share),
                                 stop=cancel_flag(), only=studies)


def _use_folders(data_root: str | None, zoo_cache: str | None) -> None:
    # A worker may have started before the server set them.
    import os

    for variable, value in (("AECORE_DATA", data_root), ("AECORE_ZOO_CACHE", zoo_cache)):
        if value:
            os.environ[variable] = value


def project(codes: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    """The (N, 2) map of `codes` by `method` with `aecore.latent.project`'s fast settings. In a
    worker, UMAP's one-off compilation (tens of seconds) and numba's threads stay out of the server."""
    from aecore.latent import embed  # umap-learn loads only where a map is asked for

    return embed(codes, method, seed=seed)


__all__ = ["compression_sweep", "data_for", "split_of", "download", "movielens", "one_class", "project", "recommend",
           "train", "warmup", "zoo_results", "zoo_studies"]
