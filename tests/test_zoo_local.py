"""Zoo models of a downloaded dataset ship weights only; their maps and page results are measured
on this machine's copy of the images, once, into the local cache (`aecore.studies.zoo.build_local_results`).

A small fake MNIST (random images the test writes, never the real ones) stands in for the download.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import safetensors.torch

import aecore
import aecore.export
import aecore.studies.lab_curves
import aecore.studies.sweep_models
from aecore.studies import jobs, zoo
from aecore.checkpoint import WEIGHTS_NAME
from aecore.pretrained import LATENT_NAME, RESULTS_NAME, results_folder
from fake_mirror import write_unpacked_mnist

NAME = "mnist-ae-32"  # a cheap recipe of a downloaded dataset (10 conv epochs of the fake images)


@pytest.fixture(scope="module")
def local_zoo(tmp_path_factory):
    base = tmp_path_factory.mktemp("local_zoo")
    data, cache, root = base / "data", base / "cache", base / "zoo"
    write_unpacked_mnist(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AECORE_DATA", str(data))
        patch.setenv("AECORE_ZOO_CACHE", str(cache))
        zoo.build_zoo(out=root, only=[NAME], log=None)
        shutil.copytree(aecore.studies.sweep_models.model_path("mnist", 2).parent, root / "sweeps" / "mnist")
        yield root, cache


def test_weights_ship_without_anything_measured_on_the_images(local_zoo):
    root, cache = local_zoo
    entry = aecore.pretrained_entry(NAME, root)
    assert entry["local_results"] is True
    shipped = {f.name for f in (root / NAME).iterdir()}
    assert LATENT_NAME not in shipped and RESULTS_NAME not in shipped
    assert not cache.exists()  # nor measured by the build: the machine with the download does that


def test_missing_results_are_measured_once_with_progress(local_zoo, monkeypatch):
    root, cache = local_zoo
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(cache.parent / "fresh_cache"))
    assert not aecore.pretrained.has_results(NAME, root)
    assert aecore.pretrained.missing_results("mnist", root) == [NAME]
    with pytest.raises(ValueError, match="measured on this machine's copy"):
        aecore.load_results(NAME, root)
    seen = []
    assert zoo.build_local_results("mnist", root, progress=lambda *p: seen.append(p)) == [NAME]
    assert seen == [(0, 1, NAME), (1, 1, "")]
    assert aecore.pretrained.has_results(NAME, root) and aecore.pretrained.missing_results("mnist", root) == []
    latent, results = aecore.load_latent(NAME, root), aecore.load_results(NAME, root)
    n = len(latent["index"])
    assert latent["codes"].shape == (n, 32) and np.isfinite(latent["umap"]).all()
    assert results["anomaly"]["scores"].shape == (n,) and results["probe"]["scores"]
    assert zoo.build_local_results("mnist", root) == []  # nothing left to do


def test_the_worker_job_reads_its_folders_and_exports_the_decoders(local_zoo, monkeypatch):
    root, cache = local_zoo
    monkeypatch.setenv("AECORE_PRETRAINED", str(root))
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(cache))  # restored afterwards: the job sets it in os.environ
    fresh, onnx = cache.parent / "job_cache", cache.parent / "onnx"
    assert jobs.zoo_results("mnist", None, str(fresh), None, str(onnx)) == [NAME]
    assert (fresh / results_folder(NAME, root).name / RESULTS_NAME).is_file()
    # The latent map's hover decoder is ready too: the file the page looks for, for the model it loads.
    exported = aecore.export.cached_path(aecore.load_pretrained(NAME, root=root), onnx)
    assert exported.is_file() and [p.name for p in onnx.iterdir()] == [exported.name]


def test_new_weights_are_measured_again_and_the_old_results_removed(local_zoo, tmp_path, monkeypatch):
    """After a `git pull` that ships retrained weights, the map must not show the old weights' codes."""
    root, _ = local_zoo
    shutil.copytree(root, tmp_path / "zoo")
    root = tmp_path / "zoo"
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(tmp_path / "cache"))
    assert zoo.build_local_results("mnist", root) == [NAME]
    old = results_folder(NAME, root)
    old_codes = aecore.load_latent(NAME, root)["codes"]
    weights = root / NAME / WEIGHTS_NAME
    state = safetensors.torch.load_file(weights)
    state = {name: tensor * 1.5 if tensor.is_floating_point() else tensor for name, tensor in state.items()}
    safetensors.torch.save_file(state, weights)  # the "retrained" model
    assert not aecore.pretrained.has_results(NAME, root) and results_folder(NAME, root) != old
    assert zoo.build_local_results("mnist", root) == [NAME]
    assert not old.exists() and [p.name for p in (tmp_path / "cache").iterdir()] == [results_folder(NAME, root).name]
    assert not np.allclose(aecore.load_latent(NAME, root)["codes"], old_codes)


def test_the_maps_show_the_official_test_images_only(local_zoo, tmp_path, monkeypatch):
    """The stored map names its images by position in training file + test file: all in the test file."""
    root, _ = local_zoo
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(tmp_path / "cache"))
    zoo.build_local_results("mnist", root)
    train, test = aecore.load_split("mnist")
    index = aecore.load_latent(NAME, root)["index"]
    assert sorted(index.tolist()) == list(range(len(train), len(train) + len(test)))
    assert results_folder(NAME, root).name.endswith("-official-test")


def test_measure_command_measures_ahead_of_class(local_zoo, tmp_path, monkeypatch, capsys):
    from aecore.cli import main

    root, _ = local_zoo
    monkeypatch.setenv("AECORE_PRETRAINED", str(root))
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(tmp_path / "cache"))
    assert main(["measure", "mnist", "--no-onnx"]) == 0
    assert ("measured 1 model(s), compression sweep and denoise curves of mnist" in capsys.readouterr().out
            and aecore.pretrained.has_results(NAME, root))
    assert aecore.studies.sweep_models.is_measured("mnist", root) and aecore.studies.lab_curves.load_curves("mnist", root)["models"]
    assert main(["measure", "mnist", "--no-onnx"]) == 0
    assert "already measured" in capsys.readouterr().out
