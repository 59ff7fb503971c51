"""The Inside a conv net page in a real browser: reached from the sidebar, the conv concept shows
its formula beside live numbers, the image chooser changes them (and the URL), and a link opened
in a fresh browser restores the chosen image."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

HEADING = "Inside a convolutional encoder"


def mean_activation(page):
    return page.locator(".st-key-concept_conv [data-testid='stMetric']").filter(
        has_text="Mean activation h_c per map").locator("[data-testid='stMetricValue']")


def test_the_image_chooser_changes_the_maps_and_the_url(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Inside a conv net").click()
    page.wait_for_url(re.compile(r"/conv(\?|$)"))
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    block = page.locator(".st-key-concept_conv")
    expect(block.locator(".katex").first).to_be_visible()
    expect(block.get_by_text("32 of 3×3")).to_be_visible()
    expect(page.get_by_text("shapes-ae-8", exact=False).first).to_be_visible()  # digits: says which model is shown
    expect(page.locator("[data-testid='stImage'] img")).to_have_count(3)
    before = mean_activation(page).inner_text()

    chooser = page.get_by_label("Test image (0 to 1999)", exact=True)
    chooser.fill("5")
    chooser.press("Enter")
    expect(page.get_by_text("Test image 5: ", exact=False)).to_be_visible(timeout=30_000)
    expect(mean_activation(page)).not_to_have_text(before)
    expect(page).to_have_url(re.compile(r"cv_image=5"))
    wait_ready(page)
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 1800})
    wait_ready(page)
    screenshot(page, "conv")


def test_a_link_in_a_fresh_browser_opens_on_the_same_image(streamlit_app, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{streamlit_app}/conv?cv_image=12")
        expect(page.get_by_role("heading", name=HEADING)).to_be_visible(timeout=60_000)
        wait_ready(page)
        assert_no_exception(page)
        expect(page.get_by_label("Test image (0 to 1999)", exact=True)).to_have_value("12")
        expect(page.get_by_text("Test image 12: ", exact=False)).to_be_visible()
    finally:
        context.close()
