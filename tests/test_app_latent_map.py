"""The Latent map page under AppTest: it opens from the stored map with one legend entry per class,
its controls change the figure, a shared link (query parameters) restores them, presenter mode folds
the secondary controls away, a fresh model's t-SNE runs in the background, and a pick is drawn on
the map: a cross on a clicked spot, selected dots large with the others dimmed. The in-browser hover
decoder gets the model's decoder and each map's point -> code rule (exact, linear, grid) as data.

After `switch_page` AppTest runs the page file alone (docs/streamlit-notes.md), so its state comes from `ui.core.state`.
AppTest cannot click a plotly chart: a pick is stored as the chart's `on_select` callback stores it,
and selection events are fed to `ui.latent_map_view` directly; the browser test clicks.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP, APPTEST_TIMEOUT_S, figures, open_link, open_page, wait_for_job

import aecore
from ui import latent_map_view as view
from ui.latent_map_figure import decoder_onnx
from ui.core import presenter, state
from ui.core.models import pretrained_model

PAGE = "pages/latent_map.py"


def open_map(model: state.ActiveModel | None = None) -> AppTest:
    return open_page(PAGE, model=model)


def the_map(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def data_traces(figure: dict) -> list[dict]:
    """The map's data: every trace after the invisible grid (trace 0)."""
    return figure["data"][1:]


def points(figure: dict) -> dict[int, tuple[float, float]]:
    """Row id -> (x, y) of every dot, whichever trace holds it."""
    return {row: (x, y) for trace in data_traces(figure) for row, x, y in zip(trace["customdata"], trace["x"], trace["y"])}


def open_with_params(params: dict[str, str], model: str | None = None) -> AppTest:
    """Open the page as a shared link does: the query parameters are there before the first run."""
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if model is not None:
        active = pretrained_model(model)
        at.session_state[state.MODEL_KEY], at.session_state[state.DATASET_KEY] = active, active.dataset
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


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
    grid = figure["data"][0]
    assert grid["marker"]["opacity"] == 0  # the invisible plane under the data
    stored = aecore.load_latent("digits-ae-8")
    placed = points(figure)
    assert len(placed) == 360 and all(trace["type"] == "scattergl" for trace in data_traces(figure))
    rows = view.latent_data(pretrained_model("digits-ae-8")).rows
    np.testing.assert_allclose([placed[int(r)][0] for r in rows], stored["pca"][:, 0], rtol=1e-5)
    assert "stored with the model" in at.caption[0].value


def test_classes_are_a_legend_with_one_entry_per_class(default_page):
    figure = the_map(default_page)
    traces = data_traces(figure)
    assert [t["name"] for t in traces] == [str(d) for d in range(10)] and all(t["showlegend"] for t in traces)
    assert len({t["marker"]["color"] for t in traces}) == 10  # one flat colour each
    assert not any("colorbar" in t["marker"] for t in traces) and figure["layout"]["legend"]["title"]["text"] == "class"
    labels = view.test_split("digits").labels
    assert all(int(labels[row]) == int(t["name"]) for t in traces for row in t["customdata"])


def test_umap_swaps_in_the_stored_umap(default_page):
    at = default_page
    at.radio[0].set_value("umap").run()
    assert not at.exception, at.exception
    placed = points(the_map(at))
    rows = view.latent_data(pretrained_model("digits-ae-8")).rows
    np.testing.assert_allclose([placed[int(r)][0] for r in rows], aecore.load_latent("digits-ae-8")["umap"][:, 0], rtol=1e-5)
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
    assert [t["name"] for t in data_traces(the_map(at))] == ["square", "ellipse", "heart", "triangle"]
    at.selectbox[0].set_value("rotation").run()
    assert not at.exception, at.exception
    (trace,) = data_traces(the_map(at))  # a continuous factor: one trace and a colour bar
    assert trace["marker"]["colorbar"]["title"]["text"] == "rotation" and not trace["showlegend"]
    assert max(trace["marker"]["color"]) > 3  # radians, not class indices


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
        {"curve_number": 3, "point_index": 1, "x": 0, "y": 0, "customdata": 9},
        {"curve_number": 0, "point_index": 7, "x": 1.0, "y": 2.0},
    ]}}
    pick = view.pick_from_event(event)
    assert pick.rows == [4, 9] and pick.spot is None
    originals, rebuilt, counts = view.selection_view(active, pick.rows)
    assert originals.shape == rebuilt.shape and originals.ndim == 3
    labels = view.test_split("digits").labels
    assert sum(counts.values()) == 2 and str(int(labels[4])) in counts


