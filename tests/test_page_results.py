"""The analysis pages' stored results (`aecore.pretrained.load_results`): present for every shipped
model, shaped as the pages read them, and equal to a fresh measurement; and the page jobs that a
user's own model gets instead (`aecore.studies.page_jobs`)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

import aecore
from aecore import anomaly
from aecore.studies import inspect_code, page_jobs
from aecore.pretrained import read_manifest
from aecore.probe import CLASSIFIERS, LABEL_COUNTS, MAX_DRAWS, REPRESENTATIONS, linear_probe, summarize
from aecore.studies.zoo import RECIPES, build_results


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    torch.set_num_threads(1)


# A downloaded dataset's models have theirs measured where the images are: tests/test_zoo_local.py.
@pytest.mark.parametrize("name", [r.name for r in RECIPES if r.spec.dataset in ("digits", "shapes")])
def test_every_shipped_model_has_its_results(name):
    entry = aecore.pretrained_entry(name)
    results = aecore.pretrained.load_results(name)
    n = len(aecore.load_latent(name)["index"])
    probe = results["probe"]
    assert probe["draws"] == MAX_DRAWS and probe["latent_dim"] == entry["latent_dim"]
    for representation in REPRESENTATIONS:
        for classifier in CLASSIFIERS:
            cells = probe["scores"][representation][classifier]
            assert [len(cells[c]) for c in ("10", "100", "all")] == [MAX_DRAWS, MAX_DRAWS, 1]
    assert sorted(results["sensitivity"]) == sorted(inspect_code.NOISES)
    pushed = len(inspect_code.measured_rows(n))  # a seeded sample of at most MEASURED_IMAGES test images
    assert pushed == min(n, inspect_code.MEASURED_IMAGES)
    assert all(v.shape == (pushed,) and np.isfinite(v).all() for v in results["sensitivity"].values())
    assert results["jacobian"].shape == (pushed,) and results["codes"].shape == (n, entry["latent_dim"])
    assert (results["kl_per_dim"] is None) == (entry["kind"] not in ("vae", "cvae"))  # the kinds with a KL term
    stored = results["anomaly"]
    classes = len(aecore.load_dataset(entry["dataset"]).classes)
    assert stored["scores"].shape == (n,) and stored["k"] == entry["latent_dim"] and stored["normal"] == (0,)
    assert sorted(stored["pca_scores"]) == list(range(classes))


@pytest.fixture(scope="module")
def digits_split():
    return aecore.load_dataset("digits").split(0.2, seed=0)


def test_stored_probe_matches_a_fresh_probe(digits_split):
    train, test = digits_split
    fresh = linear_probe(aecore.load_pretrained("digits-ae-8"), train, test, LABEL_COUNTS, repeats=3)
    stored = summarize(aecore.pretrained.load_results("digits-ae-8")["probe"], 3)
    for representation in REPRESENTATIONS:
        for classifier in CLASSIFIERS:
            for count in ("10", "100", "all"):
                assert stored["accuracy"][representation][classifier][count] == pytest.approx(
                    fresh["accuracy"][representation][classifier][count], abs=1e-9)
    assert [r["std"] for r in stored["rows"]] == pytest.approx([r["std"] for r in fresh["rows"]], abs=1e-9)


def test_stored_measures_match_fresh_ones(digits_split):
    _, test = digits_split
    vae = aecore.load_pretrained("digits-vae-8")
    stored = aecore.pretrained.load_results("digits-vae-8")
    np.testing.assert_allclose(stored["kl_per_dim"], inspect_code.kl_per_dimension(vae, test.images), rtol=1e-5)
    np.testing.assert_allclose(stored["jacobian"], inspect_code.jacobian_norms(vae, test.images), rtol=2e-3)
    np.testing.assert_allclose(stored["sensitivity"][0.01], inspect_code.code_sensitivity(vae, test.images, 0.01),
                               rtol=2e-3)
    np.testing.assert_allclose(stored["anomaly"]["scores"], anomaly.anomaly_scores(vae, test), rtol=1e-5)
    normal_train, _, _ = anomaly.one_class_split(aecore.load_dataset("digits"), (3,))
    np.testing.assert_allclose(stored["anomaly"]["pca_scores"][3], anomaly.pca_scores(normal_train, test, 8),
                               rtol=1e-5, atol=1e-9)


def test_results_only_rebuild_remeasures_a_model_without_training(tmp_path):
    name = "digits-contractive-8"
    shutil.copytree(aecore.pretrained.pretrained_root() / name, tmp_path / name)
    (tmp_path / name / "results.safetensors").unlink()
    weights = (tmp_path / name / "model.safetensors").read_bytes()
    manifest = read_manifest()
    manifest["models"] = [e for e in manifest["models"] if e["name"] == name]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert build_results(tmp_path, log=None) == [name]
    assert (tmp_path / name / "model.safetensors").read_bytes() == weights  # nothing was trained
    rebuilt, shipped = aecore.pretrained.load_results(name, tmp_path), aecore.pretrained.load_results(name)
    assert rebuilt["probe"]["scores"] == shipped["probe"]["scores"]
    np.testing.assert_array_equal(rebuilt["jacobian"], shipped["jacobian"])
    np.testing.assert_array_equal(rebuilt["anomaly"]["pca_scores"][0], shipped["anomaly"]["pca_scores"][0])


def test_results_only_refuses_an_unknown_model(tmp_path):
    with pytest.raises(ValueError, match="no built zoo model"):
        build_results(only=["nope"], log=None)


def test_probe_job_reuses_the_stored_pixels_and_pca():
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=8, hidden=(16,))
    shipped = [aecore.pretrained.load_results(n) for n in ("digits-ae-2", "digits-ae-8")]
    known = page_jobs.stored_probe_parts(shipped, 8)
    assert known["pca"] is shipped[1]["probe"]["scores"]["pca"]
    result = page_jobs.probe(aecore.to_zip_bytes(model), "digits", known)
    assert result["scores"]["pixels"] == shipped[0]["probe"]["scores"]["pixels"]
    assert len(result["scores"]["autoencoder"]["logistic"]["10"]) == MAX_DRAWS
    assert summarize(result, 1)["accuracy"]["autoencoder"]["knn"]["all"] > 0.1


def test_code_measures_job_returns_every_noise_and_no_kl_for_a_plain_model():
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=3, hidden=(16,))
    measures = page_jobs.code_measures(aecore.to_zip_bytes(model), "digits")
    assert sorted(measures["sensitivity"]) == sorted(inspect_code.NOISES)
    assert measures["codes"].shape == (360, 3) and measures["kl_per_dim"] is None
    assert measures["jacobian"].shape == (360,)  # fewer test images than MEASURED_IMAGES: all of them


def test_code_measures_push_one_seeded_sample_of_a_large_test_split():
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=3, hidden=(16,))
    images = torch.rand(1500, 1, 8, 8)
    measures = inspect_code.code_measures(model, images, noises=(0.01,), sample=400)
    rows = inspect_code.measured_rows(1500, 400)
    assert measures["codes"].shape == (1500, 3) and measures["jacobian"].shape == (400,)
    np.testing.assert_allclose(measures["jacobian"], inspect_code.jacobian_norms(model, images[rows]), rtol=1e-6)
    np.testing.assert_array_equal(rows, inspect_code.measured_rows(1500, 400))  # the same images every time


def test_the_probe_scores_one_seeded_sample_of_a_large_test_split(monkeypatch):
    monkeypatch.setattr(page_jobs, "PROBE_TEST_IMAGES", 100)
    sample = page_jobs.probe_test("digits")
    assert len(sample) == 100 and len(page_jobs.dataset_split("digits")[1]) == 360
    assert torch.equal(sample.images, page_jobs.probe_test("digits").images)  # the same images for every model
