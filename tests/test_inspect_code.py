"""aecore.studies.inspect_code: the measurements behind the Inside the code page, against references and on
the shipped digits models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.studies import inspect_code


@pytest.fixture(scope="module")
def test_images() -> torch.Tensor:
    torch.set_num_threads(1)
    return aecore.load_dataset("digits").split(0.2, seed=0)[1].images


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_jacobian_norm_matches_autograd(arch):
    torch.manual_seed(0)
    model = aecore.create_model("ae", arch=arch, input_shape=(1, 8, 8), latent_dim=3, hidden=(16,), channels=(4,)).eval()
    x = torch.rand(4, 1, 8, 8)
    reference = [torch.autograd.functional.jacobian(lambda xi: model.encode(xi.unsqueeze(0))[0], xi).norm().item()
                 for xi in x]
    np.testing.assert_allclose(inspect_code.jacobian_norms(model, x, chunk=3), reference, rtol=1e-5)


def test_jacobian_norm_squared_is_the_contractive_penalty(test_images):
    model = aecore.load_pretrained("digits-contractive-8")
    x = test_images[:32].clone().requires_grad_(True)
    with torch.enable_grad():
        penalty = aecore.models.contractive.jacobian_penalty(model.encode(x), x, create_graph=False)
    assert (inspect_code.jacobian_norms(model, test_images[:32]) ** 2).mean() == pytest.approx(penalty.item(), rel=1e-5)


def test_sensitivity_approaches_the_jacobian_for_small_noise(test_images):
    # E ||J eps||^2 / ||eps||^2 = ||J||_F^2 / n for random directions eps in n pixels.
    model = aecore.load_pretrained("digits-ae-8")
    pixels = test_images[0].numel()
    mean_square = (inspect_code.code_sensitivity(model, test_images, noise=1e-3) ** 2).mean()
    expected = (inspect_code.jacobian_norms(model, test_images) ** 2).mean() / pixels
    assert mean_square == pytest.approx(expected, rel=0.1)


def test_sparse_models_have_fewer_active_units_than_the_plain_ae(test_images):
    fraction = {name: inspect_code.sparsity_summary(aecore.load_pretrained(f"digits-{name}"), test_images)
                ["mean_active_fraction"] for name in ("ae-8", "sparse-l1-16", "sparse-kl-16")}
    assert fraction["sparse-l1-16"] < fraction["ae-8"] and fraction["sparse-kl-16"] < fraction["ae-8"]


def test_contractive_code_moves_less_than_the_plain_ae(test_images):
    moved = {name: inspect_code.code_sensitivity(aecore.load_pretrained(f"digits-{name}"), test_images).mean()
             for name in ("ae-8", "contractive-8")}
    assert moved["contractive-8"] < 0.5 * moved["ae-8"]


def test_kl_per_dimension_matches_torch_distributions(test_images):
    model = aecore.load_pretrained("digits-vae-8")
    mu, logvar = model.encode_distribution(test_images)
    posterior = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    reference = torch.distributions.kl_divergence(posterior, torch.distributions.Normal(0.0, 1.0)).mean(0)
    np.testing.assert_allclose(inspect_code.kl_per_dimension(model, test_images), reference.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_active_fraction_counts_units_above_the_threshold():
    z = np.array([[0.0, 2.0], [1.0, 0.3], [0.5, 0.1]])  # unit scales 1 and 2
    np.testing.assert_allclose(inspect_code.active_fraction(z, 0.1), [0.5, 1.0, 0.5])
    assert inspect_code.normalized_activations(z).max() == 1.0


@pytest.mark.parametrize("bad", [-0.1, 1.0])
def test_active_fraction_refuses_a_bad_threshold(bad):
    with pytest.raises(ValueError, match="threshold"):
        inspect_code.active_fraction(np.ones((2, 2)), bad)


def test_kl_per_dimension_refuses_a_plain_autoencoder(test_images):
    with pytest.raises(ValueError, match="needs a VAE"):
        inspect_code.kl_per_dimension(aecore.load_pretrained("digits-ae-8"), test_images)


def test_loss_history_reads_checkpoints_and_says_none_otherwise():
    curves = inspect_code.loss_history(aecore.load_pretrained("digits-ae-8"))
    assert len(curves["train_loss"]) == len(curves["val_loss"]) == 100
    assert inspect_code.loss_history(aecore.create_model("ae", input_shape=(1, 8, 8))) is None
    assert inspect_code.loss_history({"history": {"train_loss": [1.0], "val_loss": []}}) == {"train_loss": [1.0], "val_loss": []}


def test_warmup_keeps_units_that_collapse_without_it():
    train, test = aecore.load_dataset("digits").split(0.2, seed=0)
    runs = inspect_code.warmup_comparison(beta=3.0, data=(train, test))
    assert runs["no warm-up"]["active_units"] < runs["warm-up"]["active_units"]


# --- the loss terms the page puts beside each formula -----------------------------------------
def test_l1_terms_are_the_sparse_models_penalty(test_images):
    model = aecore.load_pretrained("digits-sparse-l1-16")
    output = model.infer(test_images)
    penalty = model.weights()["sparsity"] * model.regularizer(test_images, output)["sparsity"]
    terms = inspect_code.l1_terms(inspect_code.codes(model, test_images), model.config.weight)
    assert terms.shape == (len(test_images),) and terms.mean() == pytest.approx(penalty.item(), rel=1e-5)


def test_kl_sparsity_terms_are_the_sparse_models_penalty(test_images):
    model = aecore.load_pretrained("digits-sparse-kl-16")
    z = model.infer(test_images).z
    rho_hat, kl = inspect_code.kl_sparsity_terms(z.double().numpy(), model.config.rho)
    np.testing.assert_allclose(rho_hat, z.mean(0).double().numpy(), rtol=1e-6)
    reference = aecore.models.sparse.kl_sparsity(z, model.config.rho)
    assert kl.sum() == pytest.approx(reference.item(), rel=1e-4)


def test_contractive_term_and_its_estimate_from_pushes(test_images):
    model = aecore.load_pretrained("digits-contractive-8")
    norms = inspect_code.jacobian_norms(model, test_images)
    x = test_images.clone().requires_grad_(True)
    with torch.enable_grad():
        penalty = aecore.models.contractive.jacobian_penalty(model.encode(x), x, create_graph=False)
    assert inspect_code.contractive_term(norms, 0.01) == pytest.approx(0.01 * penalty.item(), rel=1e-5)
    pushes = inspect_code.code_sensitivity(model, test_images, noise=1e-3)
    assert inspect_code.jacobian_from_pushes(pushes, test_images[0].numel()) == pytest.approx(
        (norms ** 2).mean(), rel=0.1)


def test_collapsed_units_count_units_at_most_the_threshold():
    assert inspect_code.collapsed_units([0.0, 0.005, 0.01, 0.2, 1.5]) == 3


@pytest.mark.parametrize("bad", [0.0, 1.0])
def test_kl_sparsity_terms_refuse_a_bad_rate(bad):
    with pytest.raises(ValueError, match="rho"):
        inspect_code.kl_sparsity_terms(np.full((2, 2), 0.5), bad)


def test_binned_shares_draw_what_a_probability_histogram_draws():
    """The page bins activations in numpy (not plotly.js): shares per bin sum to 1 and 1.0, the
    largest normalized activation, falls in the last bin."""
    values = np.array([0.0, 0.01, 0.03, 0.5, 1.0, 1.0])
    shares = inspect_code.binned_shares(values, inspect_code.ACTIVATION_EDGES)
    assert len(shares) == len(inspect_code.ACTIVATION_EDGES) - 1 and shares.sum() == pytest.approx(1.0)
    assert shares[0] == pytest.approx(2 / 6) and shares[1] == pytest.approx(1 / 6) and shares[-1] == pytest.approx(2 / 6)
