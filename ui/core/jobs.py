"""The app's side of the server-wide job queue: the queue itself, each session's jobs, and the one
polling panel that every page with long work shares.

Long work (training, sweeps, experiments) never runs in a script run: a page submits it here and
draws whatever the job has reported so far. A session keeps at most one job per purpose ("train",
"anomaly", ...); submitting another for the same purpose cancels the previous one. Whatever reads a
job touches it, and the sidebar touches the session's unfinished jobs every few seconds from any
page, so a job whose browser has gone (no touch for a minute) is cancelled by the queue.
"""

from __future__ import annotations

import math
import threading
import uuid
from typing import Any, Callable

import streamlit as st

from aecore.workers import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobQueue

JOBS_KEY = "session_jobs"  # purpose -> the session's latest Job of that purpose
_GROUP_KEY = "_job_queue_group"
# How often a page redraws a running job's progress: often enough to watch it learn, rarely enough
# that a room of open pages leaves the CPU to the training itself.
POLL_SECONDS = 1.0
QUEUED_POLL_SECONDS = 2.0  # a queued job only shows its place: thirty waiting pages poll gently
# How often the sidebar's heartbeat says "still here" for the session's jobs and looks for one that
# ended: a run finished while its student was on another page shows up within this. At 5 s it was up
# to 5 s of a 10 s digits run's click-to-model time; the fragment draws a caption per job, a few ms.
HEARTBEAT_SECONDS = 1.0
PAUSED_TEXT = ("Paused while another session's job uses this worker: the server takes turns between the "
               "sessions that wait. It goes on from where it stopped when that job ends.")


@st.cache_resource(show_spinner=False)
def job_queue() -> JobQueue:
    """The server's one queue (workers: $AECORE_WORKERS, else one fewer than the cores)."""
    return JobQueue()


def session_jobs() -> dict[str, Job]:
    return st.session_state.setdefault(JOBS_KEY, {})


def session_group() -> str:
    """This session's name in the queue, which shares its workers round-robin between sessions."""
    return st.session_state.setdefault(_GROUP_KEY, uuid.uuid4().hex)


def submit(purpose: str, function: Callable[..., Any], *args: Any, name: str = "") -> Job:
    """Queue `function(*args)` for this session under `purpose`, cancelling its previous job of
    that purpose if unfinished. `function` must be importable (an `aecore.studies.jobs` function)."""
    previous = session_jobs().get(purpose)
    if previous is not None and not previous.finished:
        previous.cancel()
    job = session_jobs()[purpose] = job_queue().submit(function, *args, name=name or purpose, group=session_group())
    return job


def current(purpose: str) -> Job | None:
    """The session's latest job of `purpose` (touched: someone is looking), or None."""
    job = session_jobs().get(purpose)
    if job is not None:
        job.touch()
    return job


def forget(purpose: str) -> None:
    session_jobs().pop(purpose, None)


@st.cache_resource(show_spinner=False)
def _server_jobs() -> dict[tuple, Job]:
    return {}  # key -> the server's one job for it, whichever session asked first


def server_job(key: tuple, function: Callable[..., Any], arguments: Callable[[], tuple], name: str,
               stale: Callable[[Job], bool] | None = None) -> Job:
    """The server's one job for `key`, shared by every session: deterministic work (a map, an
    export, an experiment), so one session's result serves all. Queued now as
    `function(*arguments())` when there is none, when the last was cancelled (nobody looked at it for
    a minute) or is `stale`; the arguments (checkpoint bytes, say) are made only then. Touched:
    someone is looking."""
    registry = _server_jobs()
    job = registry.get(key)
    if job is None or job.state == CANCELLED or (stale is not None and stale(job)):
        job = registry[key] = job_queue().submit(function, *arguments(), name=name)
    job.touch()
    return job


def peek_server_job(key: tuple) -> Job | None:
    """The server's job for `key` if one was asked for, without queueing one."""
    return _server_jobs().get(key)


def forget_server_job(key: tuple) -> None:
    """Drop the server's job for `key` (a failed one), so that the next `server_job` queues it again."""
    _server_jobs().pop(key, None)


@st.cache_resource(show_spinner=False)
def _shared_results() -> tuple[threading.Lock, dict[str, dict[Any, Any]]]:
    return threading.Lock(), {}  # space -> key -> a finished session job's result, oldest first


def shared_result(space: str, key: Any) -> Any | None:
    """What some session of this server shared under `key` in `space` ("one-class", ...), or None."""
    lock, spaces = _shared_results()
    with lock:
        return spaces.get(space, {}).get(key)


def share_result(space: str, key: Any, value: Any, keep: int = 16) -> None:
    """Keep a session job's finished result for every session of the server: the work is
    deterministic (a one-class model, a capacity experiment), so one session's result serves all.
    Unlike `server_job`, the job stays the session's own (its progress, its Stop button) until it
    ends. Only the `keep` newest per space stay: one-class results hold a checkpoint each."""
    lock, spaces = _shared_results()
    with lock:  # sessions run in threads of one process; the eviction must not interleave
        results = spaces.setdefault(space, {})
        results.pop(key, None)
        results[key] = value
        while len(results) > keep:
            results.pop(next(iter(results)))


