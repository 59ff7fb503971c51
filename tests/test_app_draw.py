"""The Draw and see page under AppTest. AppTest cannot draw on the canvas (a `st.components.v2`
component runs only in a browser: tests/test_browser_draw.py draws with the mouse), so a drawing is
put in session state as the canvas leaves it there after a stroke, and the page is checked from it:
the processed input, reconstruction and denoised image, the percentile, the map with the drawing
marked, and the anomaly concept's numbers; the same on Fashion-MNIST with a model measured by a job."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import aecore
from aecore.studies import sketch
from conftest import figures, open_link, open_page, wait_for_job, widget
from ui import draw_view
from ui.core import cache, jobs
from ui.core.active import ActiveModel

PAGE = "pages/draw.py"
SEVEN = [{"w": 30, "p": [80, 60, 200, 60, 120, 230]}]
BAR = [{"w": 30, "p": [100, 150, 190, 150]}]
TROUSERS = [{"w": 40, "p": [110, 40, 170, 40, 180, 240]}, {"w": 40, "p": [110, 40, 100, 240]}]

_spec = importlib.util.spec_from_file_location("shared_data", Path(__file__).resolve().parents[1] / "bench" / "shared_data.py")
shared_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shared_data)


def draw(at: AppTest, strokes: list) -> AppTest:
    """Leave `strokes` where the canvas leaves them after a stroke, and rerun, as the stroke's end does."""
    at.session_state[draw_view.STROKES_KEY] = strokes
    at.run()
    assert not at.exception, at.exception
    return at


def result(at: AppTest):
    return next(element for element in at.main.get("flex_container") if getattr(element, "key", None) == "draw_result")


def canvas_data(at: AppTest) -> dict:
    """What the page handed the canvas component."""
    proto = at.get("bidi_component")[0].proto
    return json.loads(proto.json or proto.mixed.json)


def metric_value(at: AppTest, label: str) -> str:
    return widget(at.metric, label).value


def marked(at: AppTest) -> dict:
    """The map's trace that marks the drawing."""
    return next(trace for trace in figures(at)[0]["data"] if trace.get("name") == "your drawing")


@pytest.fixture(scope="module")
def draw_page() -> AppTest:
    return open_page(PAGE, model="digits-ae-8")


def test_opens_with_an_empty_canvas_that_says_what_to_do(draw_page):
    at = draw(draw_page, [])
    assert at.info[0].value == sketch.EMPTY_MESSAGE
    assert not at.metric and not result(at).get("image")
    assert len(figures(at)) == 1  # the map of the test images is there already, with no drawing on it
    assert all(trace.get("name") != "your drawing" for trace in figures(at)[0]["data"])
    data = canvas_data(at)
    assert data["size"] == sketch.CANVAS_PX and data["pen"] == draw_view.pen_width("digits", "medium")
    assert "as scikit-learn's digits were made" in " ".join(c.value for c in at.caption)


def test_a_drawing_is_processed_rebuilt_denoised_scored_and_marked(draw_page):
    at = draw(draw_page, SEVEN)
    captions = [c.value for c in at.caption]
    images = result(at).get("image")
    assert len(images) == 4  # input, reconstruction, denoised, nearest test images
    assert "denoised by digits-denoising-16" in str(images[2].proto)
    percentile = float(metric_value(at, "Anomaly percentile"))
    assert 0 <= percentile <= 100
    assert metric_value(at, "Nearest codes") == "7"
    # The numbers are measured with the model shown: the same encode, decode and test errors by hand.
    model, stored = aecore.load_pretrained("digits-ae-8"), aecore.load_results("digits-ae-8")
    ref = sketch.reference(stored["codes"], stored["anomaly"]["scores"])
    seen = sketch.see(model, sketch.sketch_image(SEVEN, "digits", (1, 8, 8)), ref)
    assert f"{seen.percentile:.1f}" == metric_value(at, "Anomaly percentile")
    assert metric_value(at, "s(x) of your drawing") == f"{seen.score:.4f}"
    assert any(f"Score s(x) = {seen.score:.4f}" in c for c in captions)
    star = marked(at)
    np.testing.assert_allclose([star["x"][0], star["y"][0]], seen.point, rtol=1e-5)
    assert canvas_data(at)["strokes"] == SEVEN  # a remounted canvas draws the same strokes again


