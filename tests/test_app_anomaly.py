"""The Anomaly detection page under AppTest: it opens on a class where the autoencoder and PCA differ,
compares each detector with PCA fit on the same images (the normal classes for a one-class model,
every class for the active model), its concept's numbers follow the threshold and the classes, and a
link's query parameters restore the view. After `switch_page` the page runs alone (docs/streamlit-notes.md)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import APP, APPTEST_TIMEOUT_S, figures, finish_jobs, open_page, widget

import aecore
from aecore import anomaly
from aecore.data.splits import SPLIT_SEED, TEST_FRACTION
from ui import anomaly_view
from ui.core import jobs, state

PAGE = "pages/anomaly.py"


def counts(at: AppTest) -> dict[str, int]:
    return {label: int(widget(at.metric, label).value)
            for label in ("Anomalies caught", "Anomalies missed", "False alarms", "Normal passed")}


def number(at: AppTest, label: str) -> float:
    """A metric's value as a float ("0.978", "12.5%")."""
    value = widget(at.metric, label).value
    return float(value.rstrip("%")) / 100 if value.endswith("%") else float(value)


def wait_for_scores(at: AppTest) -> None:
    """Run the page until its scores are shown, waiting for its job (if any) as a browser would."""
    finish_jobs(at, anomaly_view.PURPOSE, anomaly_view.ACTIVE_PURPOSE)
    assert at.slider, "the scores are not shown"


def pca_auroc(normal: tuple[int, ...], fit_on_every_class: bool, k: int = 8) -> float:
    """aecore's PCA detector of the digits test split, fit on the stated training images."""
    digits = aecore.load_dataset("digits")
    normal_train, test, is_anomaly = anomaly.one_class_split(digits, normal, TEST_FRACTION, SPLIT_SEED)
    fit_on = digits.split(TEST_FRACTION, seed=SPLIT_SEED)[0] if fit_on_every_class else normal_train
    return anomaly.roc(anomaly.pca_scores(fit_on, test, k), is_anomaly)["auroc"]


@pytest.fixture(scope="module")
def anomaly_page() -> AppTest:
    return open_page(PAGE)


def test_opens_on_a_class_where_the_methods_differ_and_waits_for_training(anomaly_page):
    at = anomaly_page
    assert at.title[0].value == "Anomaly detection"
    assert widget(at.multiselect, "Normal classes").value == ["8"]  # aecore.anomaly.OPENING_NORMAL
    assert widget(at.radio, "Detector").value == anomaly_view.ONE_CLASS
    assert "normal training images" in at.caption[0].value and "first epoch" in at.caption[0].value
    assert not at.slider  # nothing scored before training


def test_one_class_model_against_pca_fit_on_the_normal_class(anomaly_page):
    at = anomaly_page
    widget(at.button, "Train").click().run()
    wait_for_scores(at)
    model, pca = number(at, "AUROC, autoencoder"), number(at, "AUROC, PCA-8")
    assert model > 0.95 and abs(model - pca) >= 0.005, (model, pca)  # the opening class shows a difference
    assert pca == pytest.approx(pca_auroc((8,), fit_on_every_class=False), abs=5e-4)
    assert sum(counts(at).values()) == 360  # every digits test image
    assert any("normal classes' training images only" in c.value for c in at.caption)


def test_the_threshold_moves_the_concept_and_the_counts(anomaly_page):
    at = anomaly_page
    before, flagged = counts(at), number(at, "Flagged")
    widget(at.slider, "Threshold").set_value(50.0).run()
    low = counts(at)
    assert number(at, "Flagged") > flagged
    assert low["False alarms"] > before["False alarms"] and low["Anomalies caught"] >= before["Anomalies caught"]
    normals = low["False alarms"] + low["Normal passed"]
    assert low["False alarms"] == pytest.approx(normals / 2, abs=2)  # the 50th percentile of the normal scores
    widget(at.slider, "Threshold").set_value(100.0).run()
    assert counts(at)["False alarms"] == 0
    assert number(at, "Flagged") == pytest.approx(counts(at)["Anomalies caught"] / 360, abs=1e-3)


