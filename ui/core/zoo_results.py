"""The zoo's maps and page results for a downloaded dataset, measured once per machine in the background.

The zoo ships only the weights of its MNIST and Fashion-MNIST models (the images are not ours to
ship). The first time the app finds such a dataset here with models whose latent maps and results
are missing, it queues one server-wide job (`aecore.jobs.zoo_results`) that measures them into the
local cache; every session shows its progress in the sidebar, and pages measure what they need for
themselves meanwhile (as for a user's own model). From then on those pages open at once.
`AECORE_ZOO_MEASURE=manual` makes it a button instead (a laptop that should stay quiet; the tests).
"""

from __future__ import annotations

import os

import streamlit as st

import aecore.export
import aecore.jobs
import aecore.pretrained
from aecore.data import default_data_root
from aecore.data.download import DATASETS as DOWNLOADS
from aecore.workers import CANCELLED, DONE, FAILED, QUEUED, Job
from ui.core import jobs
from ui.core.cache import is_available


MEASURE_ENV = "AECORE_ZOO_MEASURE"


def automatic() -> bool:
    return os.environ.get(MEASURE_ENV, "auto").strip().lower() != "manual"


@st.cache_resource(show_spinner=False)
def _server_jobs() -> dict[str, Job]:
    return {}  # dataset -> the server's job measuring its zoo models


def _missing(dataset: str) -> list[str]:
    return aecore.pretrained.missing_results(dataset) if dataset in DOWNLOADS and is_available(dataset) else []


def job_for(dataset: str, start: bool = True) -> Job | None:
    """The server's job measuring `dataset`'s zoo models, queued now (when `start`) if some lack
    results and no job is on it (one cancelled because nobody watched it starts again where it stopped)."""
    if not _missing(dataset):
        return None
    held = _server_jobs()
    job = held.get(dataset)
    if job is not None and job.state in (CANCELLED, DONE):  # done, yet results missing: deleted since
        job = None
    if job is None and start:
        job = jobs.job_queue().submit(aecore.jobs.zoo_results, dataset, str(default_data_root()),
                                      str(aecore.pretrained.local_results_root()),
                                      str(aecore.pretrained.pretrained_root()), str(aecore.export.cache_root()),
                                      name=f"zoo maps of {dataset}")
        held[dataset] = job
    return job


def draw_panel(dataset: str) -> None:
    """In the sidebar: the measuring job's progress (polled; the app reruns when it ends), or why it failed."""
    job = job_for(dataset, start=automatic())
    if job is None and _missing(dataset):  # measuring is left to a click (AECORE_ZOO_MEASURE=manual)
        st.caption(f"The zoo's {len(_missing(dataset))} models of {dataset} have no maps or results measured "
                   "here yet; pages measure what they show meanwhile.")
        st.button("Measure them now", key=f"zoo_measure_{dataset}", on_click=job_for, args=(dataset,),
                  help="Runs once, in the background; from then on their pages open at once.")
        return
    if job is None:
        return
    if job.state == FAILED:
        st.warning(f"Measuring the zoo's maps of {dataset} failed: {job.error}. Pages measure what they show "
                   "for each model instead.")
        return

    @st.fragment(run_every=jobs.POLL_SECONDS)
    def panel() -> None:
        job.touch()
        if job.finished:
            st.rerun(scope="app")
        if job.state == QUEUED:
            st.caption(f"Zoo maps of {dataset}: {jobs.queue_text(job)}")
            return
        done, total, name = job.progress or (0, 1, "")
        st.progress(done / max(total, 1), text=f"Measuring the zoo's maps and results of {dataset} on your copy "
                                                 f"(once): {done} of {total} models{f', now {name}' if name else ''}")

    panel()


__all__ = ["draw_panel", "job_for"]
