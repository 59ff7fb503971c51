"""The app side of the "Convolutional encoder" page: which conv model it shows, and the pictures
and live numbers of its first layer (`aecore.studies.conv_maps`) for one chosen test image.

A single image's first layer is a few thousand multiply-adds: it is computed in the script run."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch

from aecore.studies import conv_maps
from ui.core import presenter
from ui.core.active import ActiveModel
from ui.core.cache import test_split
from ui.core.concepts import Live
from ui.core.gallery import compose_grid
from ui.core.models import pretrained_entries, pretrained_model

FALLBACK_DATASET = "shapes"  # embedded, with conv models: shown when the active dataset has none
COLUMNS = 8  # filters and maps per row
POSITIVE, NEGATIVE = np.array([0.85, 0.33, 0.1]), np.array([0.13, 0.4, 0.8])  # weight colours, white at 0


def is_conv(active: ActiveModel) -> bool:
    return getattr(active.model.config, "arch", None) == "conv"


def shown_model(active: ActiveModel) -> tuple[ActiveModel, str]:
    """The conv model the page shows, and a sentence saying which one and why: the active model
    when it is convolutional, else the active dataset's plain conv autoencoder from the zoo, else
    (digits: MLP only) the shapes dataset's."""
    if is_conv(active):
        return active, f"Shown: the active model, **{active.name}**, on test images of {active.dataset}."
    for dataset in (active.dataset, FALLBACK_DATASET):
        entries = [e for e in pretrained_entries(dataset) if e["arch"] == "conv"]
        if entries:
            entry = next((e for e in entries if e["kind"] == "ae"), entries[0])
            break
    else:
        raise ValueError("the zoo has no convolutional model: rebuild it with `python -m aecore zoo`")
    why = (f"The active model, {active.name}, is an MLP (no convolution)" if entry["dataset"] == active.dataset else
           f"The zoo's {active.dataset} models are all MLPs (8×8 pixels leave a convolution little to slide over)")
    return pretrained_model(entry["name"]), (f"{why}, so this page shows **{entry['name']}**, a convolutional "
                                             f"autoencoder of {entry['dataset']}, on its test images.")


def test_image(model: ActiveModel, index: int) -> tuple[torch.Tensor, str]:
    """Test image `index` of the model's dataset (C, H, W), and its class name."""
    test = test_split(model.dataset)
    label = "" if test.labels is None else test.classes[int(test.labels[index])]
    return test.images[index], label


def image_count(model: ActiveModel) -> int:
    return len(test_split(model.dataset))


def layer(model: ActiveModel, image: torch.Tensor) -> dict[str, Any]:
    """What the page shows of the first layer: its shape, weights, this image's maps and their summary."""
    maps = conv_maps.feature_maps(model.model, image)
    return {"shape": conv_maps.layer_shape(model.model), "filters": conv_maps.filters(model.model),
            "maps": maps, **conv_maps.map_summary(maps)}


def live_numbers(shown: dict[str, Any]) -> list[Live]:
    """The numbers beside the convolution's formula, measured on the layer for this image."""
    shape, count = shown["shape"], shown["shape"]["filters"]
    height, width = shape["map_size"]
    means = shown["mean"]
    return [
        Live("Filters w_c in the first layer", f"{count} of {shape['size']}×{shape['size']}",
             help=f"{shape['in_channels']} input channel(s), stride s = {shape['stride']}: each filter gives one "
                  f"{height}×{width} feature map."),
        Live("Mean activation h_c per map", f"{means.mean():.3f}",
             help=f"Averaged over the {count} maps of this image; from {means.min():.3f} to {means.max():.3f}."),
        Live("Strongest map", f"#{shown['strongest']}", help=f"Its mean activation: {means.max():.3f}."),
        Live("Maps silent on this image", f"{shown['silent']} of {count}",
             help=f"The ReLU sets {shown['zero_share']:.0%} of all positions to exactly 0."),
    ]


# --- pictures -----------------------------------------------------------------------------------
def filter_picture(weights: np.ndarray) -> np.ndarray:
    """The first layer's filters (C_out, C_in, k, k) as one picture: orange for positive weights,
    blue for negative, white at 0, on one scale for all filters (the first input channel only)."""
    w = weights[:, 0] / max(np.abs(weights).max(), 1e-12)  # (C_out, k, k) in [-1, 1]
    amount = np.abs(w)[:, None]  # (C_out, 1, k, k)
    colour = np.where(w[:, None] >= 0, POSITIVE[None, :, None, None], NEGATIVE[None, :, None, None])
    rgb = 1 - amount * (1 - colour)  # white blended towards the sign's colour
    return compose_grid(torch.from_numpy(rgb), COLUMNS, tile_px=presenter.scale(48))


def maps_picture(maps: np.ndarray) -> np.ndarray:
    """This image's feature maps (C, H', W') as one grey picture, on one scale for all maps, so a
    weak map looks weak."""
    scaled = maps / max(maps.max(), 1e-12)
    return compose_grid(torch.from_numpy(scaled[:, None]), COLUMNS, tile_px=presenter.scale(64))


def image_picture(image: torch.Tensor) -> np.ndarray:
    return compose_grid(image.unsqueeze(0), 1, tile_px=presenter.scale(160))


def means_figure(shown: dict[str, Any]) -> go.Figure:
    means = shown["mean"]
    colours = ["rgb(214,84,26)" if c == shown["strongest"] else "rgb(120,120,120)" for c in range(len(means))]
    figure = go.Figure(go.Bar(x=[f"#{c}" for c in range(len(means))], y=means, marker_color=colours))
    figure.update_layout(title="Mean activation of each feature map on this image", xaxis_title="map (filter)",
                         yaxis_title="mean h_c", height=presenter.scale(280), margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure
