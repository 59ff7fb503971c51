"""Interpolate: the decoded path between two test images' codes, beside their pixel cross-fade."""

import streamlit as st

from aecore.latent.paths import MODES
from ui import generate_view as view
from ui.core import state
from ui.core.router import require_router

require_router()
KEEP = state.KEEP_ACROSS_PAGES  # see ui.core.state

st.title("Interpolate")
st.markdown(
    "Two test images are encoded, and the straight (or spherical) path between their **codes** is "
    "decoded frame by frame. Below it, the **pixel cross-fade** of the same two images: a blend of two "
    "pictures, ghosted halfway. Where the model has learned the data, its path passes through images "
    "that look like real ones instead. Drag the slider under the large pair to walk the path."
)

active = state.active_model()
test = view.test_split(active.dataset)
selection = view.latent_map_selection(len(test))
sources = (["latent map selection"] if len(selection) >= 2 else []) + ["by class", "at random", "by index"]

how_col, a_col, b_col, seed_col = st.columns([2, 2, 2, 1])
how = how_col.radio("Pick two images", sources, horizontal=True)
classes = test.classes or ["all"]
class_a = a_col.selectbox("Class of the first", classes, index=0, disabled=how != "by class")
class_b = b_col.selectbox("Class of the second", classes, index=min(1, len(classes) - 1), disabled=how != "by class")
index_a = a_col.number_input("Index of the first", 0, len(test) - 1, 0, disabled=how != "by index")
index_b = b_col.number_input("Index of the second", 0, len(test) - 1, 1, disabled=how != "by index")
seed = int(seed_col.number_input("Seed", min_value=0, value=0, key="interpolate_seed", persist_state=KEEP,
                                 help="Which images 'at random' and 'by class' pick."))

steps_col, mode_col = st.columns([3, 1])
steps = steps_col.slider("Frames", min_value=3, max_value=24, value=10, key="interpolate_frames", persist_state=KEEP)
mode = mode_col.radio("Interpolation", MODES, horizontal=True, key="interpolate_mode", persist_state=KEEP,
                      help="slerp follows the great circle, where most of a Gaussian's mass lies.")

if how == "latent map selection":
    rows = (selection[0], selection[1])
else:
    rows = view.pick_pair(active.dataset, how, seed, (class_a, class_b), (int(index_a), int(index_b)))
st.caption(f"Model **{active.name}** · from {view.row_name(active.dataset, rows[0])} "
           f"to {view.row_name(active.dataset, rows[1])}")

strip, large, path_map = view.interpolation_figures(active, rows, steps, mode)
st.plotly_chart(strip, width="stretch", config={"displayModeBar": False})
large_col, map_col = st.columns([3, 2])
large_col.plotly_chart(large, width="stretch", config={"displayModeBar": False})
map_col.plotly_chart(path_map, width="stretch", config={"displayModeBar": False})
