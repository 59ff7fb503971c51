"""The Train page's form: the model kind, its architecture and options, and the training settings.

A kind's options are generated from its config fields (`aecore.config_fields`): a widget is chosen
from each field's type and default (and its `metadata["choices"]`), its help is the field's
`metadata["help"]`, so a new kind, or a new option of one, appears here without editing this file.

Every control is bound to the URL (`bind="query-params"`) under a short, stable key, so a link opens
the same form. The sidebar's dataset is the one trained on; each dataset starts from its own recipe
(`follow_dataset`).
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import typing
from typing import Any

import streamlit as st

import aecore
from aecore.limits import max_run_minutes
from aecore.models.base import Autoencoder
from aecore.models.registry import model_class
from aecore.runner import FitSettings, RunSpec
from ui.core import presenter
from ui.core.cache import test_words

BIND = "query-params"
KIND, ARCH, LATENT = "tr_kind", "tr_arch", "tr_latent"
EPOCHS, BATCH, LR, SCHEDULE, WARMUP = "tr_epochs", "tr_batch", "tr_lr", "tr_sched", "tr_warmup"
AUGMENT = "tr_augment"
# The network options every kind shares keep one key across kinds; a kind's own options are
# `tr_<kind>_<field>`, so switching kinds and back keeps what was typed for each.
NETWORK_KEYS = {"hidden": "tr_hidden", "channels": "tr_channels", "likelihood": "tr_lik"}
# Settings whose starting value is the dataset's recipe. They are kept per dataset: see follow_dataset.
PER_DATASET = (ARCH, LATENT, EPOCHS, BATCH, LR, SCHEDULE, WARMUP, AUGMENT)
FORM_DATASET_KEY = "tr_form_dataset"  # the dataset whose values the form holds now
SAVED_KEY = "tr_saved"  # dataset -> the PER_DATASET values the user left it with

# Chosen by the form's own widgets (kind, arch, latent dim) or taken from the dataset (input shape).
SET_ELSEWHERE = frozenset({"kind", "arch", "input_shape", "latent_dim"})
# A field that means something only under some settings: the MLP's widths are nothing to the conv
# net, the target rate rho only to the KL penalty. Such a field is hidden otherwise (its default stands).
APPLIES_WHEN: dict[str, dict[str, tuple[str, ...]]] = {"hidden": {"arch": ("mlp",)},
                                                        "channels": {"arch": ("conv", "resconv")},
                                                        "rho": {"penalty": ("kl",)}}
ARCH_HELP = {"mlp": "fully connected layers that read the image as one long list of pixels",
             "conv": "convolutional layers that slide small filters over the image, so a stroke is found "
                     "wherever it is",
             "resconv": "the convolutional net with a residual block (two more convolutions added to their "
                        "input) at every scale: deeper, slower, finer on textures such as clothing"}


def option_fields(kind: str) -> tuple[list[dataclasses.Field], list[dataclasses.Field]]:
    """(the kind's own options, the network options every kind shares), less those set elsewhere."""
    shared = {f.name for f in dataclasses.fields(aecore.ModelConfig)}
    fields = [f for f in aecore.config_fields(kind) if f.name not in SET_ELSEWHERE]
    return [f for f in fields if f.name not in shared], [f for f in fields if f.name in shared]


def applies(field: dataclasses.Field, settings: dict[str, Any]) -> bool:
    """Whether `field` means something under `settings` (arch and the options chosen so far)."""
    return all(settings.get(name) in values for name, values in APPLIES_WHEN.get(field.name, {}).items())


def has_regularizer(kind: str) -> bool:
    """Whether the kind adds a loss term beside the reconstruction: only then is there one to warm up."""
    return model_class(kind).regularizer is not Autoencoder.regularizer


def option_key(kind: str, name: str) -> str:
    return NETWORK_KEYS.get(name, f"tr_{kind}_{name}")


def parse_widths(text: str, name: str) -> tuple[int, ...]:
    """"256, 128" -> (256, 128); raises ValueError with what to type instead."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"{label(name)}: give positive whole numbers separated by commas, e.g. 256, 128")
    return tuple(int(p) for p in parts)


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def default_of(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()  # type: ignore[misc]


def help_text(kind: str, field: dataclasses.Field) -> str:
    """The field's own sentence (its `metadata["help"]`), and its default."""
    default = default_of(field)
    shown = ", ".join(map(str, default)) if isinstance(default, tuple) else default
    words = field.metadata.get("help") or f"A setting of the {kind} model."
    return f"{words} Default: {shown}."


def kind_help(kinds: list[str]) -> str:
    """One line per kind: the first line of its module's docstring, which says what it is."""
    lines = []
    for kind in kinds:
        doc = (sys.modules[model_class(kind).__module__].__doc__ or kind).strip().splitlines()[0]
        lines.append(f"- **{kind}**: {doc}")
    return "What the model is trained to do:\n" + "\n".join(lines)


def _float_step(default: float) -> float:
    # One tenth of the default's order of magnitude: beta 1 -> 0.1, weight 0.01 -> 0.001.
    return 10.0 ** (math.floor(math.log10(abs(default))) - 1) if default else 0.01


def option_widget(kind: str, field: dataclasses.Field, annotation: Any) -> Any:
    """Draw one widget for `field` and return its value, parsed to the field's type."""
    default, name, key = default_of(field), field.name, option_key(kind, field.name)
    common = {"key": key, "help": help_text(kind, field), "bind": BIND}
    choices = field.metadata.get("choices")
    if choices:
        choices = list(choices)
        return st.selectbox(label(name), choices, index=choices.index(default), **common)
    if annotation is bool:
        return st.checkbox(label(name), value=default, **common)
    if annotation is int:
        return int(st.number_input(label(name), value=int(default), step=1, **common))
    if annotation is float:
        return float(st.number_input(label(name), value=float(default), step=_float_step(default), format="%g",
                                     **common))
    if typing.get_origin(annotation) is tuple:
        return parse_widths(st.text_input(label(name), value=", ".join(map(str, default)), **common), name)
    return st.text_input(label(name), value=str(default), **common)


def option_widgets(kind: str, fields: list[dataclasses.Field], settings: dict[str, Any],
                   columns: int = 3) -> tuple[dict[str, Any], list[str]]:
    """Draw a widget per field that applies under `settings`, in rows of `columns`, in field order
    (a choice such as the penalty comes before the options that depend on it); return (options by
    name, input errors)."""
    hints = typing.get_type_hints(model_class(kind).config_class)
    options: dict[str, Any] = {}
    errors: list[str] = []
    cells: list[Any] = []
    for field in fields:
        if not applies(field, {**settings, **options}):
            continue
        if not cells:
            cells = list(st.columns(columns))
        with cells.pop(0):
            try:
                options[field.name] = option_widget(kind, field, hints[field.name])
            except ValueError as error:
                errors.append(str(error))
    return options, errors


def recipe_values(recipe: RunSpec) -> dict[str, Any]:
    """The PER_DATASET settings of `recipe`, by widget key."""
    fit = recipe.fit
    return {ARCH: recipe.arch, LATENT: recipe.latent_dim, EPOCHS: fit.epochs, BATCH: fit.batch_size,
            LR: float(fit.lr), SCHEDULE: fit.schedule, WARMUP: float(fit.warmup_epochs), AUGMENT: fit.augment}


def follow_dataset(dataset: str, recipe: RunSpec) -> None:
    """Once the sidebar's dataset has changed since the form was last drawn, keep the form's settings
    for the dataset left and put in place those of `dataset`: the ones the user left it with, else its
    recipe. So the keys stay the same (they are the link's parameters) while each dataset still starts
    from its own recipe (the MLP for digits, the conv net for shapes)."""
    previous = st.session_state.get(FORM_DATASET_KEY)
    st.session_state[FORM_DATASET_KEY] = dataset
    if previous is None or previous == dataset:
        return  # a first visit: the widgets start from the link's values, else from this recipe
    saved = st.session_state.setdefault(SAVED_KEY, {})
    saved[previous] = {key: st.session_state[key] for key in PER_DATASET if key in st.session_state}
    for key, value in {**recipe_values(recipe), **saved.get(dataset, {})}.items():
        st.session_state[key] = value


def draw(dataset: str, recipe: RunSpec, preview: int) -> tuple[RunSpec, list[str]]:
    """Draw the form; return the run it describes (options that could not be read left out) and
    what the user must correct before it can start."""
    follow_dataset(dataset, recipe)
    cap = max_run_minutes()
    st.caption(f"Trains on **{dataset}**, the dataset chosen in the sidebar, and tests on images it never "
               f"learns from: {test_words(dataset)}."
               + (f" This server stops a run after {cap:g} minutes and keeps the weights it reached, so "
                  "that no run holds a worker the class shares." if cap is not None else ""))
    kinds, archs = aecore.list_models(), aecore.list_archs()
    kind_col, arch_col, latent_col, epochs_col, warmup_col = st.columns(5)
    kind = kind_col.selectbox("Model kind", kinds, index=kinds.index(recipe.kind) if recipe.kind in kinds else 0,
                              key=KIND, bind=BIND, help=kind_help(kinds))
    arch = arch_col.selectbox("Architecture", archs, index=archs.index(recipe.arch), key=ARCH, bind=BIND,
                              help="\n".join(f"- **{a}**: {ARCH_HELP.get(a, a)}" for a in archs))
    latent_dim = latent_col.number_input("Latent dimension", min_value=1, max_value=256, value=recipe.latent_dim,
                                         key=LATENT, bind=BIND,
                                         help="How many numbers the code z has: the size of the bottleneck, "
                                              "and PCA's number of components in the comparison.")
    epochs = epochs_col.number_input("Epochs", min_value=1, max_value=10_000, value=recipe.fit.epochs, key=EPOCHS,
                                     bind=BIND, help="How many times training goes through all the training images.")
    warmup = 0.0
    if has_regularizer(kind):
        warmup = warmup_col.number_input(
            "Regularizer warm-up (epochs)", min_value=0.0, value=float(recipe.fit.warmup_epochs), step=1.0,
            format="%g", key=WARMUP, bind=BIND,
            help="The penalty beside the reconstruction error (KL, sparsity, contraction) starts at 0 and "
                 "grows to full weight over this many epochs; for a VAE this avoids posterior collapse.")

    own_fields, shared_fields = option_fields(kind)
    if own_fields:
        st.markdown(f"**Options of the {kind} model**")
    options, errors = option_widgets(kind, own_fields, {"arch": arch})
    with presenter.secondary("Network, batch size, learning rate"):
        batch_col, lr_col, schedule_col, augment_col = st.columns(4)
        batch_size = batch_col.number_input(
            "Batch size", min_value=1, max_value=4096, value=recipe.fit.batch_size, key=BATCH, bind=BIND,
            help="How many images each step of training averages its loss over.")
        lr = lr_col.number_input("Learning rate", min_value=1e-6, max_value=1.0, value=float(recipe.fit.lr),
                                 step=1e-4, format="%g", key=LR, bind=BIND,
                                 help="How big a step the weights take at each batch. Too large and the loss "
                                      "jumps about or diverges; too small and it falls slowly.")
        schedule = schedule_col.selectbox(
            "Schedule", aecore.SCHEDULES, index=aecore.SCHEDULES.index(recipe.fit.schedule), key=SCHEDULE, bind=BIND,
            help="How the learning rate changes over the run:\n- **constant**: the same throughout\n"
                 "- **onecycle**: up to it over the first 30% of the run, then down to almost 0, which reaches a "
                 "lower loss in a short run")
        augment = augment_col.selectbox(
            "Augmentation", aecore.AUGMENTS, index=aecore.AUGMENTS.index(recipe.fit.augment), key=AUGMENT, bind=BIND,
            help="Changes to each training batch that keep what the images show:\n- **none**: the images as they "
                 "are\n- **hflip**: a random half mirrored left to right, so the model sees more images than the "
                 "set holds; right for clothing, wrong for digits (a mirrored 3 is no digit)")
        # An expander cannot hold another: in presenter mode this group is already folded away.
        with st.container() if presenter.presenting() else st.expander("Network and likelihood"):
            network, network_errors = option_widgets(kind, shared_fields, {"arch": arch, **options})
    spec = RunSpec(dataset=dataset, kind=kind, arch=arch, latent_dim=int(latent_dim), options={**options, **network},
                   fit=FitSettings(epochs=int(epochs), batch_size=int(batch_size), lr=float(lr),
                                   warmup_epochs=float(warmup), seed=recipe.fit.seed, schedule=schedule,
                                   augment=augment),
                   preview=preview)
    return spec, errors + network_errors
