"""The Convolutional encoder page under AppTest: the conv concept's formula beside live numbers of
the first layer, which model it shows and why, the image chooser, and a link's `cv_image`.

The page is run from its file (it works the same once app.py's navigation lists it)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from conftest import APPTEST_TIMEOUT_S, REPO_ROOT, figures

from ui.core import models, state
from ui.core.concepts import CONCEPTS

PAGE = str(Path(REPO_ROOT) / "pages" / "conv.py")


def open_conv(model: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S)
    if model is not None:
        at.session_state[state.MODEL_KEY] = models.pretrained_model(model)
        at.session_state[state.DATASET_KEY] = at.session_state[state.MODEL_KEY].dataset
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def live(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.get_by_key("concept_conv").metric}


def test_digits_says_it_shows_the_shapes_conv_model_with_its_formula_and_numbers():
    at = open_conv()
    assert "**shapes-ae-8**" in at.markdown[0].value and "MLP" in at.markdown[0].value
    block = at.get_by_key("concept_conv")
    assert [latex.value.strip("$\n") for latex in block.latex] == [CONCEPTS["conv"].formula]
    numbers = live(at)
    assert numbers["Filters w_c in the first layer"] == "32 of 3×3"
    assert float(numbers["Mean activation h_c per map"]) > 0
    assert len(at.get("image")) == 3  # the image, the filters, the feature maps
    assert figures(at)[0]["layout"]["title"]["text"] == "Mean activation of each feature map on this image"


def test_the_image_chooser_changes_the_maps_numbers():
    at = open_conv()
    before = live(at)
    bars = figures(at)[0]["data"][0]["y"]
    at.number_input(key="cv_image").set_value(5).run()
    assert not at.exception
    assert live(at)["Mean activation h_c per map"] != before["Mean activation h_c per map"]
    assert figures(at)[0]["data"][0]["y"] != bars
    assert at.get("image")[0].proto.imgs[0].caption.startswith("Test image 5: ")


def test_an_active_conv_model_is_the_one_shown():
    at = open_conv("shapes-sparse-l1-16")
    assert "the active model, **shapes-sparse-l1-16**" in at.markdown[0].value


def test_a_link_restores_the_image():
    at = open_conv(cv_image="7")
    assert at.number_input(key="cv_image").value == 7
    assert at.get("image")[0].proto.imgs[0].caption.startswith("Test image 7: ")
