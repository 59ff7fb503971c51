"""The Compression page's sweeps of the downloaded datasets (MNIST, Fashion-MNIST): shipped as models,
measured on the user's own copy of the images.

A downloaded dataset's images are not ours to ship, nor anything measured on them (the rows and
pictures that `pretrained/rate_distortion-digits.json` holds for digits). So its sweep ships as
models: one small MLP per code size, stored in float16 (`pretrained/sweeps/<dataset>/ae-<k>/`), trained
by `aecore.studies.compression.rate_distortion` from the dataset's sweep recipe, so the page's "Recompute
the sweep" with its defaults trains the same models. `measure_sweep` measures their rows on this
machine's split in seconds, where training a sweep takes minutes on the class's one worker; the app
runs it in the background with the zoo's own measuring (`aecore.studies.local_studies`), into
`aecore.pretrained.local_results_root()`.

    build_models("mnist")     # on the builder's machine: train, store in float16, print the table
    measure_sweep("mnist")    # on the user's: rows, previews and the PNG/JPEG anchor, stored
    load_precomputed("mnist") # what the page opens on, in the layout of compression.load_sweep
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from aecore.checkpoint import WEIGHTS_NAME, load, save
from aecore.studies.compression import (QUANT_BITS, SWEEP_RECIPES, anchor_images, format_table, load_sweep,
                                preview_images, quantized_row, rate_distortion, sweep_path, sweep_recipe)
from aecore.data import ImageDataset, load_split
from aecore.data.download import DATASETS as DOWNLOADED
from aecore.data.splits import split_record, split_tag
from aecore.studies.image_files import file_anchor
from aecore.metrics import error_metrics, nested_pca
from aecore.pretrained import file_digest, local_results_root, pretrained_root
from aecore.studies.quantize import SIDE_BITS_PER_UNIT
from aecore.recipes import SWEEP_SIZES
from aecore.runner import RunResult
from aecore.studies.sweep_store import SWEEP_FORMAT, read_sweep, write_sweep

MODEL_SWEEPS: dict[str, dict[str, Any]] = {dataset: sweep_recipe(dataset) for dataset in SWEEP_SIZES
                                           if dataset in DOWNLOADED}
WEIGHTS_DTYPE = torch.float16  # as the zoo's: half the size, and the rows are measured on these weights
Progress = Callable[[int, int, str], None]


def _recipe(dataset: str) -> dict[str, Any]:
    if dataset not in MODEL_SWEEPS:
        raise ValueError(f"no sweep ships as models for {dataset!r}; it does for {', '.join(MODEL_SWEEPS)}")
    return MODEL_SWEEPS[dataset]


def model_path(dataset: str, latent_dim: int, root: str | os.PathLike | None = None) -> Path:
    """The checkpoint folder of the sweep model of `dataset` with a `latent_dim` code."""
    return Path(root or pretrained_root()) / "sweeps" / dataset / f"{_recipe(dataset)['kind']}-{latent_dim}"


def has_models(dataset: str, root: str | os.PathLike | None = None) -> bool:
    """Whether every sweep model of `dataset` is shipped in `root` (a test's own zoo may hold none)."""
    return dataset in MODEL_SWEEPS and all((model_path(dataset, k, root) / WEIGHTS_NAME).is_file()
                                           for k in _recipe(dataset)["latent_dims"])


def build_models(dataset: str, root: str | os.PathLike | None = None,
                 log: Callable[[str], None] | None = print) -> list[dict[str, Any]]:
    """Train the sweep of `dataset` on this machine's split (`rate_distortion`, the recipe's settings)
    and store each model in float16 under `root`; returns the rows measured on the way."""
    recipe = _recipe(dataset)
    train, test = load_split(dataset)

    def keep(result: RunResult) -> None:
        save(result.model, model_path(dataset, result.spec.latent_dim, root), metadata=result.metadata,
             dtype=WEIGHTS_DTYPE)
        if log:
            log(f"[sweep] {result.spec.command()}: {result.history.wall_time:.0f} s")

    settings = {key: value for key, value in recipe.items() if key not in ("kind", "latent_dims")}
    rows = rate_distortion(recipe["kind"], train, test, recipe["latent_dims"], on_model=keep, **settings)
    if log:
        log(format_table(rows))
    return rows


def measured_path(dataset: str, root: str | os.PathLike | None = None) -> Path:
    """Where the sweep measured here is kept: per version of the shipped models (an update that ships
    retrained ones is measured again) and per split, beside the zoo's own local results."""
    digest = hashlib.blake2b(digest_size=6)
    for k in _recipe(dataset)["latent_dims"]:
        digest.update(file_digest(model_path(dataset, k, root) / WEIGHTS_NAME).encode())
    return local_results_root() / f"rate_distortion-{dataset}-{digest.hexdigest()}-{split_tag(dataset)}.json"


def is_measured(dataset: str, root: str | os.PathLike | None = None) -> bool:
    """Whether the shipped sweep models of `dataset` have been measured here (False without them)."""
    return has_models(dataset, root) and measured_path(dataset, root).is_file()


def measure_rows(dataset: str, train: ImageDataset, test: ImageDataset, images: torch.Tensor,
                 root: str | os.PathLike | None = None, progress: Progress | None = None) -> list[dict[str, Any]]:
    """One row per shipped sweep model, in the layout of `rate_distortion`'s, measured on (train, test)."""
    sizes = _recipe(dataset)["latent_dims"]
    train_x, test_x = train.images.flatten(1).double().numpy(), test.images.flatten(1).double().numpy()
    pcas = nested_pca(train_x, sizes)  # one exact fit serves every size (a fifth of five fits' CPU)
    # (N, largest k): PCA-k's codes are their first k columns.
    train_pca, test_pca = pcas[max(sizes)].transform(train_x), pcas[max(sizes)].transform(test_x)
    rows = []
    for done, k in enumerate(sizes):
        if progress:
            progress(done, len(sizes), f"code size {k}")
        model, pca = load(model_path(dataset, k, root)), pcas[k]
        output, pca_test = model.infer(test.images), test_pca[:, :k]
        ae = error_metrics(test.images, output.x_hat)
        linear = error_metrics(test.images, torch.from_numpy(
            np.clip(pca.inverse_transform(pca_test), 0.0, 1.0)).float().reshape(test.images.shape))
        codes = {"ae": model.infer_codes(train.images).numpy(), "pca": train_pca[:, :k]}
        rows.append({"latent_dim": int(k), "ae_mse": ae["mse"], "ae_psnr": ae["psnr"], "pca_mse": linear["mse"],
                     "pca_psnr": linear["psnr"], "seconds": model.checkpoint["metadata"]["history"]["wall_time"],
                     **quantized_row(model, pca, train, test, images, QUANT_BITS, train_codes=codes,
                                     test_codes={"ae": output.z.numpy(), "pca": pca_test})})
    return rows


def measure_sweep(dataset: str, root: str | os.PathLike | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Measure the shipped sweep models of `dataset` on this machine's split (`aecore.load_split`) and
    store the sweep at `measured_path`; progress(done, total, what) before each code size and the anchor."""
    if not has_models(dataset, root):
        raise ValueError(f"the sweep models of {dataset!r} are not in {Path(root or pretrained_root()) / 'sweeps'}; "
                         f"build them with `python -m aecore.studies.sweep_models {dataset}`")
    train, test = load_split(dataset)
    images = preview_images(test)
    sizes = _recipe(dataset)["latent_dims"]
    steps = len(sizes) + 1
    rows = measure_rows(dataset, train, test, images, root, progress and (lambda done, _, what: progress(done, steps, what)))
    if progress:
        progress(len(sizes), steps, "PNG and JPEG files of the test images")
    sweep = {"format": SWEEP_FORMAT, "dataset": dataset, "recipe": _recipe(dataset), "split": split_record(dataset),
             "rows": rows, "images": images.numpy(), "test_images": len(test), "side_bits_per_unit": SIDE_BITS_PER_UNIT,
             "anchor": file_anchor(anchor_images(test)), "measured": "here"}
    write_sweep(sweep, measured_path(dataset, root))
    return sweep


def load_precomputed(dataset: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The sweep the Compression page opens on: the shipped one of an embedded dataset, or the one
    measured here from the shipped models of a downloaded one (ValueError saying how to get it)."""
    if dataset not in MODEL_SWEEPS:
        return load_sweep(dataset, root)
    if not has_models(dataset, root):
        raise ValueError(f"no sweep models of {dataset!r} ship in {Path(root or pretrained_root())}")
    return read_sweep(measured_path(dataset, root), "the app measures it in the background after the download; "
                      f"or run `python -m aecore measure {dataset}`")


def precomputed_path(dataset: str, root: str | os.PathLike | None = None) -> Path | None:
    """The file `load_precomputed` reads (None when none could be), for a cache to key on."""
    if dataset in MODEL_SWEEPS:
        return measured_path(dataset, root) if has_models(dataset, root) else None
    return sweep_path(dataset, root) if dataset in SWEEP_RECIPES else None


__all__ = ["MODEL_SWEEPS", "build_models", "has_models", "is_measured", "load_precomputed", "measure_rows",
           "measure_sweep", "measured_path", "model_path", "precomputed_path"]

if __name__ == "__main__":
    torch.set_num_threads(1)  # small models on a shared CPU: one thread is fastest
    for name in sys.argv[1:] or list(MODEL_SWEEPS):
        build_models(name)
