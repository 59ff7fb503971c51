"""The Interpolate page under AppTest: it opens, its controls change the figures, the map's marker
has one position per frame, and a link (the URL's query parameters) restores the view.

After `switch_page` AppTest runs the page file alone (docs/streamlit-notes.md), so its state comes from `ui.core.state`.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_link, figures, open_page, widget

from ui.core import state

PAGE = "pages/interpolate.py"


@pytest.fixture
def page() -> AppTest:
    return open_page(PAGE)




def marker_positions(figure: dict) -> list[tuple[float, float]]:
    """Where the "frame shown" ring sits in each frame of the large figure."""
    index = next(i for i, t in enumerate(figure["data"]) if t.get("name") == "frame shown")
    positions = []
    for frame in figure["frames"]:
        marker = frame["data"][frame["traces"].index(index)]
        positions.append((marker["x"][0], marker["y"][0]))
    return positions


def test_opens_with_its_controls_a_strip_and_a_slider_figure_with_the_map(page):
    at = page
    assert at.title[0].value == "Interpolate"
    assert widget(at.radio, "Pick two images by").value == "class"
    assert widget(at.slider, "Frames").value == 10
    assert widget(at.radio, "Interpolation").options == ["linear", "slerp"]
    strip, large = figures(at)
    assert len(strip["data"]) == 1 and strip["data"][0]["source"].startswith("data:image/png;base64,")
    assert len(large["frames"]) == 10
    assert [s["method"] for s in large["layout"]["sliders"][0]["steps"]] == ["animate"] * 10
    assert large["layout"]["xaxis"]["ticktext"] == ["decoded path", "pixel cross-fade"]
    path = next(t for t in large["data"] if t.get("name") == "path")
    assert len(path["x"]) == 10 and path["xaxis"] == "x2"  # the path's codes on the map beside the pictures


def test_the_ring_on_the_map_sits_on_the_path_point_of_each_frame(page):
    large = figures(page)[1]
    path = next(t for t in large["data"] if t.get("name") == "path")
    positions = marker_positions(large)
    assert positions == list(zip(path["x"], path["y"]))
    assert len(set(positions)) == 10  # it moves from frame to frame
    shown = next(t for t in large["data"] if t.get("name") == "frame shown")
    assert (shown["x"][0], shown["y"][0]) == positions[large["layout"]["sliders"][0]["active"]]
    assert all(frame["traces"][0] == 0 for frame in large["frames"])  # the picture changes with it


def test_frames_and_mode_change_what_is_shown(page):
    at = page
    before = figures(at)
    widget(at.slider, "Frames").set_value(5).run()
    assert not at.exception
    strip, large = figures(at)
    assert len(large["frames"]) == 5 and len(marker_positions(large)) == 5
    widget(at.radio, "Interpolation").set_value("slerp").run()
    assert not at.exception
    slerp = figures(at)
    assert slerp[1]["frames"][2]["data"][0]["source"] != large["frames"][2]["data"][0]["source"]
    assert before[0]["data"][0]["source"] != strip["data"][0]["source"]


def test_pick_by_index_and_the_latent_map_selection(page):
    at = page
    widget(at.radio, "Pick two images by").set_value("index").run()
    widget(at.number_input, "Index of the second").set_value(7).run()
    assert not at.exception
    assert "#7" in at.caption[0].value or "#7" in figures(at)[0]["layout"]["title"]["text"]
    at.session_state[state.SELECTION_KEY] = [3, 11, 20]
    at.run()
    assert widget(at.radio, "Pick two images by").options[0] == "selection"
    widget(at.radio, "Pick two images by").set_value("selection").run()
    assert not at.exception
    title = figures(at)[0]["layout"]["title"]["text"]
    assert "#3 " in title and "#11 " in title


def test_a_link_restores_the_view_set_through_the_controls(page):
    # Under AppTest the widgets do not write the URL (the browser does: see the browser test), so the
    # link is written by hand and compared with the same view reached through the controls.
    at = page
    widget(at.radio, "Pick two images by").set_value("index").run()
    widget(at.number_input, "Index of the first").set_value(4).run()
    widget(at.slider, "Frames").set_value(6).run()
    widget(at.radio, "Interpolation").set_value("slerp").run()
    shown = figures(at)

    opened = open_link(PAGE, {"ip_how": "index", "ip_a": "4", "ip_steps": "6", "ip_mode": "slerp"})
    assert widget(opened.radio, "Pick two images by").value == "index"
    assert widget(opened.number_input, "Index of the first").value == 4
    assert widget(opened.slider, "Frames").value == 6 and widget(opened.radio, "Interpolation").value == "slerp"
    assert opened.caption[0].value == at.caption[0].value
    assert figures(opened)[1]["frames"] == shown[1]["frames"]


def test_a_link_by_class_with_a_seed_picks_the_same_pair():
    at = open_link(PAGE, {"ip_class_a": "3", "ip_class_b": "8", "ip_seed": "2"})
    assert widget(at.selectbox, "Class of the first").value == "3" and widget(at.number_input, "Seed").value == 2
    assert "(3) to #" in at.caption[0].value and at.caption[0].value.endswith("(8)")


def test_presenter_mode_folds_the_path_settings_and_enlarges_the_pictures(page):
    plain_height = figures(page)[1]["layout"]["height"]
    at = open_link(PAGE, {"present": "true"})
    assert [e.label for e in at.expander] == ["Path and seed"]
    assert widget(at.radio, "Interpolation").value == "linear"  # still there, folded away
    assert figures(at)[1]["layout"]["height"] > plain_height
