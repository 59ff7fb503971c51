"""Autoencoder Explorer: the Streamlit router.

It runs around every page: sets the page config, registers the pages and draws the sidebar they
share (active dataset, active model and its card, see `ui.sidebar`). Pages read those choices
through `ui.core.state`.
"""

import pandas  # noqa: F401  (see below)
import streamlit as st
import torch

from ui.core import lessons, presenter, state, verdict
from ui.sidebar import draw_sidebar
from ui.training import collect_finished

# The app's models are small and many sessions share the CPU: with torch's default of one thread
# per core, concurrent reruns oversubscribe the cores and a 100 ms rerun takes 700 ms (measured on
# 2 cores), so every torch call here runs on one thread.
torch.set_num_threads(1)
# pandas is imported above, before any session's script runs: plotly's charts look it up in
# sys.modules without waiting for an import in progress, so a session's chart could otherwise meet
# a half-imported pandas while another session's first use of scikit-learn (which aecore loads
# lazily) is importing it.
# Presenter mode folds the sidebar away: a projector's width is for the page.
st.set_page_config(page_title="Autoencoder Explorer", layout="wide",
                   initial_sidebar_state="collapsed" if presenter.presenting() else "auto")

navigation = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/load.py", title="Load a model", icon=":material/upload_file:"),
    st.Page("pages/denoise.py", title="Reconstruct & denoise", icon=":material/blur_on:"),
    st.Page("pages/latent_map.py", title="Latent map", icon=":material/scatter_plot:"),
    st.Page("pages/interpolate.py", title="Interpolate", icon=":material/linear_scale:"),
    st.Page("pages/sample.py", title="Sample & traverse", icon=":material/casino:"),
    st.Page("pages/anomaly.py", title="Anomaly detection", icon=":material/troubleshoot:"),
    st.Page("pages/compression.py", title="Compression", icon=":material/compress:"),
    st.Page("pages/features.py", title="Feature extraction", icon=":material/category:"),
    st.Page("pages/regularizers.py", title="Inside the code", icon=":material/tune:"),
    st.Page("pages/conv.py", title="Inside a conv net", icon=":material/grid_on:"),
    st.Page("pages/capacity.py", title="Capacity: overfitting & overcomplete", icon=":material/stacked_line_chart:"),
    st.Page("pages/draw.py", title="Draw and see", icon=":material/draw:"),
    st.Page("pages/compare.py", title="Compare models", icon=":material/compare:"),
    st.Page("pages/recommend.py", title="Recommend", icon=":material/recommend:"),
    st.Page("pages/search.py", title="Search by code", icon=":material/image_search:"),
], expanded=True)  # every page listed: Streamlit folds a list of more than 12 behind "View more"

collect_finished()  # a run that ended while the user was elsewhere becomes the active model now
# A lesson link or a lesson's Next/Back may open another page, and may choose the dataset: before
# anything is drawn (the sidebar's dataset picker cannot be set once drawn: a link to a step on
# MNIST raised there).
lessons.follow_link(navigation.url_path)
# Drawn before the page runs, so a page that stops early still has it. A page that changes the
# active model should do so in a widget callback (or call st.rerun()) for the card to show it at once.
draw_sidebar()
state.publish_link()  # the address bar is always a link to this view
lessons.draw_panel()
verdict.start_run()  # the sentences this run's page says, for the claims test

try:
    navigation.run()
finally:  # also after a page's st.stop(): the lesson's answer follows the numbers the page drew
    lessons.draw_answer()
