"""Paths through code space: interpolation between two codes, and one-dimension traversals."""

from __future__ import annotations

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor
MODES = ("linear", "slerp")


def _as_codes(z: ArrayLike, what: str) -> np.ndarray:
    array = np.asarray(z.detach().cpu() if isinstance(z, torch.Tensor) else z, dtype=np.float64)
    if array.ndim != 1 or array.size == 0 or not np.isfinite(array).all():
        raise ValueError(f"{what} must be one finite code vector (d,), got shape {array.shape}")
    return array


def interpolate(z0: ArrayLike, z1: ArrayLike, steps: int, mode: str = "linear") -> np.ndarray:
    """`steps` codes from z0 to z1, both ends included, as float32 (steps, d).

    "linear" walks the straight line. "slerp" walks the great circle between the two directions
    while the length changes linearly (White, "Sampling generative networks", 2016): under a
    Gaussian prior most mass sits near a sphere, and the straight line cuts through its
    low-probability middle.
    """
    a, b = _as_codes(z0, "z0"), _as_codes(z1, "z1")
    if a.shape != b.shape:
        raise ValueError(f"z0 and z1 must have the same size, got {a.shape} and {b.shape}")
    if int(steps) != steps or steps < 2:
        raise ValueError(f"steps must be an integer of at least 2 (both ends), got {steps}")
    if mode not in MODES:
        raise ValueError(f"unknown interpolation mode {mode!r}; valid modes: {', '.join(MODES)}")
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    if mode == "linear":
        return ((1 - t) * a + t * b).astype(np.float32)
    norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
    if norm_a == 0 or norm_b == 0:  # no direction to turn from: the straight line is the only path
        return ((1 - t) * a + t * b).astype(np.float32)
    u, v = a / norm_a, b / norm_b
    omega = np.arccos(np.clip(u @ v, -1.0, 1.0))
    if omega < 1e-6:
        direction = (1 - t) * u + t * v
    else:
        direction = (np.sin((1 - t) * omega) * u + np.sin(t * omega) * v) / np.sin(omega)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    return (direction * ((1 - t) * norm_a + t * norm_b)).astype(np.float32)


def traverse(z: ArrayLike, dim: int, values: ArrayLike, scale: float = 1.0) -> np.ndarray:
    """Copies of code z (d,) with dimension `dim` set to each of `values` * scale: (len(values), d).

    For a VAE pass the posterior standard deviation of that dimension as `scale` to sweep in
    standard deviations around zero; the other dimensions stay as in z."""
    base = _as_codes(z, "z")
    if int(dim) != dim or not 0 <= dim < base.size:
        raise ValueError(f"dim must be an integer from 0 to {base.size - 1}, got {dim}")
    sweep = np.asarray(values, dtype=np.float64).reshape(-1)
    if sweep.size == 0 or not np.isfinite(sweep).all():
        raise ValueError("values must be a non-empty list of finite numbers")
    codes = np.repeat(base[None], sweep.size, axis=0)
    codes[:, int(dim)] = sweep * scale
    return codes.astype(np.float32)
