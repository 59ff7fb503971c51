"""A drawing canvas a page can hold (ui/sketch_canvas.js, an `st.components.v2` component): the student
draws white on black; when a stroke ends, the strokes come back to Python and are kept in session
state under the page's own key, so a drawing survives reruns and a visit to another page.

    strokes = sketch_pad.canvas("sr_canvas", "sr_strokes", pen=40, hint="Draw a digit")
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from aecore.studies import sketch

_component = st.components.v2.component(
    "aecore_sketch_pad",
    js=(Path(__file__).parents[1] / "sketch_canvas.js").read_text("utf-8"),
    css=".sketch { display: flex; flex-direction: column; gap: 0.5rem; }"
        ".sketch-canvas { width: 100%; aspect-ratio: 1; touch-action: none; cursor: crosshair;"
        " border-radius: 0.5rem; border: 1px solid var(--st-border-color); }"
        ".sketch-tools { display: flex; gap: 0.5rem; }"
        ".sketch-tools button { font: inherit; padding: 0.25rem 0.9rem; border-radius: var(--st-button-radius);"
        " border: 1px solid var(--st-border-color); background: var(--st-secondary-background-color);"
        " color: var(--st-text-color); cursor: pointer; }",
)


def _keep(key: str, strokes_key: str) -> None:
    # The component's trigger value lives for one run only: keep it for the runs after.
    value = (st.session_state.get(key) or {}).get("strokes")
    if value is not None:
        st.session_state[strokes_key] = value


def strokes(strokes_key: str) -> list[dict[str, Any]]:
    """The drawing as the canvas last sent it (empty before the first stroke)."""
    return st.session_state.get(strokes_key) or []


def canvas(key: str, strokes_key: str, pen: int, hint: str) -> list[dict[str, Any]]:
    """Draw the canvas (`key`: the component's, never a URL parameter: a drawing is no link); a
    finished stroke reruns the script. Returns the strokes so far."""
    _component(key=key, data={"size": sketch.CANVAS_PX, "pen": int(pen), "strokes": strokes(strokes_key), "hint": hint},
               on_strokes_change=partial(_keep, key, strokes_key))
    return strokes(strokes_key)
