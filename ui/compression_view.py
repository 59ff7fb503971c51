"""The Compression page's app side: the shipped sweeps, a sweep run in the background, the figures
and the live numbers beside the concepts.

A sweep is a dict as `aecore.studies.compression.load_sweep` returns it (rows with float-code and quantized
metrics and reconstructions, the originals, the PNG/JPEG anchor). A recomputed one comes from
`aecore.studies.jobs.compression_sweep` in the server's queue.

`trade_off_figure` draws the page's one code size k (its pictures, the ring on the error curve and
the title's numbers), so it always agrees with the numbers beside the formulas. The other figures
are drawn at the bits the page asks for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

import aecore
from aecore.studies import compression, image_files, sweep_models
from aecore.studies.quantize import bits_per_image
from ui.core import jobs
from ui.core.concepts import Live
from ui.core.frame_figure import still_figure

PURPOSE = "compression"  # the session's sweep job in ui.core.jobs
OWN_SWEEPS_KEY = "compression_own_sweeps"  # dataset -> the sweep this session recomputed
SOURCES = {"shipped": "precomputed", "session": "recomputed in this session"}  # URL value -> label
DEFAULT_K, DEFAULT_BITS = 8, 8
SOURCE_KEY = "cp_source"  # the sweep radio's key and URL parameter


@st.cache_data(show_spinner=False, max_entries=8)
def _precomputed(dataset: str, stamp: str) -> dict[str, Any]:
    return sweep_models.load_precomputed(dataset)


def shipped_sweep(dataset: str) -> dict[str, Any]:
    """The precomputed sweep of `dataset`: shipped, or measured here from the shipped models of a
    downloaded dataset (ValueError saying how to get it when there is none). Cached per version of
    its file, so a sweep measured in the background shows on the next rerun."""
    path = sweep_models.precomputed_path(dataset)
    return _precomputed(dataset, f"{path}@{path.stat().st_mtime_ns}" if path and path.is_file() else "none")


def missing_words(dataset: str) -> str:
    """Why there is no precomputed sweep to show, and what happens about it."""
    if dataset in sweep_models.MODEL_SWEEPS:
        return (f"The sweep's models ship with the app; their errors are measured on your copy of {dataset} once, "
                "in the background (seconds, after the zoo's model you look at): the figures appear here then.")
    return f"No precomputed sweep for {dataset}: recompute one below (digits and shapes ship one)."


def source_words(sweep: dict[str, Any]) -> str:
    """Where a sweep's numbers were measured, for the caption."""
    return (" The models ship with the app; their errors were measured on this machine's copy of the images."
            if sweep.get("measured") == "here" else "")


def anchor_words(sweep: dict[str, Any]) -> str:
    """Which test images the PNG/JPEG anchor encoded."""
    count, total = sweep["anchor"]["images"], sweep["test_images"]
    return f"The same {count} test images" if count == total else f"{count} of the {total} test images (every class in turn)"


def own_sweeps() -> dict[str, dict[str, Any]]:
    return st.session_state.setdefault(OWN_SWEEPS_KEY, {})


def sources(dataset: str) -> dict[str, dict[str, Any]]:
    """The sweeps of `dataset` to choose from, by URL value, the newest first (the radio's default,
    so that setting it through session state never meets an index); a missing shipped sweep is
    simply absent."""
    found = {"session": own_sweeps()[dataset]} if dataset in own_sweeps() else {}
    try:
        found["shipped"] = shipped_sweep(dataset)
    except ValueError:
        pass
    return found


