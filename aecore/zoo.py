"""`build_zoo`, which (re)builds the pretrained zoo from its recipes: `python -m aecore zoo`.

Each model is trained through the run layer (`aecore.run`) from its recipe in `aecore.recipes`;
the manifest records the recipe as the exact `python -m aecore train` command, so every shipped
model can be reproduced by hand as well.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import safetensors.numpy
import torch

from aecore import noise
from aecore.checkpoint import load, save
from aecore.data import ImageDataset, load_dataset
from aecore.latent import encode_dataset, project
from aecore.metrics import reconstruction_metrics
from aecore.models import config_fields
from aecore.pretrained import LATENT_NAME, MANIFEST_FORMAT, MANIFEST_NAME, pretrained_root, read_manifest
from aecore.recipes import ZOO, Recipe
from aecore.run import run


RECIPES = ZOO  # the zoo's recipes live in aecore.recipes, with every other recipe
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
        result = run(recipe.spec)
        save(result.model, root / recipe.name, metadata=result.metadata)
        seconds = round(result.history.wall_time, 2)
        entry = _finish_model(root, recipe, datasets, seconds)
        built.append(entry)
        # Re-read before each write, so two builds of different models into one zoo both land.
        entries = {e["name"]: e for e in read_manifest(root)["models"]}
        _write_manifest(root, {**entries, recipe.name: entry})
        if log:
            log(f"[zoo] {recipe.name}: test mse {entry['metrics']['mse']:.4f}, PCA {entry['pca']['mse']:.4f}, "
                f"{seconds:.1f} s")
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
