"""Autoencoder Explorer: the Streamlit router.

It runs around every page: sets the page config, registers the pages and draws the sidebar that
picks the active dataset. Pages read that choice through `ui.state`.
"""

import streamlit as st

from ui import state
from ui.cache import offline_datasets

st.set_page_config(page_title="Autoencoder Explorer", layout="wide")

navigation = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/load.py", title="Load a model", icon=":material/upload_file:"),
    st.Page("pages/denoise.py", title="Reconstruct & denoise", icon=":material/blur_on:"),
])

with st.sidebar:
    names = offline_datasets()
    if not names:
        st.error("No embedded dataset could be loaded; check that `aecore` is installed intact.")
    else:
        active = state.active_dataset_name()
        if active not in names:
            active = names[0]
            state.set_active_dataset(active)
        st.selectbox(
            "Dataset", names, index=names.index(active), key=state.DATASET_WIDGET_KEY,
            on_change=state.sync_dataset_from_widget,
            help="Embedded datasets that need no download.",
        )

navigation.run()
