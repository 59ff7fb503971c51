"""aecore.latent.posterior: q(z|x) of a VAE, carried onto a 2-D map, checked against references: the
ellipse against torch.distributions' density, the mass inside it against the chi-square law, a
fitted plane against scikit-learn's PCA, the carried covariance against the draws' own."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import chi2
from sklearn.decomposition import PCA

import aecore
from aecore.latent import posterior as q


def test_the_k_sigma_ellipse_is_where_the_density_has_fallen_by_k_squared_over_two():
    gaussian = q.PlaneGaussian(np.array([0.5, -1.0]), np.array([[2.0, 0.6], [0.6, 0.5]]), 1.0)
    reference = torch.distributions.MultivariateNormal(torch.tensor(gaussian.mean), torch.tensor(gaussian.cov))
    peak = reference.log_prob(torch.tensor(gaussian.mean))
    for k in (1.0, 2.0):
        ring = q.ellipse(gaussian, k)
        np.testing.assert_allclose(ring[0], ring[-1])  # closed
        np.testing.assert_allclose(reference.log_prob(torch.tensor(ring)).numpy(), float(peak) - k * k / 2, atol=1e-9)
        np.testing.assert_allclose(q.mahalanobis(gaussian, ring), k, atol=1e-9)


def test_the_mass_inside_is_the_chi_square_law_with_two_degrees_of_freedom():
    for k in (0.5, 1.0, 2.0, 3.0):
        assert q.mass_within(k) == pytest.approx(chi2(2).cdf(k * k), abs=1e-12)


def test_a_fitted_plane_is_pcas_own_map_and_no_bent_map_is_linear():
    codes = np.random.default_rng(0).normal(size=(400, 6)) * np.arange(1, 7)
    pca = PCA(n_components=2).fit(codes)
    plane = q.LinearPlane.fit(codes, pca.transform(codes))
    np.testing.assert_allclose(plane.place(codes), pca.transform(codes), atol=1e-9)
    np.testing.assert_allclose(np.abs(plane.axes), np.abs(pca.components_), atol=1e-9)
    bent = np.c_[np.sin(codes[:, 0]), codes[:, 1] ** 2]
    assert q.LinearPlane.fit(codes, bent) is None
    with pytest.raises(ValueError, match="N > d"):
        q.LinearPlane.fit(codes[:5], pca.transform(codes[:5]))


def test_the_carried_gaussian_is_the_one_the_draws_follow_on_the_plane():
    rng = np.random.default_rng(1)
    mu, sigma = rng.normal(size=5), rng.uniform(0.2, 1.5, size=5)
    plane = q.LinearPlane(rng.normal(size=5), rng.normal(size=(2, 5)))
    gaussian = q.on_plane(mu, sigma, plane)
    placed = plane.place(q.draws(mu, sigma, 20_000, seed=3))
    np.testing.assert_allclose(placed.mean(0), gaussian.mean, atol=0.06 * np.sqrt(np.diag(gaussian.cov)).max())
    np.testing.assert_allclose(np.cov(placed.T), gaussian.cov, rtol=0.05, atol=0.02 * np.abs(gaussian.cov).max())
    inside = [(q.mahalanobis(gaussian, placed) <= k).mean() for k in (1.0, 2.0)]
    np.testing.assert_allclose(inside, [q.mass_within(1.0), q.mass_within(2.0)], atol=0.01)
    # The share of the variance the plane holds: all of it for a 2-D code, 2 of 8 equal units for PCA-like axes.
    assert q.on_plane(mu[:2], sigma[:2], q.LinearPlane.identity()).captured == pytest.approx(1.0)
    assert q.on_plane(np.zeros(8), np.ones(8), q.LinearPlane(np.zeros(8), np.eye(2, 8) * 3)).captured == pytest.approx(0.25)


def test_the_posterior_is_the_encoders_mean_and_standard_deviation():
    model = aecore.create_model("vae", arch="mlp", input_shape=(1, 8, 8), latent_dim=3)
    images = torch.rand(4, 1, 8, 8)
    found = q.posterior(model, images)
    mu, logvar = model.encode_distribution(images)
    np.testing.assert_allclose(found.mu, mu.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(found.sigma, (0.5 * logvar).exp().detach().numpy(), atol=1e-6)
    draws = q.draws(found.mu[0], found.sigma[0], 5, seed=7)
    assert draws.shape == (5, 3)
    np.testing.assert_array_equal(draws, q.draws(found.mu[0], found.sigma[0], 5, seed=7))  # seeded


def test_a_model_with_one_code_per_image_or_a_bad_argument_is_refused_in_words():
    model = aecore.create_model("ae", arch="mlp", input_shape=(1, 8, 8), latent_dim=2)
    assert not q.has_posterior(model)
    with pytest.raises(ValueError, match="needs a VAE"):
        q.posterior(model, torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match="at least 1"):
        q.draws(np.zeros(2), np.ones(2), 0)
    with pytest.raises(ValueError, match="k > 0"):
        q.ellipse(q.PlaneGaussian(np.zeros(2), np.eye(2), 1.0), 0.0)
    with pytest.raises(ValueError, match="for this plane"):
        q.on_plane(np.zeros(3), np.ones(3), q.LinearPlane.identity())
