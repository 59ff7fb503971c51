"""Search images by their codes, and score the search by labels: information retrieval with autoencoders.

A collection is searched by a model's code (Euclidean distance), by a hashing model's bits (Hamming
distance: Salakhutdinov & Hinton's semantic hashing, `aecore.models.hashing`), by PCA's code of the
same size or its signs, or by the raw pixels. A search is scored by precision@k: the share of a
query's k nearest images that carry its label.

    found = aecore.retrieval.search(model, test_images, query_images, k=10)    # Neighbours
    aecore.retrieval.precision_at_k(found.ids, query_labels, test_labels)

The index is faiss's (`pip install faiss-cpu`): exact search with IndexFlatL2 / IndexBinaryFlat, or
approximate search with HNSW or IVF for large collections. The module imports without faiss and says
how to install it when a search needs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from aecore.data import ImageDataset
from aecore.models import Autoencoder

METHODS = ("exact", "hnsw", "ivf")  # exact: every code compared; hnsw, ivf: approximate
INSTALL_HINT = "searching by code needs faiss: pip install faiss-cpu (or pip install 'aecore[app]')"


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as error:  # the library's core install has no faiss
        raise ImportError(INSTALL_HINT) from error
    return faiss


@dataclass
class Codes:
    """The codes of a collection of images, one row each: floats (searched by Euclidean distance) or
    bits (0/1, searched by Hamming distance)."""

    values: np.ndarray  # (N, d): float32, or uint8 0/1 when binary
    binary: bool

    def __len__(self) -> int:
        return len(self.values)

    @property
    def dims(self) -> int:
        return int(self.values.shape[1])

    @property
    def bytes_per_image(self) -> float:
        """What one image's code takes stored as it is searched: 4 bytes a float, a bit a bit."""
        return math.ceil(self.dims / 8) if self.binary else 4 * self.dims

    def packed(self) -> np.ndarray:
        """Bits packed 8 to a byte (N, ceil(d/8)), as faiss's binary indexes take them; zero padding
        adds nothing to a Hamming distance."""
        return np.packbits(self.values.astype(np.uint8), axis=1)


@dataclass
class Neighbours:
    """A search's answer: for each query, the ids of its k nearest codes, nearest first, and their
    distances (squared Euclidean, or Hamming: the number of bits that differ)."""

    ids: np.ndarray  # (Q, k) int64 rows of the database
    distances: np.ndarray  # (Q, k) float32


def _images(data: torch.Tensor | ImageDataset) -> torch.Tensor:
    images = data.images if isinstance(data, ImageDataset) else data
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError(f"images must be a (N, C, H, W) tensor or an ImageDataset, got {type(data).__name__}")
    return images


def is_binary(model: Autoencoder) -> bool:
    """Whether a model's code is bits (a kind declares it with `binary_code = True`, as the hashing
    kind does), searched by Hamming distance."""
    return bool(getattr(model, "binary_code", False))


def model_codes(model: Autoencoder, images: torch.Tensor | ImageDataset) -> Codes:
    """The model's codes of `images`: its bits for a model whose code is binary (`is_binary`)."""
    z = model.infer_codes(_images(images)).numpy()  # never switches the mode of a shared model
    if is_binary(model):
        return Codes(z.round().astype(np.uint8), binary=True)
    return Codes(z.astype(np.float32), binary=False)


def pixel_codes(images: torch.Tensor | ImageDataset) -> Codes:
    """Every pixel as one number of the code: the search a model's code is measured against."""
    return Codes(_images(images).flatten(1).numpy().astype(np.float32), binary=False)


def fit_pca(train: torch.Tensor | ImageDataset, k: int) -> Any:
    """PCA with k components fit on `train` (scikit-learn, fixed seed): the best linear code of size k."""
    from sklearn.decomposition import PCA  # scikit-learn loads on first use

    pixels = _images(train).flatten(1).numpy().astype(np.float64)
    if int(k) != k or not 1 <= k <= min(pixels.shape):
        raise ValueError(f"PCA's k must be an integer from 1 to {min(pixels.shape)}, got {k}")
    return PCA(n_components=int(k), random_state=0).fit(pixels)


