"""The denoise lab's PSNR-against-noise-level curves, and the copy shipped beside the zoo.

A curve is the mean PSNR over one fixed set of test images (`curve_images`) at every level of a
noise kind, so it depends only on (model, noise kind): the page's image, class and seed controls
leave it alone. The pretrained models' curves are stored in `pretrained/denoise_curves-<dataset>.json`
(`python -m aecore.studies.lab_curves [dataset ...]` rebuilds them), so the page computes nothing for them;
a downloaded dataset's are measured on this machine's copy instead, in the background with the zoo's
maps (`aecore.studies.local_studies`), and kept beside them (`curves_path`). Each stored curve carries a
digest of the weights it was measured on, and a rebuilt model whose weights no longer match is
scored afresh instead of shown with a stale curve.

    images = curve_images(test)                 # (N, C, H, W), N <= CURVE_IMAGES
    psnr_curve(images, "gaussian")              # the noisy input's mean PSNR at each level
    psnr_curve(images, "gaussian", model)       # the model's
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from aecore import noise
from aecore.data import ImageDataset, load_split
from aecore.data.download import DATASETS as DOWNLOADED
from aecore.data.splits import split_tag
from aecore.studies.lab import DEFAULT_STEPS, _ladder_psnr, noise_levels, noisy_ladder, pick_images, run_ladder
from aecore.files import write_atomically
from aecore.models import Autoencoder
from aecore.pretrained import (list_pretrained, load_pretrained, local_results_root, pretrained_root,
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
    """Where the curves of `dataset`'s zoo models are kept: beside the zoo for an embedded dataset; for
    a downloaded one (whose images, and what is measured on them, are not ours to ship) beside the
    zoo's results measured on this machine's copy, per split."""
    if dataset in DOWNLOADED:
        return local_results_root() / f"denoise_curves-{dataset}-{split_tag(dataset)}.json"
    return Path(root or pretrained_root()) / f"denoise_curves-{dataset}.json"


def build_curves(dataset: str, root: str | os.PathLike | None = None, names: Sequence[str] | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Score every pretrained model of `dataset` (or only `names`, keeping the other models' stored
    curves) at every noise kind and store the curves at `curves_path`. progress(done, total, name)
    before each model."""
    test = load_split(dataset)[1]  # the split the app shows
    images = curve_images(test)
    kinds = noise.list_noise()
    kept = {} if names is None else {name: entry for name, entry in _stored(dataset, root).get("models", {}).items()
                                     if _current(name, entry, root)}
    chosen = [e["name"] for e in list_pretrained(dataset, root) if names is None or e["name"] in names]
    curves: dict[str, Any] = {
        "format": CURVES_FORMAT, "dataset": dataset, "images": len(images), "seed": CURVE_SEED,
        "levels": {kind: noise_levels(kind) for kind in kinds},
        "noisy": {kind: psnr_curve(images, kind) for kind in kinds},
        "models": {name: entry for name, entry in kept.items() if name not in chosen}}
    for done, name in enumerate(chosen):
        if progress:
            progress(done, len(chosen), name)
        model = load_pretrained(name, root=root)
        curves["models"][name] = {"weights": weights_digest(name, root),
                                  "curves": {kind: psnr_curve(images, kind, model) for kind in kinds}}
    path = curves_path(dataset, root)
    write_atomically(path, json.dumps(curves, separators=(",", ":")), mode=0o644)
    return curves


def missing_curves(dataset: str, root: str | os.PathLike | None = None) -> list[str]:
    """The zoo models of `dataset` with no stored curve, at some noise kind, valid for their weights."""
    models = load_curves(dataset, root)["models"]
    kinds = set(noise.list_noise())
    return [e["name"] for e in list_pretrained(dataset, root) if set(models.get(e["name"], {})) != kinds]


def _stored(dataset: str, root: str | os.PathLike | None) -> dict[str, Any]:
    # The stored file, with only the kinds whose ladder is still the one the page uses; {} when none.
    path = curves_path(dataset, root)
    stored = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    if stored.get("format") != CURVES_FORMAT or stored.get("seed") != CURVE_SEED:
        return {}
    kinds = [kind for kind in noise.list_noise() if stored["levels"].get(kind) == noise_levels(kind)]
    return {**stored, "levels": {kind: stored["levels"][kind] for kind in kinds},
            "noisy": {kind: stored["noisy"][kind] for kind in kinds},
            "models": {name: {**entry, "curves": {kind: values for kind, values in entry["curves"].items() if kind in kinds}}
                       for name, entry in stored["models"].items()}}


def load_curves(dataset: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The stored curves of `dataset` whose weights still match the zoo: {"levels": {kind: [...]},
    "noisy": {kind: [...]}, "models": {name: {kind: [...]}}}; empty dicts when none are stored, so a
    caller simply computes what is missing."""
    stored = _stored(dataset, root)
    if not stored:
        return {"levels": {}, "noisy": {}, "models": {}}
    models = {name: entry["curves"] for name, entry in stored["models"].items() if _current(name, entry, root)}
    return {"levels": stored["levels"], "noisy": stored["noisy"], "models": models}


def _current(name: str, entry: dict[str, Any], root: str | os.PathLike | None) -> bool:
    # Measured on the weights the zoo holds now: a model retrained since is scored afresh.
    try:
        return entry["weights"] == weights_digest(name, root)
    except (ValueError, OSError):  # a model no longer in the zoo
        return False


if __name__ == "__main__":
    torch.set_num_threads(1)  # small models on a shared CPU: one thread is fastest
    for name in sys.argv[1:] or ["digits", "shapes"]:
        built = build_curves(name)
        print(f"{curves_path(name)}: {len(built['models'])} models, {built['images']} images")
