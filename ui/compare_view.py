"""The Compare page's app side: which models can be compared, each model's map and numbers (stored,
computed now or in the background), the linked maps component, and what a selection shows.

A zoo model's stored codes, maps and probe (`aecore.pretrained`) are read, not computed. What is
left (trustworthiness; everything for a model with nothing stored) is computed in the script run
only where the test split is small (digits: a few milliseconds), else in the server's job queue,
two jobs per model and map method for the whole server, which a fragment polls: its map
(`aecore.studies.compare.map_job`, every model's queued before any numbers, so the maps appear within
seconds), then the numbers under it (`aecore.studies.compare.measure_job`). Models reach the caches as
`_`-prefixed arguments beside `model_key` (docs/streamlit-notes.md).
"""

from __future__ import annotations

import io
import math
from base64 import b64encode
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import torch
from PIL import Image

import aecore
from aecore.studies import compare
from aecore.workers import DONE, FAILED, Job
from ui.core import jobs, presenter, state
from ui.core.cache import model_key, split_positions, test_split, train_test_split
from ui.core.gallery import compose_grid
from ui.core.models import pretrained_entries, pretrained_model
from ui.core.palette import CLASS_COLOURS

MODELS_KEY, METHOD_KEY = "cm_models", "cm_method"  # widget keys, and the link's query parameters
MAPS_KEY = "cm_maps"  # the linked maps component
SELECTION_KEY = "cm_selection"  # session state: {"dataset", "rows"} of the images selected on a map
SEEN_KEY = "cm_dataset"  # session state: the dataset the model choice was made for
METHOD_LABELS = {"pca": "PCA", "umap": "UMAP"}
INLINE_POINTS = 500  # maps of at most this many images are measured in the script run (trustworthiness ~50 ms)
MAX_SHOWN = 32  # selected images drawn under the maps
HEIGHT_PX = 360  # the maps' largest height
MEANINGS = ("**Trustworthiness**: of each image's 10 nearest dots on the map, how many are also near it "
            "in pixels (1 = the map puts no strangers together; a random map gives about 0.5).  \n"
            "**Linear probe**: the share of test images whose class a logistic regression reads right from "
            "the model's full code, fitted on the training images' codes and labels.")

# The linked maps: ui/compare_maps.js draws them, ui/compare_maps.css styles them (inside a shadow root).
_maps = st.components.v2.component("aecore_compare_maps", js=Path(__file__).with_name("compare_maps.js").read_text(),
                                   css=Path(__file__).with_name("compare_maps.css").read_text())


@dataclass
class Measured:
    """One model's map (not yet aligned) and numbers, each None while its job runs."""

    map: np.ndarray | None = None  # (N, 2)
    trustworthiness: float | None = None
    probe: float | None = None
    job: Job | None = None

    @property
    def pending(self) -> bool:
        return self.job is not None and not self.job.finished

    @property
    def error(self) -> str | None:
        return self.job.error if self.job is not None and self.job.state == FAILED else None


# --- which models ------------------------------------------------------------------------------
def model_options(active: state.ActiveModel) -> list[str]:
    """The models a comparison can take: the session's own models of the active dataset (the active
    one first), then the zoo's models of it."""
    own = [m for m in state.session_models().values() if m.dataset == active.dataset]
    if active.source != "pretrained" and all(m.name != active.name for m in own):
        own.insert(0, active)
    own.sort(key=lambda m: m.name != active.name)
    return [m.name for m in own] + [e["name"] for e in pretrained_entries(active.dataset)]


def default_models(dataset: str) -> list[str]:
    """One zoo model per regularizer (`aecore.studies.compare.default_selection`)."""
    return compare.default_selection(pretrained_entries(dataset), aecore.recipes.DEFAULT_MODELS.get(dataset))


def follow_dataset(dataset: str, options: list[str]) -> None:
    """Before the model choice is drawn: when the active dataset has changed since it was made, start
    from the new dataset's default models (the old ones are not options any more), unless the choice
    already names models of the new one (a lesson step sets both)."""
    seen, chosen = st.session_state.get(SEEN_KEY), st.session_state.get(MODELS_KEY)
    if seen is not None and seen != dataset and not (chosen and set(chosen) <= set(options)):
        st.session_state[MODELS_KEY] = default_models(dataset)
    st.session_state[SEEN_KEY] = dataset


