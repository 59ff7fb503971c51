"""Anomaly detection by reconstruction error: scores, ROC, the PCA baseline and one-class training.

An autoencoder trained only on "normal" images rebuilds them well and anything else badly, so the
per-image reconstruction error is an anomaly score (Japkowicz et al. 1995; Sakurada & Yairi 2014).
PCA fit on the same normal images is the linear baseline the autoencoder has to beat. Scores are
numpy arrays of one float per image; higher means more anomalous.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from sklearn.metrics import roc_curve

from aecore.data import ImageDataset
from aecore.metrics import nested_pca
from aecore.models import Autoencoder

_BATCH = 512


def _images(data: ImageDataset | torch.Tensor) -> torch.Tensor:
    images = data.images if isinstance(data, ImageDataset) else data
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or len(images) == 0:
        raise ValueError("give an ImageDataset or a non-empty tensor of images (N, C, H, W)")
    return images


@torch.no_grad()
def reconstructions(model: Autoencoder, data: ImageDataset | torch.Tensor) -> torch.Tensor:
    """x_hat (N, C, H, W) on the CPU, through encode/decode (deterministic, mode-independent, so a
    model shared between sessions is never switched to eval and back)."""
    x = _images(data)
    if tuple(x.shape[1:]) != tuple(model.config.input_shape):
        raise ValueError(f"the images are shaped {tuple(x.shape[1:])} but the model takes "
                         f"{tuple(model.config.input_shape)}; score images of the dataset it was trained on")
    device = next(model.parameters()).device
    return torch.cat([model.decode(model.encode(x[i:i + _BATCH].to(device))).cpu()
                      for i in range(0, len(x), _BATCH)])


def anomaly_scores(model: Autoencoder, dataset: ImageDataset | torch.Tensor) -> np.ndarray:
    """One score per image: the mean squared error per pixel of its reconstruction, shape (N,)."""
    x = _images(dataset)
    x_hat = reconstructions(model, x)
    return (x_hat - x).pow(2).flatten(1).mean(1).double().numpy()


def pca_scores(train: ImageDataset | torch.Tensor, test: ImageDataset | torch.Tensor, k: int) -> np.ndarray:
    """Per-pixel MSE of each test image rebuilt by PCA with k components fit on `train` (the normal
    training images), clipped to [0, 1] as `pca_baseline` does; shape (N_test,)."""
    return pca_scores_each(train, test, [k])[int(k)]


def pca_scores_each(train: ImageDataset | torch.Tensor, test: ImageDataset | torch.Tensor,
                    ks: Sequence[int]) -> dict[int, np.ndarray]:
    """`pca_scores` at every k of `ks` from one fit: an exact PCA's first k components are the
    k-component PCA (its components are the covariance's eigenvectors, in order), so one SVD at the
    largest k serves every smaller one. {k: scores (N_test,)}."""
    x_train = _images(train).flatten(1).double().numpy()
    x_test = _images(test).flatten(1).double().numpy()
    if x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"train and test images differ in size ({x_train.shape[1]} vs {x_test.shape[1]} pixels)")
    most = min(x_train.shape)
    for k in ks:
        if int(k) != k or not 1 <= k <= most:
            raise ValueError(f"k must be an integer from 1 to {most} (the number of train images or pixels), got {k}")
    # "full": exact, so the nesting holds (the randomized solver "auto" picks for large images is not).
    scores = {}
    for k, pca in nested_pca(x_train, ks, solver="full").items():
        x_hat = np.clip(pca.inverse_transform(pca.transform(x_test)), 0.0, 1.0)
        scores[k] = ((x_hat - x_test) ** 2).mean(1)
    return scores


def _check_scores(scores: np.ndarray, is_anomaly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(is_anomaly).astype(bool)
    if scores.ndim != 1 or scores.shape != truth.shape:
        raise ValueError(f"scores and is_anomaly must be 1-D and of one length, got {scores.shape} and {truth.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite numbers")
    return scores, truth


def roc(scores: np.ndarray, is_anomaly: np.ndarray) -> dict[str, Any]:
    """The ROC curve of `scores` as a detector of `is_anomaly` (higher score = more anomalous).

    Returns {"fpr", "tpr", "thresholds", "auroc"}: numpy arrays from scikit-learn's `roc_curve`
    (the first threshold is +inf: nothing flagged) and the area under the curve as a float.
    """
    scores, truth = _check_scores(scores, is_anomaly)
    if truth.all() or not truth.any():
        raise ValueError("a ROC curve needs both normal and anomalous images; choose fewer normal classes")
    fpr, tpr, thresholds = roc_curve(truth, scores)
    return {"fpr": fpr, "tpr": tpr, "thresholds": thresholds, "auroc": float(np.trapezoid(tpr, fpr))}


def confusion(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> dict[str, Any]:
    """Counts and rates when every image scoring above `threshold` is flagged anomalous.

    {"tp", "fp", "tn", "fn"} (anomalous = positive), "precision" (nan when nothing is flagged) and
    "recall" (nan when there is no anomaly).
    """
    scores, truth = _check_scores(scores, is_anomaly)
    flagged = scores > threshold
    tp, fp = int((flagged & truth).sum()), int((flagged & ~truth).sum())
    fn, tn = int((~flagged & truth).sum()), int((~flagged & ~truth).sum())
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan")}


def normal_mask(dataset: ImageDataset, normal_classes: Sequence[int]) -> np.ndarray:
    """True for each image whose label is one of `normal_classes`."""
    if dataset.labels is None:
        raise ValueError(f"dataset {dataset.name!r} has no labels, so no class can be called normal")
    chosen = sorted({int(c) for c in normal_classes})
    if not chosen or not all(0 <= c < len(dataset.classes) for c in chosen):
        raise ValueError(f"normal classes must be one or more of 0..{len(dataset.classes) - 1}, got {list(normal_classes)}")
    return np.isin(dataset.labels.numpy(), chosen)


def one_class_split(data: ImageDataset | tuple[ImageDataset, ImageDataset], normal_classes: Sequence[int],
                    test_fraction: float = 0.2, seed: int = 0) -> tuple[ImageDataset, ImageDataset, np.ndarray]:
    """(normal training images, every test image, is_anomaly of each test image).

    data: a (train, test) pair already split (`aecore.load_split`: what the app shows), or one
    dataset, split here by `dataset.split(test_fraction, seed)`. The test images are the whole
    split's, the ones the zoo's models never saw either; only the training part is filtered.
    """
    train, test = data if isinstance(data, tuple) else data.split(test_fraction, seed=seed)
    normal_train = train.subset(normal_mask(train, normal_classes), f"{train.name} (normal)")
    return normal_train, test, ~normal_mask(test, normal_classes)


# The normal class the Anomaly page opens on, per dataset: the class where the one-class autoencoder
# and PCA fit on the same normal images differ most, so the first view shows the comparison (class 0
# of digits gives AUROC 1.000 for both, which shows nothing). Figures: one-class AUROC, autoencoder
# against PCA with as many components, from `aecore.studies.jobs.one_class(recipes.one_class_spec(d, (c,)))`
# (measured 2026-12-02, CPU, seed 0). digits: 8 (0.978 vs 0.968, +0.011, the largest gap; 3 +0.010,
# the other classes within 0.008, 0 1.000 vs 1.000). shapes: 1, ellipse (0.942 vs 0.516; square 0.748
# vs 0.555, heart 0.798 vs 0.495, triangle 0.598 vs 0.608). MNIST and Fashion-MNIST from docs/quality.md's
# per-class table: MNIST 2 (0.901 vs 0.846), Fashion-MNIST 8 (0.853 vs 0.805).
OPENING_NORMAL: dict[str, int] = {"digits": 8, "shapes": 1, "mnist": 2, "fashion-mnist": 8}


def opening_normal(dataset: str, class_count: int) -> int:
    """The normal class a page opens on for `dataset` (see OPENING_NORMAL); 0 for a dataset not measured."""
    chosen = OPENING_NORMAL.get(dataset, 0)
    return chosen if 0 <= chosen < class_count else 0
