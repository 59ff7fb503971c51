"""Interpolate: the decoded path between two test images' codes, beside their pixel cross-fade. Every
control is in the URL (keys ip_*), so a link opens this view."""

import streamlit as st

from aecore.latent.paths import MODES
from ui import generate_view as view
from ui.core import lessons, presenter, state
from ui.core.router import require_router

require_router()
CHART = {"width": "stretch", "config": {"displayModeBar": False}}
# Short option names: a bound radio keeps the name it shows in the URL (?ip_how=class).
PICKS = ("selection", "class", "random", "index")

st.title("Interpolate")
st.markdown(
    "Two test images are encoded, and the straight (or spherical) path between their **codes** is "
    "decoded frame by frame. Below it, the **pixel cross-fade** of the same two images: a blend of two "
    "pictures, ghosted halfway. Where the model has learned the data, its path passes through images "
    "that look like real ones instead. Drag the slider under the large pair to walk the path: the ring "
    "on the map beside it shows where on the path that frame lies."
)

active = state.active_model()
test = view.test_split(active.dataset)
selection = view.latent_map_selection(len(test))
sources = [p for p in PICKS if p != "selection" or len(selection) >= 2]

how_col, a_col, b_col = st.columns([2, 2, 2])
how = how_col.radio("Pick two images by", sources, **state.initial("ip_how", sources.index("class"), "index"),
                    horizontal=True, key="ip_how",
                    bind="query-params", help="selection: the first two test images selected on the Latent map.")
classes = test.classes or ["all"]
class_a = a_col.selectbox("Class of the first", classes, index=0, disabled=how != "class",
                          key="ip_class_a", bind="query-params")
class_b = b_col.selectbox("Class of the second", classes, **state.initial("ip_class_b", min(1, len(classes) - 1), "index"),
                          disabled=how != "class",
                          key="ip_class_b", bind="query-params")
index_a = a_col.number_input("Index of the first", 0, len(test) - 1, 0, disabled=how != "index",
                             key="ip_a", bind="query-params")
index_b = b_col.number_input("Index of the second", 0, len(test) - 1, 1, disabled=how != "index",
                             key="ip_b", bind="query-params")

steps_col, more_col = st.columns([3, 2])
steps = steps_col.slider("Frames", min_value=3, max_value=24, value=10, key="ip_steps", bind="query-params")
with more_col:
    with presenter.secondary("Path and seed"):
        mode_col, seed_col = st.columns([3, 2])
        mode = mode_col.radio("Interpolation", MODES, horizontal=True, key="ip_mode", bind="query-params",
                              help="slerp follows the great circle, where most of a Gaussian's mass lies.")
        seed = int(seed_col.number_input("Seed", min_value=0, value=0, key="ip_seed", bind="query-params",
                                         help="Which images 'at random' and 'by class' pick."))

if how == "selection":
    rows = (selection[0], selection[1])
else:
    rows = view.pick_pair(active.dataset, how, seed, (class_a, class_b), (int(index_a), int(index_b)))
st.caption(f"Model **{active.name}** · from {view.row_name(active.dataset, rows[0])} "
           f"to {view.row_name(active.dataset, rows[1])}")

strip, large = view.interpolation_figures(active, rows, steps, mode, presenter.scale(240))
st.plotly_chart(strip, **CHART)
near = view.path_nearness(active, rows, steps, mode)
lessons.publish(near)
inner = int(near["inner_frames"])
st.caption(f"Of the {inner} frames between the two ends, {near['path_near_share'] * inner:.0f} on the decoded path "
           f"and {near['fade_near_share'] * inner:.0f} of the pixel cross-fade are as close to a real test image as "
           "nine real images in ten are to theirs (pixel RMSE): a plausible image, by that yardstick.")
st.plotly_chart(large, **CHART)