def test_a_click_on_empty_space_decodes_there_and_warns_far_out():
    active = pretrained_model("digits-ae-8")
    pick = view.pick_from_event({"selection": {"points": [{"curve_number": 0, "point_index": 3, "x": 0.5, "y": -1.0}]}})
    assert pick.rows == [] and pick.spot == (0.5, -1.0) and pick.grid_index == 3
    shown = view.projection(active, "pca")
    image, distance, far = view.decoded_spot(active, shown, pick.spot)
    assert image.ndim == 3 and image.shape[2] == 3 and not far
    assert view.decoded_spot(active, shown, (500.0, 500.0))[2]
    assert view.inverse_note(active, shown).startswith("through PCA")
    assert view.is_approximate(active, view.projection(active, "umap"))  # a stored UMAP has no inverse
    assert view.pick_from_event(None) == view.Pick()


def remembered(pick: view.Pick, method: str = "pca", model: str = "digits-ae-8") -> dict:
    """A pick as the map's `on_select` callback stores it (AppTest cannot click a chart)."""
    active = pretrained_model(model)
    return {"map": (view.model_key(active), method), "dataset": active.dataset, "pick": pick}


def test_a_clicked_spot_is_marked_with_a_cross_and_decoded():
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S).run()
    grid = 5 * 60 + 7  # a grid point near the lower-left corner
    at.session_state[view.PICK_KEY] = remembered(view.Pick(spot=(-1.0, 2.0), grid_index=grid))
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    figure = the_map(at)
    plane = figure["data"][0]
    assert plane["selectedpoints"] == [grid]
    assert plane["selected"]["marker"]["opacity"] == 1 and plane["marker"]["symbol"] == "x"  # a visible cross
    assert not any("selectedpoints" in t for t in data_traces(figure))  # nothing dimmed
    assert any("Decoded at (-1.00, 2.00)" in m.value for m in at.markdown)
    at.run()  # an unrelated rerun keeps it
    assert the_map(at)["data"][0]["selectedpoints"] == [grid]


def test_selected_dots_stand_out_and_the_rest_is_dimmed():
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S).run()
    at.session_state[view.PICK_KEY] = remembered(view.Pick(rows=[4, 9, 30]))
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    figure = the_map(at)
    chosen = {row for t in data_traces(figure) for i, row in enumerate(t["customdata"]) if i in t["selectedpoints"]}
    assert chosen == {4, 9, 30}
    assert all(t["unselected"]["marker"]["opacity"] < 0.3 for t in data_traces(figure))
    assert figure["layout"]["dragmode"] == "pan"  # a click after a box select lands as a click
    assert any("3 selected" in m.value for m in at.markdown)
    at.radio[0].set_value("umap").run()  # the same test images stay selected on another map
    figure = the_map(at)
    assert {row for t in data_traces(figure) for i, row in enumerate(t["customdata"]) if i in t["selectedpoints"]} == {4, 9, 30}


def test_a_link_restores_the_map_colour_and_grid():
    at = open_with_params({"lm_method": "UMAP"})
    assert at.radio[0].value == "umap" and "UMAP (stored with the model when the zoo was built)" in at.caption[0].value
    at = open_with_params({"lm_colour": "rotation", "lm_manifold": "false"}, model="shapes-ae-8")
    assert at.selectbox[0].value == "rotation" and at.checkbox[0].value is False
    (trace,) = data_traces(the_map(at))
    assert trace["marker"]["colorbar"]["title"]["text"] == "rotation"
    assert "images" not in the_map(at)["layout"]
    at = open_with_params({"lm_method": "2-D code"})  # not a map of this 8-D model: the default instead
    assert at.radio[0].value == "pca" and not at.exception


