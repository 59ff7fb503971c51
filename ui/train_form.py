"""The Train page's model options, generated from a kind's config fields (`aecore.config_fields`).

A widget is chosen from each field's type and default (and its `metadata["choices"]`), so a new
model kind, or a new option of one, appears on the page without editing it.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from typing import Any

import streamlit as st

import aecore
from aecore.models.registry import model_class
from ui.core import state

KEEP = state.KEEP_ACROSS_PAGES  # the form is as the user left it after another page

# Chosen by the page's own widgets (kind, arch, latent dim) or taken from the dataset (input shape).
SET_ELSEWHERE = frozenset({"kind", "arch", "input_shape", "latent_dim"})


def option_fields(kind: str) -> tuple[list[dataclasses.Field], list[dataclasses.Field]]:
    """(the kind's own options, the network options every kind shares), less those set elsewhere."""
    shared = {f.name for f in dataclasses.fields(aecore.ModelConfig)}
    fields = [f for f in aecore.config_fields(kind) if f.name not in SET_ELSEWHERE]
    return [f for f in fields if f.name not in shared], [f for f in fields if f.name in shared]


def parse_widths(text: str, name: str) -> tuple[int, ...]:
    """"256, 128" -> (256, 128); raises ValueError with what to type instead."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"{label(name)}: give positive whole numbers separated by commas, e.g. 256, 128")
    return tuple(int(p) for p in parts)


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    return field.default_factory()  # type: ignore[misc]


def _float_step(default: float) -> float:
    # One tenth of the default's order of magnitude: beta 1 -> 0.1, weight 0.01 -> 0.001.
    return 10.0 ** (math.floor(math.log10(abs(default))) - 1) if default else 0.01


def option_widget(kind: str, field: dataclasses.Field, annotation: Any, key: str) -> Any:
    """Draw one widget for `field` and return its value, parsed to the field's type."""
    default, name = _default(field), field.name
    help_text = f"`{name}` of the `{kind}` config; default {default!r}."
    choices = field.metadata.get("choices")
    if choices:
        choices = list(choices)
        return st.selectbox(label(name), choices, index=choices.index(default), key=key, help=help_text,
                            persist_state=KEEP)
    if annotation is bool:
        return st.checkbox(label(name), value=default, key=key, help=help_text, persist_state=KEEP)
    if annotation is int:
        return int(st.number_input(label(name), value=int(default), step=1, key=key, help=help_text,
                                   persist_state=KEEP))
    if annotation is float:
        return float(st.number_input(label(name), value=float(default), step=_float_step(default),
                                     format="%g", key=key, help=help_text, persist_state=KEEP))
    if typing.get_origin(annotation) is tuple:
        text = st.text_input(label(name), value=", ".join(map(str, default)), key=key, help=help_text,
                             persist_state=KEEP)
        return parse_widths(text, name)
    return st.text_input(label(name), value=str(default), key=key, help=help_text, persist_state=KEEP)


def option_widgets(kind: str, fields: list[dataclasses.Field], columns: int = 3) -> tuple[dict[str, Any], list[str]]:
    """Draw a widget per field in rows of `columns`; return (options by name, input errors)."""
    hints = typing.get_type_hints(model_class(kind).config_class)
    options: dict[str, Any] = {}
    errors: list[str] = []
    for start in range(0, len(fields), columns):
        for column, field in zip(st.columns(columns), fields[start:start + columns]):
            with column:
                # Keyed by kind: switching kinds and back keeps what was typed for each.
                try:
                    options[field.name] = option_widget(kind, field, hints[field.name], f"train_{kind}_{field.name}")
                except ValueError as error:
                    errors.append(str(error))
    return options, errors
