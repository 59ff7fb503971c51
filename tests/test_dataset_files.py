"""Tests for aecore.data's file loaders: IDX and npz files, image folders and zips, and the torchvision
sets (MNIST, Fashion-MNIST, KMNIST, CIFAR-10) on tiny fake files the tests write; one test per bad input.

Nothing here touches the network: conftest's `offline` fixture refuses socket connections and
points the dataset cache at a temporary folder.
"""

from __future__ import annotations

import gzip
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import aecore
from aecore.data import DatasetNotAvailableError, read_idx
from aecore.data import default_data_root

pytestmark = pytest.mark.usefixtures("offline")

RNG = np.random.default_rng(0)
GRAY = RNG.integers(0, 256, size=(5, 6, 7), dtype=np.uint8)  # (N, H, W)
COLOR = RNG.integers(0, 256, size=(5, 6, 7, 3), dtype=np.uint8)  # (N, H, W, C)


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    array = np.asarray(array, dtype=np.uint8)
    data = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes() + array.tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_png(path: Path, value: int, size: tuple[int, int] = (10, 12), mode: str = "L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)



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
