"""The Latent map page under AppTest: it opens from the stored map, its controls change the figure,
a fresh model's t-SNE runs in the background, and the selection and decode helpers behind the side panel.

After `switch_page` AppTest runs the page file alone (STACK.md), so its state comes from `ui.core.state`.
AppTest cannot click a plotly chart: the selection event is fed to `ui.latent_map_view` directly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_page, wait_for_job

import aecore
from ui import latent_map_view as view
from ui.core import state
from ui.core.models import pretrained_model

PAGE = "pages/latent_map.py"


def open_map(model: state.ActiveModel | None = None) -> AppTest:
    return open_page(PAGE, model=model)


def the_map(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return open_map()


def test_opens_on_the_stored_pca_of_the_default_model(default_page):
    at = default_page
    assert at.title[0].value == "Latent map"
    assert at.radio[0].label == "Map" and at.radio[0].options == ["PCA", "UMAP", "t-SNE"]
    assert at.selectbox[0].label == "Colour by" and at.selectbox[0].options == ["class"]
    assert at.checkbox[0].label.startswith("Decoded images under the map")
    figure = the_map(at)
    grid, data = figure["data"]
    assert data["type"] == "scattergl" and len(data["customdata"]) == 360
    assert grid["marker"]["opacity"] == 0  # the invisible plane under the data
    stored = aecore.load_latent("digits-ae-8")
    np.testing.assert_allclose(data["x"], stored["pca"][:, 0], rtol=1e-5)
    assert "stored with the model" in at.caption[0].value


def test_umap_swaps_in_the_stored_umap(default_page):
    at = default_page
    at.radio[0].set_value("umap").run()
    assert not at.exception, at.exception
    data = the_map(at)["data"][1]
    np.testing.assert_allclose(data["x"], aecore.load_latent("digits-ae-8")["umap"][:, 0], rtol=1e-5)
    assert at.checkbox[0].disabled  # no decoded grid under a UMAP


def test_a_2d_model_shows_its_own_plane_with_the_decoded_grid_under_it():
    at = open_map(pretrained_model("digits-ae-2"))
    assert at.radio[0].options == ["2-D code", "PCA", "UMAP", "t-SNE"] and at.radio[0].value == "raw"
    assert at.checkbox[0].value is True
    figure = the_map(at)
    assert figure["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert figure["layout"]["xaxis"]["title"]["text"] == "code 1"
    at.checkbox[0].uncheck().run()
    assert "images" not in the_map(at)["layout"]


def test_shapes_colours_by_a_factor():
    at = open_map(pretrained_model("shapes-ae-8"))
    assert at.selectbox[0].options == ["class", "scale", "rotation", "x", "y"]
    classes = the_map(at)["data"][1]["marker"]
    assert classes["colorbar"]["ticktext"] == ["square", "ellipse", "heart", "triangle"]
    at.selectbox[0].set_value("rotation").run()
    assert not at.exception, at.exception
    marker = the_map(at)["data"][1]["marker"]
    assert marker["colorscale"] != classes["colorscale"] and marker["colorbar"]["title"]["text"] == "rotation"
    assert max(marker["color"]) > 3  # radians, not class indices


def test_a_fresh_model_computes_tsne_in_the_background_and_shows_pca_meanwhile():
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=4).eval()
    fresh = state.ActiveModel(model=model, name="trained: test 4-D", source="trained", dataset="digits")
    at = open_map(fresh)
    assert "stored" not in at.caption[0].value
    at.radio[0].set_value("tsne").run()
    assert not at.exception, at.exception
    shown = view.projection(fresh, "tsne")
    if shown.pending:  # t-SNE of 360 points takes seconds: the page must not have waited for it
        assert any("t-SNE" in info.value for info in at.info)
        assert "PCA" in at.caption[0].value
        wait_for_job(shown.job)
    at.run()
    assert not at.exception, at.exception
    assert "t-SNE" in at.caption[0].value and not any("Computing" in info.value for info in at.info)


def test_a_selection_event_gives_rows_images_and_class_counts():
    active = pretrained_model("digits-ae-8")
    event = {"selection": {"points": [
        {"curve_number": 1, "point_index": 0, "x": 0, "y": 0, "customdata": 4},
        {"curve_number": 1, "point_index": 1, "x": 0, "y": 0, "customdata": 9},
        {"curve_number": 0, "point_index": 7, "x": 1.0, "y": 2.0},
    ]}}
    rows, spot = view.picked(event)
    assert rows == [4, 9] and spot is None
    originals, rebuilt, counts = view.selection_view(active, rows)
    assert originals.shape == rebuilt.shape and originals.ndim == 3
    labels = view.test_split("digits").labels
    assert sum(counts.values()) == 2 and str(int(labels[4])) in counts


def test_a_click_on_empty_space_decodes_there_and_warns_far_out():
    active = pretrained_model("digits-ae-8")
    rows, spot = view.picked({"selection": {"points": [{"curve_number": 0, "point_index": 3, "x": 0.5, "y": -1.0}]}})
    assert rows == [] and spot == (0.5, -1.0)
    shown = view.projection(active, "pca")
    image, distance, far = view.decoded_spot(active, shown, spot)
    assert image.ndim == 3 and image.shape[2] == 3 and not far
    assert view.decoded_spot(active, shown, (500.0, 500.0))[2]
    assert view.inverse_note(active, shown).startswith("through PCA")
    assert view.is_approximate(active, view.projection(active, "umap"))  # a stored UMAP has no inverse
    assert view.picked(None) == ([], None)
