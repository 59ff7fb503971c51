"""The Anomaly detection page on a table, under AppTest: switched to table mode it trains on the benign
breast-cancer rows in the background, then shows the score histogram, the ROC of the three detectors
and their AUROCs (the autoencoder, PCA and an isolation forest on the same split), the threshold's
counts and the most anomalous rows; a link's an_t* parameters restore another table's view."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import figures, open_link, open_page, wait_for_job, widget

from aecore import anomaly, tabular
from aecore.data.table import bundled_table
from sklearn.preprocessing import StandardScaler
from ui import anomaly_table_view
from ui.core import jobs

PAGE = "pages/anomaly.py"


def number(at: AppTest, label: str) -> float:
    value = widget(at.metric, label).value
    return float(value.rstrip("%")) / 100 if value.endswith("%") else float(value)


def counts(at: AppTest) -> dict[str, int]:
    return {label: int(widget(at.metric, label).value)
            for label in ("Anomalies caught", "Anomalies missed", "False alarms", "Normal passed")}


def wait_for_results(at: AppTest) -> None:
    """Run the page until the table's results are shown, waiting for its job (if any) as a browser would."""
    job = at.session_state[jobs.JOBS_KEY].get(anomaly_table_view.PURPOSE) if jobs.JOBS_KEY in at.session_state else None
    if job is not None and not job.finished:
        wait_for_job(job)
        assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    assert at.slider, "the results are not shown"


def baselines(name: str, normal: str) -> dict[str, float]:
    """PCA's and the forest's AUROC on the page's split, computed here from aecore alone."""
    split = tabular.one_class_split(bundled_table(name), normal)
    scaler = StandardScaler().fit(split.train)
    train, test = scaler.transform(split.train), scaler.transform(split.test)
    k = tabular.recipe_for(train.shape[1]).latent_dim
    return {"pca": anomaly.roc(tabular.pca_scores(train, test, k), split.is_anomaly)["auroc"],
            "forest": anomaly.roc(tabular.forest_scores(train, test), split.is_anomaly)["auroc"]}


@pytest.fixture(scope="module")
def table_page() -> AppTest:
    at = open_page(PAGE)
    assert widget(at.radio, "Data").value == anomaly_table_view.IMAGES  # images stay the default
    widget(at.radio, "Data").set_value(anomaly_table_view.TABLE).run()
    assert not at.exception, at.exception
    return at


def test_table_mode_opens_on_breast_cancer_and_trains(table_page):
    at = table_page
    assert widget(at.selectbox, "Table").value == "breast-cancer"
    assert widget(at.selectbox, "Normal class").value == "benign"
    assert any("250 normal rows" in caption.value for caption in at.caption)
    wait_for_results(at)


def test_histogram_roc_and_three_aurocs(table_page):
    at = table_page
    expected = baselines("breast-cancer", "benign")
    assert number(at, "AUROC, autoencoder") > 0.85
    assert number(at, "AUROC, PCA-8") == pytest.approx(expected["pca"], abs=5e-4)
    assert number(at, "AUROC, isolation forest") == pytest.approx(expected["forest"], abs=5e-4)
    drawn = figures(at)
    names = [trace.get("name", "") for figure in drawn for trace in figure["data"]]
    assert "normal (107)" in names and "anomalous (212)" in names  # the histogram: held-out benign, all malignant
    for start in ("autoencoder (AUROC", "PCA, k=8 (AUROC", "isolation forest (AUROC"):
        assert any(name.startswith(start) for name in names), names
    assert sum(counts(at).values()) == 319
    heatmap = next(figure for figure in drawn if figure["data"][0]["type"] == "heatmap")
    assert len(heatmap["data"][0]["y"]) == anomaly_table_view.SHOWN_ROWS and len(heatmap["data"][0]["x"]) == 30
    top = at.dataframe[0].value
    assert list(top["class"])[:1] == ["malignant"] and top["largest shares of the error"].str.contains("%").all()


def test_the_threshold_recounts(table_page):
    at = table_page
    before = counts(at)
    widget(at.slider, "Threshold").set_value(50.0).run()
    low = counts(at)
    assert low["False alarms"] > before["False alarms"]
    assert low["False alarms"] == pytest.approx(107 / 2, abs=1)  # half the normal test rows


def test_a_link_restores_a_table_view():
    at = open_link(PAGE, {"an_tsource": "table", "an_ttable": "wine", "an_tnormal": "class_0",
                          "an_tthreshold": "90"})
    assert widget(at.selectbox, "Table").value == "wine"
    assert widget(at.selectbox, "Normal class").value == "class_0"
    wait_for_results(at)
    assert widget(at.slider, "Threshold").value == 90.0
    c = counts(at)
    normals = c["False alarms"] + c["Normal passed"]
    assert normals == 18 and c["False alarms"] == pytest.approx(0.1 * normals, abs=1)
    expected = baselines("wine", "class_0")
    assert number(at, "AUROC, PCA-3") == pytest.approx(expected["pca"], abs=5e-4)
    assert number(at, "AUROC, isolation forest") == pytest.approx(expected["forest"], abs=5e-4)


def test_switching_table_forgets_the_other_tables_class():
    at = open_link(PAGE, {"an_tsource": "table", "an_ttable": "wine", "an_tnormal": "class_2"})
    widget(at.selectbox, "Table").set_value("breast-cancer").run()
    assert not at.exception, at.exception
    assert widget(at.selectbox, "Normal class").value == "benign"


def test_the_upload_choice_asks_for_a_file():
    at = open_link(PAGE, {"an_tsource": "table", "an_ttable": "upload"})
    assert any("Upload a CSV" in info.value for info in at.info)
    assert not at.slider


@pytest.mark.parametrize("k, aurocs, says", [
    (1, (0.80, 0.95, 0.90), "PCA with 1 component separates the groups best here, by 0.050 AUROC."),
    (4, (0.97, 0.90, 0.93), "The autoencoder separates the groups best here, by 0.040 AUROC."),
    (4, (0.31, 0.42, 0.38), "Every score ranks the wrong way round here (AUROC 0.420 and 0.380 and 0.310, below")])
def test_the_table_verdict_is_computed_and_written_right(k, aurocs, says):
    """A good CSV got "Pca with 1 components separates the groups best"."""
    rocs = {name: {"auroc": value} for name, value in zip(("autoencoder", "pca", "forest"), aurocs)}
    scored = anomaly_table_view.TableScores(None, None, None, None, rocs, {"train_rows": 5000, "recipe": {"latent_dim": k}})
    assert anomaly_table_view.verdict(scored).startswith(says)

