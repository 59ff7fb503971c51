"""The Anomaly detection page under AppTest: it opens, trains a one-class model, and the threshold
slider drives the confusion counts. After `switch_page` the page runs alone (STACK.md)."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from conftest import figures, open_page, wait_for_job, widget

import aecore
import torch
from ui.core import jobs, state
from ui import anomaly_view

PAGE = "pages/anomaly.py"


def counts(at: AppTest) -> dict[str, int]:
    return {label: int(widget(at.metric, label).value)
            for label in ("Anomalies caught", "Anomalies missed", "False alarms", "Normal passed")}


@pytest.fixture(scope="module")
def anomaly_page() -> AppTest:
    return open_page(PAGE)


def test_opens_and_waits_for_training(anomaly_page):
    at = anomaly_page
    assert at.title[0].value == "Anomaly detection"
    assert widget(at.multiselect, "Normal classes").value == ["0"]
    assert "normal training images" in at.caption[0].value and "first epoch" in at.caption[0].value
    assert not at.slider  # nothing scored before training


def test_the_active_model_is_scored_and_the_threshold_moves_the_counts(anomaly_page):
    at = anomaly_page
    widget(at.radio, "Detector").set_value("The active model as it is").run()
    assert not at.exception, at.exception
    assert any("weaker" in c.value or "less well" in c.value for c in at.caption)
    before = counts(at)
    assert sum(before.values()) == 360  # every digits test image
    slider = widget(at.slider, "Threshold")
    slider.set_value(slider.min).run()
    low = counts(at)
    assert low["Normal passed"] < before["Normal passed"] and low["Anomalies caught"] >= before["Anomalies caught"]
    widget(at.slider, "Threshold").set_value(slider.max).run()
    assert counts(at)["Anomalies caught"] == 0
    names = [trace["name"] for figure in figures(at) for trace in figure["data"]]
    assert any(n.startswith("autoencoder (AUROC") for n in names) and any(n.startswith("PCA, k=8") for n in names)


def test_one_class_training_runs_and_scores_better(anomaly_page):
    at = anomaly_page
    widget(at.radio, "Detector").set_value("Train on the normal classes only").run()
    widget(at.button, "Train").click().run()
    assert not at.exception, at.exception
    wait_for_job(at.session_state[jobs.JOBS_KEY][anomaly_view.PURPOSE])
    at.run()
    assert not at.exception, at.exception
    assert at.slider, "the scores are not shown after training"
    subheaders = [s.value for s in at.subheader]
    roc_title = next(s for s in subheaders if s.startswith("ROC"))
    assert float(roc_title.split("AUROC ")[1].split(",")[0]) > 0.9
    assert sum(counts(at).values()) == 360


def test_a_users_model_as_it_is_is_scored_in_the_background():
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=4, hidden=(32,))
    at = open_page(PAGE, model=state.ActiveModel(model=model, name="trained: test 4-D", source="trained",
                                                 dataset="digits"))
    widget(at.radio, "Detector").set_value("The active model as it is").run()
    assert not at.slider and any("computing in the background" in info.value for info in at.info)
    job = at.session_state[jobs.JOBS_KEY][anomaly_view.ACTIVE_PURPOSE]
    wait_for_job(job)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    assert sum(counts(at).values()) == 360
    names = [trace["name"] for figure in figures(at) for trace in figure["data"]]
    assert any(n.startswith("PCA, k=4") for n in names)


def test_several_normal_classes_get_pca_from_a_job_for_a_shipped_model():
    at = open_page(PAGE)
    widget(at.radio, "Detector").set_value("The active model as it is").run()
    widget(at.multiselect, "Normal classes").set_value(["0", "1"]).run()
    assert not at.slider
    job = at.session_state[jobs.JOBS_KEY][anomaly_view.ACTIVE_PURPOSE]
    wait_for_job(job)
    at.run()
    assert not at.exception, at.exception
    assert sum(counts(at).values()) == 360 and counts(at)["Anomalies caught"] + counts(at)["Anomalies missed"] < 300
