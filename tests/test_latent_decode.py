"""aecore.latent.decode: map points back to codes (checked against scikit-learn's PCA), and the
distance to the data."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from aecore.latent import PCAProjection
from aecore.latent.decode import MapInverse, grid_points


@pytest.fixture
def codes() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)


def test_a_2d_code_is_its_own_point():
    z = np.random.default_rng(1).normal(size=(50, 2))
    inverse = MapInverse(z, z, "raw")
    assert inverse.kind_ == "exact"
    np.testing.assert_allclose(inverse.to_codes([[0.3, -2.0]]), [[0.3, -2.0]], rtol=1e-6)


def test_pca_inverse_matches_scikit_learn_also_from_a_stored_map(codes):
    reference = PCA(n_components=2).fit(codes)
    stored = PCAProjection(n_components=2).fit(codes).embedding_  # only the map, no estimator
    inverse = MapInverse(stored, codes, "pca")
    points = np.array([[0.0, 0.0], [1.5, -0.7]])
    assert inverse.kind_ == "linear"
    np.testing.assert_allclose(inverse.to_codes(points), reference.inverse_transform(points), atol=1e-4)


def test_a_fitted_inverse_transform_is_used_when_there_is_one(codes):
    class Learned:
        def inverse_transform(self, points):
            return np.full((len(points), 6), 7.0)

    inverse = MapInverse(codes[:, :2], codes, "umap", Learned())
    assert inverse.kind_ == "learned"
    assert (inverse.to_codes([[0, 0]]) == 7).all()


def test_without_an_inverse_the_nearest_codes_stand_in(codes):
    embedding = codes[:, :2] * 3
    inverse = MapInverse(embedding, codes, "tsne")
    assert inverse.kind_ == "approximate"
    np.testing.assert_allclose(inverse.to_codes(embedding[5]), codes[5:6], atol=1e-5)  # on a point: its code
    between = inverse.to_codes((embedding[0] + embedding[1]) / 2)
    assert between.shape == (1, 6) and np.isfinite(between).all()


def test_far_points_are_flagged(codes):
    inverse = MapInverse(codes[:, :2], codes, "pca")
    assert not inverse.is_far(codes[3, :2])[0]
    assert inverse.is_far([[100.0, 100.0]])[0]
    assert inverse.distance([[100.0, 100.0]])[0] > 90


def test_grid_points_cover_the_data(codes):
    xs, ys = grid_points(codes[:, :2], 15)
    assert len(xs) == len(ys) == 15
    assert xs[0] < codes[:, 0].min() and xs[-1] > codes[:, 0].max() and ys[-1] > codes[:, 1].max()


def test_bad_embedding_shape():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        MapInverse(np.zeros((10, 3)), np.zeros((10, 3)), "pca")


def test_codes_of_another_length():
    with pytest.raises(ValueError, match="N = 10"):
        MapInverse(np.zeros((10, 2)), np.zeros((9, 4)), "pca")


def test_raw_needs_2d_codes():
    with pytest.raises(ValueError, match="2-D codes"):
        MapInverse(np.zeros((10, 2)), np.zeros((10, 4)), "raw")


def test_bad_points(codes):
    with pytest.raises(ValueError, match="finite"):
        MapInverse(codes[:, :2], codes, "pca").to_codes([[np.nan, 0.0]])
