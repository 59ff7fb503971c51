"""One colour per class on every page: class 1 was red on the latent map and orange on
Draw and see and Compare, and Interpolate coloured its points on a continuous scale."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from conftest import figures, open_page
from ui import draw_view, generate_view
from ui.core import models
from ui.core.palette import CLASS_COLOURS, class_colour

MODEL = "digits-ae-8"


def test_the_latent_map_colours_each_class_with_the_palette():
    at = open_page("pages/latent_map.py", model=MODEL)
    colours = {trace.get("name"): trace["marker"]["color"] for trace in figures(at)[0]["data"] if "marker" in trace}
    assert [colours[str(c)].lower() for c in range(10)] == [class_colour(c).lower() for c in range(10)]


def test_draw_and_see_and_interpolate_use_the_same_colours():
    labels = np.arange(30) % 10
    reference = SimpleNamespace(embedding=np.random.default_rng(0).normal(size=(30, 2)), labels=labels, method="PCA")
    figure = draw_view.map_figure(reference, [str(c) for c in range(10)], None)
    assert {trace.name: trace.marker.color for trace in figure.data} == {str(c): class_colour(c) for c in range(10)}
    traces, _, _ = generate_view.path_map(models.pretrained_model(MODEL), np.zeros((4, 8), np.float32))
    test_labels = generate_view.test_split("digits").labels.numpy()
    points = traces[0]["marker"]["color"]
    assert points[int(np.flatnonzero(test_labels == 1)[0])] == class_colour(1) == CLASS_COLOURS[1]
    assert len(set(points)) == 10
