"""aecore.latent.mapping: the hover decoder's point -> code rule, sent to the browser as data, agrees
with the click's (`MapInverse`): exactly for a 2-D code and PCA (checked against scikit-learn), at
the nodes of the grid for every other map, bilinear in between and held at the edge outside."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from sklearn.decomposition import PCA

from aecore.latent import PCAProjection
from aecore.latent.decode import MapInverse
from aecore.latent.mapping import PointerMapping, pointer_mapping


@pytest.fixture
def codes() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(300, 5)).astype(np.float32)


def floats(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def test_a_2d_code_is_sent_as_the_identity():
    z = np.random.default_rng(1).normal(size=(40, 2))
    mapping = pointer_mapping(MapInverse(z, z, "raw"))
    assert mapping.to_data() == {"kind": "exact", "dim": 2}
    np.testing.assert_array_equal(mapping.to_codes([[0.25, -3.0]]), [[0.25, -3.0]])


def test_pca_is_sent_as_its_mean_and_components(codes):
    stored = PCAProjection(n_components=2).fit(codes).embedding_
    mapping = pointer_mapping(MapInverse(stored, codes, "pca"))
    reference = PCA(n_components=2).fit(codes)
    points = np.array([[0.0, 0.0], [1.5, -0.7], [-4.0, 9.0]])
    np.testing.assert_allclose(mapping.to_codes(points), reference.inverse_transform(points), atol=1e-4)
    data = mapping.to_data()
    assert data["kind"] == "linear" and data["dim"] == 5
    np.testing.assert_allclose(floats(data["origin"]), reference.mean_, atol=1e-4)
    np.testing.assert_allclose(np.abs(floats(data["axes"]).reshape(2, 5)), np.abs(reference.components_), atol=1e-4)


def test_other_maps_are_a_grid_exact_at_its_nodes_and_bilinear_between(codes):
    embedding = np.random.default_rng(2).normal(size=(300, 2)) * 3
    inverse = MapInverse(embedding, codes, "tsne")
    mapping = pointer_mapping(inverse, grid_size=12)
    assert mapping.kind == "grid" and mapping.codes.shape == (12, 12, 5)
    nodes = np.array([[mapping.xs[i], mapping.ys[j]] for j, i in [(0, 0), (3, 7), (11, 11), (5, 0)]], np.float64)
    np.testing.assert_allclose(mapping.to_codes(nodes), inverse.to_codes(nodes), atol=1e-5)
    # Halfway between four nodes: the mean of their codes.
    i, j = 4, 6
    middle = [[(mapping.xs[i] + mapping.xs[i + 1]) / 2, (mapping.ys[j] + mapping.ys[j + 1]) / 2]]
    corners = mapping.codes[j:j + 2, i:i + 2].reshape(4, 5).mean(axis=0)
    np.testing.assert_allclose(mapping.to_codes(middle)[0], corners, atol=1e-5)
    # Far outside: the nearest edge node's code.
    np.testing.assert_allclose(mapping.to_codes([[1e6, -1e6]])[0], mapping.codes[0, -1], atol=1e-6)


def test_the_grid_travels_as_data(codes):
    embedding = np.random.default_rng(3).normal(size=(300, 2))
    mapping = pointer_mapping(MapInverse(embedding, codes, "umap"), grid_size=6)
    data = mapping.to_data()
    assert data["kind"] == "grid" and len(data["xs"]) == 6 and len(data["ys"]) == 6
    again = PointerMapping("grid", 5, xs=np.array(data["xs"], np.float32), ys=np.array(data["ys"], np.float32),
                           codes=floats(data["codes"]).reshape(6, 6, 5))
    points = np.random.default_rng(4).normal(size=(20, 2))
    np.testing.assert_array_equal(again.to_codes(points), mapping.to_codes(points))
