"""The autoencoder family: one contract for every registered kind and architecture, the loss terms
against reference implementations, and a clear error for every bad option."""

from __future__ import annotations

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

import aecore
from aecore.models.contractive import jacobian_penalty
from aecore.models.sparse import kl_sparsity
from aecore.models.vae import kl_standard_normal
from conftest import refuses

# Every embedded dataset's image shape (digits, shapes at both sizes) and an RGB one (cifar10, folders).
SHAPES = [(1, 8, 8), (1, 28, 28), (1, 32, 32), (3, 32, 32)]
# Every registered kind with its defaults, plus the option values that change its architecture or loss.
VARIANTS = [(kind, {}) for kind in aecore.list_models()] + [("sparse", {"penalty": "kl"})]


def variant_id(variant: tuple[str, dict]) -> str:
    kind, options = variant
    return kind + "".join(f"-{v}" for v in options.values())


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("arch", aecore.list_archs())
@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_model_reconstructs_and_learns(variant, arch, shape):
    if refuses(variant[0], arch):
        return
    kind, options = variant
    torch.manual_seed(0)
    # The residual net at its default widths takes ~10 s per case for the 50 steps below: narrower here.
    widths = {"channels": (8, 16)} if arch == "resconv" else {}
    model = aecore.create_model(kind, arch=arch, input_shape=shape, latent_dim=4, **options, **widths)
    x = torch.rand(16, *shape)

    out = model(x)
    assert out.x_hat.shape == x.shape and out.z.shape == (16, 4)
    assert 0 <= out.x_hat.min() and out.x_hat.max() <= 1
    assert model.encode(x).shape == (16, 4)
    assert model.decode(torch.randn(5, 4)).shape == (5, *shape)

    torch.manual_seed(1)  # same corruption / posterior noise before and after training
    before, logs = model.loss(x)
    assert torch.isfinite(before) and "recon" in logs and "total" in logs
    before.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())

    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(50):
        optimiser.zero_grad()
        model.loss(x)[0].backward()
        optimiser.step()
    torch.manual_seed(1)
    after, _ = model.loss(x)
    assert after < before


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_config_rebuilds_the_same_model(variant):
    kind, options = variant
    model = aecore.create_model(kind, arch="conv", input_shape=(1, 8, 8), latent_dim=3, **options).eval()
    twin = aecore.model_from_config(model.config.to_dict()).eval()
    twin.load_state_dict(model.state_dict())
    x = torch.rand(4, 1, 8, 8)
    assert type(twin) is type(model) and twin.config == model.config
    assert torch.equal(model(x).x_hat, twin(x).x_hat)


def test_logs_are_the_unweighted_terms_of_the_total():
    model = aecore.create_model("sparse", input_shape=(1, 8, 8), weight=0.5)
    total, logs = model.loss(torch.rand(8, 1, 8, 8))
    assert torch.allclose(total, logs["recon"] + 0.5 * logs["sparsity"])
    assert torch.allclose(logs["total"], total)


def test_vae_kl_matches_torch_distributions():
    torch.manual_seed(0)
    model = aecore.create_model("vae", input_shape=(1, 8, 8), latent_dim=5)
    x = torch.rand(32, 1, 8, 8)
    mu, logvar = model.encode_distribution(x)
    reference = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1).mean()
    _, logs = model.loss(x)
    assert torch.allclose(logs["kl"], reference, rtol=1e-5)
    assert torch.allclose(kl_standard_normal(mu, logvar), kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)), atol=1e-6)


def test_beta_scales_only_the_kl_term():
    x = torch.rand(16, 1, 8, 8)
    totals = {}
    for beta in (1.0, 4.0):
        torch.manual_seed(0)
        model = aecore.create_model("vae", input_shape=(1, 8, 8), beta=beta)
        torch.manual_seed(1)
        totals[beta], logs = model.loss(x)
    assert torch.allclose(totals[4.0] - totals[1.0], 3 * logs["kl"], rtol=1e-4)


