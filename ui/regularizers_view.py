"""The app side of the "Inside the code" page: which models each section compares, their
measurements from `aecore.studies.inspect_code`, the live numbers beside each regularizer's formula, and
the figures.

What no control changes (codes, sensitivity at every σ offered, Jacobian norms, KL per unit) is
measured once: stored with the zoo for a shipped model, by a job in the server's queue for a user's
own (`ui.core.page_results`). The controls then pick or threshold those arrays in numpy, and each
loss term is computed from them as the model's loss computes it (`inspect_code.l1_terms`, ...).

The warm-up experiment is deterministic (fixed seeds), so its runs are kept per β for the whole
server: a class opening the same link shares one run instead of queueing thirty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

import aecore
from aecore.studies import inspect_code
from ui.core import jobs, page_results, presenter, state
from ui.core import verdict as verdict_words
from ui.core.cache import model_key, test_split
from ui.core.concepts import Live
from ui.core.gallery import compose_grid
from ui.core.models import pretrained_entries, pretrained_model

# What each section compares: the zoo's models of these kinds (the plain ae comes first in the zoo).
SPARSE = ("ae", "sparse")
CONTRACTIVE = ("ae", "contractive")
VARIATIONAL = ("vae",)
NOISES = list(inspect_code.NOISES)  # the σ the select_slider offers: each one is stored
PURPOSE = "regularizers_measures"  # a user's model's measuring job in ui.core.jobs
Picked = tuple[str, state.ActiveModel, dict[str, Any]]  # a concept's model: label, model, its measures


def compared_models(active: state.ActiveModel, kinds: tuple[str, ...], kind: str | None = None) -> list[state.ActiveModel]:
    """The active dataset's zoo models of `kinds`, in manifest order, leaving out 2-D codes (those
    are there for maps); then the active model when it is none of them (and, with `kind`, only
    when it is of that kind)."""
    entries = [e for e in pretrained_entries(active.dataset) if e["kind"] in kinds and e["latent_dim"] > 2
               and aecore.pretrained.has_results(e["name"])]  # a downloaded set's: once measured here
    models = [pretrained_model(e["name"]) for e in entries]
    if active.name not in {m.name for m in models} and (kind is None or active.model.kind == kind):
        models.append(active)
    return models


def _label(active: state.ActiveModel) -> str:
    return active.name if active.source == "pretrained" else f"{active.name} (active)"


def _measures(active: state.ActiveModel) -> tuple[dict[str, Any] | None, jobs.Job | None]:
    if page_results.has_stored(active):
        return page_results.stored(active.name), None
    return page_results.background(PURPOSE, model_key(active), aecore.studies.page_jobs.code_measures,
                                   lambda: (aecore.to_zip_bytes(active.model), active.dataset),
                                   name=f"code measures of {active.name}")


def pending_job(active: state.ActiveModel) -> jobs.Job | None:
    """The job measuring a user's own active model while its measures are not ready (until then,
    the sections compare the zoo's models only)."""
    return _measures(active)[1]


def _measured(models: list[state.ActiveModel]) -> dict[str, dict[str, Any]]:
    # label -> measures, leaving out a user's model whose job has not finished
    found = {_label(m): _measures(m)[0] for m in models}
    return {label: measures for label, measures in found.items() if measures is not None}


@st.cache_resource(show_spinner=False, max_entries=64)
def _normalized(key: str, _codes) -> Any:
    # threshold-independent, so made once per model: the shares of |z_j| / max |z_j| of every test
    # code in the figure's bins (the figure draws them, not the raw values)
    return inspect_code.binned_shares(inspect_code.normalized_activations(_codes).ravel(), inspect_code.ACTIVATION_EDGES)


def sparsity(models: list[state.ActiveModel], threshold: float) -> dict[str, dict[str, Any]]:
    """Per model: active fraction per image at `threshold`, its mean, exact zeros, the binned shares of
    normalized activations, and the codes."""
    keys = {_label(m): model_key(m) for m in models}
    return {label: {**inspect_code.sparsity_of_codes(measures["codes"], threshold),
                    "normalized": _normalized(keys[label], measures["codes"])}
            for label, measures in _measured(models).items()}


