"""Datasets that need no files and no network: scikit-learn's digits and generated shapes.

`shapes` is a dSprites-like set (Matthey et al., 2017): white shapes on black whose generating
factors (shape, scale, rotation, x, y) are known and sampled independently, so the app can ask
whether a latent dimension tracks one factor. Rendering is vectorised: every pixel of a batch of
images is tested against its shape's implicit inside-test at once. A large set is rendered once per
machine and kept on disk (`_cached_render`), so a new process loads it in milliseconds.
"""

from __future__ import annotations

import importlib.util
import io
import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from aecore.data.dataset import ImageDataset
from aecore.data.paths import default_data_root
from aecore.data.registry import register_dataset
from aecore.files import write_atomically

SHAPE_NAMES = ["square", "ellipse", "heart", "triangle"]
SCALE_RANGE = (0.5, 1.0)  # fraction of the largest radius, as in dSprites' six scales 0.5..1
MAX_RADIUS = 0.3  # the largest shape's circumscribed radius, as a fraction of the image side
SUPERSAMPLE = 2  # 2x2 samples per pixel soften the edges without costing much time
MAX_SHAPES = 100_000  # 100k images of 32x32 is 400 MB of float32: enough for any lesson
_BATCH = 2048
RENDER_VERSION = 1  # bump whenever _render's output changes, so no machine keeps stale images on disk
CACHE_MIN_SIZE = 2000  # smaller sets render in tens of milliseconds: not worth a file each


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(pixels (N, 64), labels (N,)) of scikit-learn's digits. Read straight from the CSV file the
    library ships, which is all `sklearn.datasets.load_digits` reads: importing scikit-learn costs
    over two seconds, and digits is the app's first page. Through the library if the file moved."""
    spec = importlib.util.find_spec("sklearn")
    folders = spec.submodule_search_locations if spec is not None else None
    path = Path(folders[0]) / "datasets" / "data" / "digits.csv.gz" if folders else None
    if path is not None and path.is_file():
        table = np.loadtxt(path, delimiter=",")  # (N, 65): 64 pixels, then the label
        return table[:, :-1], table[:, -1]
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.data, bunch.target


@register_dataset("digits")
def load_digits() -> ImageDataset:
    """scikit-learn's 1,797 handwritten digits, 8x8 gray, bundled with the library (no download)."""
    pixels, target = _digits_arrays()
    images = torch.from_numpy(pixels.astype(np.float32).reshape(-1, 8, 8) / 16.0)  # values are 0..16 ink counts
    return ImageDataset(
        images=images[:, None],  # (N, 1, 8, 8)
        labels=torch.from_numpy(target.astype(np.int64)),
        classes=[str(d) for d in range(10)],
        name="digits",
    )