def test_presenter_mode_folds_the_secondary_controls_and_enlarges_the_map():
    at = open_with_params({"present": "true"})
    expander = at.expander[0]
    assert expander.label == "Colour and decoded grid"
    assert expander.selectbox[0].label == "Colour by"
    assert the_map(at)["layout"]["height"] == int(view.HEIGHT_PX * presenter.SCALE)


def hover_decoder(at: AppTest) -> dict:
    """The data the page hands the in-browser hover decoder (an st.components.v2 element)."""
    found = [e for e in at.main if getattr(e, "type", None) == "bidi_component"
             and e.proto.component_name == "ae_pointer_decoder"]
    assert len(found) == 1
    return json.loads(found[0].proto.json)


def open_with_hover_decoder(model: str) -> AppTest:
    """The page once the model's decoder is exported (a queued job the first time on this machine)."""
    at = open_map(pretrained_model(model))
    onnx, job = decoder_onnx(pretrained_model(model))
    if job is not None:
        assert any("Preparing the decoder" in c.value for c in at.caption)  # the page did not wait for it
        wait_for_job(job)
        at.run()
        assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("model, kinds", [("digits-ae-2", {"raw": "exact", "pca": "linear", "umap": "grid"}),
                                          ("digits-ae-8", {"pca": "linear", "umap": "grid"})])
def test_the_hover_decoder_gets_the_decoder_and_the_maps_point_to_code_rule(model, kinds):
    at = open_with_hover_decoder(model)
    active = pretrained_model(model)
    for method, kind in kinds.items():
        at.radio[0].set_value(method).run()
        assert not at.exception, at.exception
        data = hover_decoder(at)
        assert data["mapping"]["kind"] == kind and data["mapping"]["dim"] == active.model.config.latent_dim
        assert data["shape"] == [1, 8, 8] and data["onnx"] and data["ort_base"] == "/app/static/ort/"
        assert data["mapping_id"].endswith(f"/{method}")
        assert ("Approximate" in data["note"]) == (kind == "grid")  # UMAP's stored map has no inverse
        if kind == "grid":
            assert len(data["mapping"]["xs"]) == len(data["mapping"]["ys"]) > 10


def switch_model(at: AppTest, name: str) -> AppTest:
    """Make `name` the active model as the sidebar's picker does (its on_change), then rerun the page."""
    at.session_state[state.MODEL_KEY] = pretrained_model(name)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_2d_model_opens_on_its_own_code_unless_the_user_chose_a_map_for_it():
    at = open_map()  # digits-ae-8, on PCA
    at.radio[0].set_value("umap").run()  # the user's own choice for this model
    switch_model(at, "digits-ae-2")
    assert at.radio[0].value == "raw" and at.checkbox[0].value is True  # its plane, with the decoded grid
    assert "2-D code" in at.caption[0].value and the_map(at)["layout"]["xaxis"]["title"]["text"] == "code 1"
    at.radio[0].set_value("pca").run()  # chosen for digits-ae-2 this time
    assert switch_model(at, "digits-ae-8").radio[0].value == "umap"  # each model keeps what was chosen for it
    assert switch_model(at, "digits-ae-2").radio[0].value == "pca"
    assert switch_model(at, "digits-vae-2").radio[0].value == "raw"  # never chosen for: its own default
    assert switch_model(at, "shapes-ae-8").radio[0].value == "pca" and at.checkbox[0].value is False


def test_a_link_to_a_2d_model_keeps_the_map_it_names():
    at = open_with_params({"lm_method": "PCA"}, model="digits-ae-2")
    assert at.radio[0].value == "pca"


def test_the_decoded_images_under_the_map_keep_their_square_shape():
    at = open_link("pages/latent_map.py", {"model": "digits-ae-2", "dataset": "digits", "lm_manifold": "true"})
    layout = figures(at)[0]["layout"]
    tiles = layout["images"][0]
    # The plot keeps the grid's width-to-height ratio, so each of its square cells is drawn square.
    assert layout["yaxis"]["scaleanchor"] == "x"
    assert layout["yaxis"]["scaleratio"] == pytest.approx(tiles["sizex"] / tiles["sizey"])