def test_a_second_stroke_changes_the_numbers_and_leaves_a_trail(draw_page):
    before = metric_value(draw(draw_page, SEVEN), "s(x) of your drawing")
    at = draw(draw_page, SEVEN + BAR)
    assert metric_value(at, "s(x) of your drawing") != before
    trail = next(trace for trace in figures(at)[0]["data"] if trace.get("name") == "after each stroke")
    assert len(trail["x"]) == 2  # where it sat after the first stroke, and after the second


def test_a_payload_that_is_no_drawing_is_answered_in_words(draw_page):
    at = draw(draw_page, [{"w": 30, "p": [1, 2, 3]}])
    assert "flat list" in at.info[0].value
    assert not result(at).get("image")
    draw(draw_page, [])


@pytest.mark.parametrize("share, says", [(100.0, "worse than every test image: the model finds it unusual"),
                                          (97.25, "worse than 97.2% of the test images: the model finds it unusual"),
                                          (80.0, "worse than 80.0% of the test images: somewhat unusual"),
                                          (40.0, "worse than 40.0% of the test images: as well as typical"),
                                          (0.0, "better than every test image: as well as typical")])
def test_the_verdict_says_its_own_percentile(share, says):
    """The caption's judgement is computed from the number beside it: a drawing rebuilt worse than
    every test image is not said to be worse than 95% of them."""
    seen = sketch.Seen(*([None] * 4), share, None, None)
    assert says in draw_view.verdict(seen)


def test_the_pen_comes_from_the_link():
    at = open_link(PAGE, {"dw_pen": "thick"})
    assert at.select_slider(key="dw_pen").value == "thick"
    assert canvas_data(at)["pen"] == draw_view.pen_width("digits", "thick") > draw_view.pen_width("digits", "medium")


def test_shapes_are_drawn_whole():
    at = draw(open_page(PAGE, model="shapes-ae-8"), [{"w": 40, "p": [60, 60, 200, 60, 200, 200, 60, 200, 60, 60]}])
    assert "the whole canvas scaled down" in " ".join(c.value for c in at.caption)
    assert 0 <= float(metric_value(at, "Anomaly percentile")) <= 100


@pytest.fixture
def fashion(tmp_path, monkeypatch):
    """Fashion-MNIST as if downloaded (../shared/data's images), its models' results not yet measured."""
    if not shared_data.available("fashion-mnist"):
        pytest.skip("../shared/data has no Fashion-MNIST images here")
    shared_data.install(tmp_path / "data", ("fashion-mnist",))
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(tmp_path / "zoo-results"))
    for cached in (cache.load_dataset, cache.train_test_split):
        cached.clear()  # read the dataset from this folder, and let later tests read theirs
    yield
    for cached in (cache.load_dataset, cache.train_test_split):
        cached.clear()


def test_a_clothing_sketch_on_fashion_mnist_after_its_test_images_are_measured(fashion):
    at = draw(open_page(PAGE, model="fashion-mnist-ae-32"), TROUSERS)
    assert "as Fashion-MNIST was made" in " ".join(c.value for c in at.caption)
    assert any("computing in the background" in info.value for info in at.info)
    job = at.session_state[jobs.JOBS_KEY][draw_view.PURPOSE]  # its results are not stored here: measured
    wait_for_job(job)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    assert 0 <= float(metric_value(at, "Anomaly percentile")) <= 100
    assert metric_value(at, "Nearest codes") == "Trouser"
    assert "denoised by fashion-mnist-denoising-32" in str(result(at).get("image")[2].proto)


def test_a_colour_dataset_says_drawing_is_for_grey_images():
    model = aecore.create_model("ae", arch="mlp", latent_dim=4, input_shape=(3, 32, 32))
    at = open_page(PAGE, model=ActiveModel(model, "trained: colour", "trained", "cifar10"))
    assert "drawing works on grey images" in at.info[0].value
    assert not at.get("bidi_component")
