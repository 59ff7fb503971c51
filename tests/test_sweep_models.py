"""The sweeps of the downloaded datasets ship as models (`aecore.studies.sweep_models`) and are measured, with
the zoo's denoise curves, on this machine's copy of the images (`aecore.studies.local_studies`).

A small fake MNIST (random images written here, never the real ones) stands in for the download; the
shipped models are read from `pretrained/`, and everything measured goes to a temporary folder.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import safetensors
import safetensors.torch
import torch
from sklearn.decomposition import PCA

import aecore
from aecore.studies import compression, lab_curves, local_studies, sweep_models
from aecore.checkpoint import WEIGHTS_NAME
from aecore.metrics import nested_pca
from aecore.recipes import SWEEP_SIZES
from aecore.runner import FitSettings, RunSpec
from fake_mirror import write_unpacked_mnist

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    """AECORE_DATA holding a fake MNIST download; AECORE_ZOO_CACHE an empty folder for what is measured."""
    base = tmp_path_factory.mktemp("sweep_models")
    write_unpacked_mnist(base / "data", seed=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AECORE_DATA", str(base / "data"))
        patch.setenv("AECORE_ZOO_CACHE", str(base / "cache"))
        yield base


@pytest.fixture(scope="module")
def measured(fake_mnist):
    return sweep_models.measure_sweep("mnist")


@pytest.mark.parametrize("dataset", list(sweep_models.MODEL_SWEEPS))
def test_the_sweep_models_ship_small_in_float16_from_the_sweep_recipe(dataset):
    recipe = compression.sweep_recipe(dataset)
    assert recipe["arch"] == "mlp" and recipe["latent_dims"] == SWEEP_SIZES[dataset]
    assert dataset not in compression.SWEEP_RECIPES  # no rows measured on its images ship
    for k in recipe["latent_dims"]:
        folder = sweep_models.model_path(dataset, k)
        assert sum(f.stat().st_size for f in folder.iterdir()) < 1_000_000
        with safetensors.safe_open(str(folder / WEIGHTS_NAME), framework="pt") as weights:
            assert {weights.get_tensor(key).dtype for key in weights.keys()} == {torch.float16}
        model = aecore.load(folder)
        # The page's "Recompute the sweep" with its defaults trains these very models.
        settings = {key: recipe[key] for key in ("epochs", "batch_size", "lr", "schedule")}
        expected = RunSpec(dataset=dataset, kind=recipe["kind"], arch=recipe["arch"], latent_dim=k,
                           fit=FitSettings(seed=0, device="cpu", **settings))
        assert model.checkpoint["metadata"]["recipe"] == expected.command()
        assert model.config.latent_dim == k


def test_one_pca_fit_serves_every_code_size():
    train, test = aecore.load_split("digits")
    x_train = train.images.flatten(1).double().numpy()
    nested = nested_pca(x_train, [2, 8, 32])
    for k, pca in nested.items():
        full = PCA(n_components=k, svd_solver="full").fit(x_train)
        x = test.images.flatten(1).double().numpy()
        np.testing.assert_allclose(pca.inverse_transform(pca.transform(x)), full.inverse_transform(full.transform(x)),
                                   atol=1e-9)
        assert pca.transform(x).shape == (len(x), k)


def test_the_measured_sweep_has_the_shipped_layout_and_right_numbers(measured):
    shipped = compression.load_sweep("digits")
    assert set(measured) == set(shipped) | {"measured"} and set(measured["rows"][0]) == set(shipped["rows"][0])
    assert [row["latent_dim"] for row in measured["rows"]] == SWEEP_SIZES["mnist"]
    train, test = aecore.load_split("mnist")
    assert measured["test_images"] == len(test) and measured["split"] == {"test": "official test file"}
    assert measured["anchor"]["images"] == min(len(test), compression.ANCHOR_IMAGES)
    for row in measured["rows"]:
        k = row["latent_dim"]
        model = aecore.load(sweep_models.model_path("mnist", k))
        assert row["ae_mse"] == pytest.approx(aecore.evaluate(model, test)["mse"], rel=1e-5)
        # The exact PCA-k (on the fake's random pixels scikit-learn's auto solver is a randomized one).
        exact = PCA(n_components=k, svd_solver="full").fit(train.images.flatten(1).double().numpy())
        x_test = test.images.flatten(1).double().numpy()
        x_hat = np.clip(exact.inverse_transform(exact.transform(x_test)), 0, 1)
        assert row["pca_mse"] == pytest.approx(float(((x_hat - x_test) ** 2).mean()), rel=1e-5)
        assert compression.at_bits(row, 16)["ae_mse"] == pytest.approx(row["ae_mse"], rel=1e-2)
        assert row["ae_quantized_images"].shape == (len(compression.QUANT_BITS), *measured["images"].shape)


def test_the_page_reads_what_was_measured_here_and_says_how_to_get_it_before(fake_mnist, measured, monkeypatch):
    assert sweep_models.is_measured("mnist")
    assert sweep_models.measured_path("mnist").parent == fake_mnist / "cache"
    again = sweep_models.load_precomputed("mnist")
    assert again["rows"][2]["ae_mse"] == measured["rows"][2]["ae_mse"] and again["measured"] == "here"
    np.testing.assert_allclose(again["images"], measured["images"], atol=1 / 255)
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(fake_mnist / "elsewhere"))
    assert not sweep_models.is_measured("mnist")
    with pytest.raises(ValueError, match="python -m aecore measure mnist"):
        sweep_models.load_precomputed("mnist")
    assert sweep_models.load_precomputed("digits")["recipe"] == compression.SWEEP_RECIPES["digits"]


def test_new_sweep_weights_are_measured_again(fake_mnist, measured, tmp_path):
    """After an update that ships retrained sweep models, the page must not show the old rows."""
    shutil.copytree(sweep_models.model_path("mnist", 2).parent, tmp_path / "sweeps" / "mnist")
    assert sweep_models.measured_path("mnist", tmp_path) == sweep_models.measured_path("mnist")
    weights = sweep_models.model_path("mnist", 8, tmp_path) / WEIGHTS_NAME
    state = safetensors.torch.load_file(weights)
    safetensors.torch.save_file({name: tensor * 1.5 for name, tensor in state.items()}, weights)
    assert not sweep_models.is_measured("mnist", tmp_path)
    assert local_studies.SWEEP in local_studies.missing_studies("mnist", tmp_path)


def test_a_downloaded_dataset_ships_no_sweep_of_rows():
    with pytest.raises(ValueError, match="ships as models"):
        compression.build_sweep("mnist")


def test_the_studies_are_measured_once_into_the_local_folder(fake_mnist, measured, monkeypatch):
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(fake_mnist / "studies"))
    names = [e["name"] for e in aecore.list_pretrained("mnist")]
    assert local_studies.missing_studies("mnist") == [local_studies.SWEEP, local_studies.CURVES]
    assert lab_curves.missing_curves("mnist") == names
    seen = []
    assert local_studies.measure("mnist", progress=lambda share, words: seen.append((share, words))) == [
        local_studies.SWEEP, local_studies.CURVES]
    assert seen[0] == (0.0, "compression sweep: code size 2") and seen[-1][1].startswith("denoise curves: ")
    assert all(0 <= share < 1 for share, _ in seen) and [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert local_studies.missing_studies("mnist") == [] and local_studies.measure("mnist") == []
    assert lab_curves.curves_path("mnist").parent == fake_mnist / "studies"  # never into pretrained/
    curves = lab_curves.load_curves("mnist")
    assert set(curves["models"]) == set(names)
    images = lab_curves.curve_images(aecore.load_split("mnist")[1])
    fresh = lab_curves.psnr_curve(images, "mask", aecore.load_pretrained(names[0]))
    assert curves["models"][names[0]]["mask"] == pytest.approx(fresh, abs=1e-3)


def test_a_retrained_model_alone_gets_its_curves_measured_again(fake_mnist, monkeypatch):
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(fake_mnist / "curves"))
    names = [e["name"] for e in aecore.list_pretrained("mnist")][:2]
    lab_curves.build_curves("mnist", names=names)
    assert lab_curves.missing_curves("mnist")[:2] != names
    real = lab_curves.weights_digest
    monkeypatch.setattr(lab_curves, "weights_digest", lambda name, root=None: "new" if name == names[0] else real(name, root))
    assert names[0] in lab_curves.missing_curves("mnist") and names[1] not in lab_curves.missing_curves("mnist")
    scored = []
    lab_curves.build_curves("mnist", names=[names[0]], progress=lambda done, total, name: scored.append(name))
    assert scored == [names[0]] and set(lab_curves.load_curves("mnist")["models"]) >= set(names)
