"""The denoise lab's app side: which models to offer, the cached ladders and the figure, the
concept's live numbers.

Every control change reruns the page, so the expensive part (running the models at every noise
level and drawing the frames) is cached on the inputs that change it; moving the starting level
alone is a cache hit that only picks another frame. Models reach the caches as `_`-prefixed
arguments beside a key that identifies their weights (docs/streamlit-notes.md: not hashable).
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st
import torch

import aecore
from aecore.studies import lab, lab_curves
from ui.core import state
from ui.core.concepts import Live
from ui.core.cache import model_key, test_split
from ui.ladder_figure import at_level, ladder_figure, psnr_text
from ui.core.models import pretrained_entries, pretrained_model, zoo_stamp

CURVE_IMAGES = lab_curves.CURVE_IMAGES  # test images behind the PSNR curve
DEFAULT_LEVEL = 0.3  # the level the zoo's denoising models were trained at
UPLOAD_COLUMN = "your image"
NO_MODEL = "none"  # model B's option for no second model


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


@st.cache_data(show_spinner="Running the model at every noise level…", max_entries=64)
def _outputs(images_key: tuple, key: str, name: str, _model: aecore.Autoencoder, _noisy: torch.Tensor) -> torch.Tensor:
    # One model's outputs for one ladder: switching model A leaves model B's outputs cached.
    return lab.run_ladder(_model, _noisy, name)


def _ladder(images_key: tuple, x: torch.Tensor, actives: list[state.ActiveModel], keys: tuple[str, ...],
            kind: str, seed: int) -> lab.DenoiseLadder:
    levels = lab.noise_levels(kind)
    noisy = lab.noisy_ladder(x, kind, levels, seed)
    outputs = {a.name: _outputs(images_key, key, a.name, a.model, noisy) for a, key in zip(actives, keys)}
    return lab.denoise_ladder(x, {a.name: a.model for a in actives}, kind, levels, seed, outputs)


@st.cache_data(show_spinner="Running the models at every noise level…", max_entries=32)
def _lab_view(dataset: str, keys: tuple[str, ...], _actives: list[state.ActiveModel], kind: str, seed: int,
              count: int, classes: tuple[int, ...], shuffle: bool, upload_key: str | None,
              _upload: torch.Tensor | None, curves: dict[str, list[float]], zoom: float) -> LabView:
    test = test_split(dataset)
    index = lab.pick_images(test, count, list(classes) if test.labels is not None else None, shuffle, seed)
    grid = _ladder((dataset, kind, seed, count, classes, shuffle), test.images[index], _actives, keys, kind, seed)
    columns = [test.classes[int(label)] for label in test.labels[index]] if test.labels is not None else [""] * len(index)
    ladders = [grid]
    if _upload is not None:  # the same seed: the upload's noise is drawn like the test images'
        ladders.insert(0, _ladder((dataset, upload_key, kind, seed), _upload[None], _actives, keys, kind, seed))
        columns.insert(0, UPLOAD_COLUMN)
    figure = ladder_figure(ladders, columns, noise_level_label(kind), summary=grid, curves=curves,
                           curve_title=f"PSNR against noise level: mean over {CURVE_IMAGES} fixed test images",
                           zoom=zoom)
    return LabView(figure, grid.levels, grid.mean_psnr())


@st.cache_resource(show_spinner=False, max_entries=32)
def _figure_at(inputs: tuple, index: int, _view: LabView) -> go.Figure:
    # A go.Figure is validated once, here; st.plotly_chart validates a plain dict on every rerun
    # (about as long as the rest of a cached rerun). Shared between sessions: read-only.
    return go.Figure(at_level(_view.figure, index))  # _view is a fresh copy from st.cache_data


def lab_view(dataset: str, actives: list[state.ActiveModel], kind: str, seed: int, count: int,
             classes: tuple[int, ...], shuffle: bool, upload: torch.Tensor | None, upload_key: str | None,
             level: float, zoom: float = 1.0) -> tuple[LabView, int, go.Figure]:
    """The cached view, the index of `level` in its ladder, and the figure starting at that level.
    zoom: grows the pictures and the headline (presenter mode)."""
    curves = curve_means(dataset, actives, kind)
    # The curves too: a downloaded dataset's stored ones arrive from the background after the page
    # first drew the computed ones, and the figure must not stay on those.
    inputs = (dataset, tuple(model_key(a) for a in actives), kind, seed, count, classes, shuffle, upload_key, zoom,
              tuple((name, tuple(values)) for name, values in curves.items()))
    view = _lab_view(dataset, inputs[1], actives, kind, seed, count, classes, shuffle, upload_key, upload,
                     curves, zoom)
    index = min(range(len(view.levels)), key=lambda i: abs(view.levels[i] - level))
    return view, index, _figure_at(inputs, index, view)


@st.cache_resource(show_spinner=False, max_entries=8)
def _stored_curves(dataset: str, stamp: str, curves_stamp: str) -> dict:
    """The zoo's stored curves of `dataset` (`aecore.studies.lab_curves.load_curves`), read again when the
    zoo changes (`zoo_stamp`) or its curves file does (a downloaded dataset's are measured here in
    the background after the download); shared, read-only."""
    return lab_curves.load_curves(dataset)


def _curves_stamp(dataset: str) -> str:
    path = lab_curves.curves_path(dataset)
    return f"{path}@{path.stat().st_mtime_ns}" if path.is_file() else f"{path}@none"


@st.cache_data(show_spinner="Scoring the model at every noise level…", max_entries=64)
def _computed_curve(dataset: str, key: str | None, kind: str, _model: aecore.Autoencoder | None) -> list[float]:
    return lab_curves.psnr_curve(lab_curves.curve_images(test_split(dataset)), kind, _model)


def _curve(dataset: str, active: state.ActiveModel | None, kind: str) -> list[float]:
    """The mean PSNR per level of `active` (None: the noisy input): stored for the zoo, else computed once."""
    stored = _stored_curves(dataset, zoo_stamp(), _curves_stamp(dataset))
    if active is None:
        return stored["noisy"].get(kind) or _computed_curve(dataset, None, kind, None)
    if active.source == "pretrained" and kind in stored["models"].get(active.name, {}):
        return stored["models"][active.name][kind]
    return _computed_curve(dataset, model_key(active), kind, active.model)


def curve_means(dataset: str, actives: list[state.ActiveModel], kind: str) -> dict[str, list[float]]:
    """PSNR against level over the fixed curve images (`aecore.studies.lab_curves`), whatever images the grid shows:
    the noisy input's and each model's."""
    means = {lab.NOISY: _curve(dataset, None, kind)}
    means.update({active.name: _curve(dataset, active, kind) for active in actives})
    return means


def concept_numbers(view: LabView, index: int, actives: list[state.ActiveModel]) -> list[Live]:
    """The denoising concept's live numbers at level `index`: the noisy input's PSNR, then each
    model's with its gain over the noisy input."""
    noisy = view.mean_psnr[lab.NOISY][index]
    level = view.levels[index]
    numbers = [Live(f"Noisy input PSNR at {level:.2f}", psnr_text(noisy), help="Mean over the test images shown.")]
    for active in actives:
        value = view.mean_psnr[active.name][index]
        numbers.append(Live(f"{active.name} PSNR at {level:.2f}", psnr_text(value),
                            delta=None if noisy >= 99.9 else f"{round(value, 1) - round(noisy, 1):+.1f} dB gain"))
    return numbers


