"""The denoise lab's PSNR-against-noise-level curves, and the copy shipped beside the zoo.

A curve is the mean PSNR over one fixed set of test images (`curve_images`) at every level of a
noise kind, so it depends only on (model, noise kind): the page's image, class and seed controls
leave it alone. The pretrained models' curves are stored in `pretrained/denoise_curves-<dataset>.json`
(`python -m aecore.lab_curves [dataset ...]` rebuilds them), so the page computes nothing for them;
each stored curve carries a digest of the weights it was measured on, and a rebuilt model whose
weights no longer match is scored afresh instead of shown with a stale curve.

    images = curve_images(test)                 # (N, C, H, W), N <= CURVE_IMAGES
    psnr_curve(images, "gaussian")              # the noisy input's mean PSNR at each level
    psnr_curve(images, "gaussian", model)       # the model's
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch

from aecore import noise
from aecore.data import ImageDataset, load_split
from aecore.lab import DEFAULT_STEPS, _ladder_psnr, noise_levels, noisy_ladder, pick_images, run_ladder
from aecore.files import write_atomically
from aecore.models import Autoencoder
from aecore.pretrained import (list_pretrained, load_pretrained, pretrained_root,
                               weights_digest)

CURVE_IMAGES = 200  # test images behind a curve: a steady mean, still one quick batched pass
CURVE_SEED = 0  # the noise draw behind every curve
CURVES_FORMAT = "aecore-denoise-curves"


def curve_images(test: ImageDataset) -> torch.Tensor:
    """The fixed images behind every curve of a dataset: up to CURVE_IMAGES test images, the classes
    taking turns, so each class weighs about the same in the mean."""
    return test.images[pick_images(test, min(CURVE_IMAGES, len(test)))]


def psnr_curve(images: torch.Tensor, kind: str, model: Autoencoder | None = None,
               steps: int = DEFAULT_STEPS, seed: int = CURVE_SEED) -> list[float]:
    """Mean PSNR (dB) at each of `noise_levels(kind, steps)`: of `model`'s outputs for `images`
    (N, C, H, W) corrupted at that level, or of the corrupted images themselves without a model."""
    noisy = noisy_ladder(images, kind, noise_levels(kind, steps), seed)  # (L, N, C, H, W)
    outputs = noisy if model is None else run_ladder(model, noisy)
    means = _ladder_psnr(images.detach().float().cpu(), outputs).mean(dim=1).tolist()
    return [round(value, 4) for value in means]  # a screen shows 0.1 dB; keeps the stored file small


def curves_path(dataset: str, root: str | os.PathLike | None = None) -> Path:
    return Path(root or pretrained_root()) / f"denoise_curves-{dataset}.json"


def build_curves(dataset: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """Score every pretrained model of `dataset` at every noise kind and write the curves beside the zoo."""
    test = load_split(dataset)[1]  # the split the app shows
    images = curve_images(test)
    kinds = noise.list_noise()
    curves: dict[str, Any] = {
        "format": CURVES_FORMAT, "dataset": dataset, "images": len(images), "seed": CURVE_SEED,
        "levels": {kind: noise_levels(kind) for kind in kinds},
        "noisy": {kind: psnr_curve(images, kind) for kind in kinds}, "models": {}}
    for entry in list_pretrained(dataset, root):
        model = load_pretrained(entry["name"], root=root)
        curves["models"][entry["name"]] = {"weights": weights_digest(entry["name"], root),
                                           "curves": {kind: psnr_curve(images, kind, model) for kind in kinds}}
    path = curves_path(dataset, root)
    write_atomically(path, json.dumps(curves, separators=(",", ":")), mode=0o644)
    return curves


def load_curves(dataset: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The stored curves of `dataset` whose weights still match the zoo: {"levels": {kind: [...]},
    "noisy": {kind: [...]}, "models": {name: {kind: [...]}}}; empty dicts when none are stored, so a
    caller simply computes what is missing."""
    path = curves_path(dataset, root)
    stored = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    if stored.get("format") != CURVES_FORMAT or stored.get("seed") != CURVE_SEED:
        return {"levels": {}, "noisy": {}, "models": {}}
    # Only kinds whose ladder is still the one the page uses, and models whose weights are unchanged.
    kinds = {kind for kind, levels in stored["levels"].items()
             if kind in noise.list_noise() and levels == noise_levels(kind)}
    models = {}
    for name, entry in stored["models"].items():
        try:
            if entry["weights"] == weights_digest(name, root):
                models[name] = {kind: values for kind, values in entry["curves"].items() if kind in kinds}
        except (ValueError, OSError):  # a model no longer in the zoo
            continue
    return {"levels": {kind: stored["levels"][kind] for kind in kinds},
            "noisy": {kind: stored["noisy"][kind] for kind in kinds}, "models": models}


if __name__ == "__main__":
    torch.set_num_threads(1)  # small models on a shared CPU: one thread is fastest
    for name in sys.argv[1:] or ["digits", "shapes"]:
        built = build_curves(name)
        print(f"{curves_path(name)}: {len(built['models'])} models, {built['images']} images")