@pytest.mark.parametrize("arch", aecore.list_archs())
def test_contractive_penalty_matches_autograd_jacobian(arch):
    if refuses("contractive", arch):
        return
    torch.manual_seed(0)
    model = aecore.create_model("contractive", arch=arch, input_shape=(1, 8, 8), latent_dim=3)
    x = torch.rand(5, 1, 8, 8)
    per_sample = [
        torch.autograd.functional.jacobian(lambda xi: model.encode(xi.unsqueeze(0))[0], xi).pow(2).sum()
        for xi in x
    ]
    reference = torch.stack(per_sample).mean()
    _, logs = model.loss(x)
    assert torch.allclose(logs["contractive"], reference, rtol=1e-4)
    with torch.no_grad():  # validation: no graph, same value
        _, logs = model.eval().loss(x)
    assert torch.allclose(logs["contractive"], reference, rtol=1e-4)
    x_req = x.clone().requires_grad_(True)
    assert torch.allclose(jacobian_penalty(model.encode(x_req), x_req), reference, rtol=1e-4)


def test_sparse_kl_penalty_matches_closed_form():
    z = torch.rand(64, 6) * 0.98 + 0.01
    rho = 0.05
    reference = kl_divergence(Bernoulli(torch.full((6,), rho)), Bernoulli(z.mean(0))).sum()
    assert torch.allclose(kl_sparsity(z, rho), reference, rtol=1e-5)
    model = aecore.create_model("sparse", input_shape=(1, 8, 8), penalty="kl", rho=rho)
    x = torch.rand(16, 1, 8, 8)
    out = model(x)
    assert 0 < out.z.min() and out.z.max() < 1  # a sigmoid code, as the KL penalty needs
    expected = kl_divergence(Bernoulli(torch.full((8,), rho)), Bernoulli(out.z.mean(0))).sum()
    assert torch.allclose(model.regularizer(x, out)["sparsity"], expected, rtol=1e-5)


def test_sparse_l1_code_is_non_negative_and_penalised():
    model = aecore.create_model("sparse", input_shape=(1, 8, 8), penalty="l1")
    x = torch.rand(16, 1, 8, 8)
    out = model(x)
    assert out.z.min() >= 0
    assert torch.allclose(model.regularizer(x, out)["sparsity"], out.z.abs().sum(1).mean())


def test_vae_encode_is_the_posterior_mean_and_sampling_is_seeded():
    model = aecore.create_model("vae", arch="conv", input_shape=(1, 28, 28), latent_dim=6).eval()
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(model.encode(x), model.encode_distribution(x)[0])
    a, b = model.sample(9, seed=3), model.sample(9, seed=3)
    assert a.shape == (9, 1, 28, 28) and torch.equal(a, b) and 0 <= a.min() and a.max() <= 1
    assert not torch.equal(a, model.sample(9, seed=4))
    cold = model.sample(4, temperature=0.0, seed=1)
    assert torch.allclose(cold, cold[:1].expand_as(cold))  # T=0: every sample is the decoded origin


def test_denoising_corrupts_in_training_only():
    model = aecore.create_model("denoising", input_shape=(1, 8, 8), noise="mask", noise_level=0.5)
    x = torch.rand(8, 1, 8, 8)
    model.train()
    assert not torch.equal(model.loss(x)[0], model.loss(x)[0])
    model.eval()
    assert torch.equal(model.loss(x)[0], model.loss(x)[0])