def pca_codes(pca: Any, images: torch.Tensor | ImageDataset, binary: bool = False) -> Codes:
    """PCA's codes of `images`; binary: their signs (1 where positive), a hash with no training for it:
    PCA centres the images on the training mean, so each sign says which side of the mean an image lies."""
    z = pca.transform(_images(images).flatten(1).numpy().astype(np.float64))
    return Codes((z > 0).astype(np.uint8), binary=True) if binary else Codes(z.astype(np.float32), binary=False)


def median_bits(codes: Codes, reference: Codes) -> Codes:
    """A float code made bits with no training for it: 1 where a unit is above its median over `reference`."""
    if codes.binary or reference.binary:
        raise ValueError("median_bits takes float codes; these are bits already")
    return Codes((codes.values > np.median(reference.values, axis=0)).astype(np.uint8), binary=True)


class CodeIndex:
    """A faiss index over a collection's codes. method: "exact" (IndexFlatL2, IndexBinaryFlat),
    "hnsw" (a graph of `links` neighbours per code, searched `ef` wide) or "ivf" (`lists` clusters
    found by k-means on the codes, `probes` of them searched); the approximate ones trade recall
    for time on large collections."""

    def __init__(self, codes: Codes, method: str = "exact", links: int = 32, ef: int = 64,
                 lists: int | None = None, probes: int = 8) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown search method {method!r}; valid: {', '.join(METHODS)}")
        if len(codes) == 0:
            raise ValueError("there is nothing to search: the collection has no images")
        faiss = _faiss()
        self.binary, self.dims, self.size, self.method = codes.binary, codes.dims, len(codes), method
        data = codes.packed() if codes.binary else np.ascontiguousarray(codes.values, dtype=np.float32)
        width = data.shape[1] * 8 if codes.binary else self.dims  # faiss counts a binary code in bits
        lists = lists or max(1, min(len(codes) // 39, int(4 * math.sqrt(len(codes)))))  # faiss wants 39 codes a list
        if method == "exact":
            self.index = faiss.IndexBinaryFlat(width) if codes.binary else faiss.IndexFlatL2(width)
        elif method == "hnsw":
            self.index = faiss.IndexBinaryHNSW(width, links) if codes.binary else faiss.IndexHNSWFlat(width, links)
            self.index.hnsw.efSearch = ef
        else:
            quantizer = faiss.IndexBinaryFlat(width) if codes.binary else faiss.IndexFlatL2(width)
            ivf = faiss.IndexBinaryIVF if codes.binary else faiss.IndexIVFFlat
            self.index = ivf(quantizer, width, lists)
            self._quantizer = quantizer
            self.index.train(data)
            self.index.nprobe = min(probes, lists)
        self.index.add(data)

    def search(self, queries: Codes, k: int) -> Neighbours:
        """The k nearest codes of each query (k is cut to the collection's size)."""
        if queries.binary != self.binary or queries.dims != self.dims:
            raise ValueError(f"queries are {queries.dims} {'bits' if queries.binary else 'floats'}, the index holds "
                             f"{self.dims} {'bits' if self.binary else 'floats'}: encode both with the same code")
        if int(k) != k or k < 1:
            raise ValueError(f"k must be an integer of at least 1, got {k}")
        data = queries.packed() if queries.binary else np.ascontiguousarray(queries.values, dtype=np.float32)
        distances, ids = self.index.search(data, min(int(k), self.size))
        return Neighbours(ids.astype(np.int64), distances.astype(np.float32))

    @property
    def nbytes(self) -> int:
        """The index's size in memory, as faiss serialises it: the codes, plus a graph or lists."""
        faiss = _faiss()
        serialise = faiss.serialize_index_binary if self.binary else faiss.serialize_index
        return int(serialise(self.index).size)


def _codes_of(model: Autoencoder | None, data: torch.Tensor | ImageDataset | Codes) -> Codes:
    if isinstance(data, Codes):
        return data
    return pixel_codes(data) if model is None else model_codes(model, data)


def search(model: Autoencoder | None, database: torch.Tensor | ImageDataset | Codes | CodeIndex,
           queries: torch.Tensor | ImageDataset | Codes, k: int = 10, method: str = "exact") -> Neighbours:
    """The k nearest images of `database` to each query by `model`'s code (None: by the pixels). A
    hashing model's bits are searched by Hamming distance. database: images, their codes, or an index
    already built over them (a large collection is encoded and indexed once)."""
    index = database if isinstance(database, CodeIndex) else CodeIndex(_codes_of(model, database), method)
    return index.search(_codes_of(model, queries), k)


def leave_one_out(codes: Codes, k: int, method: str = "exact") -> Neighbours:
    """Each code's k nearest among the others of the same collection (itself left out), so every
    image of a labelled set is a query: how precision@k of a whole test set is measured."""
    if len(codes) < 2:
        raise ValueError("leave-one-out search needs at least two images")
    k = min(int(k), len(codes) - 1)
    found = CodeIndex(codes, method).search(codes, k + 1)
    own = found.ids == np.arange(len(codes))[:, None]  # (N, k+1); a tie or an approximate search may miss it
    own[~own.any(1), -1] = True  # then the farthest of the k + 1 goes instead
    own &= np.cumsum(own, axis=1) == 1  # one column per row, even where a code came twice
    keep = ~own
    return Neighbours(found.ids[keep].reshape(len(codes), k), found.distances[keep].reshape(len(codes), k))


def label_hits(ids: np.ndarray, query_labels: np.ndarray | torch.Tensor,
               database_labels: np.ndarray | torch.Tensor) -> np.ndarray:
    """(Q, k) booleans: whether each neighbour carries its query's label."""
    query_labels, database_labels = np.asarray(query_labels), np.asarray(database_labels)
    if len(query_labels) != len(ids):
        raise ValueError(f"{len(query_labels)} query labels for {len(ids)} queries")
    return database_labels[ids] == query_labels[:, None]


def precision_at_k(ids: np.ndarray, query_labels: np.ndarray | torch.Tensor,
                   database_labels: np.ndarray | torch.Tensor, k: int | None = None) -> float:
    """The share of the k nearest (all of `ids`' columns when k is None) that carry their query's
    label, averaged over the queries."""
    k = ids.shape[1] if k is None else int(k)
    if not 1 <= k <= ids.shape[1]:
        raise ValueError(f"k must be from 1 to the {ids.shape[1]} neighbours searched, got {k}")
    return float(label_hits(ids[:, :k], query_labels, database_labels).mean())


def recall(approximate: Neighbours, exact: Neighbours) -> float:
    """The share of the exact search's k nearest that the approximate search found too. Counted by
    distance, so that a tie is no miss: an approximate neighbour counts when it lies no farther than
    the exact k-th (Hamming distances tie often: 32 bits have 33 values)."""
    if approximate.ids.shape != exact.ids.shape:
        raise ValueError(f"both searches must give (Q, k) ids of one shape, got {approximate.ids.shape} "
                         f"and {exact.ids.shape}")
    kth = exact.distances[:, -1:]  # (Q, 1)
    slack = 1e-5 * np.maximum(1.0, np.abs(kth))  # float32 sums differ in the last digits between indexes
    found = ((approximate.distances <= kth + slack) & (approximate.ids >= 0)).sum(1)  # faiss pads a short answer with -1
    return float(np.minimum(found, exact.ids.shape[1]).sum() / exact.ids.size)


__all__ = ["CodeIndex", "Codes", "INSTALL_HINT", "METHODS", "is_binary", "Neighbours", "fit_pca", "label_hits", "leave_one_out",
           "median_bits", "model_codes", "pca_codes", "pixel_codes", "precision_at_k", "recall", "search"]