# Inside-tests in a local frame where each shape fits in the unit disc, so that a shape of radius r
# at least r from every edge stays inside the frame at any rotation. v points up.
def _square(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.maximum(u.abs(), v.abs()) <= 1 / math.sqrt(2)


def _ellipse(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u**2 + (v / 0.6) ** 2 <= 1


def _heart(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0 spans y in [-1, 1.24]; centred at y = 0.25 it fits a disc of 1.25.
    x, y = 1.25 * u, 1.25 * v + 0.25
    return (x**2 + y**2 - 1) ** 3 - x**2 * y**3 <= 0


def _triangle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    # Equilateral, vertices on the unit circle, one pointing up: three half-planes at the inradius 0.5.
    s = math.sqrt(3) / 2
    return (v >= -0.5) & (s * u + 0.5 * v <= 0.5) & (-s * u + 0.5 * v <= 0.5)


_INSIDE: list[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = [_square, _ellipse, _heart, _triangle]


@register_dataset("shapes")
def load_shapes(*, size: int = 10000, image_size: int = 32, seed: int = 0) -> ImageDataset:
    """White squares, ellipses, hearts and triangles on black with known factors (dSprites-like).

    factors: shape (int 0..3, also the label), scale (0.5..1 of the largest size), rotation (radians,
    0..2pi), x and y (0..1: the centre's place in the range that keeps the largest shape in frame;
    y = 0 is the top). All five are drawn independently and uniformly; the same seed gives the same set.
    """
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SHAPES:
        raise ValueError(f"size must be a whole number of images from 1 to {MAX_SHAPES}; got {size!r}")
    if image_size not in (28, 32):
        raise ValueError(f"image_size must be 28 or 32; got {image_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number; got {seed!r}")
    rng = np.random.default_rng(seed)
    factors = {
        "shape": torch.from_numpy(rng.integers(0, len(SHAPE_NAMES), size)),
        "scale": torch.from_numpy(rng.uniform(*SCALE_RANGE, size).astype(np.float32)),
        "rotation": torch.from_numpy(rng.uniform(0, 2 * math.pi, size).astype(np.float32)),
        "x": torch.from_numpy(rng.uniform(0, 1, size).astype(np.float32)),
        "y": torch.from_numpy(rng.uniform(0, 1, size).astype(np.float32)),
    }
    return ImageDataset(
        images=_cached_render(factors, image_size, seed),
        labels=factors["shape"].clone(),
        classes=list(SHAPE_NAMES),
        name="shapes",
        factors=factors,
    )


def _render(factors: dict[str, torch.Tensor], image_size: int) -> torch.Tensor:
    """Rasterise every shape: (N, 1, S, S) float32 in [0, 1], antialiased by supersampling."""
    n, ss = len(factors["shape"]), SUPERSAMPLE
    images = torch.zeros(n, 1, image_size, image_size)
    largest = MAX_RADIUS * image_size
    margin = largest + 1  # one black pixel between the largest shape and the edge
    free = image_size - 2 * margin  # the range of centres that keeps every shape inside
    # Only a window around each shape is evaluated (about 40% of the image at the largest scale).
    window = math.ceil(2 * largest) + 1
    offsets = torch.arange(window)
    samples = (torch.arange(window * ss, dtype=torch.float32) + 0.5) / ss  # sample centres, in pixels
    for shape_id, inside in enumerate(_INSIDE):
        # Rendering each shape kind apart runs one inside-test per image instead of four.
        for index in (factors["shape"] == shape_id).nonzero().flatten().split(_BATCH):
            radius = (factors["scale"][index] * largest)[:, None, None]  # (B, 1, 1)
            cx = margin + factors["x"][index] * free
            cy = margin + factors["y"][index] * free
            left, top = (cx - largest).floor().long(), (cy - largest).floor().long()  # window corners
            dx = samples[None, None, :] - (cx - left)[:, None, None]  # (B, 1, W): right is positive
            dy = (cy - top)[:, None, None] - samples[None, :, None]  # (B, H, 1): rows go down; make up positive
            angle = factors["rotation"][index][:, None, None]
            cos, sin = torch.cos(angle), torch.sin(angle)
            u = (cos * dx + sin * dy) / radius  # (B, H, W) in the shape's own frame
            v = (cos * dy - sin * dx) / radius
            mask = inside(u, v).float().view(len(index), window, ss, window, ss).mean(dim=(2, 4))
            rows = (top[:, None] + offsets)[:, :, None]  # (B, W, 1)
            cols = (left[:, None] + offsets)[:, None, :]  # (B, 1, W)
            images[index[:, None, None], 0, rows, cols] = mask
    return images


def _cached_render(factors: dict[str, torch.Tensor], image_size: int, seed: int) -> torch.Tensor:
    """`_render`, read from a file under the data root when one was written for these options.

    Every pixel is a mean of SUPERSAMPLE^2 samples, so it is stored exactly as a uint8 count of the
    samples inside (a quarter of float32's size). A missing, unreadable or odd-shaped file is simply
    rendered again; a folder we cannot write to only costs the render."""
    size, counts = len(factors["shape"]), SUPERSAMPLE**2
    if size < CACHE_MIN_SIZE:
        return _render(factors, image_size)
    path = Path(default_data_root()) / "shapes" / (
        f"shapes-v{RENDER_VERSION}-n{size}-s{image_size}-seed{seed}-ss{SUPERSAMPLE}.npy")
    try:
        stored = np.load(path, allow_pickle=False)
        if stored.shape == (size, 1, image_size, image_size) and stored.dtype == np.uint8:
            return torch.from_numpy(stored).float().div_(counts)  # one allocation: its page faults dominate
    except (OSError, ValueError):
        pass
    images = _render(factors, image_size)
    try:
        buffer = io.BytesIO()
        np.save(buffer, (images * counts).round().to(torch.uint8).numpy())
        write_atomically(path, buffer.getvalue(), mode=0o644)  # two processes may render at once
    except OSError:
        pass
    return images
