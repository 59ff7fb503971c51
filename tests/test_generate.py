"""aecore.generate: code samples, the fitted Gaussian, the cross-fade and the traversal frame."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore import generate


@pytest.fixture(scope="module")
def codes() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(4000, 3)) @ np.array([[2.0, 0, 0], [0.5, 1, 0], [0, 0, 0.1]]) + [1, -2, 3]).astype(np.float32)


def test_samples_have_their_shape_and_the_seed_fixes_them():
    first = generate.sample_codes(10, 4, seed=3, temperature=0.5)
    assert first.shape == (10, 4) and first.dtype == np.float32
    assert np.array_equal(first, generate.sample_codes(10, 4, seed=3, temperature=0.5))
    assert not np.array_equal(first, generate.sample_codes(10, 4, seed=4, temperature=0.5))
    assert np.allclose(generate.sample_codes(10, 4, seed=3, temperature=0.0), 0)


def test_fitted_gaussian_matches_the_codes_and_its_samples_follow_it(codes):
    mean, cov = generate.fit_gaussian(codes)
    assert np.allclose(mean, codes.mean(0), atol=1e-5)
    assert np.allclose(cov, np.cov(codes, rowvar=False), atol=1e-5)
    drawn = generate.sample_codes(20000, 3, seed=0, mean=mean, cov=cov)
    assert np.allclose(drawn.mean(0), mean, atol=0.05)
    assert np.allclose(np.cov(drawn, rowvar=False), cov, atol=0.1)


def test_cross_fade_blends_from_one_image_to_the_other():
    x0, x1 = torch.zeros(1, 4, 4), torch.ones(1, 4, 4)
    fade = generate.cross_fade(x0, x1, 5)
    assert fade.shape == (5, 1, 4, 4)
    assert torch.equal(fade[0], x0) and torch.equal(fade[-1], x1) and torch.allclose(fade[2], torch.full_like(x0, 0.5))


def test_decoded_samples_are_images_and_vae_scales_are_the_prior(codes):
    data = aecore.load_dataset("digits").subset(range(64))
    vae = aecore.create_model("vae", input_shape=data.image_shape, latent_dim=3)
    ae = aecore.create_model("ae", input_shape=data.image_shape, latent_dim=3)
    x = generate.decode_codes(vae, generate.sample_codes(6, 3, seed=0))
    assert x.shape == (6, *data.image_shape) and 0 <= x.min() and x.max() <= 1
    assert generate.is_variational(vae) and not generate.is_variational(ae)
    centre, scale = generate.traversal_frame(vae, codes)
    assert np.array_equal(centre, np.zeros(3)) and np.array_equal(scale, np.ones(3))
    centre, scale = generate.traversal_frame(ae, codes)
    assert np.allclose(centre, codes.mean(0), atol=1e-5) and np.allclose(scale, codes.std(0), atol=1e-5)
    kl, std = generate.kl_per_dimension(vae, data.images), generate.posterior_std(vae, data.images)
    assert kl.shape == std.shape == (3,) and (kl >= 0).all() and (std > 0).all()


def test_traversal_codes_sweep_one_unit_around_its_centre():
    z = np.array([0.5, -1.0], np.float32)
    grid = generate.traversal_codes(z, np.array([-1.0, 0.0, 1.0]), np.array([1.0, 2.0]), np.array([0.5, 3.0]))
    assert grid.shape == (2, 3, 2)
    assert np.allclose(grid[0, :, 0], [0.5, 1.0, 1.5]) and np.allclose(grid[0, :, 1], -1.0)
    assert np.allclose(grid[1, :, 1], [-1.0, 2.0, 5.0]) and np.allclose(grid[1, :, 0], 0.5)


@pytest.mark.parametrize("call", [
    lambda: generate.sample_codes(0, 2, seed=0),
    lambda: generate.sample_codes(2, 2, seed=0, temperature=-1),
    lambda: generate.sample_codes(2, 2, seed=0, mean=np.zeros(3), cov=np.eye(3)),
    lambda: generate.fit_gaussian(np.zeros((1, 2))),
    lambda: generate.cross_fade(torch.zeros(1, 2, 2), torch.zeros(1, 3, 3), 3),
    lambda: generate.cross_fade(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2), 1),
])
def test_bad_arguments_say_what_is_wrong(call):
    with pytest.raises(ValueError):
        call()
