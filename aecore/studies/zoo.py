"""`build_zoo`, which (re)builds the pretrained zoo from its recipes: `python -m aecore zoo`.

Each model is trained through the run layer (`aecore.runner`) from its recipe in `aecore.recipes`;
the manifest records the recipe as the exact `python -m aecore train` command, so every shipped
model can be reproduced by hand as well. Beside each model go its latent map and its page results
(`aecore.pretrained.load_results`); `build_results` (`python -m aecore zoo --results-only`)
remeasures only the results of the shipped models, without training. A model of a downloaded
dataset (MNIST, Fashion-MNIST) ships without them: `build_local_results` measures them on this
machine's copy of the images, into `aecore.pretrained.local_results_root()`. Weights are stored as
float16 (half the size; the quality bars are measured on the float16 models).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import safetensors.numpy
import torch

from aecore import noise

from aecore.studies import page_jobs
from aecore.checkpoint import load, save
from aecore.data import ImageDataset, default_data_root, load_split, split_positions
from aecore.data.download import DATASETS as DOWNLOADED
from aecore.files import write_atomically
from aecore.latent import embed, encode_dataset
from aecore.metrics import reconstruction_metrics
from aecore.models import config_fields
from aecore.pretrained import (LATENT_NAME, MANIFEST_FORMAT, MANIFEST_NAME, RESULTS_NAME, missing_results,
                               pretrained_entry, pretrained_root, read_manifest, results_folder, write_results)
from aecore.recipes import ZOO, Recipe
from aecore.runner import run


RECIPES = ZOO  # the zoo's recipes live in aecore.recipes, with every other recipe
DENOISE_CHECK = ("gaussian", 0.3)  # the noise every model's denoising is measured at, for comparison
WEIGHTS_DTYPE = torch.float16


def build_zoo(out: str | os.PathLike | None = None, only: Sequence[str] | None = None,
              log: Callable[[str], None] | None = print) -> list[dict[str, Any]]:
    """Train every recipe (or `only` these names) into `out` (default `pretrained/`), store each
    model's latent map, and write the manifest. Returns the new manifest entries."""
    root = Path(out or pretrained_root())
    known = {r.name for r in RECIPES}
    unknown = sorted(set(only or ()) - known)
    if unknown:
        raise ValueError(f"unknown zoo model(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    chosen = [r for r in RECIPES if not only or r.name in only]
    root.mkdir(parents=True, exist_ok=True)
    datasets: dict[str, ImageDataset] = {}
    shared: dict[Any, Any] = {}  # measurements that do not depend on the model, made once per build
    built = []
    for recipe in chosen:
        if log:
            log(f"[zoo] {recipe.command()}")
        result = run(recipe.spec)
        save(result.model, root / recipe.name, metadata=result.metadata, dtype=WEIGHTS_DTYPE)
        seconds = round(result.history.wall_time, 2)
        entry = _finish_model(root, recipe, datasets, seconds)
        built.append(entry)
        # Re-read before each write, so two builds of different models into one zoo both land.
        entries = {e["name"]: e for e in read_manifest(root)["models"]}
        _write_manifest(root, {**entries, recipe.name: entry})
        if not entry["local_results"]:  # a downloaded dataset's are measured where it is downloaded
            _store_latent(root, recipe.name, datasets)
            _store_results(root, recipe.name, shared)
            entry["size_bytes"] = _folder_bytes(root / recipe.name)  # with the results stored beside it
            _write_manifest(root, {**entries, recipe.name: entry})
        if log:
            log(f"[zoo] {recipe.name}: test mse {entry['metrics']['mse']:.4f}, PCA {entry['pca']['mse']:.4f}, "
                f"{seconds:.1f} s")
    return built


def build_results(out: str | os.PathLike | None = None, only: Sequence[str] | None = None,
                  log: Callable[[str], None] | None = print) -> list[str]:
    """(Re)measure and store the page results of the zoo's models already built in `out` (default
    `pretrained/`), or of `only` these, without training anything. Returns the names done."""
    root = Path(out or pretrained_root())
    built = [e["name"] for e in read_manifest(root)["models"]]
    unknown = sorted(set(only or ()) - set(built))
    if unknown:
        raise ValueError(f"no built zoo model(s) {', '.join(unknown)} in {root}; built: {', '.join(built) or 'none'}")
    shared: dict[Any, Any] = {}
    for name in [n for n in built if not only or n in only]:
        started = time.perf_counter()
        _store_latent(root, name, {})
        _store_results(root, name, shared)
        if log:
            log(f"[zoo] {name}: results in {time.perf_counter() - started:.1f} s")
    entries = {e["name"]: {**e, "size_bytes": _folder_bytes(root / e["path"])} for e in read_manifest(root)["models"]}
    _write_manifest(root, entries)  # the sizes now count the results files
    return [n for n in built if not only or n in only]


def anomaly_k(dataset: str, latent_dim: int) -> int:
    """PCA's components beside a model of `latent_dim` units, as the page's detector picks it for class 0."""
    normal_train, _ = page_jobs.dataset_split(dataset)
    return min(latent_dim, int((normal_train.labels == 0).sum()))


def _store_results(root: Path, name: str, shared: dict[Any, Any], ahead: Sequence[int] = ()) -> None:
    """Measure what the analysis pages show of one model and write it beside the model. Pixels'
    probe, PCA's probe per code size and PCA's anomaly scores per k are the same for every model
    of a dataset: `shared` keeps them across the models of one build. ahead: the code sizes of the
    models still to measure, whose PCA anomaly scores come from the same fits."""
    model = load(root / name)
    saved = model.checkpoint
    dataset, options = saved["dataset"], saved["metadata"]["dataset_options"]
    if options:  # the pages show the datasets as the app loads them, with default options
        raise ValueError(f"{name} was trained on {dataset} with options {options}; the page results need the defaults")
    dim = model.config.latent_dim
    known = {key: shared[(dataset, key, dim if key == "pca" else None)] for key in ("pixels", "pca")
             if (dataset, key, dim if key == "pca" else None) in shared}
    probe = page_jobs.probe(model, dataset, known)
    for key in ("pixels", "pca"):
        shared[(dataset, key, dim if key == "pca" else None)] = probe["scores"][key]
    measures = page_jobs.code_measures(model, dataset)
    k = anomaly_k(dataset, dim)
    if (dataset, "anomaly", k) not in shared:  # one PCA fit per class serves every k the zoo will ask for
        done = {key[2] for key in shared if key[:2] == (dataset, "anomaly")}
        ks = sorted({k, *(anomaly_k(dataset, d) for d in ahead)} - done)
        for each, scores in page_jobs.single_class_pca_each(dataset, ks).items():
            shared[(dataset, "anomaly", each)] = scores
    scores = page_jobs.anomaly_scores(model, dataset, (0,), k)["scores"]
    write_results(results_folder(name, root) / RESULTS_NAME, {
        "probe": probe, "sensitivity": measures["sensitivity"], "jacobian": measures["jacobian"],
        "kl_per_dim": measures["kl_per_dim"],
        "anomaly": {"scores": scores, "k": k, "normal": (0,), "pca_scores": shared[(dataset, "anomaly", k)]}})


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir())


