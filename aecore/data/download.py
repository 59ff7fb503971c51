"""Downloads of MNIST, Fashion-MNIST, KMNIST and CIFAR-10, with progress, into torchvision's layout.

    download_dataset("mnist", progress=lambda done, total: print(done, total))
    is_downloaded("mnist"), download_size("cifar10"), format_size(download_size("mnist"))  # "11 MB"

Files land under `default_data_root()` where torchvision reads them (root/MNIST/raw/...,
root/cifar-10-batches-py/...), so the loaders in `torchvision_sets` only read. Each file arrives
under a temporary name and is renamed only once complete and verified: an error (no network, a
404, a bad checksum) never leaves half a file that a later load would trust. Files from the
official sources must match the md5 sums torchvision lists; with $AECORE_DATA_MIRROR (a base URL
the file names are appended to) they need only parse, since a mirror may serve other copies.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from aecore.data.paths import default_data_root
from aecore.data.registry import DatasetNotAvailableError

MIRROR_ENV = "AECORE_DATA_MIRROR"
TIMEOUT_S = 30.0  # per connection and per read: a stalled server fails instead of hanging a job
_CHUNK = 64 * 1024
_PROGRESS_EVERY_S = 0.1  # progress callbacks may cross processes (the app's job queue): not per chunk

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


class DownloadCancelled(Exception):
    """Raise it from a progress callback to stop a download; no partial file is left."""


class _BadFile(Exception):
    """A downloaded file failed its check (checksum, gzip, IDX header, archive)."""


@dataclass(frozen=True)
class RemoteFile:
    name: str  # the file name at the source, appended to the base URL
    md5: str  # as torchvision lists it (torchvision/datasets/mnist.py, cifar.py)
    size: int  # bytes at the official source: the total shown before a server says


@dataclass(frozen=True)
class Downloadable:
    name: str  # the registry key
    description: str  # what the images are, with no count: a mirror may serve another number of them
    base_url: str  # the official source
    folder: str  # under the data root: "MNIST" (files in MNIST/raw) or CIFAR's unpacked folder
    files: tuple[RemoteFile, ...]
    unpacked: tuple[str, ...]  # what torchvision reads once everything is in place
    official_images: tuple[int, int]  # (training, test) images of the official release, not of any copy

    @property
    def official_note(self) -> str:
        """The official release's image counts, labelled as such: a copy on disk may hold fewer."""
        train, test = self.official_images
        return f"The official release has {train:,} training and {test:,} test images."

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def is_archive(self) -> bool:
        return self.files[0].name.endswith(".tar.gz")

    def target(self, root: Path) -> Path:
        """The folder that holds the files torchvision reads."""
        return root / self.folder if self.is_archive else root / self.folder / "raw"


_IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _idx_files(md5s: tuple[str, ...], sizes: tuple[int, ...]) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(f"{stem}.gz", md5, size) for stem, md5, size in zip(_IDX, md5s, sizes))


