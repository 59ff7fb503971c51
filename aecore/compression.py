"""Compression: the bottleneck trade-off of an autoencoder against PCA with the same code size.

`rate_distortion` trains one model per latent size and returns one row per size: test MSE and
PSNR of the autoencoder and of PCA with k components, and the compression ratio of a k-number code
stored as 8-bit or 16-bit numbers against the raw 8-bit image (C*H*W bytes). Precomputed sweeps of
the embedded datasets ship in `pretrained/rate_distortion-<dataset>.json` (`build_sweep`,
`python bench/rate_distortion.py`); `aecore.jobs.sweep` runs one in a worker process for an app.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from sklearn.decomposition import PCA

from aecore.data import ImageDataset, load_dataset
from aecore.models import Autoencoder
from aecore.pretrained import SPLIT_SEED, TEST_FRACTION, pretrained_root
from aecore.recipes import SWEEP_EPOCHS, SWEEP_SIZES, default_spec
from aecore.run import FitSettings, RunResult, RunSnapshot, RunSpec, preview_indices, run

CODE_BITS = (8, 16)  # how a code's numbers may be stored (quantized to 8 or 16 bits each)
PREVIEW_IMAGES = 8  # fixed test images reconstructed at every size
SWEEP_FORMAT = "aecore-rate-distortion"


def sweep_recipe(dataset: str) -> dict[str, Any]:
    """The sweep of `dataset`: the dataset's default recipe (aecore.recipes) at each code size."""
    spec = default_spec(dataset)
    return {"kind": spec.kind, "arch": spec.arch, "latent_dims": list(SWEEP_SIZES.get(dataset, SWEEP_SIZES["digits"])),
            "epochs": SWEEP_EPOCHS.get(dataset, spec.fit.epochs), "batch_size": spec.fit.batch_size, "lr": spec.fit.lr}


SWEEP_RECIPES: dict[str, dict[str, Any]] = {dataset: sweep_recipe(dataset) for dataset in SWEEP_SIZES}  # the shipped ones

SweepCallback = Callable[["SweepProgress"], None]


@dataclass(frozen=True)
class SweepProgress:
    """What a sweep callback receives: after each epoch ("epoch") and after each model ("model")."""

    event: str
    done: int  # models finished
    total: int  # models in the sweep
    latent_dim: int  # the size being trained (or just finished)
    epoch: int
    epochs: int
    rows: list[dict[str, Any]] = field(default_factory=list)  # finished rows so far

    @property
    def fraction(self) -> float:
        """Share of all epochs of all models done, in [0, 1]."""
        epochs_done = self.done * self.epochs + (self.epoch if self.event == "epoch" else 0)
        return min(1.0, epochs_done / (self.total * self.epochs)) if self.total else 1.0


def compression_ratio(input_shape: Sequence[int], latent_dim: int, bits: int) -> float:
    """Raw 8-bit image bytes (C*H*W) over the code's bytes (latent_dim numbers of `bits` bits)."""
    if bits not in CODE_BITS:
        raise ValueError(f"bits must be one of {CODE_BITS}, got {bits}")
    if int(latent_dim) != latent_dim or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim}")
    return float(np.prod(input_shape)) / (latent_dim * bits / 8)


def reconstruct(model: Autoencoder, images: torch.Tensor) -> torch.Tensor:
    """The model's reconstructions (N, C, H, W) of `images`, deterministic, on the CPU; the model's
    mode is never switched (`Autoencoder.infer`)."""
    return model.infer(images).x_hat.float()


def pca_reconstruct(train: ImageDataset, images: torch.Tensor, k: int) -> torch.Tensor:
    """PCA with k components fit on `train`, reconstructing `images`, clipped to [0, 1] as in
    `aecore.pca_baseline` (same float64 fit, same random_state)."""
    x_train = train.images.flatten(1).double().numpy()
    pca = PCA(n_components=int(k), random_state=0).fit(x_train)
    x_hat = pca.inverse_transform(pca.transform(images.flatten(1).double().numpy()))
    return torch.from_numpy(np.clip(x_hat, 0.0, 1.0)).float().reshape(images.shape)


def rate_distortion(kind: str, train: ImageDataset, test: ImageDataset, latent_dims: Sequence[int], *,
                    arch: str = "mlp", epochs: int = 50, batch_size: int = 64, lr: float = 2e-3, seed: int = 0,
                    device: str = "cpu", images: torch.Tensor | None = None,
                    progress: SweepCallback | None = None, stop: Any = None,
                    **options: Any) -> list[dict[str, Any]]:
    """One row per latent size k: train a `kind` autoencoder with a k-D code on `train`, score it on
    `test` beside PCA with k components.

    Each row: latent_dim, ae_mse, ae_psnr, pca_mse, pca_psnr, ratio_8bit, ratio_16bit (see
    `compression_ratio`), seconds (training time). With `images` (N, C, H, W), also ae_images and
    pca_images: their reconstructions as float32 arrays. `progress` is called after every epoch and
    after every model; `stop` ends the sweep after the current epoch, returning the rows so far.
    """
    dims = [int(k) for k in latent_dims]
    most = min(len(train), train.images[0].numel())
    if not dims or any(k < 1 or k > most for k in dims):
        raise ValueError(f"latent_dims must be a non-empty list of integers from 1 to {most}, got {list(latent_dims)}")
    rows: list[dict[str, Any]] = []
    base = RunSpec(dataset=train.name, kind=kind, arch=arch, options=options,
                   fit=FitSettings(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device))
    for k in dims:
        epochs_done = [0]

        def on_snapshot(snapshot: RunSnapshot, k: int = k, epochs_done: list[int] = epochs_done) -> None:
            # One event per finished epoch (the run also reports between epochs).
            if progress is not None and len(snapshot.train_history) > epochs_done[0] and not snapshot.finished:
                epochs_done[0] = len(snapshot.train_history)
                progress(SweepProgress("epoch", len(rows), len(dims), k, epochs_done[0], epochs, list(rows)))

        result = run(replace(base, latent_dim=k), progress=on_snapshot, stop=stop, data=(train, test), every=0.0)
        if result.stopped:
            break
        rows.append(_row(result, train, images))
        if progress is not None:
            progress(SweepProgress("model", len(rows), len(dims), k, epochs, epochs, list(rows)))
    return rows


