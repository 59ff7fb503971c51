"""Presenter mode: for a projector in a lecture hall. One toggle in the sidebar (kept in the URL, so a
shared link opens in the same mode) gives larger text and pictures and folds the secondary controls
away.

Pages put controls a lecture does not need inside `secondary()`, and scale figure heights with
`scale()`; nothing else changes, so a page draws the same view in both modes.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

KEY = "present"  # the toggle's widget key, and its query parameter (?present=true)
SCALE = 1.6  # figures and images grow by this much on a projector

# Larger type everywhere, and pictures drawn with sharp pixels: 28x28 images scaled up on a projector
# should look like pixels, not like a blur.
# Live numbers at twice the body text (a metric's value holds a markdown container, which the body
# rule had shrunk to the labels' size), labels whole instead of cut to "…", and figure text at
# 16 px or more (plotly writes its sizes inline, hence !important).
_STYLE = """
<style>
.stApp, .stApp p, .stApp li, .stApp label, .stApp [data-testid="stMarkdownContainer"] { font-size: 1.35rem; }
.stApp h1 { font-size: 3rem; }
.stApp [data-testid="stMetricValue"], .stApp [data-testid="stMetricValue"] * { font-size: 2.7rem; }
.stApp [data-testid="stMetricLabel"], .stApp [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
.stApp .js-plotly-plot svg text { font-size: 16px !important; }
.stApp .js-plotly-plot svg .gtitle { font-size: 18px !important; }
.stApp [data-testid="stImage"] img { image-rendering: pixelated; }
</style>
"""
# A formula's text must not wrap inside it (a wrapped row filled its column and pushed its closing
# bracket past the edge): it is kept on its lines and its type made smaller to fit (fit_formulas.js).
# KaTeX's 2 px strut beside each stacked box (for a Safari drawing bug) and the -2 px margin that hides it
# from a formula's own width are left out: with them, every formula with a fraction scrolled by 2 px.
_FIT_FORMULAS = ("<style>.katex-display .katex, .katex-display .katex * { white-space: nowrap; } "
                 ".katex-display .katex .vlist-s { min-width: 0; width: 0; } "
                 ".katex-display .katex .vlist-t2 { margin-right: 0; }</style>"
                 f"<script>{(Path(__file__).with_name('fit_formulas.js')).read_text()}</script>")


def presenting() -> bool:
    """Whether presenter mode is on for this session (the toggle, or ?present=true in the URL)."""
    if KEY in st.session_state:
        return bool(st.session_state[KEY])
    return st.query_params.get(KEY, "").lower() == "true"


def draw_toggle() -> None:
    """The sidebar's toggle; with presenter mode on, also the larger type for the whole page."""
    st.toggle("Presenter mode", key=KEY, bind="query-params",
              help="For a projector: larger text and pictures, fewer controls, the sidebar folded away. "
                   "The link keeps it on.")
    st.html(_FIT_FORMULAS, unsafe_allow_javascript=True)  # in both modes: no formula is ever cut off
    if presenting():
        st.html(_STYLE)


def secondary(label: str = "More controls") -> st.delta_generator.DeltaGenerator:
    """Where a page draws the controls a lecture can do without: folded away in presenter mode."""
    return st.expander(label) if presenting() else st.container()


def scale(pixels: int) -> int:
    """A figure's or picture's size in pixels, larger in presenter mode."""
    return int(pixels * SCALE) if presenting() else pixels


__all__ = ["KEY", "draw_toggle", "presenting", "scale", "secondary"]
