"""The hover decoder: a map's image under the pointer, decoded in the browser, on any page with a map.

`panel` mounts `ui/pointer_component.js`, an `st.components.v2` component that follows the pointer
over the page's first plotly chart (using plotly's own axes, so zoom and pan are followed) and
decodes in the browser, with no rerun. It gets the model's decoder as ONNX, exported once per
weights by `aecore.export.export_job` in the server's queue into `aecore.export.cache_root()` (never
into the zoo, whose size is capped), and the map's point -> code rule as data
(`aecore.latent.mapping`). The Latent map and Draw and see both mount it.
"""

from __future__ import annotations

import base64
from pathlib import Path

import streamlit as st

import aecore.export
from aecore.latent.decode import MapInverse
from aecore.latent.mapping import pointer_mapping
from aecore.workers import DONE, FAILED, Job
from ui.core import jobs, presenter, state
from ui.core.cache import model_key

POINTER_KEY = "lm_pointer"  # the hover decoder's element key: one mount per page, kept across reruns and models
ORT_FOLDER = "ort"  # ONNX Runtime Web's files under the app's static/ folder (served at app/static/)
_POINTER_HTML = """
<div class="ae-pointer" data-ready="loading" data-decodes="0">
  <div class="ae-title">Under the pointer</div>
  <canvas class="ae-panel" width="160" height="160"></canvas>
  <div class="ae-where"></div>
  <div class="ae-status">Loading the decoder into the browser…</div>
  <div class="ae-note"></div>
  <canvas class="ae-floater" width="96" height="96"></canvas>
</div>
"""
_POINTER_CSS = """
.ae-pointer { font-family: var(--st-font, sans-serif); color: var(--st-text-color); }
.ae-title { font-weight: 600; margin-bottom: 0.3rem; }
.ae-panel { image-rendering: pixelated; border: 1px solid var(--st-border-color, #ccc); max-width: 100%; }
.ae-where { font-variant-numeric: tabular-nums; min-height: 1.2em; }
.ae-status, .ae-note { font-size: 0.85rem; opacity: 0.75; }
.ae-floater { position: fixed; display: none; pointer-events: none; z-index: 1000; image-rendering: pixelated;
              border: 1px solid rgb(20, 20, 20); box-shadow: 0 2px 6px rgba(0, 0, 0, 0.3); }
"""
_POINTER = st.components.v2.component("ae_pointer_decoder", html=_POINTER_HTML, css=_POINTER_CSS,
                                      js=(Path(__file__).parent.parent / "pointer_component.js").read_text())
POINTER_NOTES = {"exact": "The point is the code.", "linear": "Point → code through PCA's inverse.",
                 "grid": "Approximate: the nearest test images' codes, averaged on a grid and blended in between "
                         "(this map has no inverse of its own)."}


def ort_base() -> str:
    """The URL path of the vendored ONNX Runtime Web files (Streamlit's static serving, behind any base path)."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, "app", "static", ORT_FOLDER) if part) + "/"


@st.cache_data(show_spinner=False, max_entries=64)
def _onnx_path(key: str, _active: state.ActiveModel) -> str:
    return str(aecore.export.cached_path(_active.model))


@st.cache_data(show_spinner=False, max_entries=8)
def _onnx_b64(path: str) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")  # the path names the weights' hash


def decoder_onnx(active: state.ActiveModel) -> tuple[str | None, Job | None]:
    """The active model's decoder as base64 ONNX once it is exported, else None and the export's job
    (queued here the first time: one per model for the whole server, asked again if abandoned)."""
    key = model_key(active)
    path = _onnx_path(key, active)
    if Path(path).is_file():
        return _onnx_b64(path), None
    model = active.model
    job = jobs.server_job(("onnx", key), aecore.export.export_job,
                          lambda: ({**model.config.to_dict(), "kind": model.kind},
                                   {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()},
                                   str(Path(path).parent)),
                          name="in-browser decoder",
                          stale=lambda done: done.state == DONE and not Path(path).is_file())  # cache emptied since
    return (_onnx_b64(path), None) if job.state == DONE and Path(path).is_file() else (None, job)


@st.cache_resource(show_spinner=False, max_entries=32)
def _pointer_mapping(key: str, map_id: str, _inverse: MapInverse) -> dict:
    return pointer_mapping(_inverse).to_data()


def pointer_data(active: state.ActiveModel, map_id: str, inverse: MapInverse, onnx: str) -> dict:
    """What the hover decoder needs: the decoder, the image shape and the map's point -> code rule
    (`map_id` names the map among the model's maps: one mapping is kept per model and map)."""
    key = model_key(active)
    mapping = _pointer_mapping(key, map_id, inverse)
    return {"model_id": key, "onnx": onnx, "shape": list(active.model.config.input_shape), "mapping": mapping,
            "mapping_id": f"{key}/{map_id}", "note": POINTER_NOTES[mapping["kind"]],
            "size_px": presenter.scale(160), "ort_base": ort_base()}


def panel(active: state.ActiveModel, map_id: str, inverse: MapInverse) -> None:
    """The image under the pointer of the page's map `map_id` (whose point -> code rule is `inverse`),
    decoded in the browser; while the decoder is being exported, a note that polls until it is ready."""
    onnx, job = decoder_onnx(active)
    if onnx is not None:
        _POINTER(key=POINTER_KEY, data=pointer_data(active, map_id, inverse, onnx), height="content")
    elif job.state == FAILED:
        st.caption(f"The in-browser decoder could not be made ({job.error}); clicks still decode.")
    else:
        _export_progress(active)


@st.fragment(run_every=1)
def _export_progress(active: state.ActiveModel) -> None:
    onnx, job = decoder_onnx(active)
    if onnx is not None or job.finished:
        st.rerun()
    st.caption("Preparing the decoder for your browser (a few seconds, once per model)…")
