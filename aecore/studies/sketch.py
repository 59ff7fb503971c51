"""A drawing turned into a dataset image, and what a model makes of it: its code, rebuild and anomaly score.

A sketch arrives as pen strokes on a square canvas (points in canvas pixels, one pen width each). It
is rasterised at the canvas size, then brought to the dataset's image size the way the dataset's own
images were made, so the model sees it as it saw its training images:
- MNIST (LeCun et al. 1998; KMNIST alike): the ink's bounding box scaled, aspect kept, to fit a 20x20
  box with anti-aliasing, then placed in 28x28 so that its centre of mass is the image centre;
- Fashion-MNIST (Xiao et al. 2017): trimmed to the ink, the longest edge resized to 28, centred;
- scikit-learn's digits (UCI optdigits): the ink normalised to a 32x32 bitmap (height filled, aspect
  kept, centred), then the ink counted in 4x4 blocks: 8x8 values in steps of 1/16;
- shapes and anything else grey: the whole canvas scaled down (where a shape sits is one of its factors).

The model is then compared with its own test images: their codes (for the map) and their
reconstruction errors (for the anomaly percentile), measured once per model (`measure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw

from aecore.models import Autoencoder

CANVAS_PX = 280  # the canvas side in pixels: 10x an MNIST image, so a pen of 18-22 px draws MNIST-like strokes
MAX_STROKES = 500
MAX_POINTS = 20_000  # over all strokes: a sketch is a few hundred; more is no drawing (or a hostile client)
MAX_PEN = 64
INK = 0.05  # a pixel counts as ink from this grey level on (anti-aliased edges are fainter)
EMPTY_MESSAGE = "The canvas is empty: draw on it with the mouse (or a finger), then release to see what the model makes of it."
# How each dataset's images were made (module docstring); a dataset not named here is scaled whole.
RECIPES: dict[str, str] = {"mnist": "mnist", "kmnist": "mnist", "fashion-mnist": "fashion", "digits": "digits"}
RECIPE_WORDS: dict[str, str] = {
    "mnist": "as MNIST was made: the ink's box scaled into 20×20 (aspect kept), centred by its centre of mass in 28×28",
    "fashion": "as Fashion-MNIST was made: trimmed to the ink, the longest edge scaled to 28, centred",
    "digits": "as scikit-learn's digits were made: the ink scaled to fill a 32×32 bitmap, counted in 4×4 blocks",
    "whole": "the whole canvas scaled down: where a shape sits is one of its factors",
}


@dataclass
class Stroke:
    """One pen stroke: its points (K, 2) as (x, y) canvas pixels, y down, and the pen's width in pixels."""

    points: np.ndarray
    width: float