def resolve(names: list[str], active: state.ActiveModel) -> list[state.ActiveModel]:
    """The chosen models; ValueError (aecore.studies.compare.check_selection's) for a choice that cannot be compared."""
    own = {m.name: m for m in (*state.session_models().values(), active)}
    models = [own[name] if name in own else pretrained_model(name) for name in names]
    compare.check_selection([m.dataset for m in models])
    return models


# --- measuring ---------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=8)
def rows(dataset: str) -> np.ndarray:
    """Positions in the test split of the images every map shows."""
    return compare.subset_rows(len(test_split(dataset)))


@st.cache_data(show_spinner=False, max_entries=8)
def _test_positions(dataset: str) -> dict[int, int]:
    # A zoo model's stored arrays name their images by position in the full dataset.
    return {int(full): i for i, full in enumerate(split_positions(dataset)[1])}


@st.cache_data(show_spinner=False, max_entries=32)
def _known(name: str, method: str, dataset: str) -> dict[str, Any]:
    """What a zoo model has stored for the map of `method`: codes of the shown images, the map
    (stored UMAP; PCA of the stored codes, milliseconds) and its probe accuracy; {} without results."""
    if not aecore.pretrained.has_results(name):
        return {}
    stored = aecore.load_latent(name)
    positions = _test_positions(dataset)  # once: a cached call per image cost 2.4 s for 10,000 images
    where = {positions[int(full)]: i for i, full in enumerate(stored["index"])}
    if not all(int(r) in where for r in rows(dataset)):  # a map stored for fewer images: measure afresh
        return {}
    picked = np.array([where[int(r)] for r in rows(dataset)])
    known = {"codes": stored["codes"][picked]}
    if method == "umap" and "umap" in stored:
        known["map"] = stored["umap"][picked]
    elif method == "pca":
        known["map"] = compare.plane(known["codes"], "pca")
    probe = aecore.load_results(name)["probe"]
    if "all" in probe["label_counts"]:
        known["probe"] = probe["scores"]["autoencoder"]["logistic"]["all"][0]
    return known


def _stored(active: state.ActiveModel, method: str) -> dict[str, Any]:
    return _known(active.name, method, active.dataset) if active.source == "pretrained" else {}


@st.cache_data(show_spinner="Measuring…", max_entries=32)
def _inline(key: str, method: str, dataset: str, _active: state.ActiveModel) -> dict[str, Any]:
    train, test = train_test_split(dataset)
    return compare.measure(_active.model, train, test, rows(dataset), method, _stored(_active, method))


def _source(active: state.ActiveModel) -> str | bytes:
    return active.name if active.source == "pretrained" else aecore.to_zip_bytes(active.model)


def _map_job(active: state.ActiveModel, method: str) -> Job:
    """The server's job drawing a model's map for a method (codes of the shown images, then the plane)."""
    return jobs.server_job(("compare-map", model_key(active), method), compare.map_job,
                           lambda: (_source(active), active.dataset, rows(active.dataset), method,
                                    _stored(active, method)), name=f"compare map: {active.name}")


def _numbers_job(active: state.ActiveModel, method: str, drawn: dict[str, np.ndarray]) -> Job:
    """The server's job measuring the numbers under a model's map (`drawn`: its codes and map)."""
    return jobs.server_job(("compare", model_key(active), method), compare.measure_job,
                           lambda: (_source(active), active.dataset, rows(active.dataset), method,
                                    {**_stored(active, method), **drawn}), name=f"compare: {active.name}")


def _quick(active: state.ActiveModel, method: str) -> bool:
    return len(rows(active.dataset)) <= INLINE_POINTS and (method != "umap" or "map" in _stored(active, method))


