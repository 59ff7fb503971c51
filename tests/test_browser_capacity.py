"""The Capacity page in a real browser: a shared link opens its controls as set, Train runs the
overfitting experiment in the job queue and draws the curves with the live gap, a control writes
itself into the URL, and the same link in a fresh browser opens on the kept result at once."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

LINK = "/capacity?cap_images=1437&cap_updates=600&cap_code=16"
GAP = "Gap at the last epoch"


def metric(page, label: str):
    return page.locator("[data-testid='stMetric']", has_text=label).locator("[data-testid='stMetricValue']")


def open_link(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(base_url + LINK)
    expect(page.get_by_role("heading", name="Capacity: overfitting & overcomplete")).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    return context, page


def test_a_link_opens_the_view_and_train_draws_the_live_gap(streamlit_app, browser) -> None:
    context, page = open_link(browser, streamlit_app)
    try:
        expect(page.get_by_role("slider", name="Training images")).to_have_attribute("aria-valuetext", "1437")
        expect(page.get_by_role("slider", name="Weight updates")).to_have_attribute("aria-valuetext", "600")
        expect(page.locator(".st-key-concept_overfitting .katex").first).to_be_visible()
        page.get_by_role("button", name="Train", exact=True).click()
        expect(metric(page, GAP)).to_have_text(re.compile(r"\d+\.\d\d nats"), timeout=300_000)
        wait_ready(page)
        assert_no_exception(page)
        expect(page.locator("[data-testid='stPlotlyChart']", has_text="Loss per epoch")).to_be_visible()
        gap = metric(page, GAP).inner_text()
        screenshot(page, "capacity")

        thumb = page.get_by_role("slider", name="Training images")
        thumb.focus()
        thumb.press("ArrowLeft")  # 1437 -> 1000: a setting not run yet
        expect(page).to_have_url(re.compile(r"cap_images=1000"), timeout=30_000)
        expect(metric(page, GAP)).to_have_count(0, timeout=30_000)
        wait_ready(page)
        assert_no_exception(page)
    finally:
        context.close()

    # The teacher's link in a fresh browser: the same view, the server's kept result, no training.
    context, page = open_link(browser, streamlit_app)
    try:
        expect(page.get_by_role("slider", name="Training images")).to_have_attribute("aria-valuetext", "1437")
        expect(metric(page, GAP)).to_have_text(gap, timeout=30_000)
    finally:
        context.close()


def test_the_overcomplete_models_train_from_one_button(streamlit_app, browser) -> None:
    context, page = open_link(browser, streamlit_app)
    try:
        expect(page.get_by_role("slider", name="Code width k (the image has 64 pixels)")).to_have_attribute(
            "aria-valuetext", "16")
        page.get_by_role("button", name="Train the three models").click()
        expect(metric(page, "plain AE: MSE digits → noise")).to_have_text(re.compile(r"0\.\d{4} → 0\.\d{4}"),
                                                                            timeout=300_000)
        wait_ready(page)
        assert_no_exception(page)
        expect(page.locator(".st-key-concept_overcomplete [data-testid='stMetric']")).to_have_count(3)
        expect(page.locator("[data-testid='stPlotlyChart']", has_text="What each 16-D model rebuilds")).to_be_visible()
    finally:
        context.close()
