"""The pretrained zoo: checkpoints shipped in `pretrained/`, listed by `pretrained/manifest.json`.

Each model is a checkpoint folder (see `aecore.checkpoint`) plus `latent.safetensors`: its test-set
codes and their 2-D projections (PCA, UMAP), so a latent map opens without computing anything; and
`results.safetensors`: what the analysis pages show of it (probe accuracies per seeded draw, code
sensitivity and Jacobian norms, KL per unit, anomaly scores), so those pages draw without fitting.
The manifest is written by `python -m aecore zoo`, which rebuilds every model from the recipe
recorded beside it.

Models of a downloaded dataset (MNIST, Fashion-MNIST) ship their weights only: the images are not
ours to ship, and the maps and results are measured on them. Their entries say "local_results", and
their latent map and results are measured once on this machine after the download
(`aecore.studies.zoo.build_local_results`, which the app runs in the background) into `local_results_root()`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from aecore.checkpoint import WEIGHTS_NAME, load
from aecore.data.splits import split_tag
from aecore.files import write_atomically
from aecore.models import Autoencoder

MANIFEST_NAME = "manifest.json"
LATENT_NAME = "latent.safetensors"
RESULTS_NAME = "results.safetensors"
RESULTS_FORMAT = "aecore-results-1"
MANIFEST_FORMAT = "aecore-zoo"
# The split every zoo model is scored on and the app shows is `aecore.data.load_split`'s: digits' and
# shapes' seeded 80/20 split, MNIST's and Fashion's official test file, which no shipped model saw.


def pretrained_root() -> Path:
    """Where the zoo lives: $AECORE_PRETRAINED, else the repository's `pretrained/` folder."""
    return Path(os.environ.get("AECORE_PRETRAINED") or Path(__file__).resolve().parents[1] / "pretrained")


def local_results_root() -> Path:
    """Where the maps and results of shipped models of downloaded datasets are kept: $AECORE_ZOO_CACHE,
    else `zoo-results` beside the dataset folder (`aecore.data.default_data_root()`)."""
    if os.environ.get("AECORE_ZOO_CACHE"):
        return Path(os.environ["AECORE_ZOO_CACHE"]).expanduser()
    from aecore.data import default_data_root

    return default_data_root().parent / "zoo-results"


def results_folder(name: str, root: str | os.PathLike | None = None) -> Path:
    """The folder that holds (or will hold) a shipped model's latent map and page results."""
    entry = pretrained_entry(name, root)
    if entry.get("local_results"):
        # Kept per weights: a shipped model retrained since (a `git pull`) is measured again, never
        # shown with the codes of the weights it replaced.
        # Kept per split too: results measured on another split's test images are measured again.
        return local_results_root() / f"{name}-{weights_digest(name, root)[:12]}-{split_tag(entry['dataset'])}"
    return Path(root or pretrained_root()) / entry["path"]


def weights_digest(name: str, root: str | os.PathLike | None = None) -> str:
    """A digest of a shipped model's weights file: what was measured of it is valid for these
    weights only (its local results, its stored denoise curves). Hashed once per version of the file."""
    return file_digest(Path(root or pretrained_root()) / pretrained_entry(name, root)["path"] / WEIGHTS_NAME)


