"""What the analysis pages (Feature extraction, Inside the code, Anomaly) show of a model, without
computing it in a script run: a shipped model's results come from the zoo
(`aecore.pretrained.load_results`); a user's own model's from a job in the server's queue
(`aecore.studies.page_jobs`), shown once it is done. The one place these three views share.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

import aecore
from aecore.job_progress import Early
from aecore.workers import Job
from ui.core import jobs
from ui.core.models import zoo_stamp

FOR_KEY = "page_results_for"  # purpose -> the key its session job was submitted for
DONE_KEY = "page_results_done"  # (purpose, key) -> a finished job's result, kept for this session
KEEP_DONE = 12  # results of the session's own models kept; older ones are measured again if asked


@st.cache_resource(show_spinner=False, max_entries=64)
def _stored(name: str, stamp: str) -> dict[str, Any]:
    # Shared by every session, read-only: a few hundred kB per model, loaded once per server.
    return aecore.pretrained.load_results(name)


def stored(name: str) -> dict[str, Any]:
    """`aecore.pretrained.load_results(name)`, cached (and reloaded when the zoo is rebuilt)."""
    return _stored(name, zoo_stamp())


def has_stored(active: Any) -> bool:
    """Whether `active` (a ui.core.state.ActiveModel) is a shipped model whose page results are
    stored. A downloaded dataset's models have them once measured on this machine (see
    `aecore.studies.zoo.build_local_results`); until then they are measured like a user's own model."""
    return active.source == "pretrained" and aecore.pretrained.has_results(active.name)


def background(purpose: str, key: str, function: Callable[..., Any], arguments: Callable[[], tuple],
               name: str) -> tuple[Any | None, Job | None]:
    """(result, None) once the session's job of `purpose` has measured `key`; else (None, job):
    the job that is measuring it, submitted now as `function(*arguments())` when none is (the
    arguments, e.g. checkpoint bytes, are made only then). A failed or cancelled job stays as it
    is, so the page can say so and `restart` it, instead of resubmitting on every rerun."""
    done = st.session_state.setdefault(DONE_KEY, {})
    if (purpose, key) in done:
        return done[(purpose, key)], None
    submitted_for = st.session_state.setdefault(FOR_KEY, {})
    job = jobs.current(purpose)
    if job is None or submitted_for.get(purpose) != key:
        job = jobs.submit(purpose, function, *arguments(), name=name)
        submitted_for[purpose] = key
    elif job.state == jobs.DONE:
        while len(done) >= KEEP_DONE:
            done.pop(next(iter(done)))
        done[(purpose, key)] = job.result
        return job.result, None
    return None, job


def partial(job: Job | None) -> Any | None:
    """What a running job has sent ahead of its result (its latest report's `Early` detail: the
    probe's codes-and-PCA scores before the pixels'), or None."""
    detail = job.progress.detail if job is not None and not job.finished and job.progress is not None else None
    return detail.result if isinstance(detail, Early) else None


def restart(purpose: str) -> None:
    """Forget the session's `purpose` job, so that the next `background` call submits it again."""
    st.session_state.setdefault(FOR_KEY, {}).pop(purpose, None)
    jobs.forget(purpose)


def draw_pending(purpose: str, job: Job, what: str, early_drawn: bool = False) -> None:
    """Where a user's model's measurement stands: queued or running (polled until done), failed or
    cancelled (with a button to measure again). `what` names it: "the probe of your model", ...
    early_drawn: the page drew the job's `partial` result; until then the poll reruns the page as
    soon as one arrives, so that it is drawn at once, not when the whole job ends."""
    if job.state == jobs.FAILED:
        st.error(f"Measuring {what} failed: {job.error}")
    elif job.state == jobs.CANCELLED:
        st.info(f"Measuring {what} was cancelled.")
    else:
        st.info(f"{what[0].upper()}{what[1:]}: computing in the background, in the server's job queue; it "
                "shows here when it is ready.", icon=":material/pending:")

        def draw_running(running: Job) -> None:
            if not early_drawn and partial(running) is not None:
                st.rerun(scope="app")
            text = jobs.progress_text(running)
            st.caption(f":material/progress_activity: {text[:1].upper()}{text[1:]}…")

        jobs.job_panel(purpose, draw_running)
        return
    st.button("Measure again", key=f"{purpose}_again", on_click=restart, args=(purpose,))