def contraction(models: list[state.ActiveModel], noise: float) -> dict[str, dict[str, Any]]:
    """Per model: code sensitivity at σ = `noise` per test image, its mean, and the Jacobian norms."""
    return {label: {"sensitivity": m["sensitivity"][float(noise)],
                    "mean_sensitivity": float(m["sensitivity"][float(noise)].mean()), "jacobian": m["jacobian"]}
            for label, m in _measured(models).items()}


def kl_per_dim(models: list[state.ActiveModel]) -> dict[str, list[float]]:
    return {label: list(m["kl_per_dim"]) for label, m in _measured(models).items() if m["kl_per_dim"] is not None}


def history(active: state.ActiveModel) -> dict[str, list[float]] | None:
    """The active model's recorded loss curves; None when nothing was recorded."""
    return inspect_code.loss_history(active.model)


def test_count(active: state.ActiveModel) -> int:
    return len(test_split(active.dataset))  # the image chooser's range


def image_picture(active: state.ActiveModel, index: int) -> np.ndarray:
    return compose_grid(test_split(active.dataset).images[index:index + 1], 1, tile_px=presenter.scale(112))


# --- each concept's model and the live numbers beside its formula -------------------------------
def pick(models: list[state.ActiveModel], active: state.ActiveModel, kind: str, penalty: str | None = None) -> Picked | None:
    """The model a concept is measured on: the active model when it is of `kind` (with `penalty`)
    and measured, else the first measured one of `models`; None when there is none."""
    fits = [m for m in models if m.model.kind == kind and penalty in (None, getattr(m.model.config, "penalty", None))]
    for model in sorted(fits, key=lambda m: m.name != active.name):  # the active model first
        measures = _measures(model)[0]
        if measures is not None:
            return _label(model), model, measures
    return None


def _active_units(z: np.ndarray, threshold: float, index: int) -> Live:
    count = inspect_code.active_fraction(z, threshold) * z.shape[1]  # (N,) units on in each image
    return Live(f"Units active per image (|z_j| > {threshold:.0%} of its max)", f"{count.mean():.1f} of {z.shape[1]}",
                help=f"Averaged over the {len(z)} test images; test image {index}: {count[index]:.0f}.")


def l1_live(picked: Picked, threshold: float, index: int) -> list[Live]:
    """The L1 term λ Σ|z_j| of the L1 sparse model, over the test set and for test image `index`."""
    label, model, measures = picked
    z, weight = measures["codes"], model.model.config.weight
    terms = inspect_code.l1_terms(z, weight)  # (N,)
    return [Live("λ Σ|z_j|, mean per test image", f"{terms.mean():.3f}",
                 help=f"λ = {weight:g} on the {z.shape[1]}-unit ReLU code of {label}, over {len(z)} test images."),
            Live(f"λ Σ|z_j| of test image {index}", f"{terms[index]:.3f}"),
            _active_units(z, threshold, index),
            Live("Code values exactly 0", f"{(z == 0).mean():.0%}", help="The ReLU's zeros: units switched off.")]


def kl_live(picked: Picked, threshold: float, index: int) -> tuple[list[Live], np.ndarray]:
    """(live numbers, ρ̂ (d,)) of the KL sparse model: its KL term and each unit's rate ρ̂_j."""
    label, model, measures = picked
    z, weight, rho = measures["codes"], model.model.config.weight, model.model.config.rho
    rho_hat, kl = inspect_code.kl_sparsity_terms(z, rho)
    live = [Live("λ Σ_j KL(ρ ‖ ρ̂_j)", f"{weight * kl.sum():.3f}",
                 help=f"λ = {weight:g}, ρ = {rho:g}, on {label}; ρ̂_j over all {len(z)} test images "
                      "(in training, over each batch)."),
            Live("Mean ρ̂_j against ρ", f"{rho_hat.mean():.3f} vs {rho:g}",
                 help=f"From {rho_hat.min():.3f} to {rho_hat.max():.3f} over the {len(rho_hat)} units."),
            _active_units(z, threshold, index),
            Live(f"Units above ρ in test image {index}", f"{int((z[index] > rho).sum())} of {z.shape[1]}")]
    return live, rho_hat


