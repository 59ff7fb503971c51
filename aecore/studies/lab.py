"""The reconstruct-and-denoise lab: corrupt images at a ladder of noise levels, run models on them,
score every output with PSNR, and turn a user's own image file into a model-ready tensor.

Everything is computed for a whole ladder of levels at once, so a viewer can switch between levels
without asking for anything new (the app's slider is served from these precomputed rows).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from aecore import noise
from aecore.data import ImageDataset
from aecore.limits import MAX_UPLOAD_BYTES  # the app's one upload limit, also image_from_bytes' default
from aecore.metrics import psnr
from aecore.models import Autoencoder

DEFAULT_STEPS = 21  # 0, 0.05, ..., 1.0 for the [0, 1] levels of every current noise kind
NOISY = "noisy input"  # the key of the corrupted input's own scores, beside the models' names
# Images per forward pass: bounds the memory of a conv model run on a long ladder, and 128 keep a
# 28x28 conv net's activations in cache: the MNIST zoo's denoise curves took 17 s of CPU at 128, 28 s at 512.
_BATCH = 128


def noise_levels(kind: str, steps: int = DEFAULT_STEPS) -> list[float]:
    """`steps` evenly spaced levels covering the valid range of `kind`, ends included."""
    _, low, high = noise.describe_level(kind)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be a whole number of at least 2, got {steps!r}")
    # Rounded so the levels print cleanly and match a slider's steps exactly.
    return [round(low + (high - low) * i / (steps - 1), 6) for i in range(steps)]


def pick_images(dataset: ImageDataset, count: int, classes: Sequence[int] | None = None,
                shuffle: bool = False, seed: int = 0) -> torch.Tensor:
    """Positions of up to `count` images of `dataset` whose label is in `classes` (None: all).

    Without shuffle the classes take turns (first image of each chosen class, then the second...),
    so a short row still shows every class; with shuffle a seeded random sample is drawn.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
    if dataset.labels is None or classes is None:
        pool = torch.arange(len(dataset))
    else:
        if not classes:
            raise ValueError("choose at least one class to draw images from")
        pool = torch.isin(dataset.labels, torch.as_tensor(list(classes))).nonzero().flatten()
    if len(pool) == 0:
        raise ValueError(f"dataset {dataset.name!r} has no images of the chosen classes")
    if shuffle:
        order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(int(seed)))
        return pool[order[:count]]
    if dataset.labels is None:
        return pool[:count]
    labels = dataset.labels[pool].numpy()
    # Rank of each image within its class, then sort by (rank, label): classes take turns in order.
    rank = np.zeros_like(labels)
    for label in np.unique(labels):
        members = labels == label
        rank[members] = np.arange(int(members.sum()))
    order = np.lexsort((labels, rank))  # stable, so ties keep dataset order as before
    return pool[torch.from_numpy(order[:count]).long()]


@dataclass
class DenoiseLadder:
    """A batch of clean images, its corrupted copies at every level, and each model's outputs."""

    kind: str  # the noise kind
    levels: list[float]  # (L,) noise levels, in increasing order
    clean: torch.Tensor  # (B, C, H, W) in [0, 1]
    noisy: torch.Tensor  # (L, B, C, H, W): clean corrupted at each level, one seed for all levels
    outputs: dict[str, torch.Tensor]  # model name -> (L, B, C, H, W), the model run on `noisy`
    psnr: dict[str, torch.Tensor]  # NOISY or a model name -> (L, B) PSNR in dB against `clean`

    def error(self, name: str, index: int | None = None) -> torch.Tensor:
        """|output - clean| of model `name`, averaged over channels: (L, B, H, W) in [0, 1], or
        (B, H, W) at level `index` alone."""
        output = self.outputs[name] if index is None else self.outputs[name][index]
        return (output - self.clean).abs().mean(dim=-3)

    def mean_psnr(self) -> dict[str, list[float]]:
        """NOISY and each model -> its PSNR averaged over the images, one value per level."""
        return {name: values.mean(dim=1).tolist() for name, values in self.psnr.items()}

    def level_index(self, level: float) -> int:
        """Index of the ladder level nearest to `level`."""
        return int(np.argmin([abs(value - level) for value in self.levels]))


