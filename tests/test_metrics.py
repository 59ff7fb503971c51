"""Metrics: the PCA baseline against scikit-learn computed by hand, evaluate() against the model's own
outputs, PSNR against hand-computed values, and a clear error for every bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

import aecore
from aecore.metrics import evaluate, pca_baseline, psnr, reconstruction_metrics

RECONSTRUCTION_KEYS = {"mse", "psnr", "bce"}
VAE_KEYS = RECONSTRUCTION_KEYS | {"neg_elbo", "kl", "kl_per_dim", "active_units"}


@pytest.fixture(scope="module")
def digits():
    return aecore.load_dataset("digits").split(test_fraction=0.2, seed=0)


def small_model(kind: str, latent_dim: int = 4) -> aecore.Autoencoder:
    torch.manual_seed(0)
    return aecore.create_model(kind, arch="mlp", input_shape=(1, 8, 8), latent_dim=latent_dim, hidden=(32,))


# --- PCA baseline -------------------------------------------------------------------------------
def test_pca_baseline_matches_sklearn(digits):
    train, test = digits
    x_train = train.images.flatten(1).double().numpy()
    x_test = test.images.flatten(1).double().numpy()
    pca = PCA(n_components=10).fit(x_train)
    x_hat = np.clip(pca.inverse_transform(pca.transform(x_test)), 0, 1)
    mse_per_image = ((x_test - x_hat) ** 2).mean(1)
    p = np.clip(x_hat, 1e-6, 1 - 1e-6)
    bce = -(x_test * np.log(p) + (1 - x_test) * np.log(1 - p)).sum(1).mean()

    result = pca_baseline(train, test, k=10)
    assert result["k"] == 10
    assert result["mse"] == pytest.approx(mse_per_image.mean(), rel=1e-9)
    assert result["psnr"] == pytest.approx(np.mean(10 * np.log10(1 / mse_per_image)), rel=1e-9)
    assert result["bce"] == pytest.approx(bce, rel=1e-9)


def test_pca_error_falls_with_k_and_vanishes_at_full_rank(digits):
    train, test = digits
    errors = [pca_baseline(train, test, k)["mse"] for k in (2, 8, 16, 32)]
    assert errors == sorted(errors, reverse=True) and len(set(errors)) == 4
    full = pca_baseline(train, test, 64)  # 8 x 8 pixels: 64 components reconstruct exactly
    assert full["mse"] < 1e-12 and full["psnr"] == pytest.approx(100.0)


@pytest.mark.parametrize("k", [0, 65, 2.5])
def test_pca_bad_k(digits, k):
    with pytest.raises(ValueError, match="k must be an integer from 1 to 64"):
        pca_baseline(*digits, k)


def test_pca_train_and_test_of_different_sizes(digits):
    with pytest.raises(ValueError, match="differ in size"):
        pca_baseline(digits[0], torch.rand(5, 1, 28, 28), 4)


# --- evaluate -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", aecore.list_models())
def test_evaluate_a_fresh_model(kind, digits):
    model = small_model(kind).train()
    test = digits[1]
    result = evaluate(model, test, batch_size=100)  # 360 images: batches of 100, 100, 100, 60
    is_vae = model(test.images[:1]).mu is not None
    assert set(result) == (VAE_KEYS if is_vae else RECONSTRUCTION_KEYS)
    assert all(math.isfinite(v) for k, v in result.items() if k != "kl_per_dim")
    assert all(type(v) in (float, int, list) for v in result.values())  # JSON-ready
    assert model.training  # the caller's mode is restored

    model.eval()
    with torch.no_grad():
        x_hat = model(test.images, test.labels).x_hat  # a conditional kind is evaluated given each image's class
    assert result["mse"] == pytest.approx(((x_hat - test.images) ** 2).mean().item(), rel=1e-5)
    whole = evaluate(model, test, batch_size=1000)  # batching changes nothing (but the z samples)
    deterministic = RECONSTRUCTION_KEYS | ({"kl", "active_units"} if is_vae else set())
    assert {k: result[k] for k in deterministic} == pytest.approx({k: whole[k] for k in deterministic})


def test_evaluate_vae_terms(digits):
    model = small_model("vae", latent_dim=5)
    result = evaluate(model, digits[1], seed=3)
    assert len(result["kl_per_dim"]) == 5 and 0 <= result["active_units"] <= 5
    assert result["kl"] == pytest.approx(sum(result["kl_per_dim"]), rel=1e-5)
    assert result["neg_elbo"] == evaluate(model, digits[1], seed=3)["neg_elbo"]  # seeded sample
    assert result["neg_elbo"] != evaluate(model, digits[1], seed=4)["neg_elbo"]


def test_active_units_counts_the_means_that_vary(digits):
    model = small_model("vae", latent_dim=4)
    head = model.encoder[-1]  # Linear emitting (mu, logvar), mu first
    with torch.no_grad():
        head.weight[:2] = 0.0  # mu_0, mu_1 constant across images: inactive
        head.weight[2:4] *= 100.0  # mu_2, mu_3 spread far beyond the 0.01 threshold
    assert evaluate(model, digits[1])["active_units"] == 2


def test_evaluate_on_images_of_another_shape(digits):
    model = aecore.create_model("ae", input_shape=(1, 28, 28))
    with pytest.raises(ValueError, match=r"\(1, 8, 8\).*\(1, 28, 28\)"):
        evaluate(model, digits[1])


def test_evaluate_bad_batch_size(digits):
    with pytest.raises(ValueError, match="batch_size"):
        evaluate(small_model("ae"), digits[1], batch_size=0)


# --- PSNR and reconstruction metrics ------------------------------------------------------------
def test_psnr_of_identical_images_is_clamped():
    x = torch.rand(3, 1, 4, 4)
    assert torch.equal(psnr(x, x), torch.full((3,), 100.0))


def test_psnr_against_hand_computation():
    x = torch.tensor([[0.0, 0.25, 0.5, 1.0], [0.5, 0.5, 0.5, 0.5]]).view(2, 1, 2, 2)
    # Image 0: errors 1, 0.5, 0, 1 -> mse 2.25 / 4 = 9 / 16 -> 10 log10(16 / 9) dB. Image 1: exact.
    expected = torch.tensor([10 * math.log10(16 / 9), 100.0])
    assert torch.allclose(psnr(x, 1 - x), expected)


def test_reconstruction_metrics_from_logits_or_images_agree():
    x = torch.rand(4, 1, 5, 5, dtype=torch.float64)
    logits = torch.randn(4, 1, 5, 5, dtype=torch.float64)
    from_logits = reconstruction_metrics(x, torch.sigmoid(logits), logits)
    from_images = reconstruction_metrics(x, torch.sigmoid(logits))
    assert from_logits == pytest.approx(from_images, rel=1e-9)
    assert from_logits["mse"] == pytest.approx(((torch.sigmoid(logits) - x) ** 2).mean().item())


def test_psnr_of_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        psnr(torch.rand(2, 1, 8, 8), torch.rand(2, 1, 8, 7))
