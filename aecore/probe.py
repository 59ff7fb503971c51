"""Feature extraction: how useful an autoencoder's codes are to a classifier trained on few labels.

    result = linear_probe(model, train, test, labels_per_class=(10, 100, None))
    result["accuracy"]["autoencoder"]["logistic"]["10"]   # test accuracy, mean over the draws
    pandas.DataFrame(result["rows"])                         # the same numbers as one table

Each representation (the model's codes, PCA codes of the same size, raw pixels) is scored by two
classifiers, a logistic regression on standardized features and k-nearest neighbours, trained on
`labels_per_class` labelled training images per class and tested on the whole test split. The
autoencoder and PCA learn from every training image without labels (unlabelled data is free); only
the classifiers see labels. That is the semi-supervised set-up in which codes learned without labels
should help most when labels are few.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aecore.data import ImageDataset
from aecore.models import Autoencoder

REPRESENTATIONS = ("autoencoder", "pca", "pixels")
CLASSIFIERS = ("logistic", "knn")
LABEL_COUNTS: tuple[int | None, ...] = (10, 100, None)  # None: every training label
DEFAULT_REPEATS = 5  # seeded draws averaged for a label count smaller than the training set
MAX_DRAWS = 10  # draws the zoo stores per small count: the page's "Draws" slider goes up to this
TEST_IMAGES = 2_000  # test images the app's probe scores (a seeded draw when more): kNN's cost grows with
# test x training images (pixels' kNN on 5,000 x 20,000 MNIST images took ~20 s); 2,000 give +-1%
KNN_NEIGHBOURS = 5
LOGISTIC_MAX_ITER = 2000  # lbfgs on standardized pixels needs more than scikit-learn's 100

Codes = tuple[np.ndarray | torch.Tensor, np.ndarray | torch.Tensor]


def label_key(labels_per_class: int | None) -> str:
    """How a label count names its column: "10", "100", ..., "all" for None."""
    return "all" if labels_per_class is None else str(labels_per_class)


def labelled_subset(labels: np.ndarray | torch.Tensor, labels_per_class: int | None, seed: int = 0) -> np.ndarray:
    """Sorted positions of a seeded stratified draw of `labels_per_class` images of each class
    (every image of a class that has fewer; every image for None)."""
    labels = np.asarray(labels)
    if labels_per_class is None:
        return np.arange(len(labels))
    if isinstance(labels_per_class, bool) or not isinstance(labels_per_class, (int, np.integer)) or labels_per_class < 1:
        raise ValueError(f"labels_per_class must be a positive whole number or None (all), got {labels_per_class!r}")
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), min(labels_per_class, int((labels == c).sum())), replace=False)
              for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


def _classifier(name: str, n_train: int) -> Any:
    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=LOGISTIC_MAX_ITER))
    return KNeighborsClassifier(n_neighbors=min(KNN_NEIGHBOURS, n_train))


def _labels(dataset: ImageDataset, what: str) -> np.ndarray:
    if dataset.labels is None:
        raise ValueError(f"the {what} images carry no labels: a probe needs a labelled dataset such as digits")
    return dataset.labels.numpy()


def _as_array(codes: np.ndarray | torch.Tensor) -> np.ndarray:
    return np.asarray(codes.detach().cpu() if isinstance(codes, torch.Tensor) else codes, dtype=np.float32)


def representations(model_or_codes: Autoencoder | Codes, train: ImageDataset, test: ImageDataset,
                    skip_pca: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(train, test) features of each representation: the codes, PCA codes of the same size fit on
    every training image, and the flattened pixels. skip_pca leaves "pca" out (its fit on large
    images takes seconds, wasted when its scores are already known)."""
    if isinstance(model_or_codes, Autoencoder):
        # infer_codes never switches the mode of a model other sessions share, and runs no decoder
        z_train, z_test = (model_or_codes.infer_codes(part.images).numpy().astype(np.float32) for part in (train, test))
    elif isinstance(model_or_codes, (tuple, list)) and len(model_or_codes) == 2:
        z_train, z_test = (_as_array(z) for z in model_or_codes)
    else:
        raise ValueError("linear_probe takes a model or a pair (train codes, test codes) of (N, d) arrays, "
                         f"got {type(model_or_codes).__name__}")
    for z, part in ((z_train, train), (z_test, test)):
        if z.ndim != 2 or len(z) != len(part) or z.shape[1] != z_train.shape[1]:
            raise ValueError(f"codes must be (N, d) with one row per image: got {z.shape} for {len(part)} images")
    x_train, x_test = (part.images.flatten(1).numpy() for part in (train, test))  # (N, C*H*W)
    features = {"autoencoder": (z_train, z_test), "pixels": (x_train, x_test)}
    if not skip_pca:
        pca = PCA(n_components=min(z_train.shape[1], *x_train.shape), random_state=0).fit(x_train)
        features["pca"] = (pca.transform(x_train), pca.transform(x_test))
    return features


def _score(features: tuple[np.ndarray, np.ndarray], y_train: np.ndarray, y_test: np.ndarray,
           classifier: str, labels_per_class: int | None, seeds: list[int]) -> list[float]:
    f_train, f_test = features
    scores = []
    for seed in seeds:
        chosen = labelled_subset(y_train, labels_per_class, seed)
        fitted = _classifier(classifier, len(chosen)).fit(f_train[chosen], y_train[chosen])
        scores.append(float((fitted.predict(f_test) == y_test).mean()))
    return scores


def all_labels_accuracy(features: tuple[np.ndarray, np.ndarray], y_train: np.ndarray, y_test: np.ndarray,
                        classifier: str = "logistic") -> float:
    """Test accuracy of `classifier` fitted on every training image's features and label: the
    probe's "all" column for one representation, (train, test) features of shape (N, d)."""
    return _score(features, np.asarray(y_train), np.asarray(y_test), classifier, None, [0])[0]


