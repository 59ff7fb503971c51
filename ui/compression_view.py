"""The Compression page's app side: the shipped sweeps, a sweep run in the background, the figures.

A sweep is a dict as `aecore.compression.load_sweep` returns it (rows with their reconstructions,
and the original images). A recomputed one comes from `aecore.jobs.sweep` in the server's queue.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import aecore
from aecore import compression
from ui.core import jobs
from ui.core.frame_figure import still_figure

PURPOSE = "compression"  # the session's sweep job in ui.core.jobs
OWN_SWEEPS_KEY = "compression_own_sweeps"  # dataset -> the sweep this session recomputed
AE_COLOR, PCA_COLOR = "#d62728", "#1f77b4"
METRICS = {"mse": ("MSE per pixel (lower is better)", "{:.4f}"), "psnr": ("PSNR in dB (higher is better)", "{:.2f}")}


@st.cache_data(show_spinner=False)
def shipped_sweep(dataset: str) -> dict[str, Any]:
    """The precomputed sweep of `dataset` (ValueError saying how to build it when there is none)."""
    return compression.load_sweep(dataset)


def own_sweeps() -> dict[str, dict[str, Any]]:
    return st.session_state.setdefault(OWN_SWEEPS_KEY, {})


def recipe(dataset: str) -> dict[str, Any]:
    """The sweep recipe of `dataset`: its default recipe's architecture and settings at each size."""
    return compression.sweep_recipe(dataset)


def start_job(dataset: str, kind: str, latent_dims: list[int], epochs: int) -> None:
    """Queue a sweep of `kind` on `dataset` (one per session)."""
    jobs.submit(PURPOSE, aecore.jobs.sweep, dataset, kind, sorted(latent_dims), epochs, name=f"{kind} sweep of {dataset}")


def running_job() -> jobs.Job | None:
    job = jobs.current(PURPOSE)
    return job if job is not None and not job.finished else None


def collect_job() -> str | None:
    """Move a finished job's sweep into this session's sweeps; returns its error, if it failed."""
    job = jobs.current(PURPOSE)
    if job is None or not job.finished:
        return None
    jobs.forget(PURPOSE)
    if job.state == jobs.FAILED:
        return job.error
    if job.state == jobs.DONE and job.result["rows"]:
        own_sweeps()[job.result["dataset"]] = job.result
    return None


def progress_text(job: jobs.Job) -> tuple[float, str]:
    """(fraction done, what is being trained) of a running sweep."""
    state = job.progress
    if state is None:
        return 0.0, "starting in a worker…"
    return state.fraction, (f"latent size {state.latent_dim}: epoch {state.epoch}/{state.epochs} "
                            f"({state.done} of {state.total} models done)")


def _axis_labels(rows: list[dict[str, Any]], bits: int) -> list[str]:
    return [f"{r['latent_dim']}<br>{r[f'ratio_{bits}bit']:g}:1" for r in rows]


def curve_figure(sweep: dict[str, Any], metric: str, bits: int) -> dict:
    """Reconstruction error (`metric` "mse" or "psnr") against latent size, AE and PCA on one chart;
    under each size, its compression ratio with the code stored at `bits` bits per number."""
    rows, (title, number) = sweep["rows"], METRICS[metric]
    x = [r["latent_dim"] for r in rows]
    traces = []
    for prefix, name, color in (("ae", f"autoencoder ({sweep['recipe']['kind']})", AE_COLOR), ("pca", "PCA", PCA_COLOR)):
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": name, "x": x, "y": [r[f"{prefix}_{metric}"] for r in rows],
            "line": {"color": color}, "marker": {"size": 9},
            "hovertemplate": f"{name}<br>k = %{{x}}<br>{metric.upper()} = %{{y:{number[2:-1]}}}"
                             f"<br>%{{customdata}} at {bits} bits<extra></extra>",
            "customdata": [f"{r[f'ratio_{bits}bit']:g}:1" for r in rows],
        })
    return {"data": traces, "layout": {
        "height": 420, "margin": {"l": 60, "r": 20, "t": 40, "b": 70},
        "title": {"text": f"{title} against latent size", "x": 0, "font": {"size": 14}},
        "xaxis": {"type": "log", "tickmode": "array", "tickvals": x, "ticktext": _axis_labels(rows, bits),
                  "title": {"text": f"latent size k (compression ratio, {bits}-bit code)"}},
        "yaxis": {"title": {"text": metric.upper()}, "type": "log" if metric == "mse" else "linear"},
        "legend": {"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"},
    }}


def table_rows(sweep: dict[str, Any], bits: int) -> list[dict[str, Any]]:
    """The sweep as table rows for st.dataframe."""
    return [{"latent size": r["latent_dim"], "AE MSE": round(r["ae_mse"], 5), "PCA MSE": round(r["pca_mse"], 5),
             "AE PSNR (dB)": round(r["ae_psnr"], 2), "PCA PSNR (dB)": round(r["pca_psnr"], 2),
             "code bytes": r["latent_dim"] * bits // 8, f"ratio ({bits}-bit)": f"{r[f'ratio_{bits}bit']:g}:1"}
            for r in sweep["rows"]]


def reconstruction_figure(sweep: dict[str, Any], bits: int) -> dict:
    """The same test images: originals, then at each size the autoencoder's row and PCA's."""
    rows, names = [sweep["images"]], ["original"]
    for r in sweep["rows"]:
        rows += [r["ae_images"], r["pca_images"]]
        ratio = f"{r[f'ratio_{bits}bit']:g}:1"
        names += [f"AE k={r['latent_dim']} ({ratio})", f"PCA k={r['latent_dim']}"]
    tile = 48 if sweep["images"].shape[-1] <= 16 else 64
    return still_figure(rows, names, [str(i + 1) for i in range(len(sweep["images"]))],
                        title="The same test images at each latent size", tile_px=tile)


def kinds() -> list[str]:
    return aecore.list_models()
