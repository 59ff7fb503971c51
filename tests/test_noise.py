"""Noise: each kind's statistics match its level, the seed fixes the draw, values stay in [0, 1]."""

from __future__ import annotations

import pytest
import torch

from aecore import noise

GRAY = torch.full((64, 1, 28, 28), 0.5)  # mid-gray: gaussian noise of small sigma is not clipped


def test_list_noise_names_every_kind():
    assert noise.list_noise() == ["gaussian", "salt_pepper", "mask", "block"]


@pytest.mark.parametrize("kind", noise.list_noise())
@pytest.mark.parametrize("level", [0.0, 0.1, 0.5, 1.0])
def test_output_in_range_same_shape_input_untouched(kind, level):
    x = torch.rand(8, 3, 32, 32)
    original = x.clone()
    y = noise.corrupt(x, kind, level, seed=0)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert 0 <= y.min() and y.max() <= 1
    assert torch.equal(x, original)
    if level == 0:
        assert torch.equal(y, x) and y is not x


@pytest.mark.parametrize("kind", noise.list_noise())
def test_same_seed_same_corruption(kind):
    x = torch.rand(16, 1, 28, 28)
    assert torch.equal(noise.corrupt(x, kind, 0.3, seed=7), noise.corrupt(x, kind, 0.3, seed=7))
    assert not torch.equal(noise.corrupt(x, kind, 0.3, seed=7), noise.corrupt(x, kind, 0.3, seed=8))


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.1])
def test_gaussian_measured_sigma_matches_level(sigma):
    y = noise.corrupt(GRAY, "gaussian", sigma, seed=0)
    assert abs((y - GRAY).std().item() - sigma) < 0.05 * sigma
    assert abs((y - GRAY).mean().item()) < 0.01


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_mask_drops_the_requested_fraction_of_pixels(fraction):
    x = torch.full((32, 3, 28, 28), 0.7)
    y = noise.corrupt(x, "mask", fraction, seed=0)
    dropped = (y == 0).float()
    assert abs(dropped.mean().item() - fraction) < 0.01
    assert torch.equal(dropped[:, 0], dropped[:, 2])  # a pixel is dropped in every channel at once


def test_salt_and_pepper_hits_the_fraction_half_white_half_black():
    y = noise.corrupt(GRAY, "salt_pepper", 0.2, seed=0)
    white, black = (y == 1).float().mean().item(), (y == 0).float().mean().item()
    assert abs(white + black - 0.2) < 0.01 and abs(white - black) < 0.01


def test_block_occludes_one_square_of_relative_size():
    x = torch.ones(10, 1, 20, 20)
    y = noise.corrupt(x, "block", 0.25, seed=0)
    assert ((y == 0).flatten(1).sum(1) == 25).all()  # a 5x5 square in every image
    rows = (y[0, 0] == 0).any(1).nonzero().flatten()
    assert rows.max() - rows.min() == 4  # contiguous


def test_unbatched_images_work():
    assert noise.corrupt(torch.rand(28, 28), "block", 0.5, seed=0).shape == (28, 28)
    assert noise.corrupt(torch.rand(1, 28, 28), "mask", 0.5, seed=0).shape == (1, 28, 28)


@pytest.mark.parametrize(
    "kind, level, message",
    [
        ("blur", 0.1, "unknown noise kind 'blur'; valid kinds: gaussian, salt_pepper, mask, block"),
        ("gaussian", -0.1, r"must be in \[0.0, 1.0\]"),
        ("mask", 1.5, r"fraction of pixels dropped to 0 and must be in \[0.0, 1.0\]"),
    ],
)
def test_bad_kind_or_level_is_a_clear_error(kind, level, message):
    with pytest.raises(ValueError, match=message):
        noise.corrupt(torch.rand(2, 1, 8, 8), kind, level)