def default_k(sweep: dict[str, Any]) -> int:
    sizes = sizes_of(sweep)
    return DEFAULT_K if DEFAULT_K in sizes else sizes[len(sizes) // 2]


def sizes_of(sweep: dict[str, Any]) -> list[int]:
    return [row["latent_dim"] for row in sweep["rows"]]


def row_at(sweep: dict[str, Any], k: int) -> dict[str, Any]:
    return sweep["rows"][sizes_of(sweep).index(k)]


def recipe(dataset: str) -> dict[str, Any]:
    """The sweep recipe of `dataset`: its default recipe's architecture and settings at each size."""
    return compression.sweep_recipe(dataset)


def start_job(dataset: str, kind: str, latent_dims: list[int], epochs: int) -> None:
    """Queue a sweep of `kind` on `dataset` (one per session)."""
    jobs.submit(PURPOSE, aecore.studies.jobs.compression_sweep, dataset, kind, sorted(latent_dims), epochs,
                name=f"{kind} sweep of {dataset}")


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
        st.session_state[SOURCE_KEY] = "session"  # show what was just computed (the radio is not drawn yet)
    return None


def progress_text(job: jobs.Job) -> tuple[float, str]:
    """(fraction done, what is being trained) of a running sweep."""
    if job.progress is None:
        return 0.0, "starting in a worker…"
    return job.progress.share, job.progress.text


# --- figures ---------------------------------------------------------------------------------------
AE_COLOR, PCA_COLOR = "#d62728", "#1f77b4"
METRICS = {"mse": ("MSE per pixel (lower is better)", ".4f"), "psnr": ("PSNR in dB (higher is better)", ".2f")}
IMAGE_DOMAIN, CURVE_DOMAIN = [0.0, 0.6], [0.7, 1.0]  # the trade-off figure: pictures left, curve right
CURVE_PX = 320  # the least height the curve needs to stay readable


def _k_axis(sizes: list[int]) -> dict:
    # Plain numbers at the code sizes themselves: a log axis's own labels (1, 2, 5, ...) with
    # ratios crammed under them were unreadable.
    return {"type": "log", "tickmode": "array", "tickvals": sizes, "ticktext": [str(k) for k in sizes],
            "title": {"text": "code size k (numbers per image)"}, "showgrid": True}


def trade_off_title(row: dict[str, Any]) -> str:
    """The frame's title: the two errors at its code size."""
    return (f"k = {row['latent_dim']}: AE MSE {row['ae_mse']:.4f} · PCA MSE {row['pca_mse']:.4f} "
            f"(AE/PCA {row['ae_mse'] / row['pca_mse']:.2f})")


def _marker(row: dict[str, Any]) -> dict:
    k = row["latent_dim"]
    return {"type": "scatter", "mode": "markers", "x": [k, k], "y": [row["ae_mse"], row["pca_mse"]],
            "xaxis": "x2", "yaxis": "y2", "showlegend": False, "hoverinfo": "skip",
            "marker": {"size": 15, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": "rgb(0,0,0)"}}}


def trade_off_figure(sweep: dict[str, Any], k: int, tile_px: int) -> dict:
    """Originals and the AE's and PCA's rebuilds at code size k (float codes) beside the MSE curves
    with a ring at k. The page's one "Code size k" slider moves it, so that the figure and the
    numbers beside it always speak of the same k (an in-figure slider once moved the pictures while
    the concept box stayed at the page's k)."""
    rows = sweep["rows"]
    sizes = [row["latent_dim"] for row in rows]
    row = rows[sizes.index(k)]
    columns = [str(i + 1) for i in range(len(sweep["images"]))]
    figure = still_figure([sweep["images"], row["ae_images"], row["pca_images"]], ["original", "autoencoder", "PCA"],
                          columns, trade_off_title(row), tile_px=tile_px)
    layout = figure["layout"]
    layout["xaxis"]["domain"] = IMAGE_DOMAIN
    layout["height"] = max(layout["height"], CURVE_PX)
    # No x title: it would run into the slider under the figure; the y title names both.
    layout["xaxis2"] = {**_k_axis(sizes), "domain": CURVE_DOMAIN, "anchor": "y2", "title": None}
    layout["yaxis2"] = {"anchor": "x2", "title": {"text": "test MSE against code size k"}, "domain": [0.0, 1.0],
                        "tickformat": ".3f", "rangemode": "tozero"}
    layout["legend"] = {"x": 1.0, "xanchor": "right", "y": 1.0, "bgcolor": "rgba(255,255,255,0.7)"}
    for prefix, name, color in (("ae", "autoencoder", AE_COLOR), ("pca", "PCA", PCA_COLOR)):
        figure["data"].append({"type": "scatter", "mode": "lines+markers", "name": name, "x": sizes,
                               "y": [row[f"{prefix}_mse"] for row in rows], "xaxis": "x2", "yaxis": "y2",
                               "line": {"color": color}, "marker": {"size": 8},
                               "hovertemplate": f"{name}<br>k = %{{x}}<br>MSE = %{{y:.4f}}<extra></extra>"})
    figure["data"].append(_marker(row))
    return figure


def curve_figure(sweep: dict[str, Any], metric: str, bits: int, height: int = 420) -> dict:
    """`metric` ("mse" or "psnr") against code size after `bits`-bit quantization, AE and PCA, with
    the float code dotted for comparison."""
    rows, (title, number) = sweep["rows"], METRICS[metric]
    sizes = [row["latent_dim"] for row in rows]
    shape = sweep["images"].shape[1:]
    hover = [f"{k * bits} bits per image, {compression.compression_ratio(shape, k, bits):.1f}:1" for k in sizes]
    traces = []
    for prefix, name, color in (("ae", f"autoencoder ({sweep['recipe']['kind']})", AE_COLOR), ("pca", "PCA", PCA_COLOR)):
        quantized = [compression.at_bits(row, bits)[f"{prefix}_{metric}"] for row in rows]
        traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{name}, {bits}-bit code", "x": sizes,
                       "y": quantized, "line": {"color": color}, "marker": {"size": 9}, "customdata": hover,
                       "hovertemplate": f"{name}<br>k = %{{x}}<br>{metric.upper()} = %{{y:{number}}}"
                                        "<br>%{customdata}<extra></extra>"})
        traces.append({"type": "scatter", "mode": "lines", "name": f"{name}, float code", "x": sizes,
                       "y": [row[f"{prefix}_{metric}"] for row in rows], "hoverinfo": "skip",
                       "line": {"color": color, "dash": "dot", "width": 1.5}, "opacity": 0.6})
    return {"data": traces, "layout": {
        "height": height, "margin": {"l": 60, "r": 20, "t": 70, "b": 50},
        "title": {"text": f"{title} after {bits}-bit quantization of each code unit", "x": 0, "font": {"size": 14}},
        "xaxis": _k_axis(sizes), "yaxis": {"title": {"text": metric.upper()}, "tickformat": number},
        "legend": {"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    }}


def quantized_figure(sweep: dict[str, Any], row: dict[str, Any], bits: int, jpeg: dict[str, Any],
                     jpeg_images: np.ndarray, tile_px: int) -> dict:
    """The preview images: originals, the AE and PCA decoded from `bits`-bit codes of size k, and the
    JPEG files whose PSNR matches the AE's."""
    k, i = row["latent_dim"], row["quantized"]["bits"].index(bits)
    quantized = compression.at_bits(row, bits)
    rows = [sweep["images"], row["ae_quantized_images"][i], row["pca_quantized_images"][i], jpeg_images]
    names = ["original", f"AE, {k * bits} bits", f"PCA, {k * bits} bits", f"JPEG q={jpeg['quality']}"]
    title = (f"k = {k}, {bits} bits per number: AE {quantized['ae_psnr']:.1f} dB, PCA {quantized['pca_psnr']:.1f} dB, "
             f"JPEG {jpeg['psnr']:.1f} dB in {jpeg['bytes']:.0f} bytes per image")
    return still_figure(rows, names, [str(j + 1) for j in range(len(sweep["images"]))], title=title, tile_px=tile_px)


# --- live numbers beside the concepts ---------------------------------------------------------------
def bottleneck_live(sweep: dict[str, Any], k: int) -> list[Live]:
    """AE against PCA at code size k (float codes, test split)."""
    row = row_at(sweep, k)
    return [Live(f"AE MSE, k = {k}", f"{row['ae_mse']:.4f}", "mean squared error per pixel on the test images"),
            Live(f"PCA MSE, k = {k}", f"{row['pca_mse']:.4f}", "PCA keeping k components, fit on the same images"),
            Live("AE error / PCA error", f"{row['ae_mse'] / row['pca_mse']:.2f}",
                 "below 1: the curved code keeps more than the best linear one")]


def lesson_facts(sweep: dict[str, Any], k: int) -> dict[str, float]:
    """The numbers a lesson's claim may name: the AE's and PCA's test MSE at k, and the AE's largest."""
    row = row_at(sweep, k)
    return {"ae_mse": row["ae_mse"], "pca_mse": row["pca_mse"],
            "ae_mse_largest": max(r["ae_mse"] for r in sweep["rows"])}


def size_live(sweep: dict[str, Any]) -> list[Live]:
    """The sweep's ends: how far the error falls from the narrowest code to the widest."""
    first, last = sweep["rows"][0], sweep["rows"][-1]
    return [Live(f"AE MSE(k = {first['latent_dim']})", f"{first['ae_mse']:.4f}"),
            Live(f"AE MSE(k = {last['latent_dim']})", f"{last['ae_mse']:.4f}",
                 delta=f"{100 * (last['ae_mse'] / first['ae_mse'] - 1):.0f}% from k = {first['latent_dim']}",
                 delta_color="inverse")]  # a fall in error is the good direction: green


def image_pixels(sweep: dict[str, Any]) -> int:
    """D, the numbers in one image (C*H*W)."""
    _, channels, height, width = sweep["images"].shape
    return channels * height * width


def compression_live(sweep: dict[str, Any], k: int, bits: int) -> list[Live]:
    """The code of size k at `bits` bits: its size, its ratio, its error after quantization."""
    row, pixels = row_at(sweep, k), image_pixels(sweep)
    quantized = compression.at_bits(row, bits)
    side = sweep["side_bits_per_unit"] * k
    return [Live("bits per image (k·b)", f"{k * bits}",
                 f"plus {side} bits stored once for all images: each unit's min and max as float32 "
                 f"({bits_per_image(k, bits, sweep['test_images']):.1f} bits per image over the "
                 f"{sweep['test_images']} test images), and the decoder"),
            Live("ratio 8D / (k·b)", f"{compression.compression_ratio(sweep['images'].shape[1:], k, bits):.1f} : 1",
                 f"the raw image: D = {pixels} pixels of 8 bits"),
            Live(f"AE PSNR after {bits}-bit quantization", f"{quantized['ae_psnr']:.2f} dB",
                 "measured on the test images decoded from the quantized codes: "
                 f"{psnr_note(quantized['ae_psnr'], quantized['ae_mse'])}",
                 delta=f"{round(quantized['ae_psnr'] - row['ae_psnr'], 2) + 0.0:+.2f} dB against the float code"),
            Live("AE MSE after quantization", f"{quantized['ae_mse']:.4f}")]


def psnr_note(psnr: float, mse: float) -> str:
    """Why a mean PSNR and the mean MSE beside it do not convert into each other, in numbers."""
    pooled = 10 * np.log10(1 / mse)
    return (f"the mean of each image's PSNR; 10·log10(1/MSE) of the mean MSE ({mse:.4f}) gives {pooled:.2f} dB, "
            + ("lower, as the worst images weigh more in a mean of errors than in a mean of decibels"
               if pooled < psnr - 0.005 else "the same here"))


def anchor_rows(sweep: dict[str, Any], bits: int) -> list[dict[str, Any]]:
    """Per code size: the code's bytes and error at `bits` bits beside PNG and the JPEG of matched PSNR."""
    anchor, rows = sweep["anchor"], []
    for row in sweep["rows"]:
        k, quantized = row["latent_dim"], compression.at_bits(row, bits)
        jpeg = image_files.matched_jpeg(anchor, quantized["ae_psnr"])
        rows.append({
            "k": k, "code bits": k * bits, "code bytes": round(k * bits / 8, 1),
            "ratio": f"{compression.compression_ratio(sweep['images'].shape[1:], k, bits):.1f}:1",
            "AE PSNR (dB)": round(quantized["ae_psnr"], 2), "AE MSE": round(quantized["ae_mse"], 5),
            "PCA PSNR (dB)": round(quantized["pca_psnr"], 2),
            "JPEG quality": jpeg["quality"] if jpeg["reached"] else f"{jpeg['quality']} (max)",
            "JPEG PSNR (dB)": round(jpeg["psnr"], 2), "JPEG bytes": round(jpeg["bytes"]),
            "PNG bytes (lossless)": round(anchor["png_bytes"]),
        })
    return rows


@st.cache_data(show_spinner=False, max_entries=64)
def _jpeg_previews(_images: Any, dataset: str, source: str, quality: int) -> Any:
    # Eight tiny images through Pillow: milliseconds, cached per sweep and quality all the same.
    return image_files.jpeg_round_trip(_images, quality)


def quantized_picture(sweep: dict[str, Any], source: str, k: int, bits: int, tile_px: int) -> dict:
    """The preview images: originals, AE and PCA at k after `bits`-bit quantization, JPEG matched."""
    row = row_at(sweep, k)
    jpeg = image_files.matched_jpeg(sweep["anchor"], compression.at_bits(row, bits)["ae_psnr"])
    previews = _jpeg_previews(sweep["images"], sweep["dataset"], source, jpeg["quality"])
    return quantized_figure(sweep, row, bits, jpeg, previews, tile_px)


def kinds() -> list[str]:
    return aecore.list_models()


__all__ = ["SOURCES", "anchor_rows", "psnr_note", "anchor_words", "missing_words", "source_words", "bottleneck_live", "collect_job", "compression_live", "curve_figure",
           "default_k", "kinds", "own_sweeps", "progress_text", "quantized_picture", "recipe", "running_job",
           "shipped_sweep", "size_live", "sizes_of", "sources", "start_job", "trade_off_figure"]