DATASETS: dict[str, Downloadable] = {d.name: d for d in (
    Downloadable("mnist", "MNIST: handwritten digits 0 to 9, 28x28 gray (LeCun, Cortes and Burges).",
                 "https://ossci-datasets.s3.amazonaws.com/mnist/", "MNIST",
                 _idx_files(("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                             "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
                            (9912422, 28881, 1648877, 4542)), _IDX, (60_000, 10_000)),
    Downloadable("fashion-mnist", "Fashion-MNIST: photos of clothing in 10 classes, 28x28 gray (Zalando Research).",
                 "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "FashionMNIST",
                 _idx_files(("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                             "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
                            (26421880, 29515, 4422102, 5148)), _IDX, (60_000, 10_000)),
    Downloadable("kmnist", "Kuzushiji-MNIST: cursive Japanese characters in 10 classes, 28x28 gray (ROIS-CODH).",
                 "http://codh.rois.ac.jp/kmnist/dataset/kmnist/", "KMNIST",
                 _idx_files(("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                             "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"),
                            (18165135, 29497, 3041136, 5120)), _IDX, (60_000, 10_000)),
    Downloadable("cifar10", "CIFAR-10: small photos in 10 classes, 32x32 colour (Krizhevsky).",
                 "https://www.cs.toronto.edu/~kriz/", "cifar-10-batches-py",
                 (RemoteFile("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", 170498071),),
                 ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                  "test_batch", "batches.meta"), (50_000, 10_000)),
)}


def _spec(name: str) -> Downloadable:
    if name not in DATASETS:
        raise ValueError(f"{name!r} is not a dataset to download; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


def _root(root: str | os.PathLike | None) -> Path:
    return default_data_root() if root is None else Path(root).expanduser()


def download_size(name: str) -> int:
    """Bytes to download for `name` from the official source."""
    return _spec(name).size


def format_size(size: int) -> str:
    """"11 MB", "29 KB", "120 bytes" (binary units, as file managers and browsers show them)."""
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.0f} {unit}"
    return f"{size} bytes"


def is_downloaded(name: str, root: str | os.PathLike | None = None) -> bool:
    """Whether every file torchvision reads for `name` is under `root` (a hand-copied `.gz` counts:
    the loader unpacks it). Only looks: the files are checked when they arrive."""
    spec = _spec(name)
    return not _missing(spec, spec.target(_root(root)))


def _missing(spec: Downloadable, target: Path) -> list[str]:
    gz_counts = not spec.is_archive
    return [f for f in spec.unpacked
            if not (target / f).is_file() and not (gz_counts and (target / f"{f}.gz").is_file())]


def mirror_url(mirror: str | None = None) -> str | None:
    """The base URL that replaces the official sources: `mirror` when given ("" for none), else
    $AECORE_DATA_MIRROR; None when the files come from the official sources."""
    base = (mirror if mirror is not None else os.environ.get(MIRROR_ENV, "")).strip()
    return base.rstrip("/") + "/" if base else None


def source_url(name: str, mirror: str | None = None) -> str:
    """The base URL the files of `name` come from: the mirror (`mirror_url`) when one is set, else the
    official site. Messages name it, so a user who set a mirror is never sent to a site they avoid.
    (The variable is named without its "$": the app shows messages as markdown, where two "$" make math.)"""
    return mirror_url(mirror) or _spec(name).base_url


def unavailable_message(name: str, root: str | os.PathLike | None, reason: str, *, mirror: str | None = None) -> str:
    """What to say when `name` cannot be had: `reason`, then which files to put in which folder and
    where they come from (`source_url`: `mirror`, default $AECORE_DATA_MIRROR, else the official site)."""
    spec, root, source = _spec(name), _root(root), source_url(name, mirror)
    target, by = spec.target(root), f" (the mirror set in {MIRROR_ENV})" if mirror_url(mirror) else ""
    if spec.is_archive:
        archive = spec.files[0].name
        return (f"{name} {reason}. Put {archive} (from {source}{archive}{by}) in the folder {root} and load "
                f"with download=True (it is only unpacked, not downloaded), or unpack it there so that {target} "
                f"holds data_batch_1 ... data_batch_5, test_batch and batches.meta.")
    retry = "once the mirror answers," if by else "connect to the internet and"
    return (f"{name} {reason}. Put these files (each may also be gzipped, ending in .gz) in the folder {target}: "
            f"{', '.join(_missing(spec, target) or spec.unpacked)}. They are available from {source}{by}. "
            f"Or {retry} run `python -m aecore download {name}` (or load with download=True), "
            "or set root= (or $AECORE_DATA) to a folder that has them.")


def download_dataset(name: str, root: str | os.PathLike | None = None, progress: Progress | None = None,
                     *, mirror: str | None = None) -> Path:
    """Fetch the files of `name` that are missing under `root` (default `default_data_root()`), verify
    and unpack them; returns the folder torchvision reads. `progress(done_bytes, total_bytes)` is
    called as bytes arrive (a few times a second) and once at the end with done == total; it may
    raise DownloadCancelled to stop. `mirror` (default $AECORE_DATA_MIRROR; "" for the official
    source) replaces the official base URL. Raises DatasetNotAvailableError saying what to put where
    when a file cannot be fetched or is damaged."""
    spec, root = _spec(name), _root(root)
    base = mirror_url(mirror)  # None: the official source
    target = spec.target(root)
    if not _missing(spec, target):
        return target
    meter = _Meter(progress)
    todo = spec.files if spec.is_archive else [f for f in spec.files if f.name[:-3] in _missing(spec, target)]
    for file in todo:
        meter.expect(file.name, file.size)
    meter.report(force=True)  # the total at once, before the first byte
    try:
        target.mkdir(parents=True, exist_ok=True)
        if spec.is_archive:
            _fetch_archive(spec, root, target, base, meter)
        else:
            for file in todo:
                _fetch_idx(spec, file, target, base, meter)
    except (OSError, EOFError, zlib.error, tarfile.TarError, http.client.HTTPException, _BadFile) as error:
        why = f"could not be downloaded ({_why(error)})"
        raise DatasetNotAvailableError(unavailable_message(name, root, why, mirror=base or "")) from None
    meter.report(force=True)
    return target


def _why(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason} for {error.url}"
    if isinstance(error, urllib.error.URLError):
        return f"no network? {error.reason}"
    return str(error) or type(error).__name__


def _url(base: str | None, spec_base: str, file: str) -> str:
    return (base or spec_base) + file


def _fetch_idx(spec: Downloadable, file: RemoteFile, raw: Path, mirror: str | None, meter: _Meter) -> None:
    stem = file.name[:-3]
    with _temporary(raw, file.name) as packed, _temporary(raw, stem) as plain:
        _get(_url(mirror, spec.base_url, file.name), packed, file, meter)
        if mirror is None:
            _check_md5(packed, file)
        with gzip.open(packed, "rb") as source, open(plain, "wb") as out:
            shutil.copyfileobj(source, out)
        if mirror is not None:
            _check_idx(plain, file.name)
        os.replace(plain, raw / stem)


def _fetch_archive(spec: Downloadable, root: Path, target: Path, mirror: str | None, meter: _Meter) -> None:
    file = spec.files[0]
    copied = root / file.name  # a hand-copied archive is only unpacked, as the error messages promise
    with _temporary(root, file.name) as fetched:
        if copied.is_file():
            archive = copied
            meter.expect(file.name, 0)  # nothing to fetch
        else:
            _get(_url(mirror, spec.base_url, file.name), fetched, file, meter)
            archive = fetched
        if mirror is None:
            _check_md5(archive, file)
        _unpack_tar(archive, spec, root, target)


def _unpack_tar(archive: Path, spec: Downloadable, root: Path, target: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.folder}.", suffix=".part", dir=root))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            # Only the batch files, as plain files: the "data" filter refuses links and absolute paths.
            names = {f"{spec.folder}/{f}" for f in spec.unpacked}
            wanted = [m for m in tar.getmembers() if m.isfile() and m.name in names]
            tar.extractall(staging, members=wanted, filter="data")
        absent = [f for f in spec.unpacked if not (staging / spec.folder / f).is_file()]
        if absent:
            raise _BadFile(f"{archive.name} does not hold {spec.folder}/{', '.join(absent)}")
        for f in spec.unpacked:  # file by file: two downloads at once both end with whole files
            os.replace(staging / spec.folder / f, target / f)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def _temporary(folder: Path, name: str) -> Iterator[Path]:
    """A unique temporary path beside the final file (two downloads may run at once), removed on
    exit whatever happened; the caller renames it into place once it is good."""
    handle, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    os.close(handle)
    try:
        yield Path(path)
    finally:
        Path(path).unlink(missing_ok=True)


def _get(url: str, dest: Path, file: RemoteFile, meter: _Meter) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "aecore"})
    received = 0
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, open(dest, "wb") as out:
        length = response.headers.get("Content-Length", "")
        if length.isdigit():
            meter.expect(file.name, int(length))  # a mirror's copy may differ from the official size
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            received += len(chunk)
            meter.add(len(chunk))
    if length.isdigit() and received != int(length):
        raise _BadFile(f"{url} ended after {received} of {length} bytes")
    meter.expect(file.name, received)  # what it really was, so done reaches the total


