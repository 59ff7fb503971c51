"""Image grids: the app's own tiling lays images out exactly as torchvision's make_grid does."""

from __future__ import annotations

import pytest
import torch
from torchvision.utils import make_grid

from ui.core.gallery import compose_grid, tile


@pytest.mark.parametrize("shape, ncols, padding", [((7, 1, 8, 8), 3, 2), ((10, 3, 5, 4), 4, 2),
                                                    ((225, 1, 8, 8), 15, 0), ((3, 1, 8, 8), 10, 2)])
def test_tile_matches_make_grid(shape, ncols, padding):
    images = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    assert torch.equal(tile(images, ncols, padding, 0.5), make_grid(images, nrow=ncols, padding=padding, pad_value=0.5))


def test_compose_grid_enlarges_and_pads():
    picture = compose_grid(torch.zeros(20, 1, 8, 8), ncols=10, tile_px=56)
    assert picture.shape == (2 * (56 + 2) + 2, 10 * (56 + 2) + 2, 3) and picture.dtype.name == "uint8"
    assert picture[0, 0].tolist() == [128, 128, 128] and picture[2, 2].tolist() == [0, 0, 0]