def file_digest(path: str | os.PathLike) -> str:
    """A digest of a file's bytes, hashed once per version of the file (its mtime and size)."""
    stat = Path(path).stat()
    return _file_digest(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def has_results(name: str, root: str | os.PathLike | None = None) -> bool:
    """Whether a shipped model's latent map and page results are stored (always, for an embedded
    dataset's model; after `build_local_results`, for a downloaded one's)."""
    folder = results_folder(name, root)
    return (folder / LATENT_NAME).is_file() and (folder / RESULTS_NAME).is_file()


def missing_results(dataset: str | None = None, root: str | os.PathLike | None = None) -> list[str]:
    """Shipped models (of `dataset`, or all) whose latent map and page results are not stored yet."""
    return [e["name"] for e in list_pretrained(dataset, root) if not has_results(e["name"], root)]


def _missing_results(name: str, what: str) -> str:
    return (f"pretrained model {name!r} has no stored {what} yet: they are measured on this machine's copy of its "
            f"dataset; run `python -m aecore zoo --results-only --only {name}` (the app does it after the download)")


def read_manifest(root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The parsed manifest; an empty zoo (no models) when there is none yet."""
    path = Path(root or pretrained_root()) / MANIFEST_NAME
    try:
        stat = path.stat()
    except OSError:
        return {"format": MANIFEST_FORMAT, "models": []}
    manifest = _parsed_manifest(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    # The caller's own copy down to each entry (a writer changes entries), sharing the cached rest.
    return {**manifest, "models": [dict(entry) for entry in manifest["models"]]}


@functools.lru_cache(maxsize=8)
def _parsed_manifest(path: str, mtime_ns: int, size: int, inode: int) -> dict[str, Any]:
    # Parsed once per version of the file: a page asks for entries dozens of times per rerun
    # (has_results per model per section), and parsing 47 kB each time cost 15 ms a rerun.
    manifest = json.loads(Path(path).read_text("utf-8"))
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path} is not an aecore zoo manifest (format {manifest.get('format')!r})")
    return manifest


def list_pretrained(dataset: str | None = None, root: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """One entry per shipped model: name, dataset, kind, arch, latent_dim, options (the kind's own
    settings, e.g. beta), metrics (test set) and pca (PCA's metrics at the same dim), recipe (the
    `python -m aecore train ...` command that made it), description. Optionally only one dataset's."""
    models = read_manifest(root)["models"]
    return [dict(entry) for entry in models if dataset is None or entry["dataset"] == dataset]


def pretrained_entry(name: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The manifest entry of one model; ValueError naming the valid models for an unknown name."""
    entries = {entry["name"]: entry for entry in list_pretrained(root=root)}
    if name not in entries:
        valid = ", ".join(sorted(entries)) or "none (run `python -m aecore zoo` to build the zoo)"
        raise ValueError(f"unknown pretrained model {name!r}; available: {valid}")
    return entries[name]


def load_pretrained(name: str, device: str = "cpu", root: str | os.PathLike | None = None) -> Autoencoder:
    """Load a shipped model by name (see `list_pretrained`), in eval mode on `device`."""
    entry = pretrained_entry(name, root)
    return load(Path(root or pretrained_root()) / entry["path"], device=device)


def load_latent(name: str, root: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """The stored latent map of a shipped model, all arrays over its test split:
    "index" (positions in the full dataset), "labels", "codes" (N, latent_dim), and one (N, 2)
    array per stored projection: "pca", "umap" (and "raw" when the code is 2-D)."""
    path = results_folder(name, root) / LATENT_NAME
    if not path.is_file():
        raise ValueError(_missing_results(name, f"latent map at {path}"))
    return safetensors.numpy.load_file(str(path))


def write_results(path: str | os.PathLike, results: dict[str, Any]) -> None:
    """Store `results` (the layout `load_results` returns, without "codes") at `path`: arrays as
    safetensors, the probe and KL as JSON in its metadata. Sensitivities and Jacobian norms are shown
    to 3 digits, so float16; anomaly scores stay float32, since a ROC turns on their order."""
    tensors = {f"sensitivity/{noise!r}": np.asarray(values, np.float16) for noise, values in results["sensitivity"].items()}
    tensors["jacobian"] = np.asarray(results["jacobian"], np.float16)
    anomaly = results["anomaly"]
    tensors["anomaly/scores"] = np.asarray(anomaly["scores"], np.float32)
    tensors.update({f"anomaly/pca/{c}": np.asarray(v, np.float32) for c, v in anomaly["pca_scores"].items()})
    kl = results["kl_per_dim"]
    metadata = {"format": RESULTS_FORMAT, "probe": json.dumps(results["probe"], allow_nan=False),
                "kl_per_dim": json.dumps(None if kl is None else [float(v) for v in kl]),
                "anomaly_k": str(int(anomaly["k"])), "anomaly_normal": json.dumps(list(anomaly["normal"]))}
    data = safetensors.numpy.save({k: np.ascontiguousarray(v) for k, v in tensors.items()}, metadata)
    write_atomically(path, data, mode=0o644)  # shipped in the repository: readable like the checkpoints


def load_results(name: str, root: str | os.PathLike | None = None) -> dict[str, Any]:
    """What the analysis pages show of a shipped model, measured on its test split when the zoo was
    built (`python -m aecore zoo --results-only` rebuilds it):
    - "probe": `aecore.probe.probe_draws`'s result, every seeded draw (`probe.summarize` averages them);
    - "codes" (N, d) (from the latent map), "sensitivity": {σ: (N,)} for each σ of
      `aecore.studies.inspect_code.NOISES`, "jacobian" (N,), "kl_per_dim": list (d,) or None (no VAE);
    - "anomaly": {"scores" (N,) reconstruction MSE per test image, "k", "normal" (the default normal
      classes), "pca_scores": {class: (N,)} PCA with k components fit on that one class's training images}.
    """
    path = results_folder(name, root) / RESULTS_NAME
    if not path.is_file():
        raise ValueError(_missing_results(name, f"results at {path}"))
    with safetensors.safe_open(str(path), framework="numpy") as file:
        metadata = file.metadata() or {}
        if metadata.get("format") != RESULTS_FORMAT:
            raise ValueError(f"{path} holds results of format {metadata.get('format')!r}, not {RESULTS_FORMAT!r}; "
                             f"rebuild them with `python -m aecore zoo --results-only --only {name}`")
        arrays = {key: file.get_tensor(key).astype(np.float64) for key in file.keys()}
    return {"probe": json.loads(metadata["probe"]), "codes": load_latent(name, root)["codes"],
            "sensitivity": {float(k.split("/", 1)[1]): v for k, v in arrays.items() if k.startswith("sensitivity/")},
            "jacobian": arrays["jacobian"], "kl_per_dim": json.loads(metadata["kl_per_dim"]),
            "anomaly": {"scores": arrays["anomaly/scores"], "k": int(metadata["anomaly_k"]),
                        "normal": tuple(json.loads(metadata["anomaly_normal"])),
                        "pca_scores": {int(k.rsplit("/", 1)[1]): v for k, v in arrays.items() if k.startswith("anomaly/pca/")}}}