def drawn_map(active: state.ActiveModel, method: str) -> tuple[dict[str, np.ndarray] | None, Job | None]:
    """({"codes", "map"}, its job or None) of a model that is not measured in the script run: stored,
    or from its map job once done; else (None, the map job)."""
    known = _stored(active, method)
    if "map" in known:
        return {"codes": known["codes"], "map": known["map"]}, None
    job = _map_job(active, method)
    return (job.result, job) if job.state == DONE else (None, job)


def measured(active: state.ActiveModel, method: str) -> Measured:
    """A model's map and numbers for `method`: at once where stored or quick, else from its jobs
    (the map first, then the numbers under it)."""
    if _quick(active, method):
        return Measured(**{k: v for k, v in _inline(model_key(active), method, active.dataset, active).items()
                           if k != "codes"})
    known = _stored(active, method)
    drawn, map_job = drawn_map(active, method)
    if drawn is None:
        return Measured(None, None, known.get("probe"), map_job)
    job = _numbers_job(active, method, drawn)
    if job.state == DONE:
        return Measured(job.result["map"], job.result["trustworthiness"], job.result["probe"], job)
    return Measured(drawn["map"], None, known.get("probe"), job)


def measure_all(models: list[state.ActiveModel], method: str) -> tuple[list[Measured], str | None]:
    """Every model's measures, and a note when UMAP is still computing (PCA is shown meanwhile)."""
    for model in models:  # every map job is queued before any numbers job: the maps come first
        if not _quick(model, method):
            drawn_map(model, method)
    shown = [measured(m, method) for m in models]
    if method == "umap" and any(m.map is None for m in shown):
        failed = next((m.error for m in shown if m.error), None)
        note = (f"UMAP failed: {failed}. Showing PCA instead." if failed else
                "UMAP maps are computed in the background; PCA is shown meanwhile and UMAP appears by itself.")
        return [measured(m, "pca") for m in models], note
    return shown, None


def waiting(shown: list[Measured], models: list[state.ActiveModel], method: str) -> list[Job]:
    """Jobs still running for what is shown, and for the UMAP maps asked for."""
    pending = [m.job for m in shown if m.pending]
    if method == "umap":
        pending += [j for m in models for kind in ("compare-map", "compare")
                    if (j := jobs.peek_server_job((kind, model_key(m), "umap"))) is not None and not j.finished]
    return list({id(j): j for j in pending}.values())


@st.fragment(run_every=1)
def progress(watched: list[Job], method: str) -> None:
    """While jobs run: how many and for how long, redrawn every second; once all have ended, a rerun
    of the page swaps the results in."""
    if all(job.finished for job in watched):
        st.rerun(scope="app")
    for job in watched:
        job.touch()
    seconds = max(job.seconds for job in watched)
    compiling = " (a worker's first UMAP also compiles umap-learn: tens of seconds)" if method == "umap" else ""
    st.info(f"Measuring {len(watched)} model{'s' if len(watched) > 1 else ''} in the background… {seconds:.0f} s"
            f"{compiling}. The numbers (and maps) appear by themselves when they are ready.",
            icon=":material/hourglass_top:")


# --- drawing -----------------------------------------------------------------------------------
def linked_maps(models: list[state.ActiveModel], shown: list[Measured], dataset: str) -> None:
    """The maps side by side, each turned onto the first (`aecore.studies.compare.align_maps`): hovering a dot
    rings that image on every map in the browser; a click or a box selects (one rerun)."""
    aligned = np.stack(compare.align_maps([m.map for m in shown])).astype(np.float32)  # (maps, N, 2)
    test, shown_rows = test_split(dataset), rows(dataset)
    chosen = set(selection(dataset))
    data = {"names": [m.name for m in models], "points": b64encode(aligned.tobytes()).decode(),
            "rows": shown_rows.tolist(), "labels": b64encode(_labels(dataset).tobytes()).decode(),
            "classes": list(test.classes), "palette": CLASS_COLOURS[:len(test.classes)], "selected": [i for i, r in enumerate(shown_rows.tolist()) if r in chosen],
            "height": presenter.scale(HEIGHT_PX), "radius": 3.5 if len(shown_rows) <= INLINE_POINTS else 2.2,
            **_sprite(dataset),
            "hint": "Hover a dot to ring that image on every map; click a dot or drag a box to select, "
                    "click an empty spot to clear."}
    _maps(key=MAPS_KEY, data=data, on_selection_change=partial(_remember, dataset))