def _row(result: RunResult, train: ImageDataset, images: torch.Tensor | None) -> dict[str, Any]:
    model, k, ae, pca = result.model, result.spec.latent_dim, result.metrics, result.pca
    row: dict[str, Any] = {
        "latent_dim": k, "ae_mse": ae["mse"], "ae_psnr": ae["psnr"], "pca_mse": pca["mse"], "pca_psnr": pca["psnr"],
        **{f"ratio_{bits}bit": compression_ratio(train.image_shape, k, bits) for bits in CODE_BITS},
        "seconds": result.history.wall_time,
    }
    if images is not None:
        row["ae_images"] = reconstruct(model, images).numpy()
        row["pca_images"] = pca_reconstruct(train, images, k).numpy()
    return row


def preview_images(test: ImageDataset, n: int = PREVIEW_IMAGES) -> torch.Tensor:
    """`n` fixed test images, one class after another (the first image of each class in turn)."""
    return test.images[preview_indices(test, n)]


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The sweep as a Markdown table."""
    lines = ["| k | AE MSE | PCA MSE | AE PSNR (dB) | PCA PSNR (dB) | ratio 8-bit | ratio 16-bit |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['latent_dim']} | {r['ae_mse']:.4f} | {r['pca_mse']:.4f} | {r['ae_psnr']:.2f} | "
              f"{r['pca_psnr']:.2f} | {r['ratio_8bit']:g}:1 | {r['ratio_16bit']:g}:1 |" for r in rows]
    return "\n".join(lines)


# --- the shipped sweeps -------------------------------------------------------------------------
def sweep_path(dataset: str, root: str | os.PathLike | None = None) -> Path:
    return Path(root or pretrained_root()) / f"rate_distortion-{dataset}.json"


def build_sweep(dataset: str, root: str | os.PathLike | None = None,
                progress: SweepCallback | None = None) -> dict[str, Any]:
    """Run the shipped sweep of `dataset` (SWEEP_RECIPES) and write it beside the zoo."""
    if dataset not in SWEEP_RECIPES:
        raise ValueError(f"no sweep recipe for {dataset!r}; recipes: {', '.join(SWEEP_RECIPES)}")
    recipe = dict(SWEEP_RECIPES[dataset])
    train, test = load_dataset(dataset).split(TEST_FRACTION, seed=SPLIT_SEED)
    images = preview_images(test)
    rows = rate_distortion(recipe.pop("kind"), train, test, recipe.pop("latent_dims"), images=images,
                           progress=progress, **recipe)
    sweep = {"format": SWEEP_FORMAT, "dataset": dataset, "recipe": SWEEP_RECIPES[dataset],
             "split": {"test_fraction": TEST_FRACTION, "seed": SPLIT_SEED}, "rows": rows, "images": images.numpy()}
    sweep_path(dataset, root).write_text(json.dumps(_to_json(sweep), separators=(",", ":")), "utf-8")
    return sweep


def load_sweep(dataset: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The shipped sweep of `dataset`: format, dataset, recipe, split, rows (as `rate_distortion`
    returns them, with ae_images and pca_images) and images (the originals, float32 (N, C, H, W))."""
    path = sweep_path(dataset, root)
    if not path.is_file():
        raise ValueError(f"no precomputed sweep for {dataset!r} at {path}; build it with "
                         f"`python bench/rate_distortion.py {dataset}`")
    stored = json.loads(path.read_text("utf-8"))
    if stored.get("format") != SWEEP_FORMAT:
        raise ValueError(f"{path} is not a rate-distortion sweep (format {stored.get('format')!r})")
    stored["images"] = _from_bytes(stored["images"])
    for row in stored["rows"]:
        for key in ("ae_images", "pca_images"):
            row[key] = _from_bytes(row[key])
    return stored


def _to_json(value: Any) -> Any:
    # Images as rounded 8-bit pixels with their shape: a tenth of the size of float lists, and what
    # a screen shows anyway.
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "uint8": np.round(value.clip(0, 1) * 255).astype(np.uint8).ravel().tolist()}
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value


def _from_bytes(stored: dict[str, Any]) -> np.ndarray:
    return (np.asarray(stored["uint8"], dtype=np.float32) / 255).reshape(stored["shape"])


__all__ = ["CODE_BITS", "SWEEP_RECIPES", "SweepProgress", "sweep_recipe", "build_sweep", "compression_ratio",
           "format_table", "load_sweep", "pca_reconstruct", "preview_images", "rate_distortion", "reconstruct",
           "sweep_path"]
