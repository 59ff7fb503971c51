"""`python -m aecore`: train, evaluate, list and zoo run end to end on digits in a temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import aecore
from aecore.cli import main
from aecore.recipes import Recipe
from aecore.runner import FitSettings, RunSpec
from aecore.studies.zoo import RECIPES

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The real command a user types, in a subprocess, from the repository root."""
    return subprocess.run([sys.executable, "-m", "aecore", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"})


def test_train_then_evaluate_end_to_end(tmp_path):
    out = tmp_path / "vae"
    trained = run_cli("train", "--dataset", "digits", "--model", "vae", "--arch", "conv", "--latent-dim", "4",
                      "--epochs", "2", "--batch-size", "64", "--beta", "2", "--warmup-epochs", "1", "--out", str(out))
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["checkpoint"] == str(out) and summary["pca"]["k"] == 4
    assert "batch" in trained.stderr  # the progress bar
    model = aecore.load(out)
    assert model.kind == "vae" and model.config.arch == "conv" and model.config.beta == 2.0
    assert model.checkpoint["dataset"] == "digits"
    assert model.checkpoint["metadata"]["recipe"].startswith("python -m aecore train --dataset digits")
    assert len(model.checkpoint["metadata"]["history"]["val_loss"]) == 2
    # the decoder is exported beside the weights, for the latent map's in-browser decoding
    assert (out / "decoder.onnx").stat().st_size > 1000

    evaluated = run_cli("evaluate", str(out))
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["dataset"] == "digits" and report["latent_dim"] == 4
    assert report["metrics"]["mse"] == pytest.approx(summary["test"]["mse"], abs=1e-5)  # same split, same model
    assert {"mse", "psnr", "bce", "neg_elbo", "kl_per_dim"} <= set(report["metrics"])
    assert report["pca"]["k"] == 4 and report["pca"]["mse"] > 0


def test_every_model_option_is_a_flag(tmp_path, capsys):
    assert main(["train", "--model", "sparse", "--penalty", "kl", "--rho", "0.1", "--weight", "0.2",
                 "--hidden", "32", "16", "--epochs", "1", "--quiet", "--out", str(tmp_path / "s.zip")]) == 0
    model = aecore.load(tmp_path / "s.zip")
    assert (model.config.penalty, model.config.rho, model.config.weight, model.config.hidden) == ("kl", 0.1, 0.2, (32, 16))


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--dataset", "nope", "--epochs", "1", "--out", "x"], "unknown dataset 'nope'"),
        (["train", "--epochs", "0", "--out", "x"], "epochs must be an integer of at least 1"),
        (["train", "--epochs", "1", "--lr", "-1", "--out", "x"], "learning rate must be positive"),
        (["train", "--epochs", "1", "--dataset-option", "size", "--out", "x"], "KEY=VALUE"),
    ],
)
def test_bad_input_is_a_clear_error(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_evaluate_a_file_that_is_not_a_checkpoint(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["evaluate", str(tmp_path / "notes.txt")]) == 2
    assert "is not an aecore checkpoint" in capsys.readouterr().err


def test_list_names_datasets_kinds_and_pretrained(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "digits" in text and "shapes" in text and "contractive" in text and "beta" in text
    assert "digits-ae-8" in text
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert set(listing["kinds"]) == set(aecore.list_models()) | set(aecore.list_models("ratings"))
    assert {e["name"] for e in listing["pretrained"]} == {r.name for r in RECIPES}


def test_zoo_rebuilds_a_model_from_its_recipe(tmp_path, monkeypatch):
    # The real build path (train, latent map with PCA and UMAP, manifest), on a one-epoch recipe.
    tiny = Recipe("digits-ae-2", "test", RunSpec(dataset="digits", kind="ae", latent_dim=2, fit=FitSettings(epochs=1)))
    monkeypatch.setattr("aecore.studies.zoo.RECIPES", (tiny,))
    assert main(["zoo", "--out", str(tmp_path), "--quiet"]) == 0
    [entry] = aecore.list_pretrained(root=tmp_path)
    assert entry["name"] == "digits-ae-2" and entry["recipe"] == tiny.command()
    assert entry["projections"] == ["raw", "pca", "umap"]
    latent = aecore.load_latent("digits-ae-2", root=tmp_path)
    n_test = 360  # 20% of 1,797 digits, rounded up
    assert latent["codes"].shape == (n_test, 2) and latent["umap"].shape == (n_test, 2)
    assert aecore.load_pretrained("digits-ae-2", root=tmp_path).config.latent_dim == 2
    assert main(["zoo", "--only", "nope", "--out", str(tmp_path)]) == 2
