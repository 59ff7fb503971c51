"""The Anomaly detection page in a real browser: reached through the sidebar, it trains a one-class
model, draws its charts, and the threshold slider reruns it with new confusion counts."""

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, settle, upload, wait_ready

pytestmark = pytest.mark.browser

CHARTS = "[data-testid='stMain'] [data-testid='stPlotlyChart'] .js-plotly-plot"


def metric_value(page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label)
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_anomaly_page_trains_draws_and_follows_the_threshold(streamlit_app, page, tmp_path) -> None:
    # "/" first, then the sidebar link, as a visitor moves around the app.
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Anomaly detection").click()
    expect(page.get_by_role("heading", name="Anomaly detection")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.get_by_text("the time left shows once the first epoch has run")).to_be_visible()

    page.get_by_role("button", name="Train").click()
    expect(page.locator(CHARTS)).to_have_count(2, timeout=90_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(CHARTS).nth(1)).to_contain_text("PCA, k=8")
    expect(page.get_by_role("heading", name="Most anomalous test images")).to_be_visible()

    page.set_viewport_size({"width": 1400, "height": 2200})
    page.wait_for_timeout(500)
    screenshot(page, "anomaly")
    page.set_viewport_size({"width": 1400, "height": 1000})

    before = metric_value(page, "False alarms"), metric_value(page, "Anomalies caught")
    thumb = page.get_by_role("slider", name="Threshold on the score")
    thumb.focus()
    for _ in range(30):  # down: more images flagged
        thumb.press("ArrowLeft")
    expect(page.locator("[data-testid='stMetric']").filter(has_text="False alarms")
           .locator("[data-testid='stMetricValue']")).not_to_have_text(before[0], timeout=30_000)
    settle(page, thumb)
    assert_no_exception(page)
    assert int(metric_value(page, "False alarms")) > int(before[0])
    assert int(metric_value(page, "Anomalies caught")) >= int(before[1])

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
