"""The Compression page in a real browser: reached from the sidebar, it draws both curves and the
image grid, and the code-width control reruns it with the other ratios."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

CURVES = "[data-testid='stPlotlyChart'] >> nth=0"


def test_compression_page_renders_and_follows_the_code_width(streamlit_app, page) -> None:
    page.goto(streamlit_app)  # the router first (see test_browser_denoise.py)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Compression", exact=True).click()
    page.wait_for_url("**/compression")
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator("h1").filter(has_text="Compression")).to_be_visible()

    chart = page.locator(CURVES)
    expect(chart.locator("g.trace.scatter")).to_have_count(2)  # the autoencoder and PCA
    expect(chart.locator(".legendtext")).to_have_text(["autoencoder (ae)", "PCA"])
    expect(chart.locator(".xtick").first).to_contain_text("32:1")
    expect(page.locator("[data-testid='stPlotlyChart'] g.imagelayer image")).to_have_count(1)

    page.set_viewport_size({"width": 1400, "height": 1900})
    page.wait_for_timeout(500)  # plotly redraws at the new width
    screenshot(page, "compression")
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.get_by_role("radio", name="16-bit numbers").check(force=True)
    expect(chart.locator(".xtick").first).to_contain_text("16:1", timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(chart.locator("g.trace.scatter")).to_have_count(2)


def test_recomputing_shows_a_progress_bar_then_the_new_sweep(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Compression", exact=True).click()
    page.wait_for_url("**/compression")
    wait_ready(page)
    form = page.locator("[data-testid='stForm']")
    # The five default sizes at 10 epochs: seconds, long enough for the fragment to draw the bar.
    epochs = form.get_by_label("Epochs per size")
    epochs.fill("10")
    epochs.press("Tab")
    form.get_by_role("button", name="Run the sweep").click()
    expect(page.locator("[data-testid='stProgress']")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("recomputed in this session")).to_be_visible(timeout=120_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator("[data-testid='stProgress']")).to_have_count(0)
    expect(page.get_by_text("digits: ae mlp, 10 epochs per size")).to_be_visible()
    expect(page.locator(CURVES).locator("g.trace.scatter")).to_have_count(2)
