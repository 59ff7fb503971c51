"""The denoise lab's app side: which models to offer, the cached ladders and figures, the upload.

Every control change reruns the page, so the expensive part (running the models at every noise
level and drawing the frames) is cached on the inputs that change it; moving the level alone is a
cache hit that only picks another frame. Models reach the caches as `_`-prefixed arguments beside
a key that identifies their weights (STACK.md: tensors and modules cannot be hashed).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

import aecore
from aecore import lab
from ui import state
from ui.cache import model_key, test_split
from ui.ladder_figure import at_level, ladder_figure, psnr_curve_figure
from ui.models import pretrained_entries, pretrained_model

CURVE_IMAGES = 200  # test images behind the PSNR curve: a steady mean, still quick to compute
DEFAULT_LEVEL = 0.3  # the level the zoo's denoising models were trained at
UPLOAD_COLUMN = "your image"


@dataclass
class LabView:
    """What the page draws for one set of inputs, at every level of the ladder."""

    figure: dict  # ladder_figure's dict, all frames
    levels: list[float]
    mean_psnr: dict[str, list[float]]  # lab.NOISY and each model -> mean over the shown test images


def _active_or_none() -> state.ActiveModel | None:
    try:
        return state.active_model()
    except (ValueError, IndexError):  # a dataset whose zoo has no model yet
        return None


def model_names(dataset: str) -> list[str]:
    """Models whose images fit `dataset`: the active one, the session's, then the zoo's."""
    names = []
    active = _active_or_none()
    if active is not None and active.dataset == dataset:
        names.append(active.name)
    names += [name for name, model in state.session_models().items() if model.dataset == dataset]
    names += [entry["name"] for entry in pretrained_entries(dataset)]
    return list(dict.fromkeys(names))


def default_pair(dataset: str, names: list[str]) -> tuple[str, str | None]:
    """(model A, model B): the active (or the dataset's default) model beside a denoising one."""
    active = _active_or_none()
    if active is not None and active.name in names:
        first = active.name
    else:
        first = state.DEFAULT_PRETRAINED[dataset] if state.DEFAULT_PRETRAINED.get(dataset) in names else names[0]
    denoisers = [entry["name"] for entry in pretrained_entries(dataset) if entry["kind"] == "denoising"]
    second = next((name for name in denoisers + names if name != first), None)
    return first, second


def resolve_model(name: str) -> state.ActiveModel:
    """The model behind a name from `model_names`."""
    active = _active_or_none()
    if active is not None and active.name == name:
        return active
    return state.session_models().get(name) or pretrained_model(name)


def chosen_models(model_a: str, model_b: str | None) -> list[state.ActiveModel]:
    """Model A, and model B unless it is missing or the same model."""
    names = [model_a] + ([model_b] if model_b not in (None, model_a) else [])
    return [resolve_model(name) for name in names]


@st.cache_data(show_spinner=False, max_entries=16)
def read_upload(file_id: str, _data: bytes, shape: tuple[int, int, int], invert: bool, name: str) -> torch.Tensor:
    """An uploaded file as one (C, H, W) image; ValueError with a message to show otherwise."""
    return lab.image_from_bytes(_data, shape, invert=invert, name=name)


def _models(actives: list[state.ActiveModel]) -> dict[str, aecore.Autoencoder]:
    return {active.name: active.model for active in actives}


@st.cache_data(show_spinner="Running the models at every noise level…", max_entries=32)
def _lab_view(dataset: str, keys: tuple[str, ...], _actives: list[state.ActiveModel], kind: str, seed: int,
              count: int, classes: tuple[int, ...], shuffle: bool, upload_key: str | None,
              _upload: torch.Tensor | None) -> LabView:
    test = test_split(dataset)
    index = lab.pick_images(test, count, list(classes) if test.labels is not None else None, shuffle, seed)
    levels, models = lab.noise_levels(kind), _models(_actives)
    grid = lab.denoise_ladder(test.images[index], models, kind, levels, seed)
    columns = [test.classes[int(label)] for label in test.labels[index]] if test.labels is not None else [""] * len(index)
    ladders = [grid]
    if _upload is not None:  # the same seed: the upload's noise is drawn like the test images'
        ladders.insert(0, lab.denoise_ladder(_upload[None], models, kind, levels, seed))
        columns.insert(0, UPLOAD_COLUMN)
    figure = ladder_figure(ladders, columns, "level", summary=grid)
    return LabView(figure, levels, grid.mean_psnr())


@st.cache_data(show_spinner="Scoring the models at every noise level…", max_entries=32)
def _curve(dataset: str, keys: tuple[str, ...], _actives: list[state.ActiveModel], kind: str, seed: int,
           classes: tuple[int, ...]) -> dict[str, list[float]]:
    test = test_split(dataset)
    index = lab.pick_images(test, CURVE_IMAGES, list(classes) if test.labels is not None else None)
    return lab.denoise_ladder(test.images[index], _models(_actives), kind, lab.noise_levels(kind), seed).mean_psnr()


def lab_view(dataset: str, actives: list[state.ActiveModel], kind: str, seed: int, count: int,
             classes: tuple[int, ...], shuffle: bool, upload: torch.Tensor | None, upload_key: str | None,
             level: float) -> tuple[LabView, int]:
    """The grid's figure showing `level`, and that level's index in the ladder."""
    view = _lab_view(dataset, tuple(model_key(a) for a in actives), actives, kind, seed, count, classes,
                     shuffle, upload_key, upload)
    index = min(range(len(view.levels)), key=lambda i: abs(view.levels[i] - level))
    at_level(view.figure, index)  # our own copy: st.cache_data hands out a fresh one each call
    return view, index


def curve_figure(dataset: str, actives: list[state.ActiveModel], kind: str, seed: int,
                 classes: tuple[int, ...], level: float) -> dict:
    """The PSNR-against-level figure over up to CURVE_IMAGES test images of the chosen classes."""
    means = _curve(dataset, tuple(model_key(a) for a in actives), actives, kind, seed, classes)
    return psnr_curve_figure(lab.noise_levels(kind), means, level, noise_level_label(kind))


def default_level(levels: list[float]) -> float:
    """The ladder level nearest DEFAULT_LEVEL, so the slider starts on one of its own steps."""
    return min(levels, key=lambda level: abs(level - DEFAULT_LEVEL))


def noise_level_label(kind: str) -> str:
    meaning, _, _ = aecore.noise.describe_level(kind)
    return f"noise level ({meaning})"


def psnr_text(value: float) -> str:
    """PSNR for a metric; an untouched image has no finite PSNR (aecore caps it at 100 dB)."""
    return "∞ (no noise)" if value >= 99.9 else f"{value:.1f} dB"
