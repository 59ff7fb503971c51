"""The zoo's maps and page results for a downloaded dataset, measured once per machine in the background.

The zoo ships only the weights of its MNIST and Fashion-MNIST models (the images are not ours to
ship). The first time the app finds such a dataset here with models whose latent maps and results
are missing, it queues one background job per model (`aecore.studies.jobs.zoo_results`), the active model
first, and two that measure what the Compression page and the denoise lab's curves show
(`aecore.studies.jobs.zoo_studies`, about 10 s each on MNIST): the sweep before everything, as the
Compression page has nothing to draw without it, the curves after the active model. Background jobs
run in a worker of their own at the lowest priority (`aecore.workers.JobQueue`), so a student's
Train and a page's own job never wait behind them. Every session shows the progress in the
sidebar, and pages measure what they need for themselves meanwhile (as for a user's own model). From
then on those pages open at once. `AECORE_ZOO_MEASURE=manual` makes it a button instead (a laptop
that should stay quiet; the tests).
"""

from __future__ import annotations

import os

import streamlit as st

import aecore.export
import aecore.studies.local_studies
import aecore.pretrained
from aecore.data import default_data_root
from aecore.data.download import DATASETS as DOWNLOADS
from aecore.workers import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job
from ui.core import jobs, state
from ui.core.cache import is_available


MEASURE_ENV = "AECORE_ZOO_MEASURE"
SWEEP, CURVES = aecore.studies.local_studies.SWEEP, aecore.studies.local_studies.CURVES  # jobs beside the models', in _server_jobs
STUDIES = (SWEEP, CURVES)


def automatic() -> bool:
    return os.environ.get(MEASURE_ENV, "auto").strip().lower() != "manual"


@st.cache_resource(show_spinner=False)
def _server_jobs() -> dict[tuple[str, str], Job]:
    return {}  # (dataset, model) -> the server's job measuring it


def _missing(dataset: str) -> list[str]:
    """What of `dataset`'s zoo is not measured here yet: its models' names, and SWEEP and CURVES."""
    if dataset not in DOWNLOADS or not is_available(dataset):
        return []
    return aecore.pretrained.missing_results(dataset) + aecore.studies.local_studies.missing_studies(dataset)


def _submit(dataset: str, name: str) -> Job:
    import aecore.studies.jobs  # when there is work: the job catalogue loads scikit-learn, a second of the first page

    folders = (str(default_data_root()), str(aecore.pretrained.local_results_root()),
               str(aecore.pretrained.pretrained_root()))
    if name in STUDIES:
        return jobs.job_queue().submit(aecore.studies.jobs.zoo_studies, dataset, *folders, [name],
                                       name=f"the {name} of {dataset}", background=True)
    return jobs.job_queue().submit(aecore.studies.jobs.zoo_results, dataset, *folders, str(aecore.export.cache_root()),
                                   [name], name=f"zoo maps of {name}", background=True)


def jobs_for(dataset: str, start: bool = True, first: str | None = None) -> list[Job]:
    """The server's jobs measuring what `dataset`'s zoo lacks here, one per model and per study,
    queued now (when `start`) for those with none (one cancelled because nobody watched starts again;
    one that ended yet whose results are missing was deleted since). `first`: the model to queue
    first after SWEEP (seconds; the Compression page waits for it), then CURVES."""
    missing = _missing(dataset)
    if first not in missing:  # no active model to measure: the zoo's first missing one
        first = next((name for name in missing if name not in STUDIES), None)
    order = {SWEEP: 0, first: 1, CURVES: 2}
    missing.sort(key=lambda name: order.get(name, 3))  # stable: the zoo's order after these
    held = _server_jobs()
    found = []
    for name in missing:
        job = held.get((dataset, name))
        if job is not None and job.state in (CANCELLED, DONE):
            job = None
        if job is None and start:
            job = held[(dataset, name)] = _submit(dataset, name)
        if job is not None:
            found.append(job)
    return found


def measuring(dataset: str, name: str) -> Job | None:
    """The unfinished background job measuring `name` (a zoo model, SWEEP or CURVES) of `dataset`, or None."""
    job = _server_jobs().get((dataset, name))
    return None if job is None or job.finished else job


def draw_measuring_wait(dataset: str, name: str = SWEEP) -> None:
    """On a page waiting for the background measuring of `name` (SWEEP, for the Compression page; a
    zoo model): the progress of its job (its place in the queue while it waits); the page reruns
    when it ends. Nothing when no such job is held."""
    job = measuring(dataset, name)
    if job is None:
        return

    @st.fragment(run_every=jobs.POLL_SECONDS)
    def wait() -> None:
        job.touch()
        if job.finished:
            st.rerun(scope="app")
        if job.state == RUNNING:
            st.progress(min(1.0, jobs.share(job)), text=f"Measuring {jobs.progress_text(job)}")
        else:
            st.caption(jobs.queue_text(job))

    wait()


def draw_panel(dataset: str) -> None:
    """In the sidebar: the measuring's progress (polled; the app reruns when it ends), or why a model
    failed. Any report a job makes is drawn from its words and share: none can break the sidebar."""
    missing = _missing(dataset)
    if not missing:
        return
    active = st.session_state.get(state.MODEL_KEY)  # the model the user looks at is measured first
    held = jobs_for(dataset, start=automatic(), first=getattr(active, "name", None))
    if not held:  # measuring is left to a click (AECORE_ZOO_MEASURE=manual)
        models = len([name for name in missing if name not in STUDIES])
        st.caption((f"The zoo's {models} models of {dataset} have no maps or results measured here yet"
                    if models else f"The {' and '.join(n for n in missing)} of {dataset} are not measured here yet")
                   + "; pages measure what they show meanwhile.")
        st.button("Measure them now", key=f"zoo_measure_{dataset}", on_click=jobs_for, args=(dataset,),
                  help="Runs once, in the background; from then on their pages open at once.")
        return
    failed = [job for job in held if job.state == FAILED]
    for job in failed:
        st.warning(f"Measuring {job.name} failed: {job.error}. Its pages measure what they show instead.")
    if len(failed) == len(held):
        return
    total = len(aecore.pretrained.list_pretrained(dataset)) + len(STUDIES)  # a job per model and per study

    @st.fragment(run_every=jobs.POLL_SECONDS)
    def panel() -> None:
        for job in held:
            job.touch()
        if all(job.finished for job in held):
            st.rerun(scope="app")
        running = next((job for job in held if job.state == RUNNING), None)
        left = sum(1 for job in held if not job.finished)
        done = total - left
        if running is None:
            waiting = next(job for job in held if job.state == QUEUED)
            st.caption(f"Zoo maps of {dataset}, {done} of {total} measured: {jobs.queue_text(waiting)}")
            return
        share = (done + jobs.share(running)) / max(total, 1)
        st.progress(min(1.0, share), text=f"Measuring the zoo's maps and results of {dataset} on your copy (once): "
                                          f"{done} of {total} jobs done, now {jobs.progress_text(running)}")

    panel()


__all__ = ["CURVES", "STUDIES", "SWEEP", "draw_panel", "draw_measuring_wait", "jobs_for", "measuring"]
