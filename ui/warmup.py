"""Start umap-learn's one-off compilation in the background when the server starts."""

from __future__ import annotations

import threading

import streamlit as st

import aecore


@st.cache_resource(show_spinner=False)
def start_umap_warm_up() -> threading.Thread:
    """Once per server process: compile umap-learn's numba code (25-60 s on 2 cores) in a daemon
    thread, so the first UMAP map a user asks for does not wait for it. Pages never wait on it."""
    thread = threading.Thread(target=aecore.latent.warm_up, name="umap-warm-up", daemon=True)
    thread.start()
    return thread
