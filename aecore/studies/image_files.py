"""The real-world anchor of the compression page: the same images stored as PNG and JPEG files.

A code's bits mean little until they stand beside what a file of the same picture costs, so
`file_anchor` measures every test image as its own PNG (lossless) and as a JPEG at every quality
Pillow offers, and `matched_jpeg` finds the JPEG that reaches a given PSNR.
"""

from __future__ import annotations

import io
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from aecore.metrics import reconstruction_metrics

JPEG_QUALITIES = tuple(range(1, 96))  # Pillow's useful range; above 95 it only grows the file


def _pil(image: np.ndarray) -> Image.Image:
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)  # (C, H, W)
    if pixels.shape[0] not in (1, 3):
        raise ValueError(f"PNG and JPEG hold 1 or 3 channels, these images have {pixels.shape[0]}")
    return Image.fromarray(pixels[0]) if pixels.shape[0] == 1 else Image.fromarray(pixels.transpose(1, 2, 0))


def encode_image(image: Image.Image, **options: Any) -> bytes:
    """The bytes of `image` saved with Pillow's `options` (format="PNG", quality=...)."""
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()


def _from_file(data: bytes, channels: int) -> np.ndarray:
    pixels = np.asarray(Image.open(io.BytesIO(data)), dtype=np.float32) / 255
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)


def jpeg_round_trip(images: torch.Tensor | np.ndarray, quality: int) -> np.ndarray:
    """Each image (N, C, H, W) saved as a JPEG file of `quality` and read back, float32 in [0, 1]."""
    arrays = np.asarray(images, dtype=np.float32)
    return np.stack([_from_file(encode_image(_pil(x), format="JPEG", quality=int(quality)), len(x)) for x in arrays])


def file_anchor(images: torch.Tensor, qualities: Sequence[int] = JPEG_QUALITIES) -> dict[str, Any]:
    """The images (N, C, H, W) each stored as its own PNG file and JPEG file: mean bytes per image of
    the PNG (lossless) and, at each JPEG quality, mean bytes and mean PSNR (as `aecore.metrics`)."""
    x = images.float()
    png = np.mean([len(encode_image(_pil(image), format="PNG", optimize=True)) for image in x.numpy()])
    jpeg: dict[str, list] = {"quality": [int(q) for q in qualities], "bytes": [], "psnr": []}
    for quality in qualities:
        files = [encode_image(_pil(image), format="JPEG", quality=int(quality)) for image in x.numpy()]
        x_hat = torch.from_numpy(np.stack([_from_file(data, x.shape[1]) for data in files]))
        jpeg["bytes"].append(float(np.mean([len(data) for data in files])))
        jpeg["psnr"].append(reconstruction_metrics(x, x_hat)["psnr"])
    return {"images": len(x), "png_bytes": float(png), "jpeg": jpeg}


def matched_jpeg(anchor: dict[str, Any], psnr: float) -> dict[str, Any]:
    """The lowest JPEG quality whose mean PSNR reaches `psnr`: {"quality", "bytes", "psnr",
    "reached"}; when none does, the best quality measured with reached False."""
    jpeg = anchor["jpeg"]
    index = next((i for i, value in enumerate(jpeg["psnr"]) if value >= psnr), None)
    reached = index is not None
    index = int(np.argmax(jpeg["psnr"])) if index is None else index
    return {"quality": jpeg["quality"][index], "bytes": jpeg["bytes"][index], "psnr": jpeg["psnr"][index],
            "reached": reached}


__all__ = ["JPEG_QUALITIES", "encode_image", "file_anchor", "jpeg_round_trip", "matched_jpeg"]
