"""The shipped pretrained zoo: complete, small, loadable, and as good as its bars on digits."""

from __future__ import annotations

import shlex

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import aecore
from aecore.cli import spec_from_args
from aecore.studies.zoo import RECIPES

ZOO = Path(aecore.pretrained.pretrained_root())
KINDS = [("ae", {}), ("sparse", {"penalty": "l1"}), ("sparse", {"penalty": "kl"}), ("denoising", {}),
         ("contractive", {}), ("vae", {"beta": 1.0})]


@pytest.fixture(scope="module")
def digits():
    return aecore.load_dataset("digits").split(0.2, seed=0)


def test_manifest_matches_the_recipes_and_the_files():
    entries = aecore.list_pretrained()
    assert [e["name"] for e in entries] == [r.name for r in RECIPES]
    for entry, recipe in zip(entries, RECIPES):
        assert entry["recipe"] == recipe.command()  # the recorded recipe is the one `zoo` runs
        model = aecore.load_pretrained(entry["name"])
        assert (model.kind, model.config.arch, model.config.latent_dim) == (entry["kind"], entry["arch"], entry["latent_dim"])
        recorded = shlex.split(model.checkpoint["metadata"]["recipe"])[4:]  # after "python -m aecore train"
        recorded += [] if "--out" in recorded else ["--out", "unused"]  # the run layer records the spec alone
        assert spec_from_args(recorded)[0] == recipe.spec  # the shipped weights came from this recipe
        assert entry["metrics"]["mse"] > 0 and entry["pca"]["k"] == entry["latent_dim"]
        # options are the kind's own settings: enough, with the rest of the entry, to rebuild it
        rebuilt = aecore.create_model(entry["kind"], arch=entry["arch"], input_shape=entry["input_shape"],
                                      latent_dim=entry["latent_dim"], **entry["options"])
        assert rebuilt.config.to_dict().items() >= entry["options"].items()


@pytest.mark.parametrize("dataset, arch", [("digits", "mlp"), ("shapes", "conv"), ("mnist", "conv"), ("fashion-mnist", "conv")])
def test_every_kind_and_two_dimensional_codes_for_each_dataset(dataset, arch):
    entries = aecore.list_pretrained(dataset=dataset)
    for kind, options in KINDS:
        assert any(e["kind"] == kind and e["arch"] == arch and options.items() <= e["options"].items() for e in entries), \
            (dataset, kind, options)
    assert any(e["kind"] == "vae" and e["arch"] == arch and e["options"]["beta"] > 1 for e in entries), (dataset, "beta-VAE")
    for kind in ("ae", "vae"):
        assert any(e["kind"] == kind and e["latent_dim"] == 2 for e in entries), (dataset, kind)


def test_the_zoo_is_small():
    total = sum(f.stat().st_size for f in ZOO.rglob("*") if f.is_file())
    assert total < 40 * 1024**2


@pytest.mark.parametrize("name", [r.name for r in RECIPES if r.spec.dataset in ("digits", "shapes")])  # the others: test_quality
def test_stored_latent_map_matches_the_model(name):
    entry = aecore.pretrained_entry(name)
    model = aecore.load_pretrained(name)
    latent = aecore.load_latent(name)
    dataset = aecore.load_dataset(entry["dataset"], **entry["dataset_options"])
    test = dataset.subset(latent["index"])
    n = len(latent["index"])
    assert latent["codes"].shape == (n, entry["latent_dim"]) and latent["labels"].shape == (n,)
    for method in entry["projections"]:
        assert latent[method].shape == (n, 2) and np.isfinite(latent[method]).all()
    first = test.images[:64]
    assert np.allclose(aecore.latent.encode_dataset(model, first), latent["codes"][:64], atol=1e-5)
    assert torch.equal(torch.as_tensor(latent["labels"]), test.labels)


def test_unknown_name_lists_the_models():
    with pytest.raises(ValueError, match="unknown pretrained model 'nope'; available: digits-ae-2"):
        aecore.load_pretrained("nope")


