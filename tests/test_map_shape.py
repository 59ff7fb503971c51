"""aecore.latent.shape: the numbers the latent map states under its title."""

from __future__ import annotations

import numpy as np
import pytest

from aecore.latent.shape import map_shape
from conftest import open_page


def test_a_unit_gaussian_is_unit_and_labels_scattered_at_random_are_at_chance():
    rng = np.random.default_rng(0)
    points, labels = rng.normal(size=(2000, 2)), rng.integers(0, 4, 2000)
    shape = map_shape(points, labels)
    assert shape["off_unit"] == pytest.approx(1.0, abs=0.05)
    assert shape["chance"] == pytest.approx(0.25, abs=0.02)
    assert shape["same_class_share"] == pytest.approx(shape["chance"], abs=0.03)


def test_separated_classes_keep_their_neighbours_and_a_stretched_cloud_is_off_unit():
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 300)
    points = rng.normal(size=(600, 2)) * 0.1 + labels[:, None] * np.array([3.0, 0.0])
    shape = map_shape(points, labels)
    assert shape["same_class_share"] == 1.0
    assert shape["off_unit"] == pytest.approx(1 / points[:, 1].std(), rel=1e-6)  # 0.1 wide: ten times too narrow
    assert "same_class_share" not in map_shape(points)  # no labels, no class numbers


def test_a_map_must_be_two_columns():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        map_shape(np.zeros((5, 3)))


def test_the_latent_map_states_how_its_classes_and_spread_read():
    at = open_page("pages/latent_map.py", model="digits-vae-2")
    words = "\n".join(c.value for c in at.caption)
    assert "nearest dots" in words and "are of its class" in words
    assert "N(0, I) has 1 by 1" in words  # a 2-D code's own plane: its scale is the prior's to compare
    at = open_page("pages/latent_map.py", model="digits-ae-8")
    words = "\n".join(c.value for c in at.caption)
    assert "nearest dots" in words and "N(0, I) has 1 by 1" not in words  # a PCA of an 8-D code: no scale to judge
