"""Session-state keys shared by the router (`app.py`) and the pages, kept in one place.

Pages read shared state through these functions rather than `st.session_state[...]` directly:
under AppTest a page can run without `app.py` (see STACK.md), so each getter fills its default on
first use instead of relying on the router to have set it.
"""

from __future__ import annotations

import streamlit as st

# The active dataset, as a plain (non-widget) key: widget state is dropped on runs where the widget
# is not drawn, so the sidebar widget has its own key and copies its value here on change.
DATASET_KEY = "active_dataset"
DATASET_WIDGET_KEY = "sidebar_dataset"
DEFAULT_DATASET = "digits"

# Datasets embedded in aecore (no files, no network), the only ones the sidebar offers.
OFFLINE_DATASETS: tuple[str, ...] = ("digits", "shapes")


def active_dataset_name() -> str:
    """Return the active dataset's name, filling the default on first use."""
    return st.session_state.setdefault(DATASET_KEY, DEFAULT_DATASET)


def set_active_dataset(name: str) -> None:
    """Make `name` the active dataset for every page."""
    st.session_state[DATASET_KEY] = name


def sync_dataset_from_widget() -> None:
    """`on_change` callback of the sidebar selectbox: copy its value to the shared key."""
    set_active_dataset(st.session_state[DATASET_WIDGET_KEY])