def probe_draws(model_or_codes: Autoencoder | Codes, train: ImageDataset, test: ImageDataset,
                labels_per_class: int | None | Sequence[int | None] = LABEL_COUNTS, *, seed: int = 0,
                draws: int = MAX_DRAWS, known: dict[str, Any] | None = None,
                partial: Callable[[dict[str, Any]], None] | None = None, skip: Sequence[str] = ()) -> dict[str, Any]:
    """Every seeded draw's test accuracy, kept apart so that any number of draws up to `draws` can be
    averaged later without fitting again (`summarize`): what the zoo stores and the app reads.

    Returns {"scores": representation -> classifier -> label_key(count) -> [accuracy of draw seed,
    seed+1, ...] (one draw for a count that takes every training image), "train_images": label key
    -> labelled images per draw, "latent_dim", "train_size", "test_size", "label_counts", "draws",
    "seconds"}. known: representation -> its "scores" from an earlier result on the same split
    (pixels do not depend on the model, PCA only on the code size), taken as they are. partial:
    called with the result so far (the codes' and PCA's scores, no "pixels") before the pixels are
    scored, the slow part (784 features: 10 of the 13 s on 20,000 MNIST images), so that a page
    can draw the codes against PCA meanwhile (`summarize` takes it as it is). skip: representations
    left out of the result (pixels, when another job scores them anyway).
    """
    start = time.perf_counter()
    counts = [labels_per_class] if labels_per_class is None or isinstance(labels_per_class, (int, np.integer)) \
        else list(labels_per_class)
    if not counts or isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"give at least one label count and repeats >= 1, got {labels_per_class!r}, {draws!r}")
    y_train, y_test = _labels(train, "training"), _labels(test, "test")
    for count in counts:
        labelled_subset(y_train[:1], count)  # refuses a bad count before any fitting
    known = known or {}
    features = representations(model_or_codes, train, test, skip_pca="pca" in known)
    scores: dict[str, dict[str, dict[str, list[float]]]] = {}
    def result() -> dict[str, Any]:
        return {"scores": dict(scores), "train_images": {label_key(c): len(labelled_subset(y_train, c, seed))
                                                          for c in counts},
                "latent_dim": int(features["autoencoder"][0].shape[1]), "train_size": len(train),
                "test_size": len(test), "label_counts": [label_key(c) for c in counts], "draws": draws,
                "seconds": time.perf_counter() - start}

    for representation in REPRESENTATIONS:  # the codes first, pixels last
        if representation in skip:
            continue
        if representation in known:
            scores[representation] = known[representation]
            continue
        if representation == "pixels" and partial is not None:
            partial(result())
        scores[representation] = {c: {} for c in CLASSIFIERS}
        for count in counts:
            everything = len(labelled_subset(y_train, count, seed)) == len(y_train)
            seeds = [seed] if everything else [seed + i for i in range(draws)]
            for classifier in CLASSIFIERS:
                scores[representation][classifier][label_key(count)] = _score(
                    features[representation], y_train, y_test, classifier, count, seeds)
    return result()


def summarize(result: dict[str, Any], repeats: int) -> dict[str, Any]:
    """`linear_probe`'s result from `probe_draws`'s, averaging the first `repeats` draws of each
    count (all of them when fewer were stored; a count of every label has one). Milliseconds. A
    partial result's missing representations (pixels, still being scored) are missing here too."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number of at least 1, got {repeats!r}")
    present = [r for r in REPRESENTATIONS if r in result["scores"]]
    accuracy: dict[str, dict[str, dict[str, float]]] = {r: {c: {} for c in CLASSIFIERS} for r in present}
    rows = []
    for count in result["label_counts"]:
        for representation in present:
            for classifier in CLASSIFIERS:
                scores = result["scores"][representation][classifier][count][:repeats]
                accuracy[representation][classifier][count] = float(np.mean(scores))
                rows.append({"representation": representation, "classifier": classifier,
                             "labels_per_class": count, "accuracy": float(np.mean(scores)),
                             "std": float(np.std(scores)), "draws": len(scores),
                             "train_images": result["train_images"][count]})
    return {"accuracy": accuracy, "rows": rows, "latent_dim": result["latent_dim"],
            "train_size": result["train_size"], "test_size": result["test_size"],
            "label_counts": list(result["label_counts"]), "seconds": result["seconds"]}


def linear_probe(model_or_codes: Autoencoder | Codes, train: ImageDataset, test: ImageDataset,
                 labels_per_class: int | None | Sequence[int | None] = None, *, seed: int = 0,
                 repeats: int = DEFAULT_REPEATS) -> dict[str, Any]:
    """Test accuracy of logistic regression and kNN on the codes, on PCA codes and on pixels.

    model_or_codes: a model (its deterministic codes of train and test are used) or a pair
    (train codes, test codes). labels_per_class: an int, None (all training labels) or a sequence of
    these, e.g. `LABEL_COUNTS`. A count that leaves some training images out is drawn `repeats` times
    (seeds seed, seed+1, ...) and averaged. Returns a dict with
    - "accuracy": representation -> classifier -> label_key(count) -> mean test accuracy;
    - "rows": one dict per cell (representation, classifier, labels_per_class, accuracy, std, draws,
      train_images), ready for a DataFrame;
    - "latent_dim", "train_size", "test_size", "label_counts" and "seconds" (wall time).
    """
    return summarize(probe_draws(model_or_codes, train, test, labels_per_class, seed=seed, draws=repeats), repeats)
