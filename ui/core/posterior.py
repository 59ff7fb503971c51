"""q(z|x) on a map, for the pages that place an image among the test codes (Latent map, Draw and see).

For a VAE the encoder gives a Gaussian, not a point: the map shows its mean (a ring), its 1σ and 2σ
ellipses, and draws z = μ + σ·ε that the user can resample. The geometry is `aecore.latent.posterior`:
exact on a 2-D code's plane and on PCA's (a linear map sends a Gaussian to a Gaussian); a UMAP or
t-SNE map has no such image, and the page says so in words. Every sentence is computed from the
numbers it states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aecore.latent import posterior as q
from ui.core import presenter, state
from ui.core.cache import model_key, test_split
from ui.core.gallery import compose_grid

DRAWS = 200  # z = μ + σ·ε scattered on the map per "Resample"
DECODED = 8  # of them, decoded beside the map
SIGMAS = (1.0, 2.0)  # the ellipses drawn, in σ (Mahalanobis distance)
COLOUR = "rgb(20, 20, 20)"
DRAW_COLOUR = "rgb(214, 39, 40)"


@dataclass
class Shown:
    """q(z|x) of one image as a map shows it."""

    label: str  # which image ("test image 12", "your drawing")
    mu: np.ndarray  # (d,)
    sigma: np.ndarray  # (d,)
    gaussian: q.PlaneGaussian
    codes: np.ndarray  # (DRAWS, d) the draws
    points: np.ndarray  # (DRAWS, 2) the draws on the map
    seed: int
    image_class: int | None = None  # given to a conditional model's encoder and decoder


def applies(active: state.ActiveModel, labelled: bool = True) -> bool:
    """Whether the active model's encoder gives a distribution to draw (of at least 2 numbers); for a
    conditional model only where the image's class is known (`labelled`)."""
    model = active.model
    return (q.has_posterior(model) and model.config.latent_dim >= 2
            and (labelled or not getattr(model, "conditional", False)))


@st.cache_resource(show_spinner=False, max_entries=32)
def _plane(key: str, method: str, _codes: np.ndarray, _embedding: np.ndarray) -> q.LinearPlane | None:
    # One least-squares fit per model and map: exact for a 2-D code and PCA, None for UMAP and t-SNE.
    return q.LinearPlane.fit(_codes, _embedding)


def plane(active: state.ActiveModel, method: str, codes: np.ndarray, embedding: np.ndarray) -> q.LinearPlane | None:
    """The linear map from codes to the shown map's points, or None when the map is not linear."""
    return _plane(model_key(active), method, codes, embedding)


def seed(key: str) -> int:
    """The draws' seed on this page: 0, then one more per press of Resample."""
    return int(st.session_state.get(key, 0))


def _next_seed(key: str) -> None:
    st.session_state[key] = seed(key) + 1


def of_image(active: state.ActiveModel, image: torch.Tensor, label: str, where: q.LinearPlane, draws_seed: int,
             image_class: int | None = None) -> Shown:
    """q(z|x) of one image (C, H, W) of the active model (given its class for a conditional model),
    placed on the map `where`."""
    found = q.posterior(active.model, image[None], None if image_class is None else torch.tensor([image_class]))
    mu, sigma = found.mu[0], found.sigma[0]
    codes = q.draws(mu, sigma, DRAWS, draws_seed)
    return Shown(label, mu, sigma, q.on_plane(mu, sigma, where), codes, where.place(codes), draws_seed, image_class)


def of_test_image(active: state.ActiveModel, row: int, where: q.LinearPlane, draws_seed: int) -> Shown:
    """q(z|x) of the test image at `row` of the active model's dataset's test split."""
    test = test_split(active.dataset)
    image_class = None if test.labels is None else int(test.labels[row])
    return of_image(active, test.images[row], f"test image {row}", where, draws_seed, image_class)


