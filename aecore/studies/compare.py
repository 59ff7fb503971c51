"""Several models of one dataset on one map: the same test images' codes, each projected to 2-D and
turned onto the first model's map, so an image sits in about the same place on every map; and under
each map two numbers, how faithful the map is to the images and how much the code knows.

    rows = subset_rows(len(test))                                    # the same images for every model
    maps = align_maps([plane(codes, "pca") for codes in model_codes])  # first map as it is, the rest turned onto it
    trust = map_trustworthiness(pixels, maps[1])                     # 1: no false neighbours on the map
    accuracy = probe_accuracy(model, train, test)                    # logistic regression on the full code

`measure` does a model's whole part (codes, map, trustworthiness, probe); `measure_job` is the same as
a job for the server's queue (`aecore.workers`), loading the model and the dataset in the worker.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import torch

from aecore.checkpoint import load
from aecore.data import ImageDataset, load_split
from aecore.latent import embed, encode_dataset
from aecore.models import Autoencoder
from aecore.pretrained import load_pretrained

MIN_MODELS, MAX_MODELS = 2, 4  # fewer is no comparison; more maps than 4 get too small to read side by side
SUBSET_SIZE = 2_000  # test images on every map: enough to see the shape, few enough for trustworthiness (O(N^2))
NEIGHBOURS = 10  # the neighbourhood trustworthiness looks at
METHODS = ("pca", "umap")
# The regularizers a default comparison shows, one model each, in this order (`regularizer` names them).
REGULARIZERS = ("ae", "sparse", "contractive", "vae", "beta-vae")


def check_selection(datasets: Sequence[str]) -> str:
    """The common dataset of the chosen models (one dataset name per model); ValueError with what to
    do when there are fewer than MIN_MODELS or more than MAX_MODELS, or they belong to different datasets."""
    if len(datasets) < MIN_MODELS:
        raise ValueError(f"pick at least {MIN_MODELS} models to compare (got {len(datasets)})")
    if len(datasets) > MAX_MODELS:
        raise ValueError(f"pick at most {MAX_MODELS} models to compare (got {len(datasets)}): more maps get too "
                         "small to read side by side")
    if len(set(datasets)) > 1:
        raise ValueError("the models must be of one dataset, to encode the same images; got models of "
                         f"{', '.join(sorted(set(datasets)))}")
    return datasets[0]


def subset_rows(n_images: int, size: int = SUBSET_SIZE, seed: int = 0) -> np.ndarray:
    """Sorted positions of a seeded draw of `size` of `n_images` test images (all of them when fewer):
    the same images for every model, so their maps can be laid over each other."""
    if n_images < 1:
        raise ValueError(f"need at least one test image, got {n_images}")
    if n_images <= size:
        return np.arange(n_images)
    return np.sort(np.random.default_rng(seed).choice(n_images, size, replace=False))


def regularizer(entry: dict[str, Any]) -> str:
    """What shapes a zoo model's code, from its manifest entry: its kind, with a VAE whose beta is
    not 1 called "beta-vae" (the zoo keeps both as kind "vae")."""
    if entry["kind"] == "vae" and float(entry.get("options", {}).get("beta", 1.0)) != 1.0:
        return "beta-vae"
    return entry["kind"]


def default_selection(entries: Sequence[dict[str, Any]], reference: str | None = None) -> list[str]:
    """Names of up to MAX_MODELS zoo models (manifest entries of one dataset), one per regularizer in
    REGULARIZERS order: each the one of its regularizer closest to `reference` (the dataset's default
    model) in architecture, then in code size, then first in the manifest."""
    by_name = {entry["name"]: entry for entry in entries}
    anchor = by_name.get(reference) or (entries[0] if entries else None)
    chosen = []
    for wanted in REGULARIZERS:
        candidates = [entry for entry in entries if regularizer(entry) == wanted]
        if candidates and len(chosen) < MAX_MODELS:
            best = min(candidates, key=lambda e: (e["arch"] != anchor["arch"],
                                                  abs(e["latent_dim"] - anchor["latent_dim"])))
            chosen.append(best["name"])
    return chosen


def plane(codes: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """The (N, 2) map of codes (N, d): a 2-D code as it is, else its PCA or UMAP (`aecore.latent.embed`)."""
    if method not in METHODS:
        raise ValueError(f"unknown map method {method!r}; valid: {', '.join(METHODS)}")
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim == 2 and codes.shape[1] == 2 and method == "pca":
        return codes.copy()  # the plane itself: any rotation of it is undone by the alignment anyway
    return embed(codes, method, seed=seed)


def align(reference: np.ndarray, embedding: np.ndarray) -> np.ndarray:
    """`embedding` (N, 2) turned, mirrored, scaled and shifted onto `reference` (N, 2), the same
    images in the same order: the orthogonal Procrustes fit after centring both and scaling both to
    unit size (Gower 1975), mapped into the reference's position and scale. A rotated, mirrored,
    scaled and shifted copy of the reference comes back as the reference itself."""
    from scipy.linalg import orthogonal_procrustes

    reference, embedding = (np.asarray(a, dtype=np.float64) for a in (reference, embedding))
    if reference.shape != embedding.shape or reference.ndim != 2 or reference.shape[1] != 2 or len(reference) < 2:
        raise ValueError(f"align needs two maps of the same images, (N, 2) with N >= 2: got {reference.shape} "
                         f"and {embedding.shape}")
    ref_centre, emb_centre = reference.mean(0), embedding.mean(0)
    ref_size = np.linalg.norm(reference - ref_centre) or 1.0  # a map of one repeated point stays where it is
    emb_size = np.linalg.norm(embedding - emb_centre) or 1.0
    a, b = (reference - ref_centre) / ref_size, (embedding - emb_centre) / emb_size
    rotation, _ = orthogonal_procrustes(b, a)  # the orthogonal R minimising ||b R - a||_F
    return ((b @ rotation) * ref_size + ref_centre).astype(np.float32)


def align_maps(maps: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The first map as it is, every other one aligned to it (`align`)."""
    if not maps:
        return []
    first = np.asarray(maps[0], dtype=np.float32)
    return [first] + [align(first, other) for other in maps[1:]]


