"""Helpers of the Load page: the zoo as a table, and the callbacks that make a model active.

The callbacks run before the script (as `on_click` / `on_change`), so the sidebar, which the router
draws before the page, already shows the new model on the same run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.core import state
from ui.core.models import pretrained_entries, pretrained_model, uploaded_model

# Widget and message keys of the Load page only; shared state keys live in ui.core.state.
PICK_KEY = "load_pretrained_pick"
UPLOAD_KEY = "load_upload"
UPLOAD_RESULT_KEY = "load_upload_result"


def pretrained_table(dataset: str, active_name: str) -> list[dict[str, Any]]:
    """One row per pretrained model of `dataset`, for `st.dataframe`."""
    rows = []
    for entry in pretrained_entries(dataset):
        options = {k: v for k, v in entry["options"].items() if k != "kind"}
        mse, pca_mse = entry["metrics"].get("mse"), entry["pca"].get("mse")
        rows.append({
            "active": "●" if entry["name"] == active_name else "",
            "name": entry["name"], "kind": entry["kind"], "arch": entry["arch"],
            "latent dim": entry["latent_dim"],
            "options": ", ".join(f"{k}={v}" for k, v in options.items()),
            "test MSE": mse, "PCA MSE": pca_mse,
            "ratio": mse / pca_mse if mse is not None and pca_mse else None,
            "description": entry.get("description", ""),
        })
    return rows


def use_picked_pretrained() -> None:
    """`on_click` of the Load page's button: make the picked pretrained model active."""
    state.set_active_model(pretrained_model(st.session_state[PICK_KEY]))


def take_upload() -> None:
    """`on_change` of the checkpoint uploader: load the file and make it active, or keep the current
    model and record why the file was refused."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:  # the file was removed from the uploader
        st.session_state.pop(UPLOAD_RESULT_KEY, None)
        return
    try:
        active = uploaded_model(uploaded.name, uploaded.getvalue())
    except ValueError as error:  # aecore.CheckpointError included: the message says what is wrong
        st.session_state[UPLOAD_RESULT_KEY] = (
            "error", f"Could not load **{uploaded.name}**: {error}\n\n"
                     f"The active model is still **{state.active_model().name}**.")
        return
    state.set_active_model(active)
    st.session_state[UPLOAD_RESULT_KEY] = (
        "success", f"**{active.name}** is now the active model (trained on {active.dataset}).")


def upload_result() -> tuple[str, str] | None:
    """("error" or "success", message) for the file now in the uploader; None when it holds none."""
    if st.session_state.get(UPLOAD_KEY) is None:
        return None
    return st.session_state.get(UPLOAD_RESULT_KEY)