def parse_strokes(value: Any, canvas_px: int = CANVAS_PX) -> list[Stroke]:
    """Strokes from the canvas's payload, a list of {"w": pen width, "p": [x0, y0, x1, y1, ...]}.

    The payload comes from a browser, so anything else raises ValueError; points outside the canvas
    are clipped to it (a stroke may leave the canvas while the button is held)."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"strokes must be a list of {{'w': width, 'p': [x, y, ...]}}, got {type(value).__name__}")
    if len(value) > MAX_STROKES:
        raise ValueError(f"a sketch holds at most {MAX_STROKES} strokes, got {len(value)}: press Clear and draw again")
    strokes, total = [], 0
    for item in value:
        points, width = (item.get("p"), item.get("w")) if isinstance(item, dict) else (None, None)
        if not isinstance(points, (list, tuple)) or len(points) < 2 or len(points) % 2:
            raise ValueError("each stroke needs its points as a flat list [x0, y0, x1, y1, ...]")
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not 1 <= width <= MAX_PEN:
            raise ValueError(f"each stroke's pen width must be a number from 1 to {MAX_PEN} pixels, got {width!r}")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in points):
            raise ValueError("stroke points must be numbers")
        xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(xy).all():
            raise ValueError("stroke points must be finite numbers")
        total += len(xy)
        if total > MAX_POINTS:
            raise ValueError(f"a sketch holds at most {MAX_POINTS} points: press Clear and draw again")
        strokes.append(Stroke(np.clip(xy, 0, canvas_px), float(width)))
    return strokes


def rasterize(strokes: list[Stroke], canvas_px: int = CANVAS_PX, last: int = 1) -> list[np.ndarray]:
    """The strokes drawn white on black with round pens, as the canvas shows them: the canvas (S, S)
    float32 in [0, 1] after each of the last `last` strokes, the whole drawing last (one canvas for
    no strokes). Drawn once, stroke after stroke, so the steps cost no more than the drawing."""
    picture = Image.new("L", (canvas_px, canvas_px), 0)
    pen = ImageDraw.Draw(picture)
    steps = [] if strokes else [np.zeros((canvas_px, canvas_px), np.float32)]
    for index, stroke in enumerate(strokes):
        points = [tuple(p) for p in stroke.points.tolist()]
        radius = stroke.width / 2
        if len(points) > 1:
            pen.line(points, fill=255, width=max(1, round(stroke.width)), joint="curve")
        for x, y in (points[0], points[-1]):  # round caps, and a lone click draws a dot
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
        if index >= len(strokes) - last:
            steps.append(np.asarray(picture, dtype=np.float32) / 255.0)
    return steps


def recipe_for(dataset: str, image_shape: tuple[int, ...]) -> str:
    """The key of RECIPE_WORDS that makes a sketch into an image of `dataset`; ValueError for colour images."""
    channels, height, width = image_shape
    if channels != 1:
        raise ValueError(f"drawing works on grey images; {dataset} has {channels} colour channels: "
                         "choose a grey dataset (MNIST, Fashion-MNIST, digits, shapes) in the sidebar")
    recipe = RECIPES.get(dataset, "whole")
    natural = {"mnist": (28, 28), "fashion": (28, 28), "digits": (8, 8)}
    return recipe if natural.get(recipe, (height, width)) == (height, width) else "whole"


def _ink_box(canvas: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero((canvas > INK).any(1)), np.flatnonzero((canvas > INK).any(0))
    if len(rows) == 0:
        raise ValueError(EMPTY_MESSAGE)
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _fit(canvas: np.ndarray, box: int, resample: Image.Resampling) -> np.ndarray:
    """The ink's bounding box scaled, aspect kept, so its longer side is `box` pixels: (h, w) float32."""
    top, bottom, left, right = _ink_box(canvas)
    crop = canvas[top:bottom, left:right]
    scale = box / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))  # PIL: (w, h)
    picture = Image.fromarray((crop * 255).astype(np.uint8)).resize(size, resample)
    return np.asarray(picture, dtype=np.float32) / 255.0


def _paste(small: np.ndarray, side: int, top: int, left: int) -> np.ndarray:
    top, left = min(max(top, 0), side - small.shape[0]), min(max(left, 0), side - small.shape[1])
    frame = np.zeros((side, side), np.float32)
    frame[top:top + small.shape[0], left:left + small.shape[1]] = small
    return frame


def _mnist(canvas: np.ndarray) -> np.ndarray:
    small = _fit(canvas, 20, Image.Resampling.LANCZOS).clip(0, 1)
    rows, cols = np.indices(small.shape)
    mass = small.sum()
    centre_y, centre_x = (rows * small).sum() / mass, (cols * small).sum() / mass
    # Translate so the centre of mass lands on the middle of the 28x28 field (13.5 in pixel indices).
    return _paste(small, 28, round(13.5 - centre_y), round(13.5 - centre_x))


