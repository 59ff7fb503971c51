"""The pretrained zoo: checkpoints shipped in `pretrained/`, listed by `pretrained/manifest.json`.

Each model is a checkpoint folder (see `aecore.checkpoint`) plus `latent.safetensors`: its test-set
codes and their 2-D projections (PCA, UMAP), so a latent map opens without computing anything.
The manifest is written by `python -m aecore zoo`, which rebuilds every model from the recipe
recorded beside it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from aecore.checkpoint import load
from aecore.models import Autoencoder

MANIFEST_NAME = "manifest.json"
LATENT_NAME = "latent.safetensors"
MANIFEST_FORMAT = "aecore-zoo"
# The split every zoo model was trained and scored on (`dataset.split(TEST_FRACTION, SPLIT_SEED)`):
# its test images are the ones the app shows, so they are images no shipped model has seen.
TEST_FRACTION, SPLIT_SEED = 0.2, 0


def pretrained_root() -> Path:
    """Where the zoo lives: $AECORE_PRETRAINED, else the repository's `pretrained/` folder."""
    return Path(os.environ.get("AECORE_PRETRAINED") or Path(__file__).resolve().parents[1] / "pretrained")


def read_manifest(root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The parsed manifest; an empty zoo (no models) when there is none yet."""
    path = Path(root or pretrained_root()) / MANIFEST_NAME
    if not path.is_file():
        return {"format": MANIFEST_FORMAT, "models": []}
    manifest = json.loads(path.read_text("utf-8"))
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path} is not an aecore zoo manifest (format {manifest.get('format')!r})")
    return manifest


def list_pretrained(dataset: str | None = None, root: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """One entry per shipped model: name, dataset, kind, arch, latent_dim, options (the kind's own
    settings, e.g. beta), metrics (test set) and pca (PCA's metrics at the same dim), recipe (the
    `python -m aecore train ...` command that made it), description. Optionally only one dataset's."""
    models = read_manifest(root)["models"]
    return [dict(entry) for entry in models if dataset is None or entry["dataset"] == dataset]


def pretrained_entry(name: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The manifest entry of one model; ValueError naming the valid models for an unknown name."""
    entries = {entry["name"]: entry for entry in list_pretrained(root=root)}
    if name not in entries:
        valid = ", ".join(sorted(entries)) or "none (run `python -m aecore zoo` to build the zoo)"
        raise ValueError(f"unknown pretrained model {name!r}; available: {valid}")
    return entries[name]


def load_pretrained(name: str, device: str = "cpu", root: str | os.PathLike | None = None) -> Autoencoder:
    """Load a shipped model by name (see `list_pretrained`), in eval mode on `device`."""
    entry = pretrained_entry(name, root)
    return load(Path(root or pretrained_root()) / entry["path"], device=device)


def load_latent(name: str, root: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """The stored latent map of a shipped model, all arrays over its test split:
    "index" (positions in the full dataset), "labels", "codes" (N, latent_dim), and one (N, 2)
    array per stored projection: "pca", "umap" (and "raw" when the code is 2-D)."""
    entry = pretrained_entry(name, root)
    path = Path(root or pretrained_root()) / entry["path"] / LATENT_NAME
    if not path.is_file():
        raise ValueError(f"pretrained model {name!r} has no stored latent map at {path}; rebuild it with "
                         f"`python -m aecore zoo --only {name}`")
    return safetensors.numpy.load_file(str(path))
