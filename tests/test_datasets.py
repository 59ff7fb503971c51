"""Tests for aecore.data: the registry, the ImageDataset contract (split, from_arrays) and the built-in
sets, one test per bad input. The loaders of files (IDX, npz, image folders and zips, the
torchvision sets) are tested in test_dataset_files.py.

Nothing here touches the network (conftest's `offline` fixture).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.data import ImageDataset, dataset_options, registry

pytestmark = pytest.mark.usefixtures("offline")


@pytest.fixture(scope="module")
def digits() -> ImageDataset:
    return aecore.load_dataset("digits")


@pytest.fixture(scope="module")
def shapes() -> ImageDataset:
    return aecore.load_dataset("shapes", size=600, seed=0)


# ---- registry -------------------------------------------------------------------------------------

def test_list_datasets_is_sorted_and_has_every_builtin() -> None:
    names = aecore.list_datasets()
    assert names == sorted(names)
    assert {"digits", "shapes", "mnist", "fashion-mnist", "kmnist", "cifar10", "folder", "npz", "idx"} <= set(names)


def test_a_new_dataset_is_one_decorated_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_LOADERS", dict(registry._LOADERS))  # undone after the test

    @aecore.register_dataset("Tiny")
    def tiny(*, n: int = 3) -> ImageDataset:
        return ImageDataset.from_arrays(np.zeros((n, 4, 4)))

    assert "tiny" in aecore.list_datasets()
    assert len(aecore.load_dataset("tiny", n=5)) == 5
    assert dataset_options("tiny") == {"n": 3}


def test_registering_a_taken_name_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_LOADERS", dict(registry._LOADERS))
    with pytest.raises(ValueError, match="already registered"):
        aecore.register_dataset("digits")(lambda: None)


def test_names_are_case_insensitive(digits: ImageDataset) -> None:
    assert len(aecore.load_dataset("DIGITS")) == len(digits)


def test_unknown_dataset_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'mnsit'.*digits.*shapes"):
        aecore.load_dataset("mnsit")


def test_unknown_option_lists_accepted_options() -> None:
    with pytest.raises(ValueError, match="unknown option.*imagesize.*accepted options: size, image_size, seed"):
        aecore.load_dataset("shapes", imagesize=28)


def test_missing_required_option_is_named() -> None:
    with pytest.raises(ValueError, match="needs the option.*path"):
        aecore.load_dataset("npz")


# ---- ImageDataset, digits and split ----------------------------------------------------------------

def test_digits_is_the_default_and_has_1797_gray_8x8_images(digits: ImageDataset) -> None:
    assert aecore.load_dataset().name == "digits"
    assert digits.images.shape == (1797, 1, 8, 8) and digits.images.dtype == torch.float32
    assert digits.images.min() == 0 and digits.images.max() == 1
    assert digits.labels.dtype == torch.int64 and set(digits.labels.tolist()) == set(range(10))
    assert digits.classes == [str(d) for d in range(10)]
    assert digits.image_shape == (1, 8, 8) and len(digits) == 1797 and digits.factors is None
    assert repr(digits) == "ImageDataset(name='digits', images=1797 x 1x8x8, classes=10)"


def test_split_sizes_and_stratification(digits: ImageDataset) -> None:
    train, test = digits.split(test_fraction=0.2, seed=0)
    assert (len(train), len(test)) == (1437, 360)
    counts, test_counts = torch.bincount(digits.labels), torch.bincount(test.labels, minlength=10)
    assert (test_counts - 0.2 * counts).abs().max() <= 1  # each class keeps its share
    assert train.classes == test.classes == digits.classes


def test_split_is_deterministic_by_seed(digits: ImageDataset) -> None:
    first, again, other = digits.split(seed=0)[1], digits.split(seed=0)[1], digits.split(seed=1)[1]
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    assert not torch.equal(first.images, other.images)


def test_split_keeps_factors_aligned_and_covers_every_image(shapes: ImageDataset) -> None:
    train, test = shapes.split(test_fraction=0.25)
    assert len(train) + len(test) == len(shapes)
    every_x = torch.cat([train.factors["x"], test.factors["x"]]).sort().values
    assert torch.equal(every_x, shapes.factors["x"].sort().values)  # no image lost or repeated
    for part in (train, test):
        assert torch.equal(part.labels, part.factors["shape"])
        assert all(len(v) == len(part) for v in part.factors.values())


def test_split_without_labels_and_subset() -> None:
    data = ImageDataset.from_arrays(np.arange(10 * 4).reshape(10, 2, 2))
    train, test = data.split(test_fraction=0.3)
    assert (len(train), len(test)) == (7, 3) and train.labels is None and test.classes == []
    picked = data.subset([3, 1])
    assert torch.equal(picked.images, data.images[[3, 1]])


@pytest.mark.parametrize("fraction", [0, 1, -0.2, 1.5, "0.2"])
def test_split_rejects_a_bad_test_fraction(digits: ImageDataset, fraction: object) -> None:
    with pytest.raises(ValueError, match="test_fraction must be a number strictly between 0 and 1"):
        digits.split(test_fraction=fraction)


# ---- shapes ----------------------------------------------------------------------------------------

def test_shapes_are_deterministic_by_seed(shapes: ImageDataset) -> None:
    again = aecore.load_dataset("shapes", size=600, seed=0)
    other = aecore.load_dataset("shapes", size=600, seed=1)
    assert torch.equal(shapes.images, again.images)
    assert all(torch.equal(shapes.factors[k], again.factors[k]) for k in shapes.factors)
    assert not torch.equal(shapes.images, other.images)
    assert not torch.equal(shapes.factors["x"], other.factors["x"])


def test_shapes_factors_have_documented_keys_and_ranges(shapes: ImageDataset) -> None:
    f = shapes.factors
    assert list(f) == ["shape", "scale", "rotation", "x", "y"]
    assert all(v.shape == (600,) for v in f.values())
    assert set(f["shape"].tolist()) == {0, 1, 2, 3}
    assert 0.5 <= f["scale"].min() and f["scale"].max() <= 1
    assert 0 <= f["rotation"].min() and f["rotation"].max() < 2 * torch.pi
    for key in ("x", "y"):
        assert 0 <= f[key].min() and f[key].max() <= 1
    assert torch.equal(shapes.labels, f["shape"])
    assert shapes.classes == ["square", "ellipse", "heart", "triangle"]


@pytest.mark.parametrize("image_size", [28, 32])
def test_shapes_are_white_on_black_and_inside_the_frame(image_size: int) -> None:
    data = aecore.load_dataset("shapes", size=300, image_size=image_size, seed=3)
    x = data.images
    assert x.shape == (300, 1, image_size, image_size) and 0 <= x.min() and x.max() <= 1
    assert (x.amax(dim=(1, 2, 3)) == 1).all()  # every shape has a solid white interior
    assert x.median() == 0  # most pixels are background
    border = torch.cat([x[..., 0, :], x[..., -1, :], x[..., :, 0], x[..., :, -1]], dim=-1)
    assert border.max() == 0  # no shape is cut by the edge


def test_larger_scale_means_more_white_pixels(shapes: ImageDataset) -> None:
    ink = shapes.images.sum(dim=(1, 2, 3))
    squares = shapes.factors["shape"] == 0
    correlation = np.corrcoef(shapes.factors["scale"][squares], ink[squares])[0, 1]
    assert correlation > 0.95


def test_ten_thousand_shapes_render() -> None:
    # How long it takes is measured by bench/bench_data.py, not here: these machines are shared.
    data = aecore.load_dataset("shapes", size=10000, image_size=32)
    assert len(data) == 10000 and tuple(data.images.shape) == (10000, 1, 32, 32)


@pytest.mark.parametrize(("options", "match"), [
    ({"image_size": 64}, "image_size must be 28 or 32"),
    ({"size": 0}, "size must be"),
    ({"seed": 1.5}, "seed must be"),
])
def test_shapes_reject_bad_options(options: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        aecore.load_dataset("shapes", **options)


# ---- from_arrays -----------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
GRAY = RNG.integers(0, 256, size=(5, 6, 7), dtype=np.uint8)  # (N, H, W)
COLOR = RNG.integers(0, 256, size=(5, 6, 7, 3), dtype=np.uint8)  # (N, H, W, C)


@pytest.mark.parametrize(("images", "expected"), [
    (GRAY, GRAY[:, None] / 255),
    (GRAY[..., None], GRAY[:, None] / 255),
    (GRAY[:, None], GRAY[:, None] / 255),
    (COLOR, COLOR.transpose(0, 3, 1, 2) / 255),
    (COLOR.transpose(0, 3, 1, 2), COLOR.transpose(0, 3, 1, 2) / 255),
    (torch.from_numpy(COLOR), COLOR.transpose(0, 3, 1, 2) / 255),
    (GRAY.astype(np.float64), GRAY[:, None] / 255),  # floats above 1 mean 0..255
    (GRAY.astype(np.int64), GRAY[:, None] / 255),
    (GRAY / 255, GRAY[:, None] / 255),  # floats within [0, 1] are kept
    (torch.from_numpy(GRAY / 255).float(), GRAY[:, None] / 255),
], ids=["NHW", "NHW1", "N1HW", "NHW3", "N3HW", "tensor-NHW3", "float-0-255", "int64", "float-0-1", "tensor-float"])
def test_from_arrays_accepts_each_layout_and_dtype(images: object, expected: np.ndarray) -> None:
    data = ImageDataset.from_arrays(images)
    assert data.images.dtype == torch.float32
    torch.testing.assert_close(data.images, torch.from_numpy(expected).float())
    assert data.labels is None and data.classes == [] and data.name == "arrays"


def test_from_arrays_composites_rgba_onto_black() -> None:
    rgba = np.zeros((2, 4, 4, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[1, ..., 3] = 255  # first image fully transparent, second opaque red
    data = ImageDataset.from_arrays(rgba)
    assert data.image_shape == (3, 4, 4)
    assert data.images[0].max() == 0 and torch.equal(data.images[1, 0], torch.ones(4, 4))


def test_from_arrays_labels_and_default_classes() -> None:
    data = ImageDataset.from_arrays(GRAY, labels=[0, 2, 2, 1, 0])
    assert data.labels.dtype == torch.int64 and data.classes == ["0", "1", "2"]
    named = ImageDataset.from_arrays(GRAY, np.array([[0], [1], [1], [0], [0]]), classes=["cat", "dog"], name="pets")
    assert named.classes == ["cat", "dog"] and named.name == "pets" and named.labels.tolist() == [0, 1, 1, 0, 0]


@pytest.mark.parametrize(("images", "labels", "match"), [
    (np.zeros((4, 4)), None, r"must be shaped \(N, H, W\), \(N, H, W, C\)"),
    (np.zeros((2, 1, 4, 4, 1)), None, "must be shaped"),
    (np.zeros((2, 5, 6, 7)), None, "no channel axis of size 1 or 3"),
    (np.full((2, 4, 4), 300.0), None, r"must lie in \[0, 1\] or \[0, 255\]"),
    (np.full((2, 4, 4), -1.0), None, r"must lie in \[0, 1\] or \[0, 255\]"),
    (np.zeros((0, 4, 4)), None, "empty"),
    (np.zeros((3, 4, 4)), [0, 1], "3 images but 2 labels"),
    (np.zeros((2, 4, 4)), [0, -1], "negative label"),
    (np.zeros((2, 4, 4)), [0.5, 1], "whole numbers"),
    (np.array([[[np.nan]]]), None, "NaN"),
])
def test_from_arrays_rejects_bad_input(images: np.ndarray, labels: list | None, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ImageDataset.from_arrays(images, labels)


def test_from_arrays_rejects_too_few_class_names() -> None:
    with pytest.raises(ValueError, match="only 1 class names"):
        ImageDataset.from_arrays(GRAY, [0, 1, 0, 1, 0], classes=["cat"])



def test_a_large_shapes_set_is_rendered_once_and_read_back_exactly(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AECORE_DATA", str(tmp_path))
    first = aecore.load_dataset("shapes", size=2000, seed=3)
    files = list((tmp_path / "shapes").glob("*.npy"))
    assert len(files) == 1
    again = aecore.load_dataset("shapes", size=2000, seed=3)
    assert torch.equal(first.images, again.images)
    files[0].write_bytes(b"not an array")  # a damaged file is rendered again, not trusted
    assert torch.equal(aecore.load_dataset("shapes", size=2000, seed=3).images, first.images)