def unfinished() -> list[Job]:
    return [job for job in session_jobs().values() if not job.finished]


def queue_text(job: Job) -> str:
    """Where a queued job stands, in words."""
    ahead = job.position - 1
    place = "next in line" if ahead == 0 else f"{ahead} job{'s' if ahead > 1 else ''} ahead of it"
    if job.background:
        return (f"Waiting for the background worker: {place}. It runs one job at a time, beside the users' "
                "jobs and at a lower priority than theirs.")
    workers = job_queue().workers
    return (f"Waiting for a free worker: {place}. This server runs {workers} job{'s' if workers > 1 else ''} "
            "of its users at a time, the jobs of pages someone is looking at first, then first come first served; "
            "background work has a worker of its own.")


def job_panel(purpose: str, draw_running: Callable[[Job], None], *, cancel_label: str = "Cancel",
              cancel_help: str = "Take the job out of the queue, or stop it.") -> None:
    """Poll the session's `purpose` job while it is queued (every 2 s: its place in the queue) or
    running (every second: `draw_running(job)`), with a cancel button. Once it ends, the whole app reruns so the
    page (and the sidebar) can show the result."""
    job = current(purpose)
    if job is None or job.finished:
        return
    queued_when_drawn = job.state == QUEUED

    @st.fragment(run_every=POLL_SECONDS if job.state != QUEUED else QUEUED_POLL_SECONDS)
    def panel() -> None:
        job.touch()
        wait_for_the_end(job)
        if job.finished or (job.state != QUEUED and queued_when_drawn):
            st.rerun(scope="app")  # done, or started: the full page (and its polling pace) follows
        if job.state == QUEUED:
            st.info(queue_text(job), icon=":material/hourglass_top:")
        else:
            if job.paused:
                st.info(PAUSED_TEXT, icon=":material/pause_circle:")
            draw_running(job)
        st.button(cancel_label, icon=":material/stop:", on_click=job.cancel, key=f"{purpose}_cancel", help=cancel_help)

    panel()


END_MARGIN_SECONDS = 0.25  # waited past a job's own estimate of its end


def wait_for_the_end(job: Job) -> None:
    """When a running job says it ends within one poll, wait for it here, up to its estimate plus
    END_MARGIN_SECONDS (never more than a poll), so its result shows as it ends rather than up to a
    poll later: on a digits run of 4 s, the poll was a fifth of the click-to-model time. The wait
    holds this session's script run, so it is kept short: a paused job (its estimate stands still)
    and one with no estimate (nan) are not waited for."""
    left = job.seconds_left
    if job.state == RUNNING and not job.paused and left <= POLL_SECONDS:
        job.wait(min(POLL_SECONDS, max(0.0, left) + END_MARGIN_SECONDS))


def poll_until_finished(job: Job, draw: Callable[[Job], None]) -> None:
    """Redraw `draw(job)` every POLL_SECONDS while `job` is unfinished, touching it (someone is
    looking: the queue does not take it for abandoned); the whole app reruns once it ends, so the
    page shows its result. For a server job, which has no session purpose for `job_panel`."""
    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        job.touch()
        if job.finished:
            st.rerun(scope="app")
        draw(job)

    poll()


def draw_heartbeat() -> None:
    """In the sidebar: the session's unfinished jobs, refreshed every few seconds on any page, which
    also tells the queue the session is still there. When one ends, the app reruns, so the page the
    user is on (and the router's `ui.training.collect_finished`) can show its result."""
    watched = unfinished()
    if not watched:
        return

    @st.fragment(run_every=HEARTBEAT_SECONDS)
    def heartbeat() -> None:
        for job in watched:
            wait_for_the_end(job)
        if any(job.finished for job in watched):
            st.rerun(scope="app")
        for job in watched:
            job.touch(shown=False)  # still wanted, but its page may be closed: it waits behind the open page's
            where = "queued" if job.state == QUEUED else "paused for another session" if job.paused else "running"
            st.caption(f":material/pending: {job.name}: {where}")

    heartbeat()


def progress_text(job: Job) -> str:
    """What a job last said it was doing, in words ("starting" before its first report)."""
    return (job.progress.text if job.progress is not None else "") or "starting"


def share(job: Job) -> float:
    """The share of a job done, for a progress bar (0 before its first report, or while unknown)."""
    return job.progress.share if job.progress is not None else 0.0


def format_seconds(seconds: float) -> str:
    """"12 s", "3m 05s"; "measuring…" until the run has measured its own pace."""
    if not math.isfinite(seconds):
        return "measuring…"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest} s"  # short: it sits in a narrow column


__all__ = ["CANCELLED", "DONE", "FAILED", "QUEUED", "RUNNING", "current", "draw_heartbeat", "forget", "format_seconds", "job_panel",
           "job_queue", "progress_text", "queue_text", "session_jobs", "share", "submit", "unfinished"]
