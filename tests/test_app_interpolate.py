"""The Interpolate page under AppTest: it opens, its controls exist and change the figures.

After `switch_page` AppTest runs the page file alone (STACK.md), so its state comes from `ui.core.state`.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import figures, open_page, widget

from ui.core import state

PAGE = "pages/interpolate.py"


@pytest.fixture
def page() -> AppTest:
    return open_page(PAGE)


def test_opens_with_its_controls_a_strip_a_slider_figure_and_a_map(page):
    at = page
    assert at.title[0].value == "Interpolate"
    assert widget(at.radio, "Pick two images").value == "by class"
    assert widget(at.slider, "Frames").value == 10
    assert widget(at.radio, "Interpolation").options == ["linear", "slerp"]
    strip, large, path_map = figures(at)
    assert len(strip["data"]) == 1 and strip["data"][0]["source"].startswith("data:image/png;base64,")
    assert len(large["frames"]) == 10
    assert [s["method"] for s in large["layout"]["sliders"][0]["steps"]] == ["animate"] * 10
    assert large["layout"]["xaxis"]["ticktext"] == ["decoded path", "pixel cross-fade"]
    assert len(path_map["data"][1]["x"]) == 10  # the path's codes on the map


def test_frames_and_mode_change_what_is_shown(page):
    at = page
    before = figures(at)
    widget(at.slider, "Frames").set_value(5).run()
    assert not at.exception
    strip, large, path_map = figures(at)
    assert len(large["frames"]) == 5 and len(path_map["data"][1]["x"]) == 5
    widget(at.radio, "Interpolation").set_value("slerp").run()
    assert not at.exception
    slerp = figures(at)
    assert slerp[1]["frames"][2]["data"][0]["source"] != large["frames"][2]["data"][0]["source"]
    assert before[0]["data"][0]["source"] != strip["data"][0]["source"]


def test_pick_by_index_and_the_latent_map_selection(page):
    at = page
    widget(at.radio, "Pick two images").set_value("by index").run()
    widget(at.number_input, "Index of the second").set_value(7).run()
    assert not at.exception
    assert "#7" in at.caption[0].value or "#7" in figures(at)[0]["layout"]["title"]["text"]
    at.session_state[state.SELECTION_KEY] = [3, 11, 20]
    at.run()
    assert widget(at.radio, "Pick two images").options[0] == "latent map selection"
    widget(at.radio, "Pick two images").set_value("latent map selection").run()
    assert not at.exception
    title = figures(at)[0]["layout"]["title"]["text"]
    assert "#3 " in title and "#11 " in title
