"""The Feature extraction page in a real browser: reached from the sidebar, it draws its table and
chart without an error, and its classifier control redraws them."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"


def test_features_page_renders_and_follows_its_classifier(streamlit_app, page) -> None:
    page.goto(streamlit_app)  # "/" first, then the sidebar link
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Feature extraction").click()
    expect(page).to_have_url(f"{streamlit_app}/features", timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Feature extraction")).to_be_visible()
    expect(page.locator(CHART)).to_have_count(1, timeout=30_000)
    expect(page.locator(f"{CHART} .scatterlayer .trace")).to_have_count(6)
    expect(main.locator("[data-testid='stDataFrame']")).to_have_count(1)
    expect(main.locator("[data-testid='stDownloadButton']")).to_have_count(1)

    page.set_viewport_size({"width": 1400, "height": 1500})
    page.wait_for_timeout(500)  # plotly redraws at the new width
    screenshot(page, "features")
    page.set_viewport_size({"width": 1400, "height": 1000})

    main.get_by_test_id("stRadioGroup").get_by_text("k-nearest neighbours", exact=True).click()
    expect(page.locator(f"{CHART} .scatterlayer .trace")).to_have_count(3, timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(f"{CHART} .legendtext").first).to_contain_text("k-nearest neighbours")
