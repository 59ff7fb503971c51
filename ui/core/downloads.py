"""Datasets one click away: the sidebar's download panel, its job in the server's queue, and what
happens when it ends.

Choosing a dataset that is not here yet (`ui.core.state.pending_download`) shows what it is and a
Download button; the download runs as `aecore.studies.jobs.download` in a worker, and the panel polls its
progress like every other job (`ui.core.jobs.job_panel`), so no script run ever waits for the
network. Once the files are in place the dataset becomes the active one and is remembered.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from aecore.data import default_data_root
from aecore.data.download import DATASETS as DOWNLOADS, MIRROR_ENV, download_size, format_size, mirror_url, source_url
from ui.core import jobs, state
from ui.core.cache import OFFLINE_DATASETS, is_available
from ui.core.models import pretrained_entries

PREFIX = "download:"  # the session's job that downloads dataset X has the purpose "download:X"


def purpose(name: str) -> str:
    return PREFIX + name


def choice_label(name: str) -> str:
    """How the sidebar lists a dataset: its name, with the download size while it is not here."""
    if name not in DOWNLOADS or is_available(name):
        return name
    return f"{name} (download, {format_size(download_size(name))})"


def measured_where(model: str, dataset: str) -> str:
    """Where the stored numbers and maps of the shipped model `model` were measured, for a caption: a
    downloaded dataset's models ship weights only ("local_results" in the manifest), so theirs were
    measured here (`aecore.studies.zoo.build_local_results`), on whatever copy this machine holds."""
    if any(entry["name"] == model and entry.get("local_results") for entry in pretrained_entries(dataset)):
        return f"measured on this machine's copy of {dataset}"
    return "stored with the model when the zoo was built"


def zoo_errors_where(dataset: str) -> str | None:
    """Where the manifest's test errors of `dataset`'s shipped models (Home's bars, Load's table, the
    model card) were measured, when not on the images here: for a downloaded dataset, on the zoo
    builders' copy; None for an embedded dataset, whose images are the same everywhere."""
    if any(entry.get("local_results") for entry in pretrained_entries(dataset)):
        return f"measured when the zoo was built, on its builders' copy of {dataset}"
    return None


def start(name: str) -> jobs.Job:
    """Queue the download of `name` into this server's data folder (the Download button's callback).
    The folder and mirror are the server's, passed along: a worker may predate a change to them."""
    import aecore.studies.jobs  # on the click: the job catalogue loads scikit-learn, a second of the first page

    mirror = mirror_url() or ""  # "" means the official source
    return jobs.submit(purpose(name), aecore.studies.jobs.download, name, str(default_data_root()), mirror,
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
        st.markdown(f"{spec.description} {spec.official_note}")
        st.caption(f"{_fetched_from(name)}, kept in `{spec.target(default_data_root())}`. The pages keep using "
                   f"**{active}** until it is here, then Home counts the images that arrived.")
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


def _fetched_from(name: str) -> str:
    """Where this server downloads `name` from, and how much: the official files' size is known, a
    mirror's copy is not (it may hold fewer images), so a mirror is named without a size."""
    if mirror_url() is not None:
        return f"Downloaded from the mirror {source_url(name)} (set in `{MIRROR_ENV}`), not the official site"
    return f"{format_size(download_size(name))} to download from {source_url(name)}"


def _draw_progress(name: str, job: jobs.Job) -> None:
    if job.progress is None:
        st.progress(0.0, text=f"Starting the download of {name}…")
        return
    st.progress(jobs.share(job), text=f"Downloading {name}: {jobs.progress_text(job)}")


__all__ = ["PREFIX", "choice_label", "collect_finished", "draw_panel", "measured_where", "purpose", "start",
           "zoo_errors_where"]
