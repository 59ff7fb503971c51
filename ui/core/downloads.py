"""Datasets one click away: the sidebar's download panel, its job in the server's queue, and what
happens when it ends.

Choosing a dataset that is not here yet (`ui.core.state.pending_download`) shows what it is and a
Download button; the download runs as `aecore.jobs.download` in a worker, and the panel polls its
progress like every other job (`ui.core.jobs.job_panel`), so no script run ever waits for the
network. Once the files are in place the dataset becomes the active one and is remembered.
"""

from __future__ import annotations

import os
from functools import partial
from urllib.parse import urlparse

import streamlit as st

import aecore.jobs
from aecore.data import default_data_root
from aecore.data.download import DATASETS as DOWNLOADS, MIRROR_ENV, download_size, format_size
from ui.core import jobs, state
from ui.core.cache import OFFLINE_DATASETS, is_available

PREFIX = "download:"  # the session's job that downloads dataset X has the purpose "download:X"


def purpose(name: str) -> str:
    return PREFIX + name


def choice_label(name: str) -> str:
    """How the sidebar lists a dataset: its name, with the download size while it is not here."""
    if name not in DOWNLOADS or is_available(name):
        return name
    return f"{name} (download, {format_size(download_size(name))})"


def start(name: str) -> jobs.Job:
    """Queue the download of `name` into this server's data folder (the Download button's callback).
    The folder and mirror are the server's, passed along: a worker may predate a change to them."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()  # "" means the official source
    return jobs.submit(purpose(name), aecore.jobs.download, name, str(default_data_root()), mirror,
                       name=f"downloading {name}")


def collect_finished() -> None:
    """The sidebar's hook, before it draws: forget finished downloads, and make the dataset the
    session waits for active once its files are here (fetched by this session's job, another
    session's, or the command line)."""
    for key, job in list(jobs.session_jobs().items()):
        if key.startswith(PREFIX) and job.state == jobs.DONE:
            jobs.forget(key)
    pending = state.pending_download()
    if pending is not None and is_available(pending):
        state.choose_dataset(pending)


def draw_panel(name: str, active: str) -> None:
    """What `name` is, where it goes, and its Download button; then the download's progress, or why
    it failed (with the files to put where by hand)."""
    spec = DOWNLOADS[name]
    with st.container(border=True):
        st.markdown(spec.description)
        st.caption(f"{format_size(spec.size)} to download from {urlparse(spec.base_url).hostname}, kept in "
                   f"`{spec.target(default_data_root())}`. The pages keep using **{active}** until it is here.")
        job = jobs.current(purpose(name))
        if job is not None and not job.finished:
            jobs.job_panel(purpose(name), partial(_draw_progress, name), cancel_label="Cancel download",
                           cancel_help="Stop the download; no partial file is kept.")
            return
        if job is not None and job.state == jobs.FAILED:
            builtin = " and ".join(f"**{n}**" for n in OFFLINE_DATASETS)
            st.error(f"{job.error}\n\nMeanwhile {builtin} work without any download.", icon=":material/cloud_off:")
        elif job is not None and job.state == jobs.CANCELLED:
            st.warning("The download was cancelled; nothing was kept.")
        st.button("Download", type="primary", icon=":material/download:", key=f"download_{name}", on_click=start,
                  args=(name,), help="Runs in the background: keep using the app meanwhile.")


def _draw_progress(name: str, job: jobs.Job) -> None:
    if job.progress is None:
        st.progress(0.0, text=f"Starting the download of {name}…")
        return
    done, total = job.progress
    st.progress(min(1.0, done / total) if total else 0.0,
                text=f"Downloading {name}: {format_size(done)} of {format_size(total)}")


__all__ = ["PREFIX", "choice_label", "collect_finished", "draw_panel", "purpose", "start"]
