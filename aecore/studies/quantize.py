"""Uniform scalar quantization of codes, per unit, with b bits: what storing a code really costs.

Each code unit j gets its own range [low_j, high_j], measured on the training codes, cut into
2^b - 1 equal steps (the "compression" concept's formula):

    step_j = (high_j - low_j) / (2^b - 1),   level = round((z_j - low_j) / step_j),   z_hat_j = low_j + step_j * level

A code then costs k*b bits per image, plus the side information stored once for all images: each
unit's low and high as 32-bit floats (64*k bits), and the decoder itself.

    quantizer = UniformQuantizer(bits=4).fit(train_codes)   # (N, k) numpy or torch
    z_hat = quantizer.quantize(test_codes)                  # at most 16 distinct values per unit
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_BITS, MAX_BITS = 1, 24
SIDE_BITS_PER_UNIT = 64  # low and high of a unit, each a float32


def _as_codes(z: Any) -> np.ndarray:
    codes = np.asarray(z.detach().cpu().numpy() if hasattr(z, "detach") else z, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[0] == 0:
        raise ValueError(f"codes must be a non-empty array (N, k), got shape {codes.shape}")
    return codes


class UniformQuantizer:
    """b-bit uniform quantizer with one range per code unit (scikit-learn conventions: `fit`
    returns self, learned attributes end in `_`)."""

    def __init__(self, bits: int = 8) -> None:
        self.bits = bits

    def fit(self, z: Any) -> "UniformQuantizer":
        """Measure each unit's range on codes z (N, k)."""
        if int(self.bits) != self.bits or not MIN_BITS <= self.bits <= MAX_BITS:
            raise ValueError(f"bits must be an integer from {MIN_BITS} to {MAX_BITS}, got {self.bits}")
        codes = _as_codes(z)
        self.low_, self.high_ = codes.min(axis=0), codes.max(axis=0)
        self.levels_ = 2 ** int(self.bits)
        # A unit that never moves has step 0: every code maps to level 0, its one value.
        self.step_ = (self.high_ - self.low_) / (self.levels_ - 1)
        return self

    def encode(self, z: Any) -> np.ndarray:
        """Codes (N, k) -> integer levels in [0, 2^b - 1]; codes outside the training range are
        clipped to it (a real codec has no other place to put them)."""
        codes = _as_codes(z)
        if codes.shape[1] != len(self.low_):
            raise ValueError(f"codes have {codes.shape[1]} units, the quantizer was fit on {len(self.low_)}")
        safe_step = np.where(self.step_ > 0, self.step_, 1.0)
        levels = np.rint((np.clip(codes, self.low_, self.high_) - self.low_) / safe_step)
        return levels.astype(np.int64)

    def decode(self, levels: np.ndarray) -> np.ndarray:
        """Integer levels (N, k) -> the codes they stand for (float64)."""
        return self.low_ + self.step_ * np.asarray(levels, dtype=np.float64)

    def quantize(self, z: Any) -> np.ndarray:
        """Codes (N, k) -> their quantized values (float64): decode(encode(z))."""
        return self.decode(self.encode(z))

    def side_bits(self) -> int:
        """Bits stored once for all images: each unit's low and high as float32."""
        return SIDE_BITS_PER_UNIT * len(self.low_)


def bits_per_image(latent_dim: int, bits: int, images: int | None = None) -> float:
    """k*b, the bits of one image's code; with `images`, plus the side information spread over them."""
    code = float(latent_dim * bits)
    return code if images is None else code + SIDE_BITS_PER_UNIT * latent_dim / images


__all__ = ["MAX_BITS", "MIN_BITS", "SIDE_BITS_PER_UNIT", "UniformQuantizer", "bits_per_image"]
