"""Capacity: two experiments on digits (8x8, embedded) about what a model too free to fit does.

- Overfitting (`overfit`): a large MLP autoencoder trained on a few training images for a fixed
  number of weight updates. With a few hundred images its training loss keeps falling while the
  validation loss turns and rises; with all of them the two curves stay close. The same budget of
  updates for every image count, so the data is the only difference.
- The overcomplete autoencoder (`overcomplete`): a code wider than the 64 pixels. A plain model
  learns to copy what it is given, so it rebuilds images it never saw, random noise included,
  nearly as well as digits; a sparse (L1) or denoising model of the same width rebuilds digits and
  not the rest.

Both are module-level functions of plain arguments returning plain data, so the app's worker queue
(`aecore.workers`) runs them: progress goes out through `report`, a cancel comes in through
`cancel_flag`. Called directly (a test, a notebook) they simply run. Each takes seconds on one core.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from aecore.data import ImageDataset, load_dataset
from aecore.runner import FitSettings, RunSnapshot, RunSpec, run, split_for
from aecore.in_worker import cancel_flag, report, stage

DATASET = "digits"

# --- overfitting --------------------------------------------------------------------------------
IMAGE_COUNTS = (100, 200, 500, 1000, 1437)  # 1437: every training image of the digits split
WIDTHS = (32, 128, 512)  # hidden widths; 512 is ~600,000 weights for 200 x 64 = 12,800 pixel values
UPDATES = (600, 1200, 2400)  # weight updates per run, whatever the image count
OVERFIT_DEFAULTS = {"images": 200, "width": 512, "updates": 1200}
OVERFIT_BATCH = 25
OVERFIT_CODE = 8
SUBSET_SEED = 0  # which training images a run keeps: the same ones for every width and budget


def overfit_spec(images: int, width: int, updates: int) -> RunSpec:
    """The recipe: a plain MLP autoencoder with two hidden layers of `width`, an 8-D code, Adam at
    2e-3 and as many epochs as `updates` weight updates take on `images` images. Bernoulli loss
    (BCE summed over the 64 pixels), the one the app's models train with: a memorising model grows
    over-confident, which the log-loss on unseen images punishes, so the rise is clear."""
    batches = math.ceil(images / OVERFIT_BATCH)
    epochs = max(1, round(updates / batches))
    return RunSpec(dataset=DATASET, kind="ae", arch="mlp", latent_dim=OVERFIT_CODE, options={"hidden": (width, width)},
                   fit=FitSettings(epochs=epochs, batch_size=OVERFIT_BATCH, lr=2e-3, seed=0, device="cpu"), preview=0)


@lru_cache(maxsize=1)
def digits_split() -> tuple[ImageDataset, ImageDataset]:
    """Digits' (train, test) as every run splits it; loaded once per process."""
    return split_for(RunSpec(dataset=DATASET), load_dataset(DATASET))


def training_subset(images: int) -> ImageDataset:
    """`images` training images drawn at random (seeded), the classes mixed."""
    train = digits_split()[0]
    if not 1 <= int(images) <= len(train):
        raise ValueError(f"images must be from 1 to {len(train)} (the digits training split), got {images}")
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(SUBSET_SEED))
    return train.subset(order[:int(images)], f"{DATASET} ({images} training images)")


def summarize(train_loss: list[float], val_loss: list[float]) -> dict[str, Any]:
    """What the curves say: the epoch of the lowest validation loss (where early stopping would
    stop, 1-based), how far validation rose after it, and the gap (validation minus training) at
    the end and at that epoch."""
    best = int(np.argmin(val_loss))
    return {"best_epoch": best + 1, "best_val": val_loss[best], "final_val": val_loss[-1], "final_train": train_loss[-1],
            "train_at_best": train_loss[best], "rise": val_loss[-1] - val_loss[best],
            "gap": val_loss[-1] - train_loss[-1], "gap_at_best": val_loss[best] - train_loss[best]}


def overfit(images: int = 200, width: int = 512, updates: int = 1200) -> dict[str, Any]:
    """Train the recipe (`overfit_spec`) on `images` training images, validating on the whole
    test split after every epoch. Returns {"settings", "epochs", "train_loss", "val_loss",
    "seconds", "stopped", **summarize(...)}. Progress detail: {"fraction", "epoch", "epochs", "train_loss",
    "val_loss"} after each epoch's validation (at most twice a second)."""
    spec = overfit_spec(images, width, updates)
    train, test = training_subset(images), digits_split()[1]

    def progress(snapshot: RunSnapshot) -> None:
        report(snapshot.text, snapshot.fraction,
               {"fraction": snapshot.fraction, "epoch": snapshot.epoch, "epochs": snapshot.epochs,
                "train_loss": [e["total"] for e in snapshot.train_history],
                "val_loss": [e["total"] for e in snapshot.val_history]})

    result = run(spec, progress=progress, stop=cancel_flag(), data=(train, test))
    history = result.history
    return {"settings": {"images": int(images), "width": int(width), "updates": int(updates)},
            "epochs": len(history.train), "train_loss": history.train_loss, "val_loss": history.val_loss,
            "seconds": history.wall_time, "stopped": history.stopped, **summarize(history.train_loss, history.val_loss)}


