"""Presenter mode: for a projector in a lecture hall. One toggle in the sidebar (kept in the URL, so a
shared link opens in the same mode) gives larger text and pictures and folds the secondary controls
away.

Pages put controls a lecture does not need inside `secondary()`, and scale figure heights with
`scale()`; nothing else changes, so a page draws the same view in both modes.
"""

from __future__ import annotations

import streamlit as st

KEY = "present"  # the toggle's widget key, and its query parameter (?present=true)
SCALE = 1.6  # figures and images grow by this much on a projector

# Larger type everywhere, and pictures drawn with sharp pixels: 28x28 images scaled up on a projector
# should look like pixels, not like a blur.
_STYLE = """
<style>
.stApp, .stApp p, .stApp li, .stApp label, .stApp [data-testid="stMarkdownContainer"] { font-size: 1.35rem; }
.stApp h1 { font-size: 3rem; }
.stApp [data-testid="stMetricValue"] { font-size: 2.6rem; }
.stApp [data-testid="stImage"] img { image-rendering: pixelated; }
</style>
"""


def presenting() -> bool:
    """Whether presenter mode is on for this session (the toggle, or ?present=true in the URL)."""
    if KEY in st.session_state:
        return bool(st.session_state[KEY])
    return st.query_params.get(KEY, "").lower() == "true"


def draw_toggle() -> None:
    """The sidebar's toggle; with presenter mode on, also the larger type for the whole page."""
    st.toggle("Presenter mode", key=KEY, bind="query-params",
              help="For a projector: larger text and pictures, fewer controls. The link keeps it on.")
    if presenting():
        st.html(_STYLE)


def secondary(label: str = "More controls") -> st.delta_generator.DeltaGenerator:
    """Where a page draws the controls a lecture can do without: folded away in presenter mode."""
    return st.expander(label) if presenting() else st.container()


def scale(pixels: int) -> int:
    """A figure's or picture's size in pixels, larger in presenter mode."""
    return int(pixels * SCALE) if presenting() else pixels


__all__ = ["KEY", "draw_toggle", "presenting", "scale", "secondary"]
