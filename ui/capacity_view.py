"""The app side of the Capacity page: its two experiments (`aecore.studies.capacity`) run in the server's
job queue, their results kept once per server, and the figures and live numbers drawn from them.

A finished run is kept for the whole server under its settings, so a second visit, or a student
opening a teacher's link to the same settings, sees it at once without training again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.studies import capacity
from ui.core import jobs, presenter
from ui.core import verdict as verdict_words
from ui.core.concepts import Live
from ui.core.frame_figure import still_figure

OVERFIT_PURPOSE = "capacity_overfit"  # the session's jobs in ui.core.jobs
OVERCOMPLETE_PURPOSE = "capacity_overcomplete"
MODEL_NAMES = {"plain": "plain AE", "sparse": "sparse (L1)", "denoising": "denoising"}
COLORS = {"train": "rgb(31,119,180)", "val": "rgb(214,39,40)", "plain": "rgb(31,119,180)",
          "sparse": "rgb(44,160,44)", "denoising": "rgb(255,127,14)"}
MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}
KEEP_RUNS = 64  # finished runs kept for every session of the server (curves: kilobytes each)


def _overfit_key(images: int, width: int, updates: int) -> tuple:
    return ("overfit", int(images), int(width), int(updates))


def _collect() -> None:
    """Keep the session's finished runs (not the stopped ones: half a run would read as its result)."""
    for purpose in (OVERFIT_PURPOSE, OVERCOMPLETE_PURPOSE):
        job = jobs.current(purpose)
        if job is None or job.state != jobs.DONE or job.result.get("stopped"):
            continue
        result = job.result
        key = (_overfit_key(**result["settings"]) if purpose == OVERFIT_PURPOSE else ("overcomplete", result["code"]))
        jobs.share_result("capacity", key, result, KEEP_RUNS)


def start_overfit(images: int, width: int, updates: int) -> None:
    jobs.submit(OVERFIT_PURPOSE, capacity.overfit, int(images), int(width), int(updates),
                name=f"overfitting run, {images} images")


def start_overcomplete(code: int) -> None:
    jobs.submit(OVERCOMPLETE_PURPOSE, capacity.overcomplete, int(code), name=f"overcomplete models, {code}-D code")


def overfit_result(images: int, width: int, updates: int) -> dict[str, Any] | None:
    """The server's run at these settings, or None."""
    _collect()
    return jobs.shared_result("capacity", _overfit_key(images, width, updates))


def overcomplete_result(code: int) -> dict[str, Any] | None:
    _collect()
    return jobs.shared_result("capacity", ("overcomplete", int(code)))


def idle(purpose: str) -> bool:
    """No job of `purpose` queued or running for this session."""
    job = jobs.current(purpose)
    return job is None or job.finished


def stopped_note(purpose: str) -> str | None:
    """Why the session's last run of `purpose` shows nothing, if it was stopped or failed."""
    job = jobs.current(purpose)
    if job is None or not job.finished:
        return None
    if job.state == jobs.FAILED:
        return f"The run failed: {job.error}"
    if job.state == jobs.CANCELLED or (job.state == jobs.DONE and job.result.get("stopped")):
        return "The last run was stopped before it finished, so it is not shown. Press the button to run it again."
    return None


# --- overfitting --------------------------------------------------------------------------------
def overfit_progress(job: jobs.Job) -> None:
    """The running overfitting job: a progress bar and the curves so far."""
    progress = job.progress.detail if job.progress is not None and isinstance(job.progress.detail, dict) else {}
    st.progress(jobs.share(job), text=f"Training: {jobs.progress_text(job)}")
    if progress.get("val_loss"):
        st.plotly_chart(loss_figure(progress["train_loss"], progress["val_loss"]), width="stretch",
                        config={"displayModeBar": False}, key="cap_live_curves")


def overfit_live(result: dict[str, Any]) -> list[Live]:
    """The gap and the curves' turning point, as measured by this run."""
    return [
        Live("Gap at the last epoch", f"{result['gap']:.2f} nats",
             help="Validation loss minus training loss, per image (BCE summed over the 64 pixels).",
             delta=(f"{result['gap'] - result['gap_at_best']:+.2f} since epoch {result['best_epoch']}"
                    if result["best_epoch"] < result["epochs"] else None), delta_color="inverse"),
        Live("Validation loss: lowest → last", f"{result['best_val']:.2f} → {result['final_val']:.2f}",
             help=f"The unseen images' loss rose by {result['rise']:.2f} nats after its lowest point."),
        Live("Training loss: then → last", f"{result['train_at_best']:.2f} → {result['final_train']:.2f}",
             help="Meanwhile the training images' loss kept falling: the model memorises them."),
        Live("Early stopping would stop at", f"epoch {result['best_epoch']} of {result['epochs']}",
             help="The epoch of the lowest validation loss: the weights to keep."),
    ]


