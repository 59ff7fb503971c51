"""The analysis pages' measurements of a model, as jobs for the server's queue (`aecore.workers`).

A shipped model's measurements are stored with the zoo (`aecore.pretrained.load_results`); a model
a user trained or uploaded has none, so its page submits these. Each is a module-level function of
plain, picklable arguments: the model travels as checkpoint bytes (`aecore.to_zip_bytes`) and is
loaded in the worker. Called directly (a test, the zoo build), they simply run. Every measurement is
on the split the app shows (`aecore.load_split`), the one the stored results use.

    job = queue.submit(aecore.studies.page_jobs.probe, aecore.to_zip_bytes(model), "digits")
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from aecore import anomaly

from aecore.studies import inspect_code
from aecore.checkpoint import load
from aecore.data import ImageDataset, load_split
from aecore.models import Autoencoder
from aecore.probe import LABEL_COUNTS, MAX_DRAWS, TEST_IMAGES as PROBE_TEST_IMAGES, probe_draws
from aecore.in_worker import report
from aecore.job_progress import Early, JobProgress


@lru_cache(maxsize=4)
def dataset_split(name: str) -> tuple[ImageDataset, ImageDataset]:
    """(train, test) of `name` as the app shows it (`aecore.load_split`); loaded once per worker
    (shapes renders 10,000 images)."""
    return load_split(name)


def _model(checkpoint: bytes | Autoencoder) -> Autoencoder:
    return checkpoint if isinstance(checkpoint, Autoencoder) else load(checkpoint)


def probe(checkpoint: bytes | Autoencoder, dataset: str, known: dict[str, Any] | None = None,
          skip_pixels: bool = False) -> dict[str, Any]:
    """`aecore.probe.probe_draws` of the model at 10, 100 and all labels per class, `MAX_DRAWS` draws,
    scored on `probe_test(dataset)`. known: pixels' (and PCA's, for a code of the same size) draws
    from a shipped model's stored results, which do not depend on this model: reused, not fitted again.
    skip_pixels: leave the pixels out (the zoo's background measuring of this model scores them)."""
    train, _ = dataset_split(dataset)
    known = dict(known or {})
    if "pixels" not in known and dataset in _pixels:  # this worker scored them for another model
        known["pixels"] = _pixels[dataset]
    report("fitting the classifiers on the codes and on PCA")
    result = probe_draws(_model(checkpoint), train, probe_test(dataset), LABEL_COUNTS, draws=MAX_DRAWS, known=known,
                         partial=lambda so_far: report(JobProgress("scoring the pixels", 0.25, Early(so_far))),
                         skip=("pixels",) if skip_pixels and "pixels" not in known else ())
    if "pixels" in result["scores"]:
        _pixels[dataset] = result["scores"]["pixels"]
    return result


# dataset -> pixels' probe scores, the slow part, the same for every model: a worker keeps them
_pixels: dict[str, Any] = {}


def probe_test(dataset: str) -> ImageDataset:
    """The test images the probe scores: a seeded draw of `aecore.probe.TEST_IMAGES` of the test
    split (all of it when smaller), the same for every model."""
    from aecore.studies.compare import subset_rows  # the same seeded draw the map comparison uses

    test = dataset_split(dataset)[1]
    rows = subset_rows(len(test), PROBE_TEST_IMAGES)
    return test if len(rows) == len(test) else test.subset(rows)


def code_measures(checkpoint: bytes | Autoencoder, dataset: str) -> dict[str, Any]:
    """`aecore.studies.inspect_code.code_measures` on the test images: codes, sensitivity at every σ of
    `inspect_code.NOISES`, Jacobian norms, KL per unit (None when the model is no VAE)."""
    report("measuring the codes")
    return inspect_code.code_measures(_model(checkpoint), dataset_split(dataset)[1].images)


def anomaly_scores(checkpoint: bytes | Autoencoder | None, dataset: str, normal: Sequence[int], k: int) -> dict[str, Any]:
    """{"scores": the model's reconstruction MSE per test image (None without a model: a shipped
    model's are stored), "pca_scores": PCA with k components fit on the `normal` classes' training
    images, per test image}. The model's scores do not depend on which classes are normal."""
    normal_train, test, _ = anomaly.one_class_split(dataset_split(dataset), list(normal))
    report("scoring the test images")
    scores = None if checkpoint is None else anomaly.anomaly_scores(_model(checkpoint), test)
    return {"scores": scores, "pca_scores": anomaly.pca_scores(normal_train, test, int(k)),
            "normal": tuple(int(c) for c in normal), "k": int(k)}


def stored_probe_parts(results: Sequence[dict[str, Any]], latent_dim: int) -> dict[str, Any]:
    """From shipped models' stored probe results of one dataset, the draws a new model's probe can
    reuse: pixels' from any, PCA's from one whose code has `latent_dim` units."""
    known: dict[str, Any] = {}
    for result in results:
        probe_result = result["probe"]
        if probe_result["draws"] < MAX_DRAWS:
            continue
        known.setdefault("pixels", probe_result["scores"]["pixels"])
        if probe_result["latent_dim"] == latent_dim:
            known.setdefault("pca", probe_result["scores"]["pca"])
    return known


def single_class_pca(dataset: str, k: int) -> dict[int, np.ndarray]:
    """PCA's anomaly scores of every test image with each single class taken as the normal one."""
    return single_class_pca_each(dataset, [k])[int(k)]


def single_class_pca_each(dataset: str, ks: Sequence[int]) -> dict[int, dict[int, np.ndarray]]:
    """`single_class_pca` at every k of `ks`, one PCA fit per class (`anomaly.pca_scores_each`):
    {k: {class: scores}}."""
    split = dataset_split(dataset)
    report("fitting PCA per class")
    result: dict[int, dict[int, np.ndarray]] = {int(k): {} for k in ks}
    for c in range(len(split[1].classes)):
        normal_train, test, _ = anomaly.one_class_split(split, [c])
        for k, scores in anomaly.pca_scores_each(normal_train, test, ks).items():
            result[k][c] = scores
    return result


__all__ = ["anomaly_scores", "code_measures", "dataset_split", "probe", "single_class_pca", "single_class_pca_each",
           "stored_probe_parts"]


def active_anomaly_scores(checkpoint: bytes | Autoencoder | None, dataset: str, k: int,
                          with_pca: bool = True) -> dict[str, Any]:
    """A model as it is, trained on every class, as an anomaly detector, beside a fair baseline:
    {"scores": its reconstruction MSE per test image (None without a model: a shipped model's are
    stored), "pca_scores": PCA with k components fit on every training image, the images the model
    learned from (None when not with_pca), "k"}. Neither depends on which classes are called normal,
    so one measurement serves every choice of them."""
    train, test = dataset_split(dataset)
    report("scoring the test images")
    scores = None if checkpoint is None else anomaly.anomaly_scores(_model(checkpoint), test)
    pca = anomaly.pca_scores(train, test, int(k)) if with_pca else None
    return {"scores": scores, "pca_scores": pca, "k": int(k)}