def traces(shown: Shown) -> list[dict[str, Any]]:
    """The draws, the ellipses and the mean as plotly traces. None answers hover or selection, so a
    click or a box on the map still picks test images (`hoverinfo: skip`)."""
    found = [{"type": "scatter", "mode": "markers", "name": f"z = μ + σ·ε ({len(shown.points)} draws)",
              "x": shown.points[:, 0].tolist(), "y": shown.points[:, 1].tolist(), "hoverinfo": "skip",
              "marker": {"size": 4, "color": DRAW_COLOUR, "opacity": 0.6}}]
    for k, dash in zip(SIGMAS, ("solid", "dash")):
        ring = q.ellipse(shown.gaussian, k)
        found.append({"type": "scatter", "mode": "lines", "name": f"q(z|x): {k:g}σ", "hoverinfo": "skip",
                      "x": ring[:, 0].tolist(), "y": ring[:, 1].tolist(), "line": {"color": COLOUR, "width": 2, "dash": dash}})
    found.append({"type": "scatter", "mode": "markers", "name": "q(z|x): mean μ", "hoverinfo": "skip",
                  "x": [float(shown.gaussian.mean[0])], "y": [float(shown.gaussian.mean[1])],
                  "marker": {"symbol": "circle-open", "size": 14, "color": COLOUR, "line": {"width": 3}}})
    return found


def add_to(figure: go.Figure, shown: Shown | None) -> go.Figure:
    """`figure` with q(z|x) drawn on it (on top of everything). `figure` must be the page's own copy,
    never a cached figure other sessions share: traces are added in place."""
    if shown is not None:
        figure.add_traces(traces(shown))
    return figure


def words(shown: Shown, map_name: str) -> str:
    """What the ellipses are, with the posterior's numbers and the draws' shares inside each ellipse."""
    d = len(shown.mu)
    distance = q.mahalanobis(shown.gaussian, shown.points)
    inside = ", ".join(f"{(distance <= k).mean():.0%} inside {k:g}σ (a 2-D Gaussian holds {q.mass_within(k):.1%})"
                       for k in SIGMAS)
    if d == 2:
        head = (f"q(z|x) of {shown.label}: μ = ({shown.mu[0]:.2f}, {shown.mu[1]:.2f}), "
                f"σ = ({shown.sigma[0]:.2f}, {shown.sigma[1]:.2f}): the code itself, drawn exactly.")
    else:
        head = (f"q(z|x) of {shown.label} is a Gaussian in {d} dimensions (mean σ over its units "
                f"{shown.sigma.mean():.2f}). The {map_name} map is linear, so what you see is exact: its shadow on "
                f"the map's plane, which holds {shown.gaussian.captured:.0%} of its variance; the other {d - 2} "
                "directions are not seen.")
    return f"{head} Of the {len(shown.points)} draws z = μ + σ·ε: {inside}."


def not_linear_words(map_name: str, dim: int) -> str:
    """Why a non-linear map shows no ellipse."""
    return (f"{map_name} is not a linear map: it bends the {dim}-D code space, so the Gaussian q(z|x) has no "
            "ellipse on it (nor does a draw from it have a place without refitting the map). Switch the map to "
            "PCA to see q(z|x) projected exactly.")


def panel(active: state.ActiveModel, shown: Shown, map_name: str, resample_key: str) -> None:
    """Beside the map: what the ellipses say, a Resample button, and some draws decoded."""
    st.caption(words(shown, map_name))
    st.button("Resample z = μ + σ·ε", key=resample_key + "_button", on_click=_next_seed, args=(resample_key,),
              icon=":material/casino:", help=f"Draw {DRAWS} new codes from q(z|x) and scatter them on the map.")
    st.image(decoded(active, shown), caption=f"{DECODED} of the draws, decoded: what q(z|x) of {shown.label} can give")


@torch.no_grad()
def decoded(active: state.ActiveModel, shown: Shown) -> np.ndarray:
    """The first DECODED draws through the decoder, as one picture in rows of four."""
    model = active.model
    device = next(model.parameters()).device
    # decode samples nothing, so a shared model's mode (never switched here) does not matter
    extra = {"labels": shown.image_class} if getattr(model, "conditional", False) else {}
    images = model.decode(torch.as_tensor(shown.codes[:DECODED], dtype=torch.float32, device=device), **extra).cpu()
    return compose_grid(images, ncols=4, tile_px=presenter.scale(48))
