"""The app under Streamlit's AppTest: the router's sidebar and the Datasets page, no browser.

Per STACK.md, after `switch_page("pages/...")` AppTest runs the page file alone (no router, no
sidebar), so the sidebar is tested from `app.py` and the page's state comes from `ui.state`.
"""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import state

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 60  # the first run imports torch and loads the dataset
SHAPES_CLASSES = ("square", "ellipse", "heart", "triangle")


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    assert not at.exception, at.exception
    return at


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(parts + [i.captions[0] for i in at.image if i.captions])


def test_router_has_dataset_selectbox_and_default_page() -> None:
    at = run_app()
    [selectbox] = at.sidebar.selectbox
    assert selectbox.label == "Dataset"
    assert list(selectbox.options) == ["digits", "shapes"]
    assert selectbox.value == "digits"
    assert at.title[0].value == "Autoencoder Explorer"
    assert len(at.image) == 1


def test_home_page_slider_and_seed_change_the_gallery() -> None:
    at = run_app()
    at.switch_page("pages/home.py").run()
    assert not at.exception, at.exception
    assert len(at.image) == 1
    first_url = at.image[0].value[0]
    at.slider[0].set_value(3).run()
    assert not at.exception, at.exception
    fewer_url = at.image[0].value[0]
    assert fewer_url != first_url
    at.number_input[0].set_value(7).run()
    assert at.image[0].value[0] not in (first_url, fewer_url)


def test_switching_dataset_to_shapes_shows_its_classes() -> None:
    at = run_app()
    digits_url = at.image[0].value[0]
    at.sidebar.selectbox[0].set_value("shapes").run()
    assert not at.exception, at.exception
    assert at.session_state[state.DATASET_KEY] == "shapes"
    assert "Dataset: shapes" in [h.value for h in at.header]
    text = page_text(at)
    assert all(name in text for name in SHAPES_CLASSES), text
    assert at.image[0].value[0] != digits_url


def test_page_alone_fills_the_default_dataset() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.switch_page("pages/home.py").run()
    assert not at.exception, at.exception
    assert at.session_state[state.DATASET_KEY] == state.DEFAULT_DATASET
    assert "Dataset: digits" in [h.value for h in at.header]
