"""Image corruptions: the noise a denoising autoencoder learns to undo and the lab's sliders move.

Every kind takes a batch shaped (..., H, W) with values in [0, 1] and returns a new tensor of the same
shape, still in [0, 1]; the input is never modified. The same seed gives the same corruption.
Pixel-wise kinds (salt and pepper, mask) hit all channels of a pixel together, as a real dead or
stuck pixel would.
"""

from __future__ import annotations

from typing import Callable

import torch

NoiseFn = Callable[[torch.Tensor, float, torch.Generator | None], torch.Tensor]

_NOISE: dict[str, NoiseFn] = {}
# The level's meaning and valid range for each kind, shown in errors and in the app's slider labels.
_LEVELS: dict[str, tuple[str, float, float]] = {}


def _register(name: str, meaning: str, low: float, high: float) -> Callable[[NoiseFn], NoiseFn]:
    def wrap(fn: NoiseFn) -> NoiseFn:
        _NOISE[name] = fn
        _LEVELS[name] = (meaning, low, high)
        return fn

    return wrap


def list_noise() -> list[str]:
    """Names of the corruption kinds, in a stable order."""
    return list(_NOISE)


def describe_level(kind: str) -> tuple[str, float, float]:
    """(meaning of the level, lowest valid level, highest valid level) for a kind."""
    _check_kind(kind)
    return _LEVELS[kind]


def corrupt(x: torch.Tensor, kind: str, level: float, seed: int | None = None) -> torch.Tensor:
    """Return a corrupted copy of `x` (values in [0, 1], shape (..., H, W)).

    kind: one of `list_noise()`; level: its strength (gaussian: sigma; salt_pepper and mask: the
    fraction of pixels hit; block: the side of the occluding square relative to the image side).
    seed: None draws from torch's global generator (what training wants); an int gives a
    reproducible corruption (what the app's seed box wants).
    """
    _check_kind(kind)
    meaning, low, high = _LEVELS[kind]
    level = float(level)
    if not low <= level <= high:
        raise ValueError(f"noise level for {kind!r} is the {meaning} and must be in [{low}, {high}], got {level}")
    if x.dim() < 2:
        raise ValueError(f"corrupt expects images shaped (..., H, W), got shape {tuple(x.shape)}")
    generator = None
    if seed is not None:
        generator = torch.Generator(device=x.device).manual_seed(int(seed))
    if level == 0:
        return x.clone()
    return _NOISE[kind](x, level, generator).clamp_(0.0, 1.0)


def _check_kind(kind: str) -> None:
    if kind not in _NOISE:
        raise ValueError(f"unknown noise kind {kind!r}; valid kinds: {', '.join(_NOISE)}")


def _pixel_mask(x: torch.Tensor, fraction: float, generator: torch.Generator | None) -> torch.Tensor:
    """A boolean mask shaped like x but without the channel axis (broadcast over it), hitting
    `fraction` of the pixels on average."""
    shape = (*x.shape[:-3], 1, *x.shape[-2:]) if x.dim() >= 3 else x.shape
    return torch.rand(shape, generator=generator, device=x.device) < fraction


@_register("gaussian", "standard deviation sigma", 0.0, 1.0)
def _gaussian(x: torch.Tensor, sigma: float, generator: torch.Generator | None) -> torch.Tensor:
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return x + sigma * noise


@_register("salt_pepper", "fraction of pixels set to black or white", 0.0, 1.0)
def _salt_pepper(x: torch.Tensor, fraction: float, generator: torch.Generator | None) -> torch.Tensor:
    hit = _pixel_mask(x, fraction, generator)
    salt = _pixel_mask(x, 0.5, generator).to(x.dtype)  # half of the hit pixels white, half black
    return torch.where(hit, salt, x)


@_register("mask", "fraction of pixels dropped to 0", 0.0, 1.0)
def _mask(x: torch.Tensor, fraction: float, generator: torch.Generator | None) -> torch.Tensor:
    return x.masked_fill(_pixel_mask(x, fraction, generator), 0.0)


@_register("block", "side of the occluding square relative to the image", 0.0, 1.0)
def _block(x: torch.Tensor, size: float, generator: torch.Generator | None) -> torch.Tensor:
    height, width = x.shape[-2:]
    side_h, side_w = max(1, round(size * height)), max(1, round(size * width))
    batch = x.shape[:-3] if x.dim() >= 3 else x.shape[:-2]
    n = int(torch.tensor(batch).prod().item()) if len(batch) else 1
    # One square per image at a random position that keeps it fully inside the frame.
    top = torch.randint(0, height - side_h + 1, (n,), generator=generator, device=x.device)
    left = torch.randint(0, width - side_w + 1, (n,), generator=generator, device=x.device)
    rows = torch.arange(height, device=x.device)
    cols = torch.arange(width, device=x.device)
    in_rows = (rows >= top[:, None]) & (rows < top[:, None] + side_h)  # (n, H)
    in_cols = (cols >= left[:, None]) & (cols < left[:, None] + side_w)  # (n, W)
    square = in_rows[:, :, None] & in_cols[:, None, :]  # (n, H, W)
    square = square.reshape(*batch, *([1] if x.dim() >= 3 else []), height, width)
    return x.masked_fill(square, 0.0)