def _test_split(model: Any, datasets: dict[str, Any]) -> tuple[ImageDataset, np.ndarray]:
    """The test images the app shows of the model's dataset (`aecore.load_split`: its own test file
    where it has one), and their positions in the whole dataset (`aecore.data.split_positions`)."""
    saved = model.checkpoint
    options = saved["metadata"]["dataset_options"]
    key = json.dumps([saved["dataset"], options])
    if key not in datasets:
        train, test = load_split(saved["dataset"], **options)
        datasets[key] = test, split_positions(train, test, saved["dataset"], **options)[1]
    return datasets[key]


def _store_latent(root: Path, name: str, datasets: dict[str, ImageDataset]) -> None:
    """The model's codes of its test images and their 2-D maps, beside its results."""
    model = load(root / name)
    test, test_index = _test_split(model, datasets)
    codes = encode_dataset(model, test)
    latent = {"index": test_index.astype(np.int64), "codes": codes,
              "labels": (test.labels if test.labels is not None else torch.zeros(len(test))).numpy().astype(np.int64),
              "pca": embed(codes, "pca"), "umap": embed(codes, "umap")}
    if codes.shape[1] == 2:
        latent["raw"] = codes
    folder = results_folder(name, root)
    folder.mkdir(parents=True, exist_ok=True)
    safetensors.numpy.save_file({k: np.ascontiguousarray(v) for k, v in latent.items()}, str(folder / LATENT_NAME))


def _finish_model(root: Path, recipe: Recipe, datasets: dict[str, ImageDataset], seconds: float) -> dict[str, Any]:
    model = load(root / recipe.name)
    saved = model.checkpoint
    meta = saved["metadata"]
    test, _ = _test_split(model, datasets)
    config = saved["model"]
    base = {"kind", *(f.name for f in config_fields("ae"))}  # what every kind has: not its own options
    return {
        "name": recipe.name, "description": recipe.description, "path": recipe.name,
        "dataset": saved["dataset"], "dataset_options": meta["dataset_options"], "split": meta["split"],
        "kind": config["kind"], "arch": config["arch"], "latent_dim": config["latent_dim"],
        "input_shape": config["input_shape"],
        "options": {k: v for k, v in config.items() if k not in base},
        "metrics": saved["metrics"]["test"], "pca": saved["metrics"]["pca"],
        "denoise": _denoise_check(model, test),
        # A conditional model's samples are judged per class asked (its samples with no class are not its use).
        **({"prior": prior_check(model, saved["dataset"])} if hasattr(model, "sample") and not model.conditional else {}),
        **({"class_samples": class_check(model, saved["dataset"])} if model.conditional else {}),
        "projections": ["raw", "pca", "umap"] if config["latent_dim"] == 2 else ["pca", "umap"],
        # A downloaded dataset's images are not shipped: the map and results are measured where they are.
        "local_results": saved["dataset"] in DOWNLOADED,
        "recipe": recipe.command(), "train_seconds": seconds,
        "size_bytes": _folder_bytes(root / recipe.name),
    }