def _check_md5(path: Path, file: RemoteFile) -> None:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    if digest.hexdigest() != file.md5:
        raise _BadFile(f"{file.name} has the md5 sum {digest.hexdigest()}, not the published {file.md5}; "
                       "the download was damaged or the file changed at the source")


def _check_idx(path: Path, name: str) -> None:
    """An unpacked IDX file of unsigned bytes whose header matches its length: images (N, 28, 28)
    or labels (N,)."""
    images = "images" in name
    with open(path, "rb") as f:
        header = f.read(4)
        ndim = header[3] if len(header) == 4 else 0
        dims = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
    if header[:3] != b"\x00\x00\x08" or ndim != (3 if images else 1) or (images and dims[1:] != [28, 28]):
        raise _BadFile(f"{name} is not an IDX file of {'28x28 images' if images else 'labels'} (bad magic number)")
    if path.stat().st_size != 4 + 4 * ndim + math.prod(dims):
        raise _BadFile(f"{name} is truncated or has extra bytes after its {dims[0]} items")


class _Meter:
    """Adds bytes up over all files and calls `progress` at most every _PROGRESS_EVERY_S seconds."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.sizes, self.done, self.last = progress, {}, 0, 0.0

    def expect(self, file: str, size: int) -> None:
        self.sizes[file] = size

    def add(self, count: int) -> None:
        self.done += count
        self.report()

    def report(self, force: bool = False) -> None:
        if self.progress is None or not (force or time.monotonic() - self.last >= _PROGRESS_EVERY_S):
            return
        self.last = time.monotonic()
        total = sum(self.sizes.values())
        self.progress(min(self.done, total), total)


__all__ = ["DATASETS", "DownloadCancelled", "MIRROR_ENV", "download_dataset", "download_size", "format_size",
           "is_downloaded", "mirror_url", "source_url", "unavailable_message"]
