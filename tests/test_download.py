"""aecore.data.download and `python -m aecore download`, against a mirror on 127.0.0.1 (never the
internet): files land where the loaders read them, progress reaches the total, and every failure
says what to put where and leaves no partial file."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import aecore
from aecore.cli import main
from aecore.data import DatasetNotAvailableError, download
from aecore.data.download import DownloadCancelled, download_dataset, download_size, format_size, is_downloaded
from fake_mirror import CIFAR_FILES, TEST, TRAIN, Mirror, cifar_tar_bytes, closed_port_url, mirror_folder, write_mnist_files

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    return mirror_folder(tmp_path_factory.mktemp("mirror"))


@pytest.fixture(scope="module")
def mirror(served):
    with Mirror(served) as running:
        yield running


@pytest.fixture
def data(tmp_path, monkeypatch, mirror) -> Path:
    """An empty data root, and the mirror in place of the official sources."""
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv(download.MIRROR_ENV, mirror.url)
    return tmp_path / "data"


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".part" in p.name]


def test_the_table_has_each_dataset_and_its_size() -> None:
    assert list(download.DATASETS) == ["mnist", "fashion-mnist", "kmnist", "cifar10"]
    assert download_size("mnist") == 9912422 + 28881 + 1648877 + 4542
    assert [format_size(download_size(n)) for n in download.DATASETS] == ["11 MB", "29 MB", "20 MB", "163 MB"]
    assert (format_size(2048), format_size(5)) == ("2 KB", "5 bytes")
    # The md5 sums are torchvision's own.
    import torchvision.datasets as tvd

    for name, cls in (("mnist", tvd.MNIST), ("fashion-mnist", tvd.FashionMNIST), ("kmnist", tvd.KMNIST)):
        assert [(f.name, f.md5) for f in download.DATASETS[name].files] == list(cls.resources)
    assert download.DATASETS["cifar10"].files[0].md5 == tvd.CIFAR10.tgz_md5


def test_unknown_name_lists_the_datasets() -> None:
    with pytest.raises(ValueError, match="choose one of: mnist, fashion-mnist, kmnist, cifar10"):
        download_dataset("digits")


def test_download_lands_where_the_loader_reads_and_progress_reaches_the_total(data, served) -> None:
    assert not is_downloaded("mnist")
    calls = []
    path = download_dataset("mnist", progress=lambda done, total: calls.append((done, total)))
    assert path == data / "MNIST" / "raw" and is_downloaded("mnist")
    served_bytes = sum(f.stat().st_size for f in served.glob("*-ubyte.gz"))
    assert calls[-1] == (served_bytes, served_bytes)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))  # done never goes back
    assert all(done <= total for done, total in calls)
    train = aecore.load_dataset("mnist", download=False)
    test = aecore.load_dataset("mnist", download=False, train=False)
    assert train.images.shape == (TRAIN, 1, 28, 28) and test.images.shape == (TEST, 1, 28, 28)
    expected = write_mnist_files(data.parent / "again")  # the same seed: the arrays served
    assert np.array_equal(train.labels.numpy(), expected["train-labels-idx1-ubyte"])
    assert train.images[3, 0].mul(255).round().byte().numpy().tolist() == expected["train-images-idx3-ubyte"][3].tolist()
    assert not leftovers(data)
    assert download_dataset("mnist", progress=calls.append) == path  # already here: nothing fetched


def test_the_loader_downloads_through_the_mirror(data) -> None:
    fashion = aecore.load_dataset("fashion-mnist")  # download=True by default
    assert len(fashion) == TRAIN and fashion.classes[0] == "T-shirt/top"
    assert (data / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file()


def test_a_404_names_the_url_and_the_files_and_leaves_no_partial_file(data, tmp_path) -> None:
    partial = tmp_path / "partial"
    write_mnist_files(partial)
    (partial / "t10k-labels-idx1-ubyte.gz").unlink()
    with Mirror(partial) as incomplete:
        with pytest.raises(DatasetNotAvailableError) as caught:
            download_dataset("kmnist", mirror=incomplete.url)
    message = str(caught.value)
    raw = data / "KMNIST" / "raw"
    assert "could not be downloaded (HTTP 404" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert f"in the folder {raw}: t10k-labels-idx1-ubyte." in message  # only what is still missing
    assert "python -m aecore download kmnist" in message
    assert sorted(p.name for p in raw.iterdir()) == sorted(["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                            "t10k-images-idx3-ubyte"])  # whole files only
    assert not is_downloaded("kmnist")


def test_no_network_says_so_and_leaves_nothing(data) -> None:
    with pytest.raises(DatasetNotAvailableError, match=r"mnist could not be downloaded \(no network\?.*Put these"):
        download_dataset("mnist", mirror=closed_port_url())
    assert not any(p.is_file() for p in data.rglob("*"))


def test_a_mirror_file_that_is_not_idx_is_refused(data, tmp_path) -> None:
    bad = tmp_path / "bad"
    write_mnist_files(bad)
    import gzip

    (bad / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 60))
    with Mirror(bad) as wrong:
        with pytest.raises(DatasetNotAvailableError, match="not an IDX file of 28x28 images"):
            download_dataset("mnist", mirror=wrong.url)
    assert not (data / "MNIST" / "raw" / "train-images-idx3-ubyte").exists() and not leftovers(data)


def test_the_official_source_is_checked_against_the_md5_sums(data, mirror, served, monkeypatch) -> None:
    monkeypatch.delenv(download.MIRROR_ENV)
    official = dataclasses.replace(download.DATASETS["mnist"], base_url=mirror.url)  # served as if official
    monkeypatch.setitem(download.DATASETS, "mnist", official)
    with pytest.raises(DatasetNotAvailableError, match="has the md5 sum .*, not the published f68b3c2d"):
        download_dataset("mnist")
    assert not is_downloaded("mnist") and not leftovers(data)
    sums = tuple(dataclasses.replace(f, md5=hashlib.md5((served / f.name).read_bytes()).hexdigest())
                 for f in official.files)
    monkeypatch.setitem(download.DATASETS, "mnist", dataclasses.replace(official, files=sums))
    download_dataset("mnist")
    assert len(aecore.load_dataset("mnist", download=False)) == TRAIN


def test_cifar_archive_is_unpacked_into_torchvisions_folder(data) -> None:
    calls = []
    path = download_dataset("cifar10", progress=lambda done, total: calls.append((done, total)))
    assert path == data / "cifar-10-batches-py" and is_downloaded("cifar10")
    assert sorted(p.name for p in path.iterdir()) == sorted(CIFAR_FILES)
    assert calls[-1][0] == calls[-1][1] == len(cifar_tar_bytes())
    assert [p.name for p in data.iterdir()] == ["cifar-10-batches-py"]  # no archive or staging left


def test_an_archive_with_links_or_strays_unpacks_only_the_batches(data, tmp_path) -> None:
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "cifar-10-python.tar.gz").write_bytes(cifar_tar_bytes(extra={"../escaped": b"x", "/etc/evil": b"x"}))
    with Mirror(odd) as serving:
        download_dataset("cifar10", mirror=serving.url)
    assert not (data.parent / "escaped").exists() and sorted(p.name for p in data.rglob("*") if p.is_file()) == \
        sorted(CIFAR_FILES)


def test_an_archive_without_the_batches_is_refused(data, tmp_path) -> None:
    short = tmp_path / "short"
    short.mkdir()
    (short / "cifar-10-python.tar.gz").write_bytes(cifar_tar_bytes(members=CIFAR_FILES[:3]))
    with Mirror(short) as serving:
        with pytest.raises(DatasetNotAvailableError, match="does not hold cifar-10-batches-py/data_batch_4"):
            download_dataset("cifar10", mirror=serving.url)
    assert not is_downloaded("cifar10") and not leftovers(data) and not any(p.is_file() for p in data.rglob("*"))


def test_a_progress_callback_can_cancel_and_nothing_is_left(data, served) -> None:
    def cancel(done: int, total: int) -> None:
        if done:
            raise DownloadCancelled

    with Mirror(served, seconds_per_chunk=0.02) as slow:  # stopped inside the first file
        with pytest.raises(DownloadCancelled):
            download_dataset("mnist", progress=cancel, mirror=slow.url)
    assert not any(p.is_file() for p in data.rglob("*"))


def test_the_download_job_returns_where_the_files_are(data, mirror) -> None:
    result = aecore.studies.jobs.download("kmnist", str(data), mirror.url)  # outside a worker, report does nothing
    assert result == {"dataset": "kmnist", "path": str(data / "KMNIST" / "raw")} and is_downloaded("kmnist")


def test_cli_download_shows_a_progress_bar(data, capsys) -> None:
    assert main(["download", "mnist", "--root", str(data / "elsewhere")]) == 0
    out, err = capsys.readouterr()
    assert f"mnist is in {data / 'elsewhere' / 'MNIST' / 'raw'}" in out
    assert "downloading mnist" in err and "100%" in err
    assert main(["download", "mnist", "--root", str(data / "elsewhere")]) == 0
    assert "already in" in capsys.readouterr().out


def test_cli_download_offline_says_what_to_do(data, monkeypatch, capsys) -> None:
    monkeypatch.setenv(download.MIRROR_ENV, closed_port_url())
    assert main(["download", "fashion-mnist"]) == 2
    err = capsys.readouterr().err
    assert "error: fashion-mnist could not be downloaded" in err and str(data / "FashionMNIST" / "raw") in err


def test_cli_train_downloads_first_with_a_progress_bar(data, mirror, tmp_path) -> None:
    """The command a user types, in a subprocess: the implicit download shows its bar too."""
    env = {"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "AECORE_DATA": str(data),
           download.MIRROR_ENV: mirror.url}
    done = subprocess.run([sys.executable, "-m", "aecore", "train", "--dataset", "mnist", "--epochs", "1",
                           "--latent-dim", "2", "--out", str(tmp_path / "m.zip")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "downloading mnist" in done.stderr and "100%" in done.stderr
    assert aecore.load(tmp_path / "m.zip").checkpoint["dataset"] == "mnist"
