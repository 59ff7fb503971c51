"""The Feature extraction page in a real browser: reached from the sidebar, it draws its table and
chart without an error, its classifier and label-count controls redraw them and the concept's live
numbers, and a link with its settings, opened in a fresh browser context, restores the view."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"
CONCEPT = ".st-key-concept_features"


def live_codes(page):
    """The concept's live accuracy of the codes (a locator of its value)."""
    return (page.locator(f"{CONCEPT} [data-testid='stMetric']").filter(has_text="Codes z = f(x)")
            .locator("[data-testid='stMetricValue']"))


def test_features_page_renders_and_follows_its_classifier(streamlit_app, page) -> None:
    page.goto(streamlit_app)  # "/" first, then the sidebar link
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Feature extraction").click()
    # the sidebar may add its own settings (?dataset=...) to the address
    expect(page).to_have_url(re.compile(re.escape(f"{streamlit_app}/features") + r"(\?|$)"), timeout=30_000)
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

    expect(page.locator(CONCEPT).locator(".katex").first).to_be_visible()  # the formula beside the numbers
    logistic = live_codes(page).inner_text()
    main.get_by_test_id("stRadioGroup").get_by_text("knn", exact=True).click()
    expect(page.locator(f"{CHART} .scatterlayer .trace")).to_have_count(3, timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(f"{CHART} .legendtext").first).to_contain_text("k-nearest neighbours")
    expect(live_codes(page)).not_to_have_text(logistic)
    expect(page).to_have_url(re.compile(r"ft_classifier=knn"))


def test_a_link_opened_in_a_fresh_browser_restores_the_view(streamlit_app, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{streamlit_app}/features?ft_classifier=knn&ft_labels=all")
        expect(page.locator(CHART)).to_have_count(1, timeout=60_000)
        wait_ready(page)
        assert_no_exception(page)
        expect(page.locator(f"{CHART} .scatterlayer .trace")).to_have_count(3)
        expect(page.get_by_role("radio", name=re.compile("^knn"))).to_be_checked()
        expect(page.get_by_role("slider", name=re.compile("Labels per class"))).to_have_attribute(
            "aria-valuetext", "all")
        expect(page.locator(CONCEPT)).to_contain_text("nearest labelled codes")
    finally:
        context.close()
