"""How a rate-distortion sweep (`aecore.studies.compression`) is stored: one JSON file, its images inside as
8-bit PNG. The shipped sweeps of the embedded datasets and the sweeps measured on a user's copy of a
downloaded one (`aecore.studies.sweep_models`) are both kept so."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from aecore.files import write_atomically
from aecore.studies.image_files import encode_image

SWEEP_FORMAT = "aecore-rate-distortion-2"


def write_sweep(sweep: dict[str, Any], path: str | os.PathLike) -> None:
    """Store `sweep` (the layout of `aecore.studies.compression.complete_sweep`) at `path`, atomically."""
    write_atomically(Path(path), json.dumps(_to_json(sweep), separators=(",", ":")), mode=0o644)


def read_sweep(path: str | os.PathLike, rebuild: str) -> dict[str, Any]:
    """The sweep stored at `path`, its images float32 arrays again; ValueError naming `rebuild` (what
    makes it) when it is missing or of another format."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no precomputed sweep at {path}; {rebuild}")
    stored = json.loads(path.read_text("utf-8"))
    if stored.get("format") != SWEEP_FORMAT:
        raise ValueError(f"{path} is not a current rate-distortion sweep (format {stored.get('format')!r}); {rebuild}")
    stored["images"] = _from_png(stored["images"])
    for row in stored["rows"]:
        for key in [key for key in row if key.endswith("images")]:
            row[key] = _from_png(row[key])
    return stored


def read_anchor(path: str | os.PathLike) -> dict[str, Any] | None:
    """Only the PNG/JPEG anchor of the sweep stored at `path` (None without one)."""
    path = Path(path)
    if not path.is_file():
        return None
    stored = json.loads(path.read_text("utf-8"))
    return stored.get("anchor") if stored.get("format") == SWEEP_FORMAT else None


def _to_json(value: Any) -> Any:
    # Images as one 8-bit grayscale PNG of their pixels (rows of W), with their shape: what a
    # screen shows, and PNG packs the flat backgrounds of these images to a fraction.
    if isinstance(value, np.ndarray):
        pixels = np.round(value.clip(0, 1) * 255).astype(np.uint8).reshape(-1, value.shape[-1])
        png = encode_image(Image.fromarray(pixels), format="PNG", optimize=True)
        return {"shape": list(value.shape), "png": base64.b64encode(png).decode("ascii")}
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value


def _from_png(stored: dict[str, Any]) -> np.ndarray:
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(stored["png"]))), dtype=np.float32)
    return (pixels / 255).reshape(stored["shape"])


__all__ = ["SWEEP_FORMAT", "read_anchor", "read_sweep", "write_sweep"]
