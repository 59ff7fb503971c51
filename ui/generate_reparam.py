"""The app side of the VAE's reparameterisation on the Sample & traverse page: one test image's
mean, spread, noise and code per unit (`aecore.reparam`), drawn as pictures, a chart and a table,
with the concept's live numbers. Cached per (model key, image, noise seed): a rerun with nothing new
encodes nothing. Figures are shared between sessions: read-only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from aecore.studies.inspect_code import KL_ACTIVE
from aecore.models.registry import model_class
from aecore.reparam import Reparameterisation, reparameterise
from ui.core import state
from ui.core.cache import model_key, test_split
from ui.core.concepts import Live
from ui.core.frame_figure import still_figure
from ui.core.models import pretrained_entries, pretrained_model


def variational_names(dataset: str) -> list[str]:
    """The zoo's models of `dataset` that have a posterior to draw from (VAE kinds), the one whose
    prior samples a pixel classifier names most confidently first (the manifest's "prior" check,
    measured when the zoo was built): the one the page offers should show what a prior is for."""
    # A conditional VAE's samples without a class are not what it is for: the page has its own section.
    entries = [e for e in pretrained_entries(dataset) if hasattr(model_class(e["kind"]), "encode_distribution")
               and not model_class(e["kind"]).conditional]
    entries.sort(key=lambda e: -e.get("prior", {}).get("confidence", 0.0))  # stable: manifest order on ties
    return [e["name"] for e in entries]


def prior_words(name: str) -> str:
    """What the zoo's check found of VAE `name`'s prior samples, as a clause ("" when unchecked)."""
    entry = next((e for e in pretrained_entries() if e["name"] == name), {})
    check = entry.get("prior")
    if not check:
        return ""
    return (f"a pixel classifier names its prior samples with mean confidence {check['confidence']:.2f}, "
            f"its rarest class at {check['min_share']:.0%} of them (checked on the training images when the "
            "zoo was built)")


def use_pretrained(name: str) -> None:
    """Button callback: make zoo model `name` active (before the sidebar draws, so it shows it)."""
    state.set_active_model(pretrained_model(name))


def draw(active: state.ActiveModel, row: int, seed: int, tile_px: int = 96) -> tuple[go.Figure, go.Figure,
                                                                                   pd.DataFrame, Reparameterisation]:
    """(input, g(mu) and g(z) side by side; mu +- sigma and z per unit; the per-unit table; the numbers)."""
    return _draw(active.dataset, model_key(active), int(row), int(seed), int(tile_px), active)


@st.cache_resource(show_spinner=False, max_entries=64)
def _draw(dataset: str, key: str, row: int, seed: int, tile_px: int,
          _active: state.ActiveModel) -> tuple[go.Figure, go.Figure, pd.DataFrame, Reparameterisation]:
    x = test_split(dataset).images[row]
    r = reparameterise(_active.model, x, seed)
    pictures = still_figure([np.stack([x.numpy(), r.decoded_mean.numpy(), r.decoded.numpy()])], [""],
                            ["input x", "g(μ): no noise", "g(z): this draw"], f"test image #{row}, ε seed {seed}",
                            tile_px=tile_px)
    units = [f"z{k}" for k in range(len(r.mu))]
    chart = {"data": [
        {"type": "scatter", "mode": "markers", "name": "μ ± σ", "x": units, "y": r.mu.tolist(),
         "error_y": {"type": "data", "array": r.sigma.tolist(), "thickness": 2, "width": 6},
         "marker": {"size": 9, "color": "rgb(31,119,180)"}},
        {"type": "scatter", "mode": "markers", "name": "z = μ + σε", "x": units, "y": r.z.tolist(),
         "marker": {"size": 12, "symbol": "x", "color": "rgb(214,39,40)"}}],
        "layout": {"height": 300, "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
                   "title": {"text": "per unit: the posterior μ ± σ, and the drawn z", "font": {"size": 13}},
                   "legend": {"orientation": "h", "y": -0.2},
                   "shapes": [{"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "y0": -1, "y1": 1, "line": {"width": 0},
                               "fillcolor": "rgba(128,128,128,0.12)", "layer": "below"}]}}
    table = pd.DataFrame([r.mu, r.sigma, r.eps, r.z, r.kl], columns=units,
                         index=["μ", "σ", "ε", "z = μ + σε", "KL (nats)"]).round(3)
    return go.Figure(pictures), go.Figure(chart), table, r


def live(r: Reparameterisation) -> list[Live]:
    """Concept "vae"'s live numbers: this image's KL, in total and where it sits, and the noise's shift."""
    top = int(np.argmax(r.kl))
    return [Live("KL of this image", f"{r.kl_total:.2f} nats",
                 help="The sum over units of ½(μ² + σ² − 1 − log σ²): what the loss pays for this image's code."),
            # Not "units in use": that is the model's count over all test images (Inside the code).
            Live("Units this image uses", f"{int((r.kl > KL_ACTIVE).sum())} of {len(r.kl)}",
                 help=f"Units whose KL is above {KL_ACTIVE} nats for this image alone; the largest is z{top} "
                      f"({r.kl[top]:.2f}). A model's units in use (Inside the code) count the units whose KL, "
                      "averaged over the test images, is above that: one image can use a unit the rest leave idle."),
            Live("‖z − μ‖ = ‖σ ⊙ ε‖", f"{r.shift:.3f}",
                 help="How far this draw of the noise moved the code from its mean; resample ε to move it again.")]


__all__ = ["draw", "live", "prior_words", "use_pretrained", "variational_names"]
