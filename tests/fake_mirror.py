"""A dataset mirror on 127.0.0.1 for the download tests: small MNIST-format IDX files and a small
CIFAR-format archive that the tests write themselves, served by http.server in a thread.

Never the real images: 200 random training and 50 test images are enough to check that a download
lands where the loaders read it.
"""

from __future__ import annotations

import gzip
import http.server
import io
import pickle
import socket
import tarfile
import threading
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Iterator

import numpy as np

TRAIN, TEST = 200, 50
CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
               "batches.meta")


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes() + array.tobytes()


def write_unpacked_mnist(data_root: Path, train: int = 1000, test: int = 100, seed: int = 0,
                         folder: str = "MNIST") -> None:
    """A downloaded-looking MNIST under data_root/MNIST/raw (`folder` "FashionMNIST": Fashion-MNIST,
    which ships in the same format): random images, labels cycling 0..9, as the loader reads them
    after a download. 1,000 training images leave enough of each class for a 32-D PCA of one class
    (the zoo's anomaly results)."""
    raw = data_root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("t10k", test)):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(idx_bytes(rng.integers(0, 256, (count, 28, 28))))
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(count) % 10))


def write_mnist_files(folder: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """The four MNIST files, gzipped as at the official source; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, count in (("train", TRAIN), ("t10k", TEST)):
        arrays[f"{split}-images-idx3-ubyte"] = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        arrays[f"{split}-labels-idx1-ubyte"] = rng.integers(0, 10, count, dtype=np.uint8)
    for stem, array in arrays.items():
        (folder / f"{stem}.gz").write_bytes(gzip.compress(idx_bytes(array), mtime=0))
    return arrays


def cifar_tar_bytes(members: tuple[str, ...] = CIFAR_FILES, extra: dict[str, bytes] | None = None) -> bytes:
    """A small cifar-10-python.tar.gz: each batch a pickled dict of 10 images, as the real one holds."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        entries = {f"cifar-10-batches-py/{m}": pickle.dumps(
            {"label_names": [f"class {i}" for i in range(10)]} if m == "batches.meta" else
            {"data": rng.integers(0, 256, (10, 3072), dtype=np.uint8), "labels": list(range(10))}) for m in members}
        for name, data in {**entries, **(extra or {})}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _Handler(http.server.SimpleHTTPRequestHandler):
    seconds_per_chunk = 0.0  # > 0: send slowly
    gate: threading.Event | None = None  # set: each file's first chunk is sent, the rest waits for it

    def log_message(self, *args) -> None:  # quiet: pytest shows stderr of failing tests
        pass

    def copyfile(self, source, outputfile) -> None:
        first = True
        while chunk := source.read(8192):
            outputfile.write(chunk)
            if first and self.gate is not None:
                outputfile.flush()
                self.gate.wait(timeout=120)  # a state the test sets, not a duration
            first = False
            time.sleep(self.seconds_per_chunk)


class Mirror:
    """Serves `folder` on a free port of 127.0.0.1 until closed; `url` is the base to set as
    $AECORE_DATA_MIRROR. With `gate`, every download stalls after its first chunk until the test
    sets the event: the test can look at a download in progress for as long as it needs."""

    def __init__(self, folder: Path, seconds_per_chunk: float = 0.0, gate: threading.Event | None = None) -> None:
        self.gate = gate
        handler = type("Handler", (_Handler,), {"seconds_per_chunk": seconds_per_chunk, "gate": gate})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()  # let a stalled request end
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Mirror":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def closed_port_url() -> str:
    """A base URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def mirror_folder(folder: Path) -> Path:
    """Every file a test mirror serves: MNIST's four (shared by Fashion-MNIST and KMNIST, whose file
    names are the same) and CIFAR-10's archive."""
    write_mnist_files(folder)
    (folder / "cifar-10-python.tar.gz").write_bytes(cifar_tar_bytes())
    return folder


@contextmanager
def mnist_here(base: Path, **files: Any) -> Iterator[None]:
    """A fake downloaded MNIST in `base` (its data and the zoo results measured on it), where the
    app and aecore look while the block runs; Streamlit's caches are cleared on the way in and out,
    as datasets and results are cached by name. `files` go to `write_unpacked_mnist` (seed=,
    folder="FashionMNIST" for a fake Fashion-MNIST)."""
    import pytest
    import streamlit as st

    write_unpacked_mnist(base / "data", **files)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AECORE_DATA", str(base / "data"))
        patch.setenv("AECORE_ZOO_CACHE", str(base / "zoo-results"))
        st.cache_resource.clear()
        st.cache_data.clear()
        try:
            yield
        finally:
            st.cache_resource.clear()
            st.cache_data.clear()
