"""Inside the code's warm-up experiment: a small VAE trained twice in the server's queue, with and
without KL warm-up, one run per β for the whole server; its live numbers beside the collapse
formula, its progress, and what it shows, read from its two runs."""

from __future__ import annotations

import streamlit as st

import aecore
from aecore.studies import inspect_code
from ui.core import jobs
from ui.core import verdict as verdict_words
from ui.core.concepts import Live

WARMUP_DATASET = "digits"  # the warm-up experiment always trains on digits (aecore.recipes.warmup_specs)
BETAS = [1.0, 2.0, 3.0, 4.0]  # the β the warm-up experiment offers


def warmup_job(beta: float) -> jobs.Job:
    """The server's warm-up experiment at `beta`: one per β for every session."""
    return jobs.server_job(("warmup", float(beta)), aecore.studies.jobs.warmup, lambda: (float(beta),),
                           name=f"warm-up experiment, β {beta:g}")


def retry_warmup(beta: float) -> None:
    jobs.forget_server_job(("warmup", float(beta)))  # a failed experiment: the next run queues it again


def collapse_live(beta: float, job: jobs.Job) -> list[Live]:
    """Units in use (KL_j above `inspect_code.KL_ACTIVE`) and β·KL at the end of each run, or
    where the experiment stands."""
    if job.state != jobs.DONE:
        where = {jobs.RUNNING: "training…", jobs.FAILED: "failed"}.get(job.state, "queued…")
        return [Live("No warm-up: units in use", where), Live("Warm-up: units in use", where)]
    live = []
    for label, run in job.result.items():
        kl = run["kl_per_dim"]
        live.append(Live(f"{label.capitalize()}: units in use", f"{len(kl) - inspect_code.collapsed_units(kl)} of {len(kl)}",
                         help=f"Units with KL_j > {inspect_code.KL_ACTIVE} nats (by the variance of μ_j, Burda et al.: "
                              f"{run['active_units']}). Reconstruction {run['bce']:.1f} nats; trained in {run['seconds']:.1f} s."))
    live.append(Live("β·KL at the end: no warm-up vs warm-up",
                     " vs ".join(f"{beta * run['kl']:.2f}" for run in job.result.values()), help="nats per image"))
    return live


def draw_warmup_progress(job: jobs.Job) -> None:
    """Poll the experiment while it is queued or running; the whole page reruns when it ends."""
    def draw(job: jobs.Job) -> None:
        if job.state == jobs.QUEUED:
            st.info(jobs.queue_text(job), icon=":material/hourglass_top:")
        else:
            st.progress(jobs.share(job), text=f"Training the small VAE: {jobs.progress_text(job)}")

    jobs.poll_until_finished(job, draw)


def warmup_words(beta: float, result: dict[str, dict]) -> str:
    """What the warm-up experiment shows, read from its two runs: which kept more units in use, and
    why the textbook story may not show (warm-up helps where the KL pull would close units early)."""
    used = {label: len(run["kl_per_dim"]) - inspect_code.collapsed_units(run["kl_per_dim"])
            for label, run in result.items()}
    units = {label: len(run["kl_per_dim"]) for label, run in result.items()}
    (plain, warm) = list(result)
    said = verdict_words.units_kept(warm, used[warm], units[warm], plain, used[plain], units[plain])
    said = f"At β = {beta:g}, {said[:1].lower()}{said[1:]}"
    if used[warm] / units[warm] > used[plain] / units[plain]:
        return f"{said} The full KL weight from the first step closed units before the decoder could use them; " \
               "the ramp let them open."
    if used[warm] == used[plain]:
        return f"{said} Here the KL pull is not strong enough to close units early."
    return (f"{said} Warm-up is no promise for every run: at this β the pull is mild, and the two runs, from one "
            "seed, settled on different units.")
