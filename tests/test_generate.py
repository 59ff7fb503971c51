"""aecore.generate and aecore.reparam: code samples, the fitted Gaussian, the cross-fade, the traversal
frame, the distance of a sample to the nearest real image, and one image's z = mu + sigma * eps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore import generate, reparam


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
    lambda: generate.nearest_rmse(torch.zeros(2, 1, 2, 2), torch.zeros(3, 1, 3, 3)),
    lambda: generate.nearest_rmse(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2), exclude_self=True),
    lambda: reparam.draw_noise(0, seed=0),
])
def test_bad_arguments_say_what_is_wrong(call):
    with pytest.raises(ValueError):
        call()


def test_nearest_rmse_is_the_distance_to_the_closest_reference():
    generator = torch.Generator().manual_seed(0)
    references, images = torch.rand(300, 1, 5, 5, generator=generator), torch.rand(7, 1, 5, 5, generator=generator)
    brute = ((images[:, None] - references[None]) ** 2).flatten(2).mean(2).min(1).values.sqrt()  # (7,)
    assert np.allclose(generate.nearest_rmse(images, references), brute.numpy(), atol=1e-5)
    assert np.allclose(generate.nearest_rmse(references[:3], references), 0, atol=1e-3)  # each finds itself
    others = generate.nearest_rmse(references[:3], references, exclude_self=True)
    assert (others > 0.05).all()  # ... unless it is skipped
    spacing = generate.real_spacing(references, count=50, seed=1)
    assert spacing.shape == (50,) and (spacing > 0.05).all()


@pytest.fixture(scope="module")
def vae_and_image():
    data = aecore.load_dataset("digits").subset(range(16))
    torch.manual_seed(0)
    return aecore.create_model("vae", input_shape=data.image_shape, latent_dim=4), data.images[3]


def test_reparameterisation_draws_z_from_mu_sigma_and_the_seeded_noise(vae_and_image):
    vae, x = vae_and_image
    r = reparam.reparameterise(vae, x, seed=5)
    mu, logvar = vae.encode_distribution(x[None])
    assert np.allclose(r.mu, mu[0].detach().numpy(), atol=1e-6)
    assert np.allclose(r.sigma, (0.5 * logvar[0]).exp().detach().numpy(), atol=1e-6)
    assert np.allclose(r.z, r.mu + r.sigma * r.eps) and np.array_equal(r.eps, reparam.draw_noise(4, seed=5))
    assert np.isclose(r.shift, np.linalg.norm(r.sigma * r.eps))
    again, other = reparam.reparameterise(vae, x, seed=5), reparam.reparameterise(vae, x, seed=6)
    assert np.array_equal(again.z, r.z) and not np.allclose(other.z, r.z)
    assert torch.allclose(r.decoded, generate.decode_codes(vae, r.z[None])[0], atol=1e-5)
    assert torch.allclose(r.decoded_mean, generate.decode_codes(vae, r.mu[None])[0], atol=1e-5)
    assert not torch.allclose(other.decoded, r.decoded)


def test_reparameterisation_kl_matches_torch_distributions(vae_and_image):
    vae, x = vae_and_image
    r = reparam.reparameterise(vae, x, seed=0)
    posterior = torch.distributions.Normal(torch.as_tensor(r.mu), torch.as_tensor(r.sigma))
    prior = torch.distributions.Normal(torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64))
    reference = torch.distributions.kl_divergence(posterior, prior).numpy()
    assert np.allclose(r.kl, reference, atol=1e-5) and np.isclose(r.kl_total, reference.sum(), atol=1e-5)


def test_reparameterisation_refuses_a_model_without_sigma_and_a_batch(vae_and_image):
    vae, x = vae_and_image
    ae = aecore.create_model("ae", input_shape=tuple(x.shape), latent_dim=4)
    with pytest.raises(ValueError, match="only a VAE"):
        reparam.reparameterise(ae, x, seed=0)
    with pytest.raises(ValueError, match="one image"):
        reparam.reparameterise(vae, x[None], seed=0)