def lesson_facts(view: LabView, index: int, actives: list[state.ActiveModel]) -> dict[str, float]:
    """The numbers a lesson's claim may name, at level `index`: the best mean PSNR of the models shown
    that were trained to denoise, and of the others (each only when such a model is shown)."""
    kinds = {a.name: a.model.kind for a in actives}
    facts = {}
    for fact, denoiser in (("psnr_denoiser", True), ("psnr_other", False)):
        values = [view.mean_psnr[name][index] for name, kind in kinds.items() if (kind == "denoising") == denoiser]
        if values:
            facts[fact] = max(values)
    return facts


def forget_other_classes(key: str, classes: list[str]) -> None:
    """Let the class picker `key` start afresh (every class) when it holds classes of another dataset:
    Streamlit would keep only the valid ones, often none, and the page would ask for a class."""
    chosen = st.session_state.get(key)
    if chosen is not None and not set(chosen) <= set(classes):
        del st.session_state[key]


def default_level(levels: list[float]) -> float:
    """The ladder level nearest DEFAULT_LEVEL, so the slider starts on one of its own steps."""
    return min(levels, key=lambda level: abs(level - DEFAULT_LEVEL))


def noise_level_label(kind: str) -> str:
    meaning, _, _ = aecore.noise.describe_level(kind)
    return f"noise level ({meaning})"