def _fashion(canvas: np.ndarray) -> np.ndarray:
    small = _fit(canvas, 28, Image.Resampling.LANCZOS).clip(0, 1)
    return _paste(small, 28, (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2)


def _digits(canvas: np.ndarray) -> np.ndarray:
    # The optdigits bitmaps are binary 32x32, the digit's height filling the frame; a 4x4 block's
    # share of ink pixels is its 8x8 value (counts 0..16, loaded as /16).
    small = _fit(canvas, 32, Image.Resampling.LANCZOS)
    bitmap = _paste((small > 0.5).astype(np.float32), 32, (32 - small.shape[0]) // 2, (32 - small.shape[1]) // 2)
    return bitmap.reshape(8, 4, 8, 4).mean((1, 3))


def _whole(canvas: np.ndarray, height: int, width: int) -> np.ndarray:
    _ink_box(canvas)  # an empty canvas says so, as the others do
    picture = Image.fromarray((canvas * 255).astype(np.uint8)).resize((width, height), Image.Resampling.BOX)
    return np.asarray(picture, dtype=np.float32) / 255.0


def prepare(canvas: np.ndarray, dataset: str, image_shape: tuple[int, ...]) -> torch.Tensor:
    """A rasterised canvas (S, S) in [0, 1] as one image (C, H, W) of `dataset`, made the way its images
    were (module docstring). ValueError with EMPTY_MESSAGE for an empty canvas, or for colour images."""
    recipe = recipe_for(dataset, tuple(image_shape))
    _, height, width = image_shape
    if recipe == "mnist":
        image = _mnist(canvas)
    elif recipe == "fashion":
        image = _fashion(canvas)
    elif recipe == "digits":
        image = _digits(canvas)
    else:
        image = _whole(canvas, height, width)
    return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None]


def sketch_image(value: Any, dataset: str, image_shape: tuple[int, ...], canvas_px: int = CANVAS_PX) -> torch.Tensor:
    """The canvas payload (see `parse_strokes`) as one image (C, H, W) of `dataset`."""
    return sketch_steps(value, dataset, image_shape, 1, canvas_px)[0]


def sketch_steps(value: Any, dataset: str, image_shape: tuple[int, ...], last: int,
                 canvas_px: int = CANVAS_PX) -> torch.Tensor:
    """The drawing as images (T, C, H, W) of `dataset` after each of its last `last` strokes (T of
    them, the whole drawing last): how it grew, stroke by stroke."""
    canvases = rasterize(parse_strokes(value, canvas_px), canvas_px, last)
    return torch.stack([prepare(canvas, dataset, image_shape) for canvas in canvases])


# --- the model's test images, measured once per model ------------------------------------------------
@torch.no_grad()
def measure(model: Autoencoder | bytes, images: torch.Tensor | str, data_root: str | None = None) -> dict[str, np.ndarray]:
    """{"codes" (N, d), "scores" (N,)}: the codes of `images` and their reconstruction MSE per pixel,
    the anomaly score of `aecore.anomaly`, in one pass. As a job for the server's queue, give the
    model as checkpoint bytes and the images as a dataset name: its test split as the app shows it is used, read from
    `data_root` when given (the server's data folder: a worker may have started with another)."""
    if isinstance(model, (bytes, bytearray)):
        from aecore.checkpoint import load

        model = load(bytes(model))
    if isinstance(images, str):
        from aecore.data import load_split

        options = {} if data_root is None else {"root": data_root, "download": False}
        images = load_split(images, **options)[1].images
    output = model.infer(images)  # never switches the mode of a model other sessions share
    scores = (output.x_hat - images).pow(2).flatten(1).mean(1)
    return {"codes": output.z.numpy().astype(np.float32), "scores": scores.double().numpy()}


@dataclass
class Reference:
    """A model's test images as a sketch is compared with them: codes, their 2-D map, errors, labels."""

    codes: np.ndarray  # (N, d)
    scores: np.ndarray  # (N,) reconstruction MSE per pixel
    labels: np.ndarray | None  # (N,) class of each test image
    mean: np.ndarray  # (d,) the map is (z - mean) @ axes.T: PCA of the codes, or the code itself when 2-D
    axes: np.ndarray  # (2, d)
    embedding: np.ndarray  # (N, 2)
    method: str  # "2-D code" or "PCA"

    def place(self, codes: np.ndarray) -> np.ndarray:
        """Codes (M, d) as points (M, 2) of the same map."""
        return (np.asarray(codes, np.float64) - self.mean) @ self.axes.T


def reference(codes: np.ndarray, scores: np.ndarray, labels: np.ndarray | None = None) -> Reference:
    """The map and error distribution a sketch is placed in: 2-D codes as they are, else their PCA
    (a linear map, so a new code lands exactly where PCA puts it: no refit, no approximation)."""
    codes, scores = np.asarray(codes, np.float64), np.asarray(scores, np.float64)
    if codes.ndim != 2 or len(codes) < 3 or len(scores) != len(codes):
        raise ValueError(f"need codes (N, d) with N >= 3 and one score per code, got {codes.shape} and {scores.shape}")
    if codes.shape[1] <= 2:
        mean, axes, method = np.zeros(codes.shape[1]), np.eye(2, codes.shape[1]), "2-D code"
    else:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=0).fit(codes)
        mean, axes, method = pca.mean_, pca.components_, "PCA"
    found = Reference(codes, scores, None if labels is None else np.asarray(labels), mean, axes, np.empty(0), method)
    found.embedding = found.place(codes)
    return found