def test_training_form_fields_come_from_the_config():
    names = {kind: [f.name for f in aecore.config_fields(kind)] for kind in aecore.list_models()}
    assert {"penalty", "weight", "rho"} <= set(names["sparse"])
    assert "beta" in names["vae"] and "noise_level" in names["denoising"]
    assert all("latent_dim" in fields for fields in names.values())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "ae", "arch": "resnet"}, "unknown arch 'resnet'; valid archs: mlp, conv"),
        ({"kind": "ae", "latent_dim": 0}, "latent_dim must be an integer of at least 1"),
        ({"kind": "ae", "arch": "conv", "input_shape": (1, 2, 2)}, "needs H and W of at least 4"),
        ({"kind": "ae", "input_shape": (28, 28)}, r"input_shape must be \(C, H, W\)"),
        ({"kind": "ae", "beta": 2.0}, "unknown option.*beta.*valid options"),
        ({"kind": "ae", "likelihood": "poisson"}, "unknown likelihood"),
        ({"kind": "sparse", "penalty": "l2"}, "unknown sparsity penalty 'l2'; valid: l1, kl"),
        ({"kind": "sparse", "penalty": "kl", "rho": 1.5}, r"rho .* must be in \(0, 1\)"),
        ({"kind": "sparse", "weight": -1.0}, "sparsity weight must be >= 0"),
        ({"kind": "denoising", "noise": "blur"}, "unknown noise kind 'blur'; valid kinds: gaussian"),
        ({"kind": "denoising", "noise": "mask", "noise_level": 2.0}, "noise_level for 'mask' must be in"),
        ({"kind": "contractive", "weight": -0.1}, "contractive weight must be >= 0"),
        ({"kind": "vae", "beta": -1.0}, "beta must be >= 0"),
    ],
)
def test_bad_options_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        aecore.create_model(**kwargs)


def test_unknown_kind_lists_every_registered_kind():
    with pytest.raises(ValueError, match="unknown model kind 'transformer'; valid kinds: ") as error:
        aecore.create_model("transformer")
    listed = str(error.value).split("valid kinds: ", 1)[1].split(", ")
    for kind in aecore.list_models():
        assert kind in listed


@pytest.mark.parametrize("kind", aecore.list_models())
def test_a_model_built_directly_takes_its_kind_from_its_class(kind):
    cls = aecore.models.model_class(kind)
    config = cls.config_class(input_shape=(1, 8, 8), latent_dim=3)  # kind left at its default
    model = cls(config)
    assert model.config.kind == kind and model.config.to_dict()["kind"] == kind
    assert config.kind == "ae"  # the caller's config object is not changed under them


def test_a_model_refuses_another_kinds_config():
    with pytest.raises(TypeError, match="VariationalAutoencoder takes a VAEConfig, got ModelConfig"):
        aecore.models.model_class("vae")(aecore.models.ModelConfig())


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("kind", aecore.list_models())
def test_infer_gives_the_eval_output_and_never_switches_the_mode(kind, training):
    torch.manual_seed(0)
    model = aecore.create_model(kind, arch="conv", input_shape=(1, 8, 8), latent_dim=3).train(training)
    x = torch.rand(7, 1, 8, 8)
    output = model.infer(x, batch_size=3)  # three batches, the last one short
    assert model.training is training
    assert not output.x_hat.requires_grad and output.x_hat.shape == (7, 1, 8, 8)
    with torch.no_grad():
        expected = model.eval()(x)
    assert torch.allclose(output.x_hat, expected.x_hat, atol=1e-6)
    assert torch.allclose(output.z, expected.z, atol=1e-6)
    assert (output.mu is None) == (expected.mu is None)


def test_infer_refuses_a_mode_dependent_model_in_training_mode():
    model = aecore.create_model("ae", input_shape=(1, 8, 8))
    model.dropout = torch.nn.Dropout(0.5)  # a layer that behaves differently in training
    with pytest.raises(RuntimeError, match="in training mode"):
        model.train().infer(torch.rand(2, 1, 8, 8))
    assert model.training
    assert model.eval().infer(torch.rand(2, 1, 8, 8)).x_hat.shape == (2, 1, 8, 8)


def test_wrong_input_shape_is_a_clear_error():
    model = aecore.create_model("ae", input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match=r"takes images shaped \(B, 1, 8, 8\), got \(2, 1, 28, 28\)"):
        model(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"decode expects codes shaped \(B, 8\)"):
        model.decode(torch.rand(2, 3))
