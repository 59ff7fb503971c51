"""The Search page's measurements: a dataset's test images as codes of every kind the page searches,
and each kind's precision@k by label over the whole test set, for every k up to `MAX_K`.

The kinds of code, by name:
- "model": the model's code (its bits, searched by Hamming distance, for a hashing model);
- "pca": PCA's code of the same size, fit on the training images;
- "pixels": the images themselves;
- "hash": a hashing model's bits, trained for it (Salakhutdinov & Hinton's semantic hashing);
- "pca_bits": the signs of PCA's centred code of as many numbers as the hash has bits, no training for it.
Every test image is a query against the others (`aecore.retrieval.leave_one_out`), and which of its
`MAX_K` nearest share its label is kept, so that the page reads precision@k for any k without
searching again. Run as a job in the server's queue (`measure`), or directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from aecore import retrieval
from aecore.checkpoint import load
from aecore.in_worker import report
from aecore.models import Autoencoder
from aecore.studies.page_jobs import dataset_split

MAX_K = 50  # the largest k the page offers; hits are kept up to it
NAMES = {"model": "the model's code", "pca": "PCA", "pixels": "pixels", "hash": "trained hash",
         "pca_bits": "signs of PCA"}


@dataclass
class Collection:
    """The test images as searchable codes, and how each kind's search scores over them."""

    codes: dict[str, retrieval.Codes]  # name -> the test images' codes (the pixels are not kept: the images are)
    hits: dict[str, np.ndarray]  # name -> (N, MAX_K) whether each test image's neighbours share its label
    pca: Any  # PCA fit on the training images, the model's code size: encodes a new query
    pca_for_bits: Any | None  # PCA of the hash's size, whose signs are "pca_bits"; None without a hash
    labels: np.ndarray  # (N,) the test images' labels

    def precision(self, name: str, k: int) -> float:
        """precision@k of one kind of code over the whole test set."""
        return float(self.hits[name][:, :k].mean())

    def bytes_per_image(self, name: str, pixels: int) -> float:
        """What one image takes in the collection: its code, or its pixels as float32."""
        return 4.0 * pixels if name == "pixels" else self.codes[name].bytes_per_image


def _model(checkpoint: bytes | Autoencoder | None) -> Autoencoder | None:
    return checkpoint if checkpoint is None or isinstance(checkpoint, Autoencoder) else load(checkpoint)


def _hits(codes: retrieval.Codes, labels: np.ndarray) -> np.ndarray:
    found = retrieval.leave_one_out(codes, MAX_K)
    return retrieval.label_hits(found.ids, labels, labels)


def collection(model: Autoencoder, train_images: torch.Tensor, test_images: torch.Tensor, labels: np.ndarray,
               hashing: Autoencoder | None = None) -> Collection:
    """Every kind of code of the test images, and each one's leave-one-out hits by label."""
    report("encoding the test images")
    codes = {"model": retrieval.model_codes(model, test_images)}
    pca = retrieval.fit_pca(train_images, model.config.latent_dim)
    codes["pca"] = retrieval.pca_codes(pca, test_images)
    pca_for_bits = None
    if hashing is not None:
        codes["hash"] = retrieval.model_codes(hashing, test_images)
        pca_for_bits = retrieval.fit_pca(train_images, hashing.config.latent_dim)
        codes["pca_bits"] = retrieval.pca_codes(pca_for_bits, test_images, binary=True)
    hits = {}
    for name, found in [*codes.items(), ("pixels", retrieval.pixel_codes(test_images))]:
        report(f"searching the test images by {NAMES[name]}")
        hits[name] = _hits(found, labels)
    return Collection(codes, hits, pca, pca_for_bits, labels)


def measure(checkpoint: bytes | Autoencoder, dataset: str, hashing: bytes | Autoencoder | None = None) -> Collection:
    """`collection` of `dataset`'s test split as the app shows it, for a model given as checkpoint
    bytes (a job of the server's queue) or as a model; `hashing`: the hashing model shown beside it."""
    try:
        import faiss
    except ImportError as error:
        raise ImportError(retrieval.INSTALL_HINT) from error
    faiss.omp_set_num_threads(1)  # a worker's one thread, as torch's: many sessions share the cores
    train, test = dataset_split(dataset)
    if test.labels is None:
        raise ValueError(f"the {dataset} images carry no labels: precision@k needs a labelled dataset")
    return collection(_model(checkpoint), train.images, test.images, test.labels.numpy(), _model(hashing))


def query_codes(name: str, found: Collection, image: torch.Tensor, model: Autoencoder,
                hashing: Autoencoder | None) -> retrieval.Codes:
    """One query image (C, H, W) as the code `name` searches with."""
    batch = image[None]
    if name == "model":
        return retrieval.model_codes(model, batch)
    if name == "pca":
        return retrieval.pca_codes(found.pca, batch)
    if name == "pixels":
        return retrieval.pixel_codes(batch)
    if name == "pca_bits":
        return retrieval.pca_codes(found.pca_for_bits, batch, binary=True)
    if name == "hash" and hashing is not None:
        return retrieval.model_codes(hashing, batch)
    raise ValueError(f"no code {name!r} here; valid: {', '.join(found.hits)}")


__all__ = ["Collection", "MAX_K", "NAMES", "collection", "measure", "query_codes"]