@st.cache_data(show_spinner=False, max_entries=8)
def _labels(dataset: str) -> np.ndarray:
    return test_split(dataset).labels[torch.as_tensor(rows(dataset))].numpy().astype(np.uint8)


@st.cache_data(show_spinner=False, max_entries=8)
def _sprite(dataset: str) -> dict[str, Any]:
    """The shown test images as one PNG (base64), one tile per image row by row, for the hover
    thumbnail: {"sprite", "sprite_columns", "image_shape": [H, W]}."""
    images = test_split(dataset).images[torch.as_tensor(rows(dataset))]  # (N, C, H, W) in [0, 1]
    n, channels, h, w = images.shape
    columns = math.ceil(math.sqrt(n))
    tiles = np.zeros((math.ceil(n / columns) * columns, channels, h, w), np.uint8)
    tiles[:n] = (images.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    grid = tiles.reshape(-1, columns, channels, h, w).transpose(0, 3, 1, 4, 2).reshape(-1, columns * w, channels)
    buffer = io.BytesIO()
    Image.fromarray(grid[..., 0] if channels == 1 else grid).save(buffer, format="PNG")
    return {"sprite": b64encode(buffer.getvalue()).decode(), "sprite_columns": columns, "image_shape": [h, w]}


def _remember(dataset: str) -> None:
    """The maps' `selection` trigger: keep the selected images (as test-split rows) for every map."""
    value = st.session_state.get(MAPS_KEY)
    picked = value.get("selection") if hasattr(value, "get") else getattr(value, "selection", None)
    if picked is None:
        return
    shown_rows = rows(dataset)
    st.session_state[SELECTION_KEY] = {"dataset": dataset, "rows": [int(shown_rows[i]) for i in picked]}


def selection(dataset: str) -> list[int]:
    """Test-split rows of the images selected on a map of `dataset`."""
    stored = st.session_state.get(SELECTION_KEY)
    return list(stored["rows"]) if stored and stored["dataset"] == dataset else []


def numbers(shown: Measured) -> tuple[str, str]:
    """A map's trustworthiness and probe accuracy as text ("…" while measured, "failed" after an error)."""
    missing = "failed" if shown.error else "…"
    trust = missing if shown.trustworthiness is None else f"{shown.trustworthiness:.3f}"
    probe = missing if shown.probe is None else f"{shown.probe:.1%}"
    return trust, probe


def lesson_facts(shown: list[Measured]) -> dict[str, float]:
    """The numbers a lesson's claim may name: "same_order" is 1 when trustworthiness and the probe
    put the models in the same order (ties aside), else 0; nothing until every model has both."""
    pairs = [(m.trustworthiness, m.probe) for m in shown]
    if len(pairs) < 2 or any(t is None or p is None for t, p in pairs):
        return {}
    by_trust = sorted(range(len(pairs)), key=lambda i: pairs[i][0])
    by_probe = sorted(range(len(pairs)), key=lambda i: pairs[i][1])
    return {"same_order": float(by_trust == by_probe)}


def map_note(model: state.ActiveModel, method: str) -> str:
    """Under a map: its code size and how the map was made."""
    dim = model.model.config.latent_dim
    how = "the 2-D code itself" if dim == 2 and method == "pca" else f"{METHOD_LABELS[method]} of the {dim}-D code"
    return f"{model.model.kind} · {how}"


def selected_images(dataset: str, picked: list[int]) -> tuple[np.ndarray, dict[str, int]]:
    """Up to MAX_SHOWN selected test images as one picture, and the selection's class counts."""
    test = test_split(dataset)
    images = test.images[torch.as_tensor(picked[:MAX_SHOWN])]
    counts = dict(Counter(test.classes[label] for label in test.labels[torch.as_tensor(picked)].tolist()).most_common())
    return compose_grid(images, min(16, len(images)), 48), counts
