"""The Inside the code page in a real browser: reached from the sidebar, its charts render and the
threshold slider reruns it with new numbers."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

METRIC = "[data-testid='stMetricValue']"


def test_page_renders_from_the_sidebar_and_follows_its_slider(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Inside the code").click()
    page.wait_for_url("**/regularizers")
    expect(page.get_by_role("heading", name="Inside the code: what each regularizer does")).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    charts = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(charts).to_have_count(6, timeout=60_000)  # 2 sparsity, 2 contraction, KL, loss curves
    expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible()
    assert page.locator(".katex").count() >= 4
    first = page.locator(METRIC).first.inner_text()

    page.set_viewport_size({"width": 1400, "height": 2600})
    page.wait_for_timeout(500)
    screenshot(page, "regularizers")
    page.set_viewport_size({"width": 1400, "height": 1000})

    thumb = page.get_by_role("slider", name="Active threshold (share of a unit's largest |z|)")
    thumb.focus()
    for _ in range(10):
        thumb.press("ArrowRight")
    expect(page.locator(METRIC).first).not_to_have_text(first, timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(charts).to_have_count(6)
