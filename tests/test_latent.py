"""aecore.latent: codes of a dataset and their 2-D projections."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.latent import embed, encode_dataset, project


@pytest.fixture(scope="module")
def codes() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)


def test_encode_dataset_gives_deterministic_codes():
    data = aecore.load_dataset("digits").subset(range(50))
    model = aecore.create_model("vae", input_shape=data.image_shape, latent_dim=3)
    model.train()
    first, second = encode_dataset(model, data, batch_size=16), encode_dataset(model, data)
    assert first.shape == (50, 3) and first.dtype == np.float32
    assert np.allclose(first, second, atol=1e-6)  # the VAE's mean, not a sample
    assert model.training  # the caller's mode is put back


@pytest.mark.parametrize("method", ["pca", "umap", "tsne"])
def test_projection_is_two_dimensional_and_fixed_by_the_seed(codes, method):
    first = project(codes, method, seed=0).embedding_
    assert first.shape == (200, 2) and np.isfinite(first).all()
    assert np.allclose(first, project(codes, method, seed=0).embedding_, atol=1e-5)


def test_the_map_alone_keeps_neighbours_together_without_pynndescent(monkeypatch):
    """embed's UMAP takes exact neighbours from scikit-learn: past 4,096 codes pynndescent (whose
    numba code compiles for tens of seconds in every process) is never asked, and the map still
    keeps each code's classmates around it."""
    import pynndescent
    import umap.umap_

    class Refused(pynndescent.NNDescent):
        def __init__(self, *args, **kwargs):
            raise AssertionError("pynndescent ran")

    monkeypatch.setattr(umap.umap_, "NNDescent", Refused)
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 1000)  # 5,000 codes: past umap-learn's exact-neighbour limit
    centres = rng.normal(scale=6.0, size=(5, 8))
    codes = (centres[labels] + rng.normal(size=(5000, 8))).astype(np.float32)
    plane = embed(codes, "umap", n_epochs=30)
    assert plane.shape == (5000, 2) and plane.dtype == np.float32 and np.isfinite(plane).all()
    from sklearn.neighbors import NearestNeighbors

    near = NearestNeighbors(n_neighbors=11).fit(plane).kneighbors(plane, return_distance=False)[:, 1:]
    assert (labels[near] == labels[:, None]).mean() > 0.95
    assert np.array_equal(embed(codes, "pca"), project(codes, "pca").embedding_.astype(np.float32))


def test_pca_inverse_round_trips_points_of_its_plane(codes):
    pca = project(codes, "pca")
    back = pca.inverse_transform(pca.embedding_)
    assert np.allclose(pca.transform(back), pca.embedding_, atol=1e-4)


def test_umap_leaves_torch_threads_alone(codes):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        project(codes, "umap")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad, message", [(np.zeros((2, 4)), r"N >= 3"), (np.zeros((10, 1)), r"d >= 2")])
def test_bad_codes_and_methods_are_refused(codes, bad, message):
    with pytest.raises(ValueError, match=message):
        project(bad)
    with pytest.raises(ValueError, match="unknown projection method 'mds'; valid methods: pca, umap, tsne"):
        project(codes, "mds")


@pytest.mark.parametrize("mode", ["linear", "slerp"])
def test_interpolation_starts_and_ends_at_the_codes(mode):
    z0, z1 = np.array([1.0, -2.0, 0.5]), np.array([-0.5, 1.0, 3.0])
    path = aecore.latent.interpolate(z0, z1, 7, mode)
    assert path.shape == (7, 3)
    assert np.allclose(path[0], z0, atol=1e-6) and np.allclose(path[-1], z1, atol=1e-6)


def test_slerp_keeps_the_norm_between_the_ends_norms():
    rng = np.random.default_rng(1)
    z0, z1 = rng.normal(size=16), 2 * rng.normal(size=16)
    norms = np.linalg.norm(aecore.latent.interpolate(z0, z1, 20, "slerp"), axis=1)
    low, high = sorted([np.linalg.norm(z0), np.linalg.norm(z1)])
    assert (norms >= low - 1e-5).all() and (norms <= high + 1e-5).all()
    # the straight line between two random directions dips below both ends' norms
    assert np.linalg.norm(aecore.latent.interpolate(z0, z1, 20, "linear"), axis=1).min() < low


def test_traverse_moves_one_dimension_only():
    z = np.array([0.3, -0.2, 1.0])
    sweep = aecore.latent.traverse(z, 2, [-3, 0, 3], scale=0.5)
    assert np.allclose(sweep[:, 2], [-1.5, 0.0, 1.5]) and np.allclose(sweep[:, :2], z[:2])


@pytest.mark.parametrize("call, message", [
    (lambda: aecore.latent.interpolate([0, 1], [1, 0, 0], 5), "same size"),
    (lambda: aecore.latent.interpolate([0, 1], [1, 0], 1), "at least 2"),
    (lambda: aecore.latent.interpolate([0, 1], [1, 0], 5, "cubic"), "unknown interpolation mode"),
    (lambda: aecore.latent.traverse([0, 1], 2, [1]), "dim must be an integer from 0 to 1"),
])
def test_bad_paths_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