@torch.no_grad()
def _denoise_check(model: Any, test: ImageDataset) -> dict[str, float]:
    """PSNR of the noisy test images and of the model's output from them, against the clean ones."""
    kind, level = DENOISE_CHECK
    noisy = noise.corrupt(test.images, kind, level, seed=0)
    return {"noise": kind, "level": level, "noisy_psnr": reconstruction_metrics(test.images, noisy)["psnr"],
            "output_psnr": reconstruction_metrics(test.images, model(noisy).x_hat)["psnr"]}


def prior_check(model: Any, dataset: str) -> dict[str, Any]:
    """What a pixel classifier makes of the VAE's prior samples (`aecore.studies.quality.prior_samples`,
    judged by a logistic regression fit on the training images of `dataset`): {"confidence": mean
    top-class probability, "min_share": the rarest class's share}. The Sample page offers the VAE
    whose samples read most clearly first."""
    from aecore.studies.quality import prior_samples  # scikit-learn's fit: only where a VAE is checked

    train, _ = load_split(dataset)
    checked = prior_samples(model, train)
    return {"confidence": round(checked["confidence"], 4), "min_share": round(checked["min_share"], 4)}


def class_check(model: Any, dataset: str) -> dict[str, Any]:
    """What an MLP pixel classifier fit on the training images of `dataset` makes of a conditional
    model's samples of each class (`aecore.studies.quality.class_samples`, 100 per class): {"accuracy":
    each class's share named as that class, "min", "mean"}. The Sample page quotes it beside its live number."""
    from aecore.studies.quality import class_samples

    train, _ = load_split(dataset)
    checked = class_samples(model, train)
    return {"accuracy": [round(a, 4) for a in checked["accuracy"]], "min": round(checked["min"], 4),
            "mean": round(checked["mean"], 4)}


def _write_manifest(root: Path, entries: dict[str, dict[str, Any]]) -> None:
    order = {r.name: i for i, r in enumerate(RECIPES)}
    # A model whose recipe was removed leaves the manifest with it: the zoo is what the recipes make.
    models = sorted((e for e in entries.values() if e["name"] in order), key=lambda e: order[e["name"]])
    text = json.dumps({"format": MANIFEST_FORMAT, "models": models}, indent=1, allow_nan=False) + "\n"
    write_atomically(root / MANIFEST_NAME, text, mode=0o644)


# What does not depend on the model (pixels' and PCA's probe draws, PCA's anomaly scores), per data
# folder, kept for the life of the process: the app measures one model per job, in one worker.
_LOCAL_SHARED: dict[str, dict[Any, Any]] = {}


def build_local_results(dataset: str, root: str | os.PathLike | None = None,
                        progress: Callable[[int, int, str], None] | None = None,
                        decoders: str | os.PathLike | None = None, only: Sequence[str] | None = None) -> list[str]:
    """Measure the latent maps and page results of the shipped models of a downloaded `dataset`
    that lack them, on this machine's copy of its images. progress(done, total, next model's name)
    before each model and once at the end. Returns the names measured. `decoders`: also export each
    one's decoder into that ONNX cache (`aecore.export.cached_decoder`), so that the latent map's
    hover decoder is ready on the first visit instead of queueing a 2 to 10 s export then. `only`:
    measure only these of the missing ones."""
    root = Path(root or pretrained_root())
    names = [n for n in missing_results(dataset, root) if only is None or n in only]
    datasets: dict[str, ImageDataset] = {}
    shared = _LOCAL_SHARED.setdefault(str(default_data_root()), {})
    # Every model still missing, not only these: a per-model job's fits then serve the jobs after it.
    ahead = [pretrained_entry(n, root)["latent_dim"] for n in missing_results(dataset, root)]
    for done, name in enumerate(names):
        if progress:
            progress(done, len(names), name)
        _store_latent(root, name, datasets)
        _store_results(root, name, shared, ahead)
        _drop_older_results(name, results_folder(name, root))
        if decoders is not None:
            from aecore.export import cached_decoder  # torch.onnx loads only where it is asked for

            cached_decoder(load(root / name), decoders)
    if progress:
        progress(len(names), len(names), "")
    return names


def _drop_older_results(name: str, current: Path) -> None:
    """Remove what was measured here for earlier weights of a shipped model (see `results_folder`)."""
    # The bare name: before results were kept per weights; no split tag: before they were kept per split.
    older = re.compile(rf"{re.escape(name)}(-[0-9a-f]{{12}})?(-official-test|-split-[0-9.]+-[0-9]+)?")
    for folder in current.parent.iterdir():
        if folder != current and folder.is_dir() and older.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
