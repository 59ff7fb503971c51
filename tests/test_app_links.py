"""Shared links and presenter mode under AppTest: the URL names the dataset, the pretrained model and
presenter mode, a fresh session opening it starts there, and the app keeps the URL up to date."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.core import presenter, state

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 60


def open_link(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def sidebar_values(at: AppTest) -> tuple[str, str]:
    dataset, model = at.sidebar.selectbox[:2]
    return dataset.value, model.value


def test_a_plain_visit_writes_the_dataset_and_model_into_the_url() -> None:
    at = open_link()
    assert at.query_params["dataset"] == "digits"
    assert at.query_params["model"] == state.DEFAULT_PRETRAINED["digits"]


def test_a_link_opens_its_dataset_and_model() -> None:
    at = open_link(dataset="shapes", model="shapes-vae-8")
    assert sidebar_values(at) == ("shapes", "shapes-vae-8")
    assert at.session_state[state.MODEL_KEY].name == "shapes-vae-8"


def test_a_model_of_another_dataset_falls_back_to_the_datasets_default() -> None:
    at = open_link(dataset="shapes", model="digits-vae-8")
    assert sidebar_values(at) == ("shapes", state.DEFAULT_PRETRAINED["shapes"])
    assert at.query_params["model"] == state.DEFAULT_PRETRAINED["shapes"]


@pytest.mark.parametrize("dataset", ["no-such-set", ""])
def test_a_link_to_an_unknown_dataset_opens_the_default(dataset: str) -> None:
    at = open_link(dataset=dataset, model="nope")
    assert sidebar_values(at) == ("digits", state.DEFAULT_PRETRAINED["digits"])


def test_presenter_mode_from_a_link_turns_the_toggle_on_and_enlarges_the_text() -> None:
    at = open_link(present="true")
    assert at.sidebar.toggle(key=presenter.KEY).value is True
    assert any("font-size" in html.proto.body for html in at.get("html")), "no presenter style"
    plain = open_link()
    assert plain.sidebar.toggle(key=presenter.KEY).value is False
    assert not any("font-size" in html.proto.body for html in plain.get("html"))
