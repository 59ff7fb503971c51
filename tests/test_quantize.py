"""aecore.studies.quantize: uniform per-unit b-bit quantization of codes, and the PNG/JPEG anchor and
matched-quality search of aecore.studies.compression."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.studies import image_files
from aecore.studies.quantize import SIDE_BITS_PER_UNIT, UniformQuantizer, bits_per_image


@pytest.fixture(scope="module")
def codes() -> tuple[np.ndarray, np.ndarray]:
    """Train and test codes whose units have very different ranges (one constant)."""
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 10.0, 0.01, 0.0])
    return rng.normal(size=(500, 4)) * scale + [0, 5, -3, 2], rng.normal(size=(200, 4)) * scale + [0, 5, -3, 2]


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 8])
def test_at_most_two_to_the_b_values_per_unit(codes, bits) -> None:
    train, test = codes
    quantized = UniformQuantizer(bits).fit(train).quantize(np.concatenate([train, test]))
    for unit in quantized.T:
        assert len(np.unique(unit)) <= 2 ** bits


def test_levels_are_integers_in_range_and_the_ends_are_kept(codes) -> None:
    train, _ = codes
    quantizer = UniformQuantizer(3).fit(train)
    levels = quantizer.encode(train)
    assert levels.dtype == np.int64 and levels.min() == 0 and levels[:, :3].max() == 7
    quantized = quantizer.quantize(train)
    np.testing.assert_allclose(quantized.min(0), train.min(0))
    np.testing.assert_allclose(quantized.max(0), train.max(0))


def test_error_falls_as_bits_grow_and_16_bits_is_almost_exact(codes) -> None:
    train, test = codes
    errors = [np.abs(UniformQuantizer(b).fit(train).quantize(test) - np.clip(test, train.min(0), train.max(0))).max(0)
              for b in (2, 4, 8, 16)]
    for coarse, fine in zip(errors, errors[1:]):
        assert (fine <= coarse + 1e-12).all() and (fine[:3] < coarse[:3]).all()
    # At most half a step: the range over 2^16 - 1 steps.
    assert (errors[-1] <= (train.max(0) - train.min(0)) / (2 ** 16 - 1) / 2 + 1e-12).all()


def test_codes_outside_the_training_range_are_clipped(codes) -> None:
    train, _ = codes
    quantizer = UniformQuantizer(4).fit(train)
    far = np.array([train.max(0) + 100, train.min(0) - 100])
    np.testing.assert_allclose(quantizer.quantize(far), [train.max(0), train.min(0)])


def test_accepts_tensors_and_counts_side_information() -> None:
    quantizer = UniformQuantizer(8).fit(torch.randn(50, 3))
    assert quantizer.quantize(torch.randn(5, 3)).shape == (5, 3)
    assert quantizer.side_bits() == 3 * SIDE_BITS_PER_UNIT
    assert bits_per_image(3, 8) == 24 and bits_per_image(3, 8, images=64) == 24 + 3 * SIDE_BITS_PER_UNIT / 64


@pytest.mark.parametrize("bits", [0, 25, 2.5])
def test_refuses_bad_bit_widths(bits) -> None:
    with pytest.raises(ValueError, match="bits must be an integer"):
        UniformQuantizer(bits).fit(np.zeros((3, 2)))


@pytest.mark.parametrize("z", [np.zeros((0, 2)), np.zeros(4)])
def test_refuses_bad_codes(z) -> None:
    with pytest.raises(ValueError, match="codes must be"):
        UniformQuantizer(4).fit(z)


def test_refuses_codes_of_another_width() -> None:
    quantizer = UniformQuantizer(4).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="fit on 2"):
        quantizer.quantize(np.zeros((3, 5)))


# --- the PNG/JPEG anchor -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def anchor() -> dict:
    images = aecore.load_dataset("digits").images[:40]
    return image_files.file_anchor(images, qualities=(1, 10, 30, 60, 95))


def test_jpeg_gets_better_and_bigger_with_quality(anchor) -> None:
    jpeg = anchor["jpeg"]
    assert anchor["images"] == 40 and anchor["png_bytes"] > 0
    assert jpeg["quality"] == [1, 10, 30, 60, 95]
    assert jpeg["psnr"] == sorted(jpeg["psnr"]) and jpeg["bytes"] == sorted(jpeg["bytes"])


def test_matched_jpeg_is_the_lowest_quality_that_reaches_the_psnr(anchor) -> None:
    psnr = anchor["jpeg"]["psnr"]
    match = image_files.matched_jpeg(anchor, (psnr[1] + psnr[2]) / 2)
    assert match["quality"] == 30 and match["reached"] and match["psnr"] == psnr[2]
    assert image_files.matched_jpeg(anchor, 0.0)["quality"] == 1
    too_high = image_files.matched_jpeg(anchor, 200.0)
    assert too_high["quality"] == 95 and not too_high["reached"]


def test_jpeg_round_trip_keeps_shape_and_is_close_at_high_quality() -> None:
    images = aecore.load_dataset("digits").images[:4].numpy()
    back = image_files.jpeg_round_trip(images, 95)
    assert back.shape == images.shape and back.dtype == np.float32
    assert np.abs(back - images).mean() < 0.05