@torch.no_grad()
def reconstruct(model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
    """The model's output for images x (N, C, H, W), on the CPU, in batches.

    Goes through encode/decode rather than forward: both are deterministic (a VAE decodes its mean)
    and neither depends on train/eval mode, so a model shared between sessions is never switched.
    """
    device = next(model.parameters()).device
    parts = [model.decode(model.encode(x[i:i + _BATCH].to(device))).cpu() for i in range(0, len(x), _BATCH)]
    return torch.cat(parts)


def noisy_ladder(x: torch.Tensor, kind: str, levels: Sequence[float], seed: int = 0) -> torch.Tensor:
    """x (B, C, H, W) corrupted at every level with the same seed: (L, B, C, H, W).

    The same seed at every level keeps the draw fixed while its strength grows (gaussian: one noise
    image scaled by sigma), so stepping through the ladder looks like one image getting noisier.
    """
    if x.dim() != 4 or len(x) == 0:
        raise ValueError(f"x must be a non-empty batch of images (B, C, H, W), got {tuple(x.shape)}")
    clean = x.detach().float().cpu()
    return torch.stack([noise.corrupt(clean, kind, level, seed=seed) for level in levels])


def run_ladder(model: Autoencoder, noisy: torch.Tensor, name: str = "the model") -> torch.Tensor:
    """The model's outputs for a `noisy_ladder` (L, B, C, H, W), in one batched pass over all levels."""
    if tuple(model.config.input_shape) != tuple(noisy.shape[2:]):
        raise ValueError(f"model {name!r} takes images shaped {tuple(model.config.input_shape)}, the images "
                         f"are {tuple(noisy.shape[2:])}; pick a model trained on this dataset")
    return reconstruct(model, noisy.flatten(0, 1)).view_as(noisy)


def denoise_ladder(x: torch.Tensor, models: Mapping[str, Autoencoder], kind: str, levels: Sequence[float],
                   seed: int = 0, outputs: Mapping[str, torch.Tensor] | None = None) -> DenoiseLadder:
    """Corrupt x (B, C, H, W) at every level with the same seed (`noisy_ladder`) and run each model
    on every copy. outputs: a model's `run_ladder` result already at hand (say, cached per model),
    used instead of running that model again."""
    noisy = noisy_ladder(x, kind, levels, seed)  # (L, B, C, H, W)
    clean = x.detach().float().cpu()
    done = dict(outputs or {})
    outputs = {name: done[name] if name in done else run_ladder(model, noisy, name) for name, model in models.items()}
    scores = {NOISY: _ladder_psnr(clean, noisy)}
    scores.update({name: _ladder_psnr(clean, out) for name, out in outputs.items()})
    return DenoiseLadder(kind, [float(level) for level in levels], clean, noisy, outputs, scores)


def _ladder_psnr(clean: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    levels = len(images)
    target = clean.expand(levels, *clean.shape).flatten(0, 1)
    return psnr(target, images.flatten(0, 1)).view(levels, len(clean))


def image_from_bytes(data: bytes, shape: Sequence[int], invert: bool = False, name: str = "the file",
                     max_bytes: int = MAX_UPLOAD_BYTES) -> torch.Tensor:
    """A PNG/JPEG file's bytes -> one image (C, H, W) in [0, 1] shaped like a dataset's images.

    Gray (C=1) or RGB (C=3); transparent parts become black and the picture is scaled to fit H x W
    with its aspect ratio kept, the rest black, since the built-in datasets draw light shapes on a
    black ground. `invert` turns a dark drawing on light paper into that. A file that is not an
    image, over `max_bytes`, or a decompression bomb raises a ValueError that names `name`.
    """
    channels, height, width = (int(v) for v in shape)
    if channels not in (1, 3):
        raise ValueError(f"images of {channels} channels are not supported; the shape must be (1 or 3, H, W)")
    if len(data) > max_bytes:
        raise ValueError(f"{name} is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit; "
                         "upload a smaller PNG or JPEG")
    try:
        with warnings.catch_warnings():
            # Pillow raises above twice its pixel limit and only warns between 1x and 2x: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image = ImageOps.exif_transpose(image)  # phone photos store their rotation in EXIF
                # Transparent parts take the paper's colour, so inverting cannot turn them white.
                image = _flatten_alpha(image, 255 if invert else 0).convert("L" if channels == 1 else "RGB")
                if invert:
                    image = ImageOps.invert(image)
                image = ImageOps.pad(image, (width, height), Image.Resampling.LANCZOS, color=0)
                array = np.asarray(image, dtype=np.float32) / 255.0
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"{name} has too many pixels (over {Image.MAX_IMAGE_PIXELS:,}) to open safely; "
                         "shrink it first") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValueError(f"{name} is not a readable image; upload a PNG or JPEG file") from None
    x = torch.from_numpy(array)
    return x[None] if channels == 1 else x.permute(2, 0, 1).contiguous()  # (C, H, W)


def _flatten_alpha(image: Image.Image, ground: int) -> Image.Image:
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return image
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (ground, ground, ground, 255)), rgba)