def loss_figure(train_loss: list[float], val_loss: list[float], best_epoch: int | None = None) -> go.Figure:
    """Training and validation loss per epoch; with `best_epoch`, a line where early stopping would stop."""
    epochs = list(range(1, len(train_loss) + 1))
    figure = go.Figure([
        go.Scatter(x=epochs, y=train_loss, name="training loss", mode="lines", line={"color": COLORS["train"]}),
        go.Scatter(x=epochs, y=val_loss, name="validation loss", mode="lines", line={"color": COLORS["val"]}),
    ])
    if best_epoch is not None:
        figure.add_vline(x=best_epoch, line_dash="dash", annotation_text=f"lowest validation loss (epoch {best_epoch})")
        figure.add_trace(go.Scatter(x=[best_epoch], y=[val_loss[best_epoch - 1]], mode="markers", name="early stop",
                                    marker={"color": COLORS["val"], "size": 10}))
    # The first epochs' loss is far above the rest: the axis spans the curves after them, so the
    # rise of the validation loss (a nat or two) is visible.
    skip = min(len(val_loss) - 1, max(1, len(val_loss) // 10))
    tail = train_loss[skip:] + val_loss[skip:]
    pad = 0.1 * (max(tail) - min(tail)) + 0.2
    figure.update_layout(title="Loss per epoch (BCE summed over 64 pixels, per image)", xaxis_title="epoch",
                         yaxis_title="loss (nats)", height=presenter.scale(380), margin=MARGIN,
                         yaxis={"range": [min(tail) - pad, max(tail) + pad]},
                         legend={"orientation": "h", "y": -0.2})
    return figure


# --- the overcomplete autoencoder ---------------------------------------------------------------
def overcomplete_progress(job: jobs.Job) -> None:
    st.progress(jobs.share(job), text=f"Training {jobs.progress_text(job)}")


def overcomplete_live(result: dict[str, Any]) -> list[Live]:
    """Each model's MSE on unseen digits and on noise (pixel values of digits, shuffled)."""
    live = []
    for name in capacity.MODELS:
        mse = result["mse"].get(name)
        if mse is None:
            continue
        live.append(Live(f"{MODEL_NAMES[name]}: MSE digits → noise", f"{mse['digits']:.4f} → {mse['noise']:.4f}",
                         help=f"Mean squared error per pixel on {capacity.PROBE_IMAGES} test digits and on "
                              f"{capacity.PROBE_IMAGES} noise images. Shapes: {mse['shapes']:.4f}, "
                              f"uniform noise: {mse['uniform']:.4f}."))
    return live


def overcomplete_facts(result: dict[str, Any]) -> dict[str, float]:
    """The numbers a lesson's claim may name: the plain model's MSE on noise, and the lower of the
    sparse and denoising models' (the penalties that put a bottleneck back)."""
    mse = result["mse"]
    penalized = [mse[name]["noise"] for name in ("sparse", "denoising") if name in mse]
    if "plain" not in mse or not penalized:
        return {}
    return {"noise_mse_plain": mse["plain"]["noise"], "noise_mse_penalized": min(penalized)}


def overcomplete_words(result: dict[str, Any]) -> str:
    """What the three models did with noise, read from their errors (`ui.core.verdict.compare`)."""
    facts = overcomplete_facts(result)
    if not facts:
        return ""
    mse = result["mse"]
    other = min((name for name in ("sparse", "denoising") if name in mse), key=lambda name: mse[name]["noise"])
    said = verdict_words.compare(facts["noise_mse_plain"], facts["noise_mse_penalized"], "the plain AE",
                                 f"the {MODEL_NAMES[other]} model", lower_is_better=True,
                                 what=f"error on noise with a {result['code']}-D code", digits=4)
    if facts["noise_mse_plain"] < facts["noise_mse_penalized"]:
        return (f"{said} It copies what it is given, noise included, while the penalties rebuild digits and turn the "
                "rest into digit-like blurs.")
    return (f"{said} At this width the plain model does not copy: its code is narrow enough to be a bottleneck "
            "(try 256).")


def overcomplete_figure(result: dict[str, Any]) -> dict:
    """Rows: the inputs, then each model's rebuild; columns: a few images of each probe set."""
    probes = capacity.PROBES
    rows = [np.concatenate([result["inputs"][p] for p in probes])]
    names = ["input"]
    for name in capacity.MODELS:
        if name in result["outputs"]:
            rows.append(np.concatenate([result["outputs"][name][p] for p in probes]))
            names.append(MODEL_NAMES[name])
    shown = len(result["inputs"][probes[0]])
    columns = [p if i == shown // 2 else "" for p in probes for i in range(shown)]
    return still_figure(rows, names, columns, title=f"What each {result['code']}-D model rebuilds",
                        tile_px=presenter.scale(44))


def mse_figure(result: dict[str, Any]) -> go.Figure:
    """Each model's MSE on each probe set, grouped by set (log axis: the errors span 100x)."""
    probes = capacity.PROBES
    figure = go.Figure([go.Bar(x=[capacity.PROBE_TITLES[p] for p in probes], y=[mse[p] for p in probes],
                               name=MODEL_NAMES[name], marker_color=COLORS[name])
                        for name, mse in result["mse"].items()])
    figure.update_layout(title="Mean squared error per pixel (lower: rebuilt better)", barmode="group",
                         yaxis={"type": "log", "title": "MSE", "tickformat": ".3f"}, height=presenter.scale(360),
                         margin=MARGIN, legend={"orientation": "h", "y": -0.2})
    return figure


__all__ = ["OVERCOMPLETE_PURPOSE", "OVERFIT_PURPOSE", "idle", "loss_figure", "mse_figure", "overcomplete_figure",
           "overcomplete_live", "overcomplete_progress", "overcomplete_result", "overfit_live", "overfit_progress",
           "overfit_result", "start_overcomplete", "start_overfit", "stopped_note"]
