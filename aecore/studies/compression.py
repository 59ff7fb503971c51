"""Compression: the bottleneck trade-off of an autoencoder against PCA with the same code size, and
what the code costs once it is really stored.

`rate_distortion` trains one model per latent size and returns one row per size: test MSE and
PSNR of the autoencoder and of PCA with k components, with the float code and after uniform b-bit
quantization of each code unit (`aecore.studies.quantize`, b in QUANT_BITS, ranges measured on the training
codes). `aecore.studies.image_files.file_anchor` measures up to ANCHOR_IMAGES of the test images as PNG and
JPEG files at every quality, the real-world anchor a code's bits are compared with. `complete_sweep`
puts it all in one dict; the sweeps of the embedded datasets ship in
`pretrained/rate_distortion-<dataset>.json` (`build_sweep`, `python bench/rate_distortion.py`); those
of MNIST and Fashion-MNIST ship as models, measured on the user's copy (`aecore.studies.sweep_models`);
`aecore.studies.jobs.compression_sweep` runs one in a worker process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from sklearn.decomposition import PCA

from aecore.data import ImageDataset, load_split
from aecore.generate import decode_codes
from aecore.studies.image_files import file_anchor
from aecore.metrics import error_metrics
from aecore.models import Autoencoder
from aecore.data.splits import split_record
from aecore.pretrained import pretrained_root
from aecore.studies.quantize import MIN_BITS, SIDE_BITS_PER_UNIT, UniformQuantizer
from aecore.data.download import DATASETS as DOWNLOADED
from aecore.recipes import SWEEP_ARCHS, SWEEP_EPOCHS, SWEEP_SIZES, default_spec
from aecore.runner import FitSettings, RunResult, RunSnapshot, RunSpec, preview_indices, run
from aecore.studies.sweep_store import SWEEP_FORMAT, read_anchor, read_sweep, write_sweep

QUANT_BITS = tuple(range(2, 17))  # the bit widths every sweep row is measured at
PREVIEW_IMAGES = 8  # fixed test images reconstructed at every size
# The PNG/JPEG anchor encodes each image 95 times: MNIST's 10,000 test images take 80 s of CPU, 250
# take 2 s, and their mean bytes and PSNR at each quality are within 1 byte and 0.1 dB of 2,000's.
ANCHOR_IMAGES = 250


def sweep_recipe(dataset: str) -> dict[str, Any]:
    """The sweep of `dataset`: the dataset's default recipe (aecore.recipes) at each code size, in
    the sweep's own architecture where it has one (SWEEP_ARCHS)."""
    spec = default_spec(dataset)
    return {"kind": spec.kind, "arch": SWEEP_ARCHS.get(dataset, spec.arch),
            "latent_dims": list(SWEEP_SIZES.get(dataset, SWEEP_SIZES["digits"])),
            "epochs": SWEEP_EPOCHS.get(dataset, spec.fit.epochs), "batch_size": spec.fit.batch_size, "lr": spec.fit.lr,
            "schedule": spec.fit.schedule}


# The sweeps shipped as rows and pictures. A downloaded dataset's images are not ours to ship, nor
# what is measured on them: its sweep ships as models instead (`aecore.studies.sweep_models`).
SWEEP_RECIPES: dict[str, dict[str, Any]] = {dataset: sweep_recipe(dataset) for dataset in SWEEP_SIZES
                                            if dataset not in DOWNLOADED}

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
    def text(self) -> str:
        """What is being trained, in words."""
        return f"code size {self.latent_dim}: epoch {self.epoch} of {self.epochs} ({self.done} of {self.total} models done)"

    @property
    def fraction(self) -> float:
        """Share of all epochs of all models done, in [0, 1]."""
        epochs_done = self.done * self.epochs + (self.epoch if self.event == "epoch" else 0)
        return min(1.0, epochs_done / (self.total * self.epochs)) if self.total else 1.0


