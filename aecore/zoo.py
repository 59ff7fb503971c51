"""The recipes of the pretrained zoo, and `build_zoo`, which (re)builds it: `python -m aecore zoo`.

A recipe is the argument list of `python -m aecore train`; the manifest records it as the exact
command, so every shipped model can be reproduced by hand as well. Digits (8x8) get the MLP, shapes
(32x32, 10,000 images) the conv net: the architecture that suits each.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import safetensors.numpy
import torch

from aecore import noise
from aecore.checkpoint import load
from aecore.cli import train_command
from aecore.data import ImageDataset, load_dataset
from aecore.latent import encode_dataset, project
from aecore.metrics import reconstruction_metrics
from aecore.models import config_fields
from aecore.pretrained import LATENT_NAME, MANIFEST_FORMAT, MANIFEST_NAME, pretrained_root, read_manifest


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    args: tuple[str, ...]  # `python -m aecore train` arguments, without --out

    def command(self) -> str:
        return f"python -m aecore train {' '.join(self.args)} --out pretrained/{self.name}"


def _digits(model: str, latent: int, epochs: int, *extra: str) -> tuple[str, ...]:
    return ("--dataset", "digits", "--model", model, "--arch", "mlp", "--latent-dim", str(latent),
            "--epochs", str(epochs), "--batch-size", "64", "--lr", "0.002", "--seed", "0", *extra)


def _shapes(model: str, latent: int, epochs: int, *extra: str) -> tuple[str, ...]:
    return ("--dataset", "shapes", "--model", model, "--arch", "conv", "--latent-dim", str(latent),
            "--epochs", str(epochs), "--batch-size", "128", "--lr", "0.002", "--seed", "0", *extra)


RECIPES: tuple[Recipe, ...] = (
    Recipe("digits-ae-8", "plain autoencoder, 8-D code", _digits("ae", 8, 100)),
    Recipe("digits-ae-2", "plain autoencoder, 2-D code (the map shows the raw code)", _digits("ae", 2, 150)),
    Recipe("digits-sparse-l1-16", "sparse autoencoder, L1 penalty on a 16-D ReLU code",
           _digits("sparse", 16, 100, "--penalty", "l1", "--weight", "0.05")),
    Recipe("digits-sparse-kl-16", "sparse autoencoder, KL penalty towards 5% activity on a 16-D code",
           _digits("sparse", 16, 100, "--penalty", "kl", "--weight", "0.5", "--rho", "0.05")),
    Recipe("digits-denoising-16", "denoising autoencoder trained on gaussian noise, sigma 0.3",
           _digits("denoising", 16, 300, "--noise", "gaussian", "--noise-level", "0.3")),
    Recipe("digits-contractive-8", "contractive autoencoder, 8-D code",
           _digits("contractive", 8, 100, "--weight", "0.01")),
    Recipe("digits-vae-8", "variational autoencoder (beta 1), 8-D code, KL warm-up",
           _digits("vae", 8, 200, "--beta", "1", "--warmup-epochs", "10")),
    Recipe("digits-beta-vae-8", "beta-VAE (beta 4), 8-D code, KL warm-up",
           _digits("vae", 8, 200, "--beta", "4", "--warmup-epochs", "10")),
    Recipe("digits-vae-2", "variational autoencoder, 2-D code (the map shows the raw code)",
           _digits("vae", 2, 200, "--beta", "1", "--warmup-epochs", "10")),
    Recipe("shapes-ae-8", "plain autoencoder, 8-D code", _shapes("ae", 8, 20)),
    Recipe("shapes-ae-2", "plain autoencoder, 2-D code", _shapes("ae", 2, 20)),
    Recipe("shapes-sparse-l1-16", "sparse autoencoder, L1 penalty, 16-D code",
           _shapes("sparse", 16, 12, "--penalty", "l1", "--weight", "0.05")),
    Recipe("shapes-sparse-kl-16", "sparse autoencoder, KL penalty towards 5% activity, 16-D code",
           _shapes("sparse", 16, 12, "--penalty", "kl", "--weight", "0.5", "--rho", "0.05")),
    Recipe("shapes-denoising-8", "denoising autoencoder trained on gaussian noise, sigma 0.3",
           _shapes("denoising", 8, 12, "--noise", "gaussian", "--noise-level", "0.3")),
    Recipe("shapes-contractive-8", "contractive autoencoder, 8-D code", _shapes("contractive", 8, 5, "--weight", "0.01")),
    Recipe("shapes-vae-8", "variational autoencoder (beta 1), 8-D code, KL warm-up",
           _shapes("vae", 8, 15, "--beta", "1", "--warmup-epochs", "3")),
    Recipe("shapes-beta-vae-6", "beta-VAE (beta 4), 6-D code: x, y and scale each move one unit",
           _shapes("vae", 6, 40, "--beta", "4", "--warmup-epochs", "5")),
    Recipe("shapes-vae-2", "variational autoencoder, 2-D code", _shapes("vae", 2, 15, "--beta", "1", "--warmup-epochs", "3")),
)
DENOISE_CHECK = ("gaussian", 0.3)  # the noise every model's denoising is measured at, for comparison


def build_zoo(out: str | os.PathLike | None = None, only: Sequence[str] | None = None,
              log: Callable[[str], None] | None = print) -> list[dict[str, Any]]:
    """Train every recipe (or `only` these names) into `out` (default `pretrained/`), store each
    model's latent map, and write the manifest. Returns the new manifest entries."""
    root = Path(out or pretrained_root())
    known = {r.name for r in RECIPES}
    unknown = sorted(set(only or ()) - known)
    if unknown:
        raise ValueError(f"unknown zoo model(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    chosen = [r for r in RECIPES if not only or r.name in only]
    root.mkdir(parents=True, exist_ok=True)
    datasets: dict[str, ImageDataset] = {}
    built = []
    for recipe in chosen:
        if log:
            log(f"[zoo] {recipe.command()}")
        summary = train_command([*recipe.args, "--out", str(root / recipe.name), "--quiet"])
        entry = _finish_model(root, recipe, datasets, summary["seconds"])
        built.append(entry)
        # Re-read before each write, so two builds of different models into one zoo both land.
        entries = {e["name"]: e for e in read_manifest(root)["models"]}
        _write_manifest(root, {**entries, recipe.name: entry})
        if log:
            log(f"[zoo] {recipe.name}: test mse {entry['metrics']['mse']:.4f}, PCA {entry['pca']['mse']:.4f}, "
                f"{summary['seconds']:.1f} s")
    return built


def _finish_model(root: Path, recipe: Recipe, datasets: dict[str, ImageDataset], seconds: float) -> dict[str, Any]:
    model = load(root / recipe.name)
    saved = model.checkpoint
    meta = saved["metadata"]
    key = json.dumps([saved["dataset"], meta["dataset_options"]])
    if key not in datasets:
        datasets[key] = load_dataset(saved["dataset"], **meta["dataset_options"])
    dataset = datasets[key]
    _, test_index = dataset.split_indices(meta["split"]["test_fraction"], meta["split"]["seed"])
    test = dataset.subset(test_index)
    codes = encode_dataset(model, test)
    latent = {"index": test_index.astype(np.int64), "codes": codes,
              "labels": (test.labels if test.labels is not None else torch.zeros(len(test))).numpy().astype(np.int64),
              "pca": project(codes, "pca").embedding_.astype(np.float32),
              "umap": project(codes, "umap").embedding_.astype(np.float32)}
    if codes.shape[1] == 2:
        latent["raw"] = codes
    safetensors.numpy.save_file({k: np.ascontiguousarray(v) for k, v in latent.items()}, str(root / recipe.name / LATENT_NAME))
    config = saved["model"]
    base = {"kind", *(f.name for f in config_fields("ae"))}  # what every kind has: not its own options
    return {
        "name": recipe.name, "description": recipe.description, "path": recipe.name,
        "dataset": saved["dataset"], "dataset_options": meta["dataset_options"], "split": meta["split"],
        "kind": config["kind"], "arch": config["arch"], "latent_dim": config["latent_dim"],
        "input_shape": config["input_shape"],
        "options": {k: v for k, v in config.items() if k not in base},
        "metrics": saved["metrics"]["test"], "pca": saved["metrics"]["pca"],
        "denoise": _denoise_check(model, test),
        "projections": [k for k in ("raw", "pca", "umap") if k in latent],
        "recipe": recipe.command(), "train_seconds": seconds,
        "size_bytes": sum(f.stat().st_size for f in (root / recipe.name).iterdir()),
    }


@torch.no_grad()
def _denoise_check(model: Any, test: ImageDataset) -> dict[str, float]:
    """PSNR of the noisy test images and of the model's output from them, against the clean ones."""
    kind, level = DENOISE_CHECK
    noisy = noise.corrupt(test.images, kind, level, seed=0)
    return {"noise": kind, "level": level, "noisy_psnr": reconstruction_metrics(test.images, noisy)["psnr"],
            "output_psnr": reconstruction_metrics(test.images, model(noisy).x_hat)["psnr"]}


def _write_manifest(root: Path, entries: dict[str, dict[str, Any]]) -> None:
    order = {r.name: i for i, r in enumerate(RECIPES)}
    # A model whose recipe was removed leaves the manifest with it: the zoo is what the recipes make.
    models = sorted((e for e in entries.values() if e["name"] in order), key=lambda e: order[e["name"]])
    text = json.dumps({"format": MANIFEST_FORMAT, "models": models}, indent=1, allow_nan=False) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=".manifest.tmp-", dir=root)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, root / MANIFEST_NAME)
