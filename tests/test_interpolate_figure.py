"""ui.core.frame_figure.with_side_panel, which the Interpolate page's large figure is built with: a
chart beside the pictures whose last trace is swapped with every frame of the slider."""

from __future__ import annotations

import pytest
import torch

from ui.core.frame_figure import slider_figure, with_side_panel


def pictures(frames: int) -> dict:
    images = [[torch.full((1, 1, 4, 4), i / frames)] for i in range(frames)]
    names = [str(i) for i in range(frames)]
    return slider_figure(images, names, names, [""], [""], "frame ", tile_px=40, active=1)


def marker(i: int) -> dict:
    return {"type": "scatter", "mode": "markers", "x": [float(i)], "y": [float(-i)], "name": "here"}


def test_each_frame_swaps_the_picture_and_the_marker_on_the_panel():
    figure = with_side_panel(pictures(3), [{"type": "scatter", "x": [0, 2], "y": [0, -2]}],
                             [marker(i) for i in range(3)], {"xaxis": {"title": {"text": "a"}}}, "the panel")
    assert [t.get("xaxis") for t in figure["data"]] == [None, "x2", "x2"]
    assert figure["data"][-1]["x"] == [1.0]  # the slider starts on frame 1: so does the marker
    assert [f["traces"] for f in figure["frames"]] == [[0, 2]] * 3
    assert [f["data"][1]["x"] for f in figure["frames"]] == [[0.0], [1.0], [2.0]]
    layout = figure["layout"]
    assert layout["xaxis"]["domain"][1] <= layout["xaxis2"]["domain"][0] and layout["xaxis2"]["title"]["text"] == "a"
    assert layout["sliders"][0]["len"] == layout["xaxis"]["domain"][1]  # the slider runs under the pictures
    assert layout["annotations"][0]["text"] == "the panel"


def test_a_marker_is_needed_for_every_frame():
    with pytest.raises(ValueError, match="one moving trace per frame"):
        with_side_panel(pictures(3), [], [marker(0)], {})
