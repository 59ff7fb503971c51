"""Tests for aecore.data: every loader, the ImageDataset contract, and one test per bad input.

Nothing here touches the network: an autouse fixture refuses socket connections and points the
dataset cache at a temporary folder; torchvision sets are tested on tiny fake files the tests write.
"""

from __future__ import annotations

import gzip
import socket
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import aecore
from aecore.data import DatasetNotAvailableError, ImageDataset, dataset_options, read_idx, registry
from aecore.data.torchvision_sets import default_data_root


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def digits() -> ImageDataset:
    return aecore.load_dataset("digits")


@pytest.fixture(scope="module")
def shapes() -> ImageDataset:
    return aecore.load_dataset("shapes", size=600, seed=0)


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    array = np.asarray(array, dtype=np.uint8)
    data = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes() + array.tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_png(path: Path, value: int, size: tuple[int, int] = (10, 12), mode: str = "L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)


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


# ---- idx and npz files -----------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_idx_files_load_plain_or_gzipped(tmp_path: Path, gz: bool) -> None:
    images = write_idx(tmp_path / "imgs.idx", GRAY, gz=gz)
    labels = write_idx(tmp_path / "labels.idx", [1, 0, 3, 3, 2], gz=gz)
    data = aecore.load_dataset("idx", images=images, labels=labels)
    torch.testing.assert_close(data.images, torch.from_numpy(GRAY[:, None] / 255).float())
    assert data.labels.tolist() == [1, 0, 3, 3, 2] and data.classes == ["0", "1", "2", "3"]
    assert aecore.load_dataset("idx", images=images).labels is None


def test_read_idx_returns_the_array(tmp_path: Path) -> None:
    assert np.array_equal(read_idx(write_idx(tmp_path / "a", GRAY, gz=True)), GRAY)


@pytest.mark.parametrize("content", [b"PK\x03\x04 not idx at all", b"\x00\x00\x99\x03"])
def test_idx_rejects_a_bad_magic_number(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.idx").write_bytes(content)
    with pytest.raises(ValueError, match="bad.idx is not an IDX file: its magic number"):
        aecore.load_dataset("idx", images=tmp_path / "bad.idx")


def test_idx_rejects_a_truncated_file(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "cut.idx", GRAY)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match="cut.idx holds .* damaged or cut short"):
        aecore.load_dataset("idx", images=path)


def test_idx_rejects_an_image_label_count_mismatch(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "imgs.idx", GRAY)
    labels = write_idx(tmp_path / "labels.idx", [1, 0, 3])
    with pytest.raises(ValueError, match="5 images but 3 labels"):
        aecore.load_dataset("idx", images=images, labels=labels)


@pytest.mark.parametrize("with_labels", [False, True])
def test_npz_with_and_without_labels(tmp_path: Path, with_labels: bool) -> None:
    arrays = {"x": COLOR, "y": np.array([0, 1, 1, 0, 1])} if with_labels else {"x": COLOR}
    np.savez(tmp_path / "mine.npz", **arrays)
    data = aecore.load_dataset("npz", path=tmp_path / "mine.npz")
    assert data.image_shape == (3, 6, 7) and data.name == "mine"
    assert (data.labels is not None) == with_labels


def test_npz_without_x_names_the_arrays_found(tmp_path: Path) -> None:
    np.savez(tmp_path / "wrong.npz", images=GRAY)
    with pytest.raises(ValueError, match="no array named 'x' \\(found: images\\)"):
        aecore.load_dataset("npz", path=tmp_path / "wrong.npz")


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nowhere.npz.* does not exist"):
        aecore.load_dataset("npz", path=tmp_path / "nowhere.npz")


# ---- image folders and zips ------------------------------------------------------------------------

@pytest.fixture
def class_folder(tmp_path: Path) -> Path:
    """pets/cat/{a,b}.png (value 40) and pets/dog/c.png (value 200), plus a stray text file."""
    root = tmp_path / "pets"
    write_png(root / "cat" / "a.png", 40)
    write_png(root / "cat" / "b.png", 40)
    write_png(root / "dog" / "c.png", 200, size=(30, 20))
    (root / "cat" / "notes.txt").write_text("not an image, and not named like one")
    return root


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in folder.rglob("*"):
            archive.write(file, prefix + file.relative_to(folder).as_posix())
    return target


def test_folder_labels_come_from_subfolders(class_folder: Path) -> None:
    data = aecore.load_dataset("folder", path=class_folder, image_size=16)
    assert data.images.shape == (3, 1, 16, 16) and data.name == "pets"
    assert data.classes == ["cat", "dog"] and data.labels.tolist() == [0, 0, 1]
    torch.testing.assert_close(data.images[:, 0, 0, 0], torch.tensor([40, 40, 200]) / 255)


@pytest.mark.parametrize("prefix", ["", "pets/"], ids=["flat", "wrapped-in-a-folder"])
def test_zip_loads_like_the_folder(class_folder: Path, tmp_path: Path, prefix: str) -> None:
    archive = zip_folder(class_folder, tmp_path / "pets.zip", prefix)
    from_zip = aecore.load_dataset("folder", path=archive, image_size=16)
    from_folder = aecore.load_dataset("folder", path=class_folder, image_size=16)
    assert torch.equal(from_zip.images, from_folder.images) and torch.equal(from_zip.labels, from_folder.labels)
    assert from_zip.classes == ["cat", "dog"]


def test_top_level_jpegs_load_unlabelled_in_rgb(tmp_path: Path) -> None:
    Image.new("RGB", (40, 30), (250, 10, 10)).save(tmp_path / "photo.jpg", quality=95)
    write_png(tmp_path / "drawing.png", 120, mode="RGB")
    data = aecore.load_dataset("folder", path=tmp_path, image_size=8, mode="RGB")
    assert data.images.shape == (2, 3, 8, 8) and data.labels is None and data.classes == []
    red = data.images[1].mean(dim=(1, 2))  # sorted by name: drawing.png, photo.jpg
    assert red[0] > 0.9 and red[1] < 0.1


def test_transparent_pixels_become_black(tmp_path: Path) -> None:
    image = Image.new("RGBA", (4, 4), (255, 255, 255, 0))
    image.putpixel((0, 0), (255, 255, 255, 255))
    image.save(tmp_path / "icon.png")
    data = aecore.load_dataset("folder", path=tmp_path, image_size=4)
    assert data.images[0, 0, 0, 0] == 1 and data.images[0, 0, 3, 3] == 0


def test_a_file_that_is_not_an_image_is_named(class_folder: Path) -> None:
    (class_folder / "dog" / "broken.png").write_bytes(b"this is text")
    with pytest.raises(ValueError, match=r"dog[/\\]broken.png is not a readable image"):
        aecore.load_dataset("folder", path=class_folder)


@pytest.mark.parametrize("pixels", [12 * 12, 20 * 20], ids=["warning-size", "error-size"])
def test_decompression_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pixels: int) -> None:
    side = int(pixels**0.5)
    write_png(tmp_path / "huge.png", 255, size=(side, side))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow warns above 100, errs above 200
    with pytest.raises(ValueError, match="huge.png is too large"):
        aecore.load_dataset("folder", path=tmp_path)