def map_trustworthiness(pixels: np.ndarray | torch.Tensor, embedding: np.ndarray,
                        n_neighbors: int = NEIGHBOURS) -> float:
    """scikit-learn's trustworthiness (Venna & Kaski 2001) of a 2-D map of images against their
    pixels (N, ...): 1 when every image's `n_neighbors` nearest on the map are among its nearest in
    pixel space, lower the more strangers the map puts next to it (a random map gives about 0.5)."""
    from sklearn.manifold import trustworthiness

    x = np.asarray(pixels.detach().cpu() if isinstance(pixels, torch.Tensor) else pixels, dtype=np.float32)
    x = x.reshape(len(x), -1)
    if len(x) != len(embedding):
        raise ValueError(f"one map point per image: got {len(embedding)} points for {len(x)} images")
    k = min(n_neighbors, (len(x) - 1) // 2)  # scikit-learn needs n_neighbors < N / 2
    if k < 1:
        raise ValueError(f"trustworthiness needs at least 4 images, got {len(x)}")
    return float(trustworthiness(x, np.asarray(embedding, dtype=np.float32), n_neighbors=k))


def probe_accuracy(model: Autoencoder, train: ImageDataset, test: ImageDataset) -> float:
    """Test accuracy of a logistic regression on the model's full codes, fitted on every training
    image's code and label: the Features page's logistic probe (`aecore.probe`) with all labels."""
    if train.labels is None or test.labels is None:
        raise ValueError("a probe needs a labelled dataset such as digits")
    return codes_probe_accuracy(encode_dataset(model, train), train.labels.numpy(),
                                encode_dataset(model, test), test.labels.numpy())


def codes_probe_accuracy(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray) -> float:
    """`probe_accuracy` of any codes (N, d), e.g. PCA's: the Features page's logistic regression on
    standardized codes, with every training label."""
    from aecore.probe import all_labels_accuracy

    return all_labels_accuracy((z_train, z_test), y_train, y_test, "logistic")


def measure(model: Autoencoder, train: ImageDataset, test: ImageDataset, rows: np.ndarray, method: str = "pca",
            known: dict[str, Any] | None = None) -> dict[str, Any]:
    """One model's part of a comparison, on test images `rows`: {"codes" (N, d), "map" (N, 2, not yet
    aligned), "trustworthiness", "probe"}. known: any of these already at hand (a zoo model's stored
    codes, map or probe), taken as they are."""
    known = {**(known or {}), **drawn_map(model, test, rows, method, known)}
    rows = np.asarray(rows)
    codes, embedding = known["codes"], known["map"]
    trust = known.get("trustworthiness")
    if trust is None:
        trust = map_trustworthiness(test.images[torch.as_tensor(rows)], embedding)
    accuracy = known.get("probe")
    if accuracy is None:
        accuracy = probe_accuracy(model, train, test)
    return {"codes": np.asarray(codes, np.float32), "map": np.asarray(embedding, np.float32),
            "trustworthiness": float(trust), "probe": float(accuracy)}


def drawn_map(model: Autoencoder, test: ImageDataset, rows: np.ndarray, method: str = "pca",
              known: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """{"codes", "map"} of test images `rows`: what the map needs, without the numbers under it
    (a PCA map of 2,000 MNIST images is a fraction of a second; the probe encodes every training
    image). known: the codes or map already at hand, taken as they are."""
    known = known or {}
    codes = known.get("codes")
    if codes is None:
        codes = encode_dataset(model, test.images[torch.as_tensor(np.asarray(rows))])
    embedding = known.get("map")
    if embedding is None:
        embedding = plane(codes, method)
    return {"codes": np.asarray(codes, np.float32), "map": np.asarray(embedding, np.float32)}


@lru_cache(maxsize=2)
def _split(dataset: str) -> tuple[ImageDataset, ImageDataset]:
    # A worker serves many jobs: shapes renders 10,000 images, MNIST reads 50 MB; once per worker.
    return load_split(dataset)


def map_job(source: str | bytes, dataset: str, rows: np.ndarray, method: str = "pca",
            known: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """`drawn_map` as a job, queued for every model before any `measure_job`, so that the maps
    appear together within seconds and the numbers follow (source and dataset as in `measure_job`)."""
    from aecore.in_worker import report

    model = load_pretrained(source) if isinstance(source, str) else load(source)
    report("encoding the shown images")
    return drawn_map(model, _split(dataset)[1], rows, method, known)


def measure_job(source: str | bytes, dataset: str, rows: np.ndarray, method: str = "pca",
                known: dict[str, Any] | None = None) -> dict[str, Any]:
    """`measure` as a job: source is a zoo model's name or a checkpoint's bytes, dataset is loaded
    with its defaults and split as the zoo split it (the images the app shows)."""
    from aecore.in_worker import report

    model = load_pretrained(source) if isinstance(source, str) else load(source)
    train, test = _split(dataset)
    report("measuring")
    return measure(model, train, test, rows, method, known)


__all__ = ["MAX_MODELS", "METHODS", "MIN_MODELS", "NEIGHBOURS", "REGULARIZERS", "SUBSET_SIZE", "align", "align_maps",
           "check_selection", "codes_probe_accuracy", "default_selection", "drawn_map", "map_job",
           "map_trustworthiness", "measure", "measure_job", "plane", "probe_accuracy", "regularizer", "subset_rows"]
