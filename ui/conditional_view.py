"""The app side of the conditional VAE on the Sample & traverse page: samples of a class the user
picks, and "same style, other digit" (one test image's code decoded under every class), each with a
live number from a pixel classifier trained on real training images. The classifier is trained once
per dataset by a server job (`aecore.studies.jobs.sample_judge`); until it is ready the numbers wait.

The model is the active one when it is conditional, else the zoo's conditional VAE of the active
dataset. Figures are cached by (model key, settings) and shared between sessions: read-only.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

import aecore
from aecore import generate
from aecore.models.registry import model_class
from ui.core import jobs, state
from ui.core.cache import model_key, test_split
from ui.core.frame_figure import still_figure
from ui.core.models import pretrained_entries, pretrained_model

SAMPLE_COLUMNS = 8
# Real training images the page's judge (the zoo check's MLP) learns from: MNIST's 10,000 took 34 s on
# a busy core, 2,000 a few seconds; the zoo's recorded check (docs/zoo.md) uses the full 10,000.
JUDGE_IMAGES = 2000


def conditional_names(dataset: str) -> list[str]:
    """The zoo's conditional models (kind cvae) of `dataset`, in manifest order."""
    return [e["name"] for e in pretrained_entries(dataset) if model_class(e["kind"]).conditional]


def conditional_model(active: state.ActiveModel) -> state.ActiveModel | None:
    """The model this section draws from: the active one when it is conditional, else the zoo's first
    conditional model of the active dataset, else None."""
    if active.model.conditional:
        return active
    names = conditional_names(active.dataset)
    return pretrained_model(names[0]) if names else None


def class_names(dataset: str) -> list[str]:
    test = test_split(dataset)
    return list(test.classes)


def recorded_words(name: str) -> str:
    """What the zoo's check found of model `name`'s class samples, as a sentence ("" when unchecked)."""
    entry = next((e for e in pretrained_entries() if e["name"] == name), {})
    check = entry.get("class_samples")
    if not check:
        return ""
    worst = int(np.argmin(check["accuracy"]))
    return (f"When the zoo was built, the same kind of classifier trained on 10,000 real training images named "
            f"{check['mean']:.1%} of 100 samples per class as the class asked; its hardest class, "
            f"{class_names(entry['dataset'])[worst]}, at {check['min']:.0%}.")


def judge_job(dataset: str) -> jobs.Job:
    """The server's job training the pixel classifier that judges samples of `dataset` (one for everyone)."""
    return jobs.server_job(("sample judge", dataset, JUDGE_IMAGES), aecore.studies.jobs.sample_judge,
                           lambda: (dataset, JUDGE_IMAGES), name=f"the judge of {dataset}'s samples")


def named_share(dataset: str, images: torch.Tensor, labels: np.ndarray) -> float | None:
    """Share of `images` that the pixel classifier of `dataset` names as their `labels`; None while
    the classifier is still being trained (or failed: `judge_job` says which)."""
    job = judge_job(dataset)
    if job.state != jobs.DONE:
        return None
    return float(np.mean(job.result.predict(images.flatten(1).double().numpy()) == labels))


def share_text(share: float | None) -> str:
    """A judged share as the metric shows it: "…" while the judge is being trained."""
    return "…" if share is None else f"{share:.0%}"


def wait_for_judge(dataset: str) -> None:
    """While the judge of `dataset` trains: say so, and rerun the page when it is ready (its shares
    then show); if it failed, say why."""
    job = judge_job(dataset)
    if job.state == jobs.FAILED:
        st.error(f"Training the judge of the samples failed: {job.error}")
    elif not job.finished:
        jobs.poll_until_finished(job, lambda job: st.caption(
            ":material/progress_activity: Training the pixel classifier that judges the samples, in the "
            f"server's job queue ({jobs.progress_text(job)}); the shares appear when it is ready."))


def class_samples(cvae: state.ActiveModel, dataset: str, label: int, count: int, temperature: float, seed: int,
                  tile_px: int = 48) -> tuple[go.Figure, float | None]:
    """(a grid of `count` samples of class `label` at temperature T, the share the judge names as it;
    None until the judge is trained)."""
    figure, x = _class_samples(dataset, model_key(cvae), int(label), int(count), float(temperature), int(seed),
                               int(tile_px), cvae)
    return figure, named_share(dataset, x, np.full(count, label))


@st.cache_resource(show_spinner=False, max_entries=64)
def _class_samples(dataset: str, key: str, label: int, count: int, temperature: float, seed: int, tile_px: int,
                   _cvae: state.ActiveModel) -> tuple[go.Figure, torch.Tensor]:
    x = _cvae.model.sample(count, temperature, seed, labels=label).cpu()
    rows = [x[i:i + SAMPLE_COLUMNS] for i in range(0, count, SAMPLE_COLUMNS)]
    name = class_names(dataset)[label]
    figure = go.Figure(still_figure(rows, [""] * len(rows), [""] * SAMPLE_COLUMNS,
                                    f"asked for {name}: z ~ N(0, T² I), T = {temperature:.2f}, seed {seed}",
                                    tile_px=tile_px))
    return figure, x


def restyled(cvae: state.ActiveModel, dataset: str, row: int, tile_px: int = 48) -> tuple[go.Figure, float | None]:
    """(test image `row` beside its code decoded under every class, the share of those ten the judge
    names as the class each was decoded under; None until the judge is trained)."""
    figure, grid = _restyled(dataset, model_key(cvae), int(row), int(tile_px), cvae)
    return figure, named_share(dataset, grid, np.arange(len(grid)))


@st.cache_resource(show_spinner=False, max_entries=64)
def _restyled(dataset: str, key: str, row: int, tile_px: int, _cvae: state.ActiveModel) -> tuple[go.Figure, torch.Tensor]:
    test = test_split(dataset)
    image, label = test.images[row:row + 1], test.labels[row:row + 1]
    names = class_names(dataset)
    grid = generate.restyle(_cvae.model, image, label)[0][:len(names)]  # (classes, C, H, W): the dataset's
    figure = go.Figure(still_figure([torch.cat([image, grid])], [""], ["image", *names],
                                    f"test image #{row} ({names[int(label)]}): its code, decoded under each class",
                                    tile_px=tile_px))
    return figure, grid
