"""The Search by code page under AppTest: it measures the test images in the server's queue, then a
test image, a drawing or a fake MNIST download's image finds its nearest test images by the model's
code, by PCA and by the pixels (and by a hash where one is shipped), each with precision@k equal to
aecore.retrieval's own leave-one-out figure, and its verdicts name the better of the numbers shown."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import aecore
from aecore import retrieval
from conftest import open_link, open_page, wait_for_job, widget
from fake_mirror import mnist_here
from ui import search_view as view
from ui.core import jobs, state

PAGE = "pages/search.py"
SEVEN = [{"w": 40, "p": [80, 60, 200, 60, 120, 230]}]


def measured(at: AppTest) -> AppTest:
    """Wait for the server's job measuring the active model's test images, then rerun the page."""
    active = at.session_state[state.MODEL_KEY]
    job = jobs.peek_server_job(("search", view.collection_key(active, view.hashing_model(active))))
    assert job is not None
    if not job.finished:  # queued by this run (another test of this process may have measured it)
        assert any("computing in the background" in info.value for info in at.info)
    wait_for_job(job, timeout=300)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    return at


def precisions(at: AppTest) -> list[float]:
    """Each code's precision@k under its pictures (the concept repeats them beside the formula)."""
    return [float(m.value) for m in at.metric if m.label.startswith("precision@") and m.label.endswith(", test set")]


def said(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture(scope="module")
def digits_page() -> AppTest:
    return measured(open_page(PAGE))


def test_a_test_image_finds_its_neighbours_by_every_code(digits_page):
    at = digits_page
    assert at.title[0].value == "Search by code"
    model = aecore.load_pretrained("digits-ae-8")
    test = aecore.load_split("digits")[1]
    labels = test.labels.numpy()
    codes = retrieval.model_codes(model, test)
    expected = retrieval.precision_at_k(retrieval.leave_one_out(codes, 10).ids, labels, labels)
    shown = precisions(at)
    assert shown[0] == pytest.approx(expected, abs=5e-4)  # the model's code, as the library measures it
    assert len(shown) == (5 if view.hashing_model(at.session_state[state.MODEL_KEY]) else 3)
    # The first test image's own neighbours: the caption counts the ones that share its label.
    assert any(c.value.startswith("This query: ") and "of 10 share its label (" in c.value for c in at.caption)
    # The verdict judges the two precisions shown beside it.
    assert f"{shown[0]:.3f}" in said(at) and f"{shown[1]:.3f}" in said(at)
    best = "The model's code" if shown[0] > shown[1] else "PCA"
    assert best in said(at) or "are level" in said(at)
    table = at.dataframe[0].value
    assert {"code", "bytes per image", "precision@10"} <= set(table.columns)
    assert table.loc[table["code"].str.startswith("pixels"), "bytes per image"].item() == 4 * 64


def test_k_changes_every_precision(digits_page):
    at = digits_page
    before = precisions(at)
    widget(at.slider, "k nearest").set_value(3).run()
    assert not at.exception, at.exception
    after = precisions(at)
    assert after != before and all(0 <= p <= 1 for p in after)
    assert "precision@3" in at.dataframe[0].value.columns


def test_a_drawing_is_a_query_without_a_label(digits_page):
    at = digits_page
    at.radio(key="sr_source").set_value("drawing").run()
    assert any("canvas is empty" in info.value for info in at.info)
    at.session_state[view.STROKES_KEY] = SEVEN
    at.run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Most common label among them: ") for c in at.caption)
    assert len(at.get("image")) >= 4  # the query, then the neighbours of each code


def test_the_query_comes_from_the_link():
    at = measured(open_link(PAGE, {"sr_row": "7", "sr_k": "4"}))
    assert at.number_input(key="sr_row").value == 7 and at.slider(key="sr_k").value == 4
    assert any("of 4 share its label" in c.value for c in at.caption)


@pytest.fixture
def fake_mnist(tmp_path):
    """MNIST as if downloaded: random images with labels cycling 0 to 9 (never the real ones)."""
    with mnist_here(tmp_path, seed=7):
        yield


def test_a_downloaded_mnist_is_searched_by_its_shipped_models(fake_mnist):
    at = measured(open_page(PAGE, dataset="mnist", model=state.default_model("mnist")))
    shown = precisions(at)
    assert len(shown) >= 3 and all(0 <= p <= 1 for p in shown)
    assert at.slider(key="sr_k").max == 50  # 100 test images leave room for k = 50
    assert sum(1 for c in at.caption if "share its label" in c.value) == len(shown)
    live = [m for m in at.metric if m.label.startswith("precision@10, ")]  # the concept's live numbers
    assert sorted(float(m.value) for m in live if not m.label.endswith("test set")) == sorted(shown)
