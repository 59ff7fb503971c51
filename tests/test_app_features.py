"""The Feature extraction page under AppTest: it opens, draws its table and chart, and its controls
change them. After `switch_page` AppTest runs the page alone (STACK.md); state comes from `ui.core.state`."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import figures, open_page, wait_for_job, widget

import aecore
from ui import features_view as view
from ui.core import jobs, state

PAGE = "pages/features.py"


@pytest.fixture(scope="module")
def features_page() -> AppTest:
    return open_page(PAGE)


def test_opens_with_table_chart_and_download(features_page):
    at = features_page
    assert at.title[0].value == "Feature extraction"
    table = at.dataframe[0].value
    assert list(table.columns) == ["representation", "classifier", "10 per class", "100 per class", "all labels"]
    assert len(table) == 6 and set(table["representation"]) == {"autoencoder", "PCA", "pixels"}
    (chart,) = figures(at)
    assert len(chart["data"]) == 6
    assert chart["data"][0]["x"] == ["10", "100", "all"]
    assert len(at.get("download_button")) == 1
    assert "digits-ae-8" in at.caption[0].value


def test_classifier_control_filters_table_and_chart(features_page):
    at = features_page
    widget(at.radio, "Classifier").set_value("knn").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["classifier"]) == {"k-nearest neighbours"} and len(table) == 3
    assert [line["name"].split(", ")[1] for line in figures(at)[0]["data"]] == ["k-nearest neighbours"] * 3
    widget(at.radio, "Classifier").set_value("both").run()
    assert len(at.dataframe[0].value) == 6


def test_draws_control_changes_the_small_counts_only(features_page):
    at = features_page
    before = at.dataframe[0].value
    widget(at.slider, "Draws per small label count").set_value(1).run()
    assert not at.exception
    after = at.dataframe[0].value
    assert not before["10 per class"].equals(after["10 per class"])
    assert before["all labels"].equals(after["all labels"])
    assert all(len(line["error_y"]["array"]) == 3 for line in figures(at)[0]["data"])


def test_other_active_model_is_probed():
    at = open_page(PAGE, model="digits-vae-8")
    assert "digits-vae-8" in at.caption[0].value


def test_a_users_model_is_probed_in_the_background_and_then_shown():
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=4, hidden=(32,))
    at = open_page(PAGE, model=state.ActiveModel(model=model, name="trained: test 4-D", source="trained",
                                                 dataset="digits"))
    assert not at.dataframe and any("computing in the background" in info.value for info in at.info)
    job = at.session_state[jobs.JOBS_KEY][view.PURPOSE]
    wait_for_job(job)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    assert "trained: test 4-D" in at.caption[0].value and "in the background" in at.caption[0].value
    assert len(at.dataframe[0].value) == 6 and len(figures(at)[0]["data"]) == 6
    widget(at.slider, "Draws per small label count").set_value(2).run()  # from the job's draws: no new job
    assert not at.exception and at.session_state[jobs.JOBS_KEY][view.PURPOSE] is job


def test_codes_csv_has_every_image_once():
    active = state.ActiveModel(model=aecore.load_pretrained("digits-ae-8"), name="digits-ae-8",
                               source="pretrained", dataset="digits")
    frame = pd.read_csv(io.BytesIO(view.codes_csv("digits", active)))
    assert list(frame.columns) == ["index", "split", "label"] + [f"z{i}" for i in range(8)]
    digits = aecore.load_dataset("digits")
    assert frame["index"].tolist() == list(range(len(digits)))
    assert frame["label"].tolist() == digits.labels.tolist()
    assert (frame["split"] == "test").sum() == len(digits.split(0.2, seed=0)[1])