def percentile(score: float, scores: np.ndarray) -> float:
    """The share of `scores` below `score`, in percent (ties count half): 0 = rebuilt better than every
    test image, 100 = worse than every one."""
    scores = np.asarray(scores, np.float64)
    if scores.size == 0:
        raise ValueError("no test scores to compare with")
    return float(100.0 * ((scores < score).sum() + 0.5 * (scores == score).sum()) / scores.size)


@dataclass
class Seen:
    """What a model makes of one sketch."""

    image: torch.Tensor  # (C, H, W) the sketch as a dataset image
    code: np.ndarray  # (d,)
    reconstruction: torch.Tensor  # (C, H, W)
    score: float  # reconstruction MSE per pixel
    percentile: float  # of `score` among the test images' scores, 0..100
    point: np.ndarray  # (2,) on the reference map
    neighbours: np.ndarray  # positions of the nearest test codes, nearest first


@torch.no_grad()
def see(model: Autoencoder, image: torch.Tensor, ref: Reference, neighbours: int = 10) -> Seen:
    """Encode and rebuild one image (one encode and one decode: milliseconds) and place it among the
    test images: on their map, in their error distribution, beside its nearest codes."""
    x = image[None]
    output = model.infer(x)
    x_hat, code = output.x_hat, output.z[0].numpy().astype(np.float64)
    score = float((x_hat - x).pow(2).mean())
    distances = ((ref.codes - code) ** 2).sum(1)
    count = min(neighbours, len(distances))
    nearest = np.argpartition(distances, count - 1)[:count] if count else np.zeros(0, int)
    nearest = nearest[np.argsort(distances[nearest])]
    return Seen(image, code, x_hat[0], score, percentile(score, ref.scores), ref.place(code[None])[0], nearest)


@torch.no_grad()
def places(model: Autoencoder, images: torch.Tensor, ref: Reference) -> np.ndarray:
    """Where images (T, C, H, W) land on the reference map: (T, 2), one batched encode."""
    return ref.place(model.infer_codes(images).numpy())


@torch.no_grad()
def denoise(model: Autoencoder, image: torch.Tensor) -> torch.Tensor:
    """`image` (C, H, W) through a (denoising) autoencoder: its rebuild (C, H, W)."""
    return model.infer(image[None]).x_hat[0]


def likely_class(ref: Reference, seen: Seen, classes: list[str]) -> tuple[str, int] | None:
    """(the most common class among the sketch's nearest test codes, how many of them), or None unlabelled."""
    if ref.labels is None or not classes:
        return None
    counts = np.bincount(ref.labels[seen.neighbours].astype(int), minlength=len(classes))
    return classes[int(counts.argmax())], int(counts.max())


__all__ = ["CANVAS_PX", "EMPTY_MESSAGE", "RECIPE_WORDS", "Reference", "Seen", "Stroke", "denoise", "likely_class",
           "measure", "parse_strokes", "percentile", "places", "prepare", "rasterize", "recipe_for", "reference",
           "see", "sketch_image", "sketch_steps"]
