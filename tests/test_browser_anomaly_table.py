"""The Anomaly detection page on a table, in a real browser: switched to table mode from the images, it
trains on the benign breast-cancer rows and shows the three detectors' AUROCs, the histogram, the ROC
and the most anomalous rows with each column's share of their error; a bad CSV upload gets a message
saying what to fix, the page keeps running, and good CSVs are then scored: one without labels (no ROC
then), one with them."""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, upload, wait_ready

pytestmark = pytest.mark.browser

MAIN = "[data-testid='stMain']"
CHARTS = f"{MAIN} [data-testid='stPlotlyChart'] .js-plotly-plot"


def metric(page, label: str):
    return page.locator("[data-testid='stMetric']").filter(has_text=label).locator("[data-testid='stMetricValue']")


def test_table_mode_shows_three_detectors_and_the_rows_column_shares(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Anomaly detection").click()
    expect(page.get_by_role("heading", name="Anomaly detection")).to_be_visible(timeout=30_000)
    wait_ready(page)
    page.locator(f"{MAIN} [data-testid='stRadio']").get_by_text("table", exact=True).click()
    expect(page).to_have_url(re.compile(r"an_tsource=table"), timeout=30_000)

    expect(page.get_by_role("heading", name="Most anomalous test rows")).to_be_visible(timeout=90_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(CHARTS)).to_have_count(3)  # histogram, ROC, column shares
    for label in ("AUROC, autoencoder", "AUROC, PCA-8", "AUROC, isolation forest"):
        expect(metric(page, label)).to_have_text(re.compile(r"^0\.\d{3}$"))
    assert float(metric(page, "AUROC, autoencoder").inner_text()) > 0.85
    expect(page.locator(CHARTS).nth(0)).to_contain_text("anomalous (212)")
    expect(page.locator(CHARTS).nth(1)).to_contain_text("isolation forest (AUROC")
    expect(page.locator(CHARTS).nth(2)).to_contain_text("% of the error")
    expect(page.locator(CHARTS).nth(2)).to_contain_text("malignant")  # the top rows, named with their class
    expect(page.locator(f"{MAIN} [data-testid='stDataFrame']")).to_be_visible()
    expect(page.locator(".st-key-concept_anomaly .katex").first).to_be_visible()

    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)
    screenshot(page, "anomaly_table")


def test_a_bad_csv_says_what_to_fix_and_a_good_one_is_scored(streamlit_app, page, tmp_path) -> None:
    page.goto(streamlit_app)  # "/" first: the server has run the router (docs/streamlit-notes.md)
    wait_ready(page)
    page.goto(f"{streamlit_app}/anomaly?an_tsource=table&an_ttable=upload")
    expect(page.get_by_text("Upload a CSV to find its unusual rows")).to_be_visible(timeout=60_000)
    wait_ready(page)
    uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']")

    rng = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},{c:.3f},{'normal' if i < 50 else 'fault'}"
            for i, (a, b, c) in enumerate(rng.normal(size=(60, 3)) + (np.arange(60) >= 50)[:, None] * 4)]
    bad = rows.copy()
    bad[3] = "1.0,oops,2.0,normal"
    (tmp_path / "bad.csv").write_text("\n".join(["temp,pressure,speed,label", *bad]))
    upload(page, uploader, tmp_path / "bad.csv")
    expect(page.get_by_text("bad.csv cannot be used")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("column 'pressure' has the text 'oops' in row 5")).to_be_visible()
    wait_ready(page)
    assert_no_exception(page)

    (tmp_path / "one_row.csv").write_text("temp,pressure\n1.0,2.0\n")
    upload(page, uploader, tmp_path / "one_row.csv")
    expect(page.get_by_text("has 1 row; at least 20 are needed")).to_be_visible(timeout=30_000)
    assert_no_exception(page)

    (tmp_path / "unlabelled.csv").write_text("\n".join(["temp,pressure,speed", *[r.rsplit(",", 1)[0] for r in rows]]))
    upload(page, uploader, tmp_path / "unlabelled.csv")
    expect(page.get_by_text("has no label column, so the flagged rows cannot be checked")).to_be_visible(timeout=90_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(CHARTS)).to_have_count(2)  # the histogram and the column shares: no ROC without labels
    expect(metric(page, "AUROC, autoencoder")).to_have_count(0)

    (tmp_path / "good.csv").write_text("\n".join(["temp,pressure,speed,label", *rows]))
    upload(page, uploader, tmp_path / "good.csv")
    # The unlabelled table's rows are still shown while this one trains: wait for what only labels give.
    expect(metric(page, "AUROC, isolation forest")).to_be_visible(timeout=90_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(CHARTS)).to_have_count(3)
    expect(page.locator(CHARTS).nth(2)).to_contain_text("fault")