# --- the quality bars on digits (test split 0.2, seed 0) ---------------------------
def mse_ratio(name: str, test) -> float:
    entry = aecore.pretrained_entry(name)
    return aecore.evaluate(aecore.load_pretrained(name), test)["mse"] / entry["pca"]["mse"]


def test_ae_beats_pca(digits):
    train, test = digits
    assert aecore.evaluate(aecore.load_pretrained("digits-ae-8"), test)["mse"] <= 0.5 * aecore.pca_baseline(train, test, 8)["mse"]
    assert aecore.evaluate(aecore.load_pretrained("digits-ae-2"), test)["mse"] <= 0.7 * aecore.pca_baseline(train, test, 2)["mse"]


def test_denoising_ae_removes_noise(digits):
    _, test = digits
    noisy = aecore.noise.corrupt(test.images, "gaussian", 0.3, seed=0)
    with torch.no_grad():
        denoised = aecore.load_pretrained("digits-denoising-16")(noisy).x_hat
        plain = aecore.load_pretrained("digits-ae-8")(noisy).x_hat
    noisy_psnr = aecore.psnr(test.images, noisy).mean().item()
    denoised_psnr = aecore.psnr(test.images, denoised).mean().item()
    assert denoised_psnr >= noisy_psnr + 5.0
    assert denoised_psnr > aecore.psnr(test.images, plain).mean().item()


@pytest.fixture(scope="module")
def pixel_classifier(digits):
    train, _ = digits
    return LogisticRegression(max_iter=3000).fit(train.images.flatten(1).numpy(), train.labels.numpy())


def test_vae_prior_samples_look_like_every_digit(pixel_classifier):
    samples = aecore.load_pretrained("digits-vae-8").sample(1000, seed=0)
    probabilities = pixel_classifier.predict_proba(samples.flatten(1).numpy())
    share = np.bincount(probabilities.argmax(1), minlength=10) / 1000
    assert (share >= 0.03).sum() >= 9
    assert probabilities.max(1).mean() >= 0.8


def test_ae_codes_are_as_useful_as_pca_codes(digits):
    train, test = digits
    model = aecore.load_pretrained("digits-ae-8")

    def accuracy(encode) -> float:
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
        return probe.fit(encode(train), train.labels.numpy()).score(encode(test), test.labels.numpy())

    pca = aecore.latent.PCAProjection(n_components=8, random_state=0).fit(train.images.flatten(1).numpy())
    ae_accuracy = accuracy(lambda d: aecore.latent.encode_dataset(model, d))
    pca_accuracy = accuracy(lambda d: pca.transform(d.images.flatten(1).numpy()))
    assert ae_accuracy >= pca_accuracy


def test_shapes_beta_vae_gives_x_y_and_scale_a_unit_each():
    # The traversal page's promise: on shapes, each of these factors moves one unit of the code.
    entry = aecore.pretrained_entry("shapes-beta-vae-6")
    latent = aecore.load_latent("shapes-beta-vae-6")
    factors = aecore.load_dataset("shapes", **entry["dataset_options"]).subset(latent["index"]).factors
    names = ("x", "y", "scale")
    corr = np.abs(np.array([[np.corrcoef(latent["codes"][:, j], factors[f].numpy())[0, 1]
                             for j in range(latent["codes"].shape[1])] for f in names]))  # (factor, unit)
    units = corr.argmax(1)
    assert len(set(units)) == 3, corr.round(2)  # three different units
    for i, unit in enumerate(units):
        assert corr[i, unit] >= 0.8, (names[i], corr.round(2))
        assert np.delete(corr[:, unit], i).max() <= 0.3, (names[i], corr.round(2))  # and only that factor


def test_no_shipped_vae_is_degenerate():
    # Every VAE keeps at least 2 active units (digits' beta 4 once kept none).
    for entry in aecore.list_pretrained():
        if entry["kind"] == "vae":
            assert entry["metrics"]["active_units"] >= min(2, entry["latent_dim"]), entry["name"]