def compression_ratio(input_shape: Sequence[int], latent_dim: int, bits: int) -> float:
    """Raw 8-bit image bits (8*C*H*W) over the code's bits (latent_dim numbers of `bits` bits)."""
    if int(bits) != bits or not MIN_BITS <= bits <= 32:
        raise ValueError(f"bits must be an integer from {MIN_BITS} to 32, got {bits}")
    if int(latent_dim) != latent_dim or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim}")
    return 8 * float(np.prod(input_shape)) / (latent_dim * bits)


def reconstruct(model: Autoencoder, images: torch.Tensor) -> torch.Tensor:
    """The model's reconstructions (N, C, H, W) of `images`, deterministic, on the CPU; the model's
    mode is never switched (`Autoencoder.infer`)."""
    return model.infer(images).x_hat.float()


def _fit_pca(train: ImageDataset, k: int) -> PCA:
    # float64 and random_state as `aecore.pca_baseline`, so the numbers agree with it.
    return PCA(n_components=int(k), random_state=0).fit(train.images.flatten(1).double().numpy())


def _pca_decode(pca: PCA, codes: np.ndarray, shape: Sequence[int]) -> torch.Tensor:
    # `pca.inverse_transform` (no whitening) in float32: a sweep decodes the test images 16 times per
    # size, and scikit-learn's float64 took 5x as long for the same 8-bit pixels.
    components, mean = torch.from_numpy(pca.components_).float(), torch.from_numpy(pca.mean_).float()
    return (torch.from_numpy(np.asarray(codes)).float() @ components + mean).clamp(0.0, 1.0).reshape(tuple(shape))


def pca_reconstruct(train: ImageDataset, images: torch.Tensor, k: int) -> torch.Tensor:
    """PCA with k components fit on `train`, reconstructing `images`, clipped to [0, 1] as in
    `aecore.pca_baseline` (same float64 fit, same random_state)."""
    pca = _fit_pca(train, k)
    return _pca_decode(pca, pca.transform(images.flatten(1).double().numpy()), images.shape)


def rate_distortion(kind: str, train: ImageDataset, test: ImageDataset, latent_dims: Sequence[int], *,
                    arch: str = "mlp", epochs: int = 50, batch_size: int = 64, lr: float = 2e-3, seed: int = 0,
                    schedule: str = "constant", device: str = "cpu", images: torch.Tensor | None = None,
                    bits: Sequence[int] = QUANT_BITS, progress: SweepCallback | None = None, stop: Any = None,
                    on_model: Callable[[RunResult], None] | None = None, **options: Any) -> list[dict[str, Any]]:
    """One row per latent size k: train a `kind` autoencoder with a k-D code on `train`, score it on
    `test` beside PCA with k components.

    Each row: latent_dim, ae_mse, ae_psnr, pca_mse, pca_psnr (float codes), seconds (training
    time), and "quantized": {"bits": [...], "ae_mse": [...], "ae_psnr": [...], "pca_mse": [...],
    "pca_psnr": [...]}, the same after b-bit quantization of each code unit, one entry per b in
    `bits`. With `images` (N, C, H, W), also ae_images and pca_images (their float-code
    reconstructions) and ae_quantized_images, pca_quantized_images (len(bits), N, C, H, W), as
    float32 arrays. `progress` is called after every epoch and after every model; `stop` ends the
    sweep after the current epoch, returning the rows so far. `on_model` receives each finished run
    (`aecore.studies.sweep_models` keeps the models it ships so).
    """
    dims = [int(k) for k in latent_dims]
    most = min(len(train), train.images[0].numel())
    if not dims or any(k < 1 or k > most for k in dims):
        raise ValueError(f"latent_dims must be a non-empty list of integers from 1 to {most}, got {list(latent_dims)}")
    rows: list[dict[str, Any]] = []
    base = RunSpec(dataset=train.name, kind=kind, arch=arch, options=options,
                   fit=FitSettings(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device,
                                   schedule=schedule))
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
        if on_model is not None:
            on_model(result)
        rows.append(_row(result, train, test, images, bits))
        if progress is not None:
            progress(SweepProgress("model", len(rows), len(dims), k, epochs, epochs, list(rows)))
    return rows


