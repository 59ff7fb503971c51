"""The Anomaly detection page in a real browser: reached through the sidebar, it opens on a class
where the two methods differ, trains a one-class model, compares it with PCA fit on the same images
(the normal class; every class for the active model), its concept's numbers follow the threshold,
and a link with its settings, opened in a fresh browser context, restores the view."""

import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

import aecore
from aecore import anomaly
from aecore.data.splits import SPLIT_SEED, TEST_FRACTION
from conftest import assert_no_exception, screenshot, settle, upload, wait_ready

pytestmark = pytest.mark.browser

CHARTS = "[data-testid='stMain'] [data-testid='stPlotlyChart'] .js-plotly-plot"
CONCEPT = ".st-key-concept_anomaly"


def metric(page, label: str):
    return page.locator("[data-testid='stMetric']").filter(has_text=label).locator("[data-testid='stMetricValue']")


def metric_value(page, label: str) -> str:
    return metric(page, label).inner_text()


def pca_auroc(normal: tuple[int, ...], fit_on_every_class: bool) -> str:
    """aecore's PCA-8 detector of the digits test split, fit on the stated images, as the page writes it."""
    digits = aecore.load_dataset("digits")
    normal_train, test, is_anomaly = anomaly.one_class_split(digits, normal, TEST_FRACTION, SPLIT_SEED)
    fit_on = digits.split(TEST_FRACTION, seed=SPLIT_SEED)[0] if fit_on_every_class else normal_train
    return f"{anomaly.roc(anomaly.pca_scores(fit_on, test, 8), is_anomaly)['auroc']:.3f}"


def test_anomaly_page_trains_compares_fairly_and_follows_the_threshold(streamlit_app, page, tmp_path) -> None:
    # "/" first, then the sidebar link, as a visitor moves around the app.
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Anomaly detection").click()
    expect(page.get_by_role("heading", name="Anomaly detection")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.get_by_text("the time left shows once the first epoch has run")).to_be_visible()
    expect(page.locator("[data-testid='stMultiSelect']")).to_contain_text("8")  # the opening class

    page.get_by_role("button", name="Train").click()
    expect(page.locator(CHARTS)).to_have_count(2, timeout=90_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(CHARTS).nth(1)).to_contain_text("PCA, k=8")
    expect(page.get_by_role("heading", name="Most anomalous test images")).to_be_visible()
    concept = page.locator(CONCEPT)
    expect(concept.locator(".katex").first).to_be_visible()  # the formula beside the live numbers
    expect(metric(page, "AUROC, PCA-8")).to_have_text(pca_auroc((8,), fit_on_every_class=False))
    assert metric_value(page, "AUROC, autoencoder") != metric_value(page, "AUROC, PCA-8")

    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)
    screenshot(page, "anomaly")
    page.set_viewport_size({"width": 1400, "height": 1000})

    before = metric_value(page, "False alarms"), metric_value(page, "Anomalies caught"), metric_value(page, "Flagged")
    thumb = page.get_by_role("slider", name=re.compile("Threshold"))
    thumb.focus()
    for _ in range(20):  # down: more images flagged
        thumb.press("ArrowLeft")
    expect(metric(page, "False alarms")).not_to_have_text(before[0], timeout=30_000)
    settle(page, thumb, "value")
    assert_no_exception(page)
    assert int(metric_value(page, "False alarms")) > int(before[0])
    assert int(metric_value(page, "Anomalies caught")) >= int(before[1])
    assert float(metric_value(page, "Flagged").rstrip("%")) > float(before[2].rstrip("%"))
    expect(page).to_have_url(re.compile(r"an_threshold="))

    # The active model, trained on every class, is compared with PCA fit on every class.
    page.locator("[data-testid='stMain'] [data-testid='stRadio']").get_by_text("active", exact=True).click()
    expect(metric(page, "AUROC, PCA-8")).to_have_text(pca_auroc((8,), fit_on_every_class=True), timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page).to_have_url(re.compile(r"an_mode=active"))
    expect(page.get_by_text("PCA is enough")).to_have_count(0)

    # An upload is scored against the threshold: a drawn ring (a light "0" on black) and a bad file.
    drawing = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(drawing).ellipse((20, 8, 60, 72), outline=255, width=10)
    drawing.save(tmp_path / "zero.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    page.get_by_text("Score your own image").click()
    uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    upload(page, uploader, tmp_path / "zero.png")
    expect(page.get_by_text("against the threshold")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    upload(page, uploader, tmp_path / "bad.png")
    expect(page.get_by_text("is not a readable image")).to_be_visible(timeout=30_000)
    assert_no_exception(page)


def test_a_link_opened_in_a_fresh_browser_restores_the_view(streamlit_app, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{streamlit_app}/anomaly?an_normal=3&an_normal=5&an_mode=active&an_threshold=90")
        expect(page.get_by_role("heading", name="Anomaly detection")).to_be_visible(timeout=60_000)
        expect(page.locator(CHARTS)).to_have_count(2, timeout=90_000)
        wait_ready(page)
        assert_no_exception(page)
        chips = page.locator("[data-testid='stMultiSelect']")
        expect(chips).to_contain_text("3")
        expect(chips).to_contain_text("5")
        expect(chips).not_to_contain_text("8")
        expect(page.get_by_role("radio", name=re.compile("^active"))).to_be_checked()
        expect(page.get_by_role("slider", name=re.compile("Threshold"))).to_have_value("90")
        expect(metric(page, "AUROC, PCA-8")).to_have_text(pca_auroc((3, 5), fit_on_every_class=True))
    finally:
        context.close()
