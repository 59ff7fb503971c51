"""The Feature extraction page under AppTest: it opens, draws its table and chart, and its controls
change them. After `switch_page` AppTest runs the page alone (docs/streamlit-notes.md); state comes
from `ui.core.state`."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import APP, APPTEST_TIMEOUT_S, figures, open_page, wait_for_job, widget

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


def live(at: AppTest) -> dict[str, float]:
    """The feature-extraction concept's live accuracies (%), by representation."""
    return {name: float(widget(at.metric, label).value.rstrip("%"))
            for name, label in (("codes", "Codes z = f(x)"), ("pca", "PCA codes"), ("pixels", "Pixels"))}


def table_cell(at: AppTest, representation: str, classifier: str, column: str) -> float:
    table = at.dataframe[0].value
    row = table[(table["representation"] == representation) & (table["classifier"] == classifier)]
    return float(row[column].iloc[0])


def test_concept_numbers_follow_labels_and_classifier(features_page):
    at = features_page
    widget(at.radio, "Classifier").set_value("both").run()
    widget(at.slider, "Draws per small label count").set_value(5).run()
    assert at.get("latex") and "arg" in at.get("latex")[0].value  # the formula beside the numbers
    few = live(at)
    assert few["codes"] == pytest.approx(table_cell(at, "autoencoder", "logistic regression", "10 per class"), abs=0.05)
    assert few["pca"] == pytest.approx(table_cell(at, "PCA", "logistic regression", "10 per class"), abs=0.05)
    widget(at.select_slider, "Labels per class").set_value("all").run()
    every = live(at)
    assert every["codes"] == pytest.approx(table_cell(at, "autoencoder", "logistic regression", "all labels"), abs=0.05)
    assert every != few
    assert figures(at)[0]["layout"]["shapes"][0]["x0"] == 2  # the chart marks the count read ("all", third)
    widget(at.radio, "Classifier").set_value("knn").run()
    assert live(at)["pixels"] == pytest.approx(table_cell(at, "pixels", "k-nearest neighbours", "all labels"), abs=0.05)
    assert live(at) != every and any("nearest" in c.value for c in at.caption)
    widget(at.select_slider, "Labels per class").set_value("10").run()
    widget(at.radio, "Classifier").set_value("both").run()


def test_a_link_restores_the_view():
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    at.query_params.update({"ft_classifier": "knn", "ft_labels": "100", "ft_draws": "3"})
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert widget(at.radio, "Classifier").value == "knn"
    assert widget(at.select_slider, "Labels per class").value == "100"
    assert widget(at.slider, "Draws per small label count").value == 3
    assert set(at.dataframe[0].value["classifier"]) == {"k-nearest neighbours"}
    assert live(at)["codes"] == pytest.approx(table_cell(at, "autoencoder", "k-nearest neighbours", "100 per class"),
                                              abs=0.05)


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


def test_presenter_mode_folds_the_draws_and_enlarges_the_chart():
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    at.query_params["present"] = "true"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    folded = [slider.label for expander in at.expander for slider in expander.slider]
    assert folded == ["Draws per small label count"]
    assert figures(at)[0]["layout"]["height"] > 420


class _Owner:  # what a Job asks of its queue: a running job is at place 0
    def position(self, job) -> int:
        return 0

    def cancel(self, job) -> None:
        pass


def test_the_codes_against_pca_are_drawn_while_the_pixels_are_scored():
    from aecore.job_progress import Early, JobProgress
    from aecore.probe import LABEL_COUNTS, probe_draws
    from aecore.workers import RUNNING, Job
    from ui.core.cache import train_test_split

    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=4, hidden=(32,))
    at = open_page(PAGE, model=state.ActiveModel(model=model, name="trained: early 4-D", source="trained",
                                                 dataset="digits"))
    real = at.session_state[jobs.JOBS_KEY][view.PURPOSE]
    real.cancel()
    train, test = train_test_split("digits")
    sent = []
    probe_draws(model, train, test, LABEL_COUNTS, draws=2, partial=sent.append)
    # The job as the page sees it between the two parts: running, its latest report carrying the early scores.
    job = Job(10_000, "feature probe", _Owner())
    job.state, job.progress = RUNNING, JobProgress("scoring the pixels", 0.25, Early(sent[0]))
    at.session_state[jobs.JOBS_KEY][view.PURPOSE] = job
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert set(table["representation"]) == {"autoencoder", "PCA"} and len(table) == 4
    assert {trace["name"].split(",")[0] for trace in figures(at)[0]["data"]} == {"autoencoder", "PCA"}
    assert widget(at.metric, "Pixels").value == "…"
    assert "the pixels next" in at.caption[0].value
    assert any("pixels' scores" in info.value and "computing in the background" in info.value for info in at.info)