def _row(result: RunResult, train: ImageDataset, test: ImageDataset, images: torch.Tensor | None,
         bits: Sequence[int]) -> dict[str, Any]:
    k, ae, pca_metrics = result.spec.latent_dim, result.metrics, result.pca
    row: dict[str, Any] = {"latent_dim": k, "ae_mse": ae["mse"], "ae_psnr": ae["psnr"], "pca_mse": pca_metrics["mse"],
                           "pca_psnr": pca_metrics["psnr"], "seconds": result.history.wall_time}
    return {**row, **quantized_row(result.model, _fit_pca(train, k), train, test, images, bits)}


def quantized_row(model: Autoencoder, pca: PCA, train: ImageDataset, test: ImageDataset, images: torch.Tensor | None,
                  bits: Sequence[int], train_codes: dict[str, np.ndarray] | None = None,
                  test_codes: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The part of a sweep row measured after quantization (see `rate_distortion`): "quantized", and
    with `images` the float-code and quantized reconstructions of both methods. `pca` has the model's
    code size, fit on `train`; `train_codes` and `test_codes` ({"ae", "pca"}: codes of the training
    images, which set each unit's range, and of the test images) when they are at hand already."""
    # Each method's codes, and how each turns codes back into images; the ranges come from train.
    methods = {
        "ae": lambda z: decode_codes(model, z).float(),
        "pca": lambda z, shape=test.images.shape: _pca_decode(pca, z, (len(z), *shape[1:])),
    }
    train_codes = train_codes or {"ae": model.infer_codes(train.images).numpy(),
                                  "pca": pca.transform(train.images.flatten(1).double().numpy())}
    test_codes = test_codes or {"ae": model.infer_codes(test.images).numpy(),
                                "pca": pca.transform(test.images.flatten(1).double().numpy())}
    quantized: dict[str, list] = {"bits": [int(b) for b in bits]}
    row: dict[str, Any] = {}
    previews: dict[str, list[np.ndarray]] = {"ae": [], "pca": []}
    for name, decode in methods.items():
        if images is not None:
            preview_codes = (model.infer_codes(images).numpy() if name == "ae"
                             else pca.transform(images.flatten(1).double().numpy()))
            row[f"{name}_images"] = decode(preview_codes).reshape(images.shape).numpy()
        for b in bits:
            quantizer = UniformQuantizer(int(b)).fit(train_codes[name])
            metrics = error_metrics(test.images, decode(quantizer.quantize(test_codes[name])).reshape(test.images.shape))
            quantized.setdefault(f"{name}_mse", []).append(metrics["mse"])
            quantized.setdefault(f"{name}_psnr", []).append(metrics["psnr"])
            if images is not None:
                previews[name].append(decode(quantizer.quantize(preview_codes)).reshape(images.shape).numpy())
    row["quantized"] = quantized
    if images is not None:
        row.update({f"{name}_quantized_images": np.stack(arrays) for name, arrays in previews.items()})
    return row


def at_bits(row: dict[str, Any], bits: int) -> dict[str, float]:
    """A row's {"ae_mse", "ae_psnr", "pca_mse", "pca_psnr"} after quantization at `bits` bits."""
    quantized = row["quantized"]
    if bits not in quantized["bits"]:
        raise ValueError(f"the sweep was measured at {quantized['bits']} bits, not {bits}")
    i = quantized["bits"].index(bits)
    return {key: quantized[key][i] for key in ("ae_mse", "ae_psnr", "pca_mse", "pca_psnr")}


def preview_images(test: ImageDataset, n: int = PREVIEW_IMAGES) -> torch.Tensor:
    """`n` fixed test images, one class after another (the first image of each class in turn)."""
    return test.images[preview_indices(test, n)]


def format_table(rows: Sequence[dict[str, Any]], bits: int = 8) -> str:
    """The sweep as a Markdown table: float codes, then after `bits`-bit quantization."""
    lines = [f"| k | AE MSE | PCA MSE | AE PSNR (dB) | PCA PSNR (dB) | AE PSNR {bits}-bit | PCA PSNR {bits}-bit |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        q = at_bits(r, bits)
        lines.append(f"| {r['latent_dim']} | {r['ae_mse']:.4f} | {r['pca_mse']:.4f} | {r['ae_psnr']:.2f} | "
                     f"{r['pca_psnr']:.2f} | {q['ae_psnr']:.2f} | {q['pca_psnr']:.2f} |")
    return "\n".join(lines)


# --- whole sweeps, and the shipped ones -----------------------------------------------------------
def anchor_images(test: ImageDataset) -> torch.Tensor:
    """The test images the PNG/JPEG anchor encodes: up to ANCHOR_IMAGES, the classes in turn."""
    return test.images[preview_indices(test, ANCHOR_IMAGES)]


def complete_sweep(dataset: str, recipe: dict[str, Any], train: ImageDataset, test: ImageDataset,
                   progress: SweepCallback | None = None, stop: Any = None,
                   anchor: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sweep `recipe` (as `sweep_recipe` gives it) on a split of `dataset`, in the layout of
    `load_sweep`, with the PNG/JPEG anchor of the test images (`anchor`, when already measured on
    the same test images) and the stored side information."""
    settings = {key: value for key, value in recipe.items() if key not in ("kind", "latent_dims")}
    images = preview_images(test)
    rows = rate_distortion(recipe["kind"], train, test, recipe["latent_dims"], images=images, progress=progress,
                           stop=stop, **settings)
    return {"format": SWEEP_FORMAT, "dataset": dataset, "recipe": {**recipe, "latent_dims": [r["latent_dim"] for r in rows]},
            "split": split_record(dataset), "rows": rows, "images": images.numpy(),
            "test_images": len(test), "side_bits_per_unit": SIDE_BITS_PER_UNIT,
            "anchor": anchor or (file_anchor(anchor_images(test)) if rows else None)}


def shipped_anchor(dataset: str, test_images: int) -> dict[str, Any] | None:
    """The PNG/JPEG anchor of the shipped sweep of `dataset` when it measured the images
    `anchor_images` picks of `test_images` (the same split), else None: a recomputed sweep need not
    encode them 95 times again."""
    anchor = read_anchor(sweep_path(dataset))
    return anchor if anchor is not None and anchor["images"] == min(test_images, ANCHOR_IMAGES) else None


def sweep_path(dataset: str, root: str | os.PathLike | None = None) -> Path:
    return Path(root or pretrained_root()) / f"rate_distortion-{dataset}.json"


def build_sweep(dataset: str, root: str | os.PathLike | None = None,
                progress: SweepCallback | None = None) -> dict[str, Any]:
    """Run the shipped sweep of `dataset` (SWEEP_RECIPES) and write it beside the zoo."""
    if dataset not in SWEEP_RECIPES:
        raise ValueError(f"no sweep of rows ships for {dataset!r} (a downloaded dataset's sweep ships as models: "
                         f"aecore.studies.sweep_models); it ships for {', '.join(SWEEP_RECIPES)}")
    train, test = load_split(dataset)
    sweep = complete_sweep(dataset, SWEEP_RECIPES[dataset], train, test, progress)
    write_sweep(sweep, sweep_path(dataset, root))
    return sweep


def load_sweep(dataset: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The shipped sweep of `dataset` as `complete_sweep` returns it, its images float32 arrays."""
    return read_sweep(sweep_path(dataset, root), f"build it with `python bench/rate_distortion.py {dataset}`")


__all__ = ["ANCHOR_IMAGES", "QUANT_BITS", "SWEEP_RECIPES", "SweepProgress", "anchor_images", "at_bits", "build_sweep",
           "complete_sweep", "compression_ratio", "shipped_anchor", "format_table", "load_sweep", "pca_reconstruct",
           "preview_images", "quantized_row", "rate_distortion", "reconstruct", "sweep_path"]
