"""aecore.retrieval and the hashing kind: faiss's answers against a brute-force reference in numpy,
precision@k and recall by hand, the signs of PCA against scikit-learn, leave-one-out leaving the query
out, a hashing model's code made of bits, and a clear error for each bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore import retrieval
from aecore.studies import search

RNG = np.random.default_rng(0)
FLOATS = retrieval.Codes(RNG.normal(size=(300, 6)).astype(np.float32), binary=False)
BITS = retrieval.Codes((RNG.random((300, 20)) > 0.5).astype(np.uint8), binary=True)  # 20 bits: packing pads to 24


def reference_distances(database: retrieval.Codes, queries: retrieval.Codes) -> np.ndarray:
    a, b = queries.values.astype(np.int64 if queries.binary else np.float64), database.values.astype(np.float64)
    if queries.binary:
        return (a[:, None, :] != b[None, :, :]).sum(2).astype(np.float64)  # Hamming: bits that differ
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(2)


@pytest.mark.parametrize("codes", [FLOATS, BITS], ids=["euclidean", "hamming"])
def test_exact_search_finds_the_nearest_codes(codes):
    queries = retrieval.Codes(codes.values[:40], codes.binary)
    found = retrieval.CodeIndex(codes).search(queries, 7)
    distances = reference_distances(codes, queries)
    expected = np.sort(distances, axis=1)[:, :7]
    np.testing.assert_allclose(found.distances, expected, rtol=1e-5, atol=1e-4)
    # Each id's own distance is the one reported (ties may come in any order).
    np.testing.assert_allclose(np.take_along_axis(distances, found.ids, 1), found.distances, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("method", ["hnsw", "ivf"])
@pytest.mark.parametrize("codes", [FLOATS, BITS], ids=["euclidean", "hamming"])
def test_approximate_search_recalls_most_of_the_exact_answer(codes, method):
    exact = retrieval.CodeIndex(codes).search(codes, 10)
    approximate = retrieval.CodeIndex(codes, method, probes=4).search(codes, 10)
    assert 0.5 <= retrieval.recall(approximate, exact) <= 1.0
    assert retrieval.recall(exact, exact) == 1.0


def test_recall_counts_ties_and_misses_by_distance():
    exact = retrieval.Neighbours(np.array([[0, 1, 2]]), np.array([[0.0, 1.0, 1.0]], dtype=np.float32))
    tied = retrieval.Neighbours(np.array([[0, 2, 7]]), np.array([[0.0, 1.0, 1.0]], dtype=np.float32))
    missed = retrieval.Neighbours(np.array([[0, 1, 9]]), np.array([[0.0, 1.0, 3.0]], dtype=np.float32))
    assert retrieval.recall(tied, exact) == 1.0  # id 7 lies as near as id 2: no miss
    assert retrieval.recall(missed, exact) == pytest.approx(2 / 3)


def test_precision_at_k_by_hand():
    ids = np.array([[1, 2, 3], [0, 3, 2]])
    labels = np.array([0, 0, 1, 1])
    query_labels = np.array([0, 1])
    assert retrieval.precision_at_k(ids, query_labels, labels) == pytest.approx((1 / 3 + 2 / 3) / 2)
    assert retrieval.precision_at_k(ids, query_labels, labels, k=1) == pytest.approx(0.5)  # 1 of 2 firsts
    with pytest.raises(ValueError, match="k must be from 1 to the 3"):
        retrieval.precision_at_k(ids, query_labels, labels, k=4)


def test_leave_one_out_never_returns_the_query_itself():
    doubled = retrieval.Codes(np.concatenate([BITS.values[:50], BITS.values[:50]]), binary=True)  # ties at 0
    found = retrieval.leave_one_out(doubled, 5)
    assert found.ids.shape == (100, 5)
    assert not (found.ids == np.arange(100)[:, None]).any()
    assert (found.ids[:50, 0] == np.arange(50, 100)).all() or (found.distances[:, 0] == 0).all()


def test_signs_of_pca_are_the_signs_of_scikit_learns_centred_code():
    from sklearn.decomposition import PCA

    images = torch.rand(120, 1, 4, 4)
    pca = retrieval.fit_pca(images, 5)
    z = PCA(n_components=5, random_state=0).fit_transform(images.flatten(1).double().numpy())
    np.testing.assert_array_equal(retrieval.pca_codes(pca, images, binary=True).values, (z > 0).astype(np.uint8))
    bits = retrieval.median_bits(retrieval.pca_codes(pca, images), retrieval.pca_codes(pca, images))
    assert bits.binary and bits.values.mean() == pytest.approx(0.5, abs=0.05)  # half of each unit above its median


def test_a_hashing_model_codes_in_bits_and_trains_through_them():
    torch.manual_seed(0)
    model = aecore.create_model("hashing", input_shape=(1, 8, 8), latent_dim=12)
    x = torch.rand(16, 1, 8, 8)
    z = model.encode(x)
    assert set(z.unique().tolist()) <= {0.0, 1.0} and z.shape == (16, 12)
    assert retrieval.is_binary(model) and not retrieval.is_binary(aecore.create_model("ae", input_shape=(1, 8, 8)))
    codes = retrieval.model_codes(model, x)
    assert codes.binary and codes.bytes_per_image == 2  # 12 bits in 2 bytes
    model.train()
    output = model(x)
    torch.testing.assert_close(output.z, z)  # training decodes the same bits (up to rounding)
    total, logs = model.loss(x)
    total.backward()
    assert set(logs) == {"recon", "balance", "total"}
    assert logs["balance"] == pytest.approx(float(((torch.sigmoid(model.encoder(x)).mean(0) - 0.5) ** 2).sum()), rel=1e-5)
    assert model.encoder[-1].weight.grad.abs().sum() > 0  # the encoder learns through the bits


def test_the_views_term_keeps_an_images_bits_nearest_to_its_moved_view():
    from aecore.models.hashing import moved, views_loss

    x = torch.rand(8, 1, 28, 28)
    torch.testing.assert_close(moved(x, 0.0), x, atol=1e-5, rtol=0)  # no move: the same images
    shifted = moved(x, 0.15)
    assert shifted.shape == x.shape and not torch.allclose(shifted, x)
    soft = torch.rand(8, 16)
    assert views_loss(soft, soft) < views_loss(soft, soft[torch.randperm(8)])  # its own view scores best
    torch.manual_seed(0)
    model = aecore.create_model("hashing", input_shape=(1, 28, 28), latent_dim=16, views=40.0)
    model.train()
    total, logs = model.loss(x)
    assert set(logs) == {"recon", "balance", "views", "total"} and np.isfinite(logs["views"])
    total.backward()
    assert model.encoder[-1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="move must be in"):
        aecore.create_model("hashing", input_shape=(1, 28, 28), move=0.6)


def test_search_by_model_and_by_pixels():
    model = aecore.create_model("hashing", input_shape=(1, 8, 8), latent_dim=16)
    images = torch.rand(50, 1, 8, 8)
    by_bits = retrieval.search(model, images, images[:3], k=4)
    assert by_bits.ids.shape == (3, 4) and (by_bits.distances[:, 0] == 0).all()  # each image's own bits first
    by_pixels = retrieval.search(None, images, images[:3], k=4)
    assert (by_pixels.ids[:, 0] == np.arange(3)).all()


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="unknown search method 'kd-tree'"):
        retrieval.CodeIndex(FLOATS, "kd-tree")
    with pytest.raises(ValueError, match="encode both with the same code"):
        retrieval.CodeIndex(FLOATS).search(BITS, 3)
    with pytest.raises(ValueError, match="k must be an integer of at least 1"):
        retrieval.CodeIndex(FLOATS).search(FLOATS, 0)
    with pytest.raises(ValueError, match="nothing to search"):
        retrieval.CodeIndex(retrieval.Codes(np.zeros((0, 4), np.float32), False))
    with pytest.raises(ValueError, match="images must be a"):
        retrieval.pixel_codes(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"balance \(a weight\) must be >= 0"):
        aecore.create_model("hashing", balance=-1.0)


def test_the_search_study_scores_every_code_on_digits():
    train, test = aecore.load_split("digits")
    model = aecore.load_pretrained("digits-ae-8")
    hashing = aecore.create_model("hashing", input_shape=(1, 8, 8), latent_dim=16)
    found = search.collection(model, train.images, test.images, test.labels.numpy(), hashing)
    assert set(found.hits) == {"model", "pca", "pixels", "hash", "pca_bits"}
    assert all(hits.shape == (len(test), search.MAX_K) for hits in found.hits.values())
    # The study's hits are the library's leave-one-out precision, column by column.
    ids = retrieval.leave_one_out(found.codes["pca"], 10).ids
    assert found.precision("pca", 10) == pytest.approx(retrieval.precision_at_k(ids, found.labels, found.labels))
    assert found.precision("pixels", 10) > 0.8  # digits' classes are far apart in pixels (chance: 0.1)
    assert found.bytes_per_image("hash", 64) == 2 and found.bytes_per_image("pixels", 64) == 256