# --- the overcomplete autoencoder ---------------------------------------------------------------
CODE_WIDTHS = (16, 64, 256)  # narrower than, equal to, four times the 64 pixels
OVERCOMPLETE_DEFAULT = 256
MODELS = ("plain", "sparse", "denoising")
PROBES = ("digits", "shapes", "noise", "uniform")  # what each model is asked to rebuild
PROBE_TITLES = {"digits": "unseen digits", "shapes": "shapes (never seen)",
                "noise": "noise (digit pixel values, shuffled)", "uniform": "uniform noise"}
PROBE_IMAGES = 300
SHOWN = 3  # images of each probe set in the picture


def overcomplete_specs(code: int) -> dict[str, RunSpec]:
    """Three MLP autoencoders (one hidden layer of 256) with a `code`-D code, from the same seed
    and settings: plain, sparse (L1 on a ReLU code) and denoising (gaussian noise, σ 0.5). Squared
    error, so the loss is the MSE the page reports (times 64 pixels)."""
    base = RunSpec(dataset=DATASET, kind="ae", arch="mlp", latent_dim=int(code),
                   options={"hidden": (256,), "likelihood": "gaussian"},
                   fit=FitSettings(epochs=60, batch_size=64, lr=2e-3, seed=0, device="cpu"), preview=0)
    return {"plain": base,
            "sparse": replace(base, kind="sparse", options={**base.options, "penalty": "l1", "weight": 0.03}),
            "denoising": replace(base, kind="denoising", options={**base.options, "noise": "gaussian",
                                                                   "noise_level": 0.5})}


def probe_sets(seed: int = 1) -> dict[str, torch.Tensor]:
    """Images no model trained on, each (PROBE_IMAGES, 1, 8, 8) in [0, 1]: digits of the test split;
    the generated shapes shrunk to 8x8; noise whose every pixel takes that pixel's value in a random
    training digit (the digits' brightness per pixel, no strokes); and uniform noise, which also
    lights the border pixels no digit ever inks."""
    train, test = digits_split()
    generator = torch.Generator().manual_seed(seed)
    pixels = train.images.flatten(1)  # (N, 64)
    rows = torch.randint(0, len(pixels), (PROBE_IMAGES, pixels.shape[1]), generator=generator)
    noise = pixels[rows, torch.arange(pixels.shape[1])].view(-1, 1, 8, 8)
    shapes = F.adaptive_avg_pool2d(load_dataset("shapes", size=PROBE_IMAGES, image_size=32, seed=seed).images, 8)
    return {"digits": test.images[:PROBE_IMAGES], "shapes": shapes.clamp(0, 1), "noise": noise,
            "uniform": torch.rand(PROBE_IMAGES, 1, 8, 8, generator=generator)}


def overcomplete(code: int = OVERCOMPLETE_DEFAULT) -> dict[str, Any]:
    """Train the three models of `overcomplete_specs(code)` on digits and score them on every probe
    set. Returns {"code", "mse": {model: {probe: mean MSE}}, "inputs": {probe: (SHOWN, 1, 8, 8)},
    "outputs": {model: {probe: (SHOWN, 1, 8, 8)}}, "seconds"}. Progress: "model i of n: name: epoch ..."."""
    probes = probe_sets()
    stop = cancel_flag()
    result: dict[str, Any] = {"code": int(code), "mse": {}, "outputs": {}, "seconds": 0.0,
                              "inputs": {name: images[:SHOWN].numpy() for name, images in probes.items()}}
    specs = overcomplete_specs(code)
    for index, (name, spec) in enumerate(specs.items()):
        with stage(index, len(specs), f"model {index + 1} of {len(specs)}: {name}"):
            trained = run(spec, progress=lambda s: report(s.text, s.fraction, s), stop=stop, data=digits_split())
        model = trained.model
        rebuilt = {probe: model.infer(images).x_hat for probe, images in probes.items()}
        result["mse"][name] = {probe: float(((rebuilt[probe] - probes[probe]) ** 2).mean()) for probe in probes}
        result["outputs"][name] = {probe: images[:SHOWN].numpy() for probe, images in rebuilt.items()}
        result["seconds"] += trained.history.wall_time
        if trained.stopped:
            result["stopped"] = True
            break
    return result


__all__ = ["CODE_WIDTHS", "IMAGE_COUNTS", "MODELS", "OVERFIT_DEFAULTS", "PROBES", "PROBE_TITLES", "UPDATES", "WIDTHS",
           "digits_split", "overcomplete", "overcomplete_specs", "overfit", "overfit_spec", "probe_sets", "summarize",
           "training_subset"]