def contractive_live(contractive: Picked, plain: Picked | None, noise: float) -> list[Live]:
    """The contractive model's Jacobian term, and its ‖J‖² beside the plain ae's, exact and as
    estimated from pushes of size `noise`."""
    label, model, measures = contractive
    weight, pixels = model.model.config.weight, int(np.prod(model.model.config.input_shape))
    shown = [measures] + ([plain[2]] if plain else [])
    than = f"{label} vs {plain[0]}" if plain else label

    def each(values: list[float], digits: int) -> str:
        return " vs ".join(f"{v:.{digits}f}" for v in values)

    exact = [float(np.mean(np.square(m["jacobian"]))) for m in shown]
    pushed = [inspect_code.jacobian_from_pushes(m["sensitivity"][float(noise)], pixels) for m in shown]
    moved = [float(m["sensitivity"][float(noise)].mean()) for m in shown]
    return [Live("λ ‖∂z/∂x‖²_F, mean per test image", f"{inspect_code.contractive_term(measures['jacobian'], weight):.4f}",
                 help=f"λ = {weight:g}, on {label}: the term its loss adds."),
            Live("‖∂z/∂x‖²_F, exact", each(exact, 2),
                 help=f"{than}: autograd's Jacobian, mean over {len(measures['jacobian']):,} test images "
                      "(a seeded sample, the same for every model)."),
            Live(f"‖∂z/∂x‖²_F from pushes of σ = {noise:g}", each(pushed, 2),
                 help=f"{than}: {pixels} × mean (‖z(x+ε) − z(x)‖ / ‖ε‖)², ε ~ N(0, σ² I); close to the exact "
                      "value while σ is small."),
            Live("Code moved per unit pushed", each(moved, 3), help=than)]




def beta_words(models: list[state.ActiveModel], kl: dict[str, list[float]]) -> str:
    """What β > 1 did here, read from the bars drawn below: units in use and total KL of the first
    β = 1 model against the first β > 1 one (the textbook "more units collapse" only where it holds)."""
    betas = {_label(m): float(getattr(m.model.config, "beta", 1.0)) for m in models}
    plain = next((name for name in kl if betas.get(name) == 1.0), None)
    strong = next((name for name in kl if betas.get(name, 1.0) > 1.0), None)
    if plain is None or strong is None:
        return "β > 1 pulls harder towards the prior, which can close more units."
    used = {name: len(kl[name]) - inspect_code.collapsed_units(kl[name]) for name in (plain, strong)}
    label = f"{strong} (β = {betas[strong]:g})"
    kept = verdict_words.units_kept(plain, used[plain], len(kl[plain]), label, used[strong], len(kl[strong]))
    kept = kept[:1].lower() + kept[1:]  # after a colon
    total = f"{sum(kl[strong]):.1f} nats of KL in all against {sum(kl[plain]):.1f}"
    if used[strong] / len(kl[strong]) < used[plain] / len(kl[plain]):
        return f"β > 1 pulls harder, and more units collapse: {kept}"
    return (f"β > 1 pulls harder, yet no more units collapse here: {kept} " +
            (f"The pull shows in what each unit carries: {total}." if sum(kl[strong]) < sum(kl[plain])
             else f"And it carries {total}."))


def kl_caption(kl: dict[str, list[float]]) -> str:
    """"name: total KL over its units, k units above 0.01 nats" per model; a collapsed model reads 0."""
    return "; ".join(f"{name}: {sum(v):.2f} nats in all, {len(v) - inspect_code.collapsed_units(v)} of {len(v)} units "
                     f"above {inspect_code.KL_ACTIVE}" for name, v in kl.items())