def test_an_empty_folder_says_no_images(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("hi")
    with pytest.raises(ValueError, match="no images found in"):
        aecore.load_dataset("folder", path=tmp_path / "empty")


def test_images_at_two_levels_are_refused(class_folder: Path) -> None:
    write_png(class_folder / "stray.png", 0)
    with pytest.raises(ValueError, match="both at its top level and in sub-folders"):
        aecore.load_dataset("folder", path=class_folder)


@pytest.mark.parametrize(("options", "match"), [
    ({"mode": "CMYK"}, 'mode must be "L"'),
    ({"image_size": 0}, "image_size must be"),
])
def test_folder_rejects_bad_options(class_folder: Path, options: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        aecore.load_dataset("folder", path=class_folder, **options)


def test_folder_rejects_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("1,2,3")
    with pytest.raises(ValueError, match="data.csv is neither a folder nor a .zip"):
        aecore.load_dataset("folder", path=tmp_path / "data.csv")


# ---- torchvision sets (fake files, no network) -----------------------------------------------------

def write_fake_mnist(root: Path, folder: str = "MNIST", gz: bool = False) -> Path:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    suffix = ".gz" if gz else ""
    for split, n in (("train", 6), ("t10k", 4)):
        images = np.arange(n * 28 * 28).reshape(n, 28, 28) % 256
        write_idx(raw / f"{split}-images-idx3-ubyte{suffix}", images, gz=gz)
        write_idx(raw / f"{split}-labels-idx1-ubyte{suffix}", np.arange(n) % 10, gz=gz)
    return raw


@pytest.mark.parametrize("gz", [False, True], ids=["unpacked", "gzipped"])
def test_mnist_loads_from_the_torchvision_folder_layout(tmp_path: Path, gz: bool) -> None:
    write_fake_mnist(tmp_path, gz=gz)
    train = aecore.load_dataset("mnist", root=tmp_path, download=False)
    test = aecore.load_dataset("mnist", root=tmp_path, download=False, train=False)
    assert train.images.shape == (6, 1, 28, 28) and len(test) == 4
    assert train.labels.tolist() == list(range(6)) and train.classes == [str(d) for d in range(10)]
    assert train.images[0, 0, 0, 1] == pytest.approx(1 / 255)
    assert (train.name, test.name) == ("mnist", "mnist (test)")


def test_fashion_mnist_uses_the_default_root_and_its_class_names(tmp_path: Path) -> None:
    write_fake_mnist(default_data_root(), folder="FashionMNIST")
    data = aecore.load_dataset("fashion-mnist", download=False)
    assert data.classes[0] == "T-shirt/top" and len(data) == 6


def test_missing_mnist_says_which_files_to_put_where(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotAvailableError) as caught:
        aecore.load_dataset("mnist", root=tmp_path, download=False)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, FileNotFoundError)
    assert str(tmp_path / "MNIST" / "raw") in message and "train-images-idx3-ubyte" in message
    assert "download=False" in message and "Traceback" not in message
    assert caught.value.__suppress_context__  # no torchvision stack trace chained underneath


def test_mnist_without_network_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", no_network)
    with pytest.raises(DatasetNotAvailableError, match="could not be downloaded.*t10k-labels-idx1-ubyte"):
        aecore.load_dataset("kmnist", root=tmp_path, download=True)


def test_cifar10_without_network_says_which_archive_to_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("torchvision.datasets.cifar.download_and_extract_archive", no_network)
    with pytest.raises(DatasetNotAvailableError, match="cifar-10-python.tar.gz"):
        aecore.load_dataset("cifar10", root=tmp_path)


def test_default_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_data_root() == tmp_path / "cache"  # AECORE_DATA, set by the offline fixture
    monkeypatch.delenv("AECORE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_data_root() == tmp_path / "xdg" / "aecore" / "datasets"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_data_root() == Path.home() / ".cache" / "aecore" / "datasets"


def test_torchvision_flags_must_be_booleans(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="train must be True or False"):
        aecore.load_dataset("mnist", root=tmp_path, train="test")


def test_a_large_shapes_set_is_rendered_once_and_read_back_exactly(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AECORE_DATA", str(tmp_path))
    first = aecore.load_dataset("shapes", size=2000, seed=3)
    files = list((tmp_path / "shapes").glob("*.npy"))
    assert len(files) == 1
    again = aecore.load_dataset("shapes", size=2000, seed=3)
    assert torch.equal(first.images, again.images)
    files[0].write_bytes(b"not an array")  # a damaged file is rendered again, not trusted
    assert torch.equal(aecore.load_dataset("shapes", size=2000, seed=3).images, first.images)