def test_active_model_against_pca_fit_on_every_class(anomaly_page):
    at = anomaly_page
    one_class_pca = number(at, "AUROC, PCA-8")
    widget(at.radio, "Detector").set_value(anomaly_view.ACTIVE).run()
    wait_for_scores(at)
    shown = number(at, "AUROC, PCA-8")
    assert shown != one_class_pca  # fit on other images than in one-class mode
    assert shown == pytest.approx(pca_auroc((8,), fit_on_every_class=True), abs=5e-4)
    assert any("every class's training images" in c.value for c in at.caption)
    assert not any("PCA is enough" in c.value for c in at.caption)
    names = [trace["name"] for figure in figures(at) for trace in figure["data"]]
    assert any(n.startswith("autoencoder (AUROC") for n in names) and any(n.startswith("PCA, k=8") for n in names)
    # Other normal classes: both numbers follow at once, with no new measurement.
    job = at.session_state[jobs.JOBS_KEY].get(anomaly_view.ACTIVE_PURPOSE)
    widget(at.multiselect, "Normal classes").set_value(["0", "1"]).run()
    assert not at.exception and at.slider
    assert at.session_state[jobs.JOBS_KEY].get(anomaly_view.ACTIVE_PURPOSE) is job
    assert number(at, "AUROC, PCA-8") == pytest.approx(pca_auroc((0, 1), fit_on_every_class=True), abs=5e-4)
    assert number(at, "AUROC, PCA-8") != shown
    caught = counts(at)
    is_anomaly = anomaly.one_class_split(aecore.load_dataset("digits"), (0, 1), TEST_FRACTION, SPLIT_SEED)[2]
    assert caught["Anomalies caught"] + caught["Anomalies missed"] == int(is_anomaly.sum())


def scored_with(ae: float, pca: float) -> anomaly_view.Scored:
    none = np.zeros(4)
    return anomaly_view.Scored(none, none, none.astype(bool), {"auroc": ae}, {"auroc": pca}, 8, "every class")


@pytest.mark.parametrize("mode", [anomaly_view.ACTIVE, anomaly_view.ONE_CLASS])
def test_the_verdict_follows_the_aurocs_below_chance(mode):
    """Digits in "active" mode gave AUROC 0.238 against PCA's 0.324: no 'beats', and 0.5 is named."""
    both_below = anomaly_view.verdict(scored_with(0.306, 0.224), mode)
    assert "best" not in both_below and "wrong way round" in both_below and "0.306" in both_below
    one_below = anomaly_view.verdict(scored_with(0.62, 0.41), mode)
    assert "The autoencoder separates the groups best here, by 0.210" in one_below
    assert "The score of PCA with 8 components ranks the wrong way round" in one_below
    above = anomaly_view.verdict(scored_with(0.95, 0.93), mode)
    assert "The autoencoder separates the groups best here, by 0.020 AUROC" in above and "wrong way" not in above


def test_a_link_restores_the_view():
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    at.query_params["an_normal"] = ["3", "5"]
    at.query_params["an_mode"] = "active"
    at.query_params["an_threshold"] = "90"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert widget(at.multiselect, "Normal classes").value == ["3", "5"]
    assert widget(at.radio, "Detector").value == anomaly_view.ACTIVE
    wait_for_scores(at)
    assert widget(at.slider, "Threshold").value == 90.0
    c = counts(at)
    assert c["False alarms"] == pytest.approx(0.1 * (c["False alarms"] + c["Normal passed"]), abs=1.5)
    assert number(at, "AUROC, PCA-8") == pytest.approx(pca_auroc((3, 5), fit_on_every_class=True), abs=5e-4)


def test_a_users_model_as_it_is_is_scored_in_the_background():
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=4, hidden=(32,))
    at = open_page(PAGE, model=state.ActiveModel(model=model, name="trained: test 4-D", source="trained",
                                                 dataset="digits"))
    widget(at.radio, "Detector").set_value(anomaly_view.ACTIVE).run()
    assert not at.slider and any("computing in the background" in info.value for info in at.info)
    wait_for_scores(at)
    assert sum(counts(at).values()) == 360
    assert number(at, "AUROC, PCA-4") == pytest.approx(pca_auroc((8,), fit_on_every_class=True, k=4), abs=5e-4)
    names = [trace["name"] for figure in figures(at) for trace in figure["data"]]
    assert any(n.startswith("PCA, k=4") for n in names)


def test_switching_dataset_opens_on_its_own_class():
    at = open_page(PAGE)
    widget(at.multiselect, "Normal classes").set_value(["2", "9"]).run()
    at.session_state[state.DATASET_KEY] = "shapes"
    at.run()
    assert not at.exception, at.exception
    assert widget(at.multiselect, "Normal classes").value == ["ellipse"]
    assert np.isin("ellipse", widget(at.multiselect, "Normal classes").options)


def test_presenter_mode_enlarges_the_figures():
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    at.query_params.update({"present": "true", "an_mode": "active"})
    at.run()
    at.switch_page(PAGE).run()
    wait_for_scores(at)
    assert all(figure["layout"]["height"] > 340 for figure in figures(at))
