"""The Compression page in a real browser: reached from the sidebar it shows the three concepts with
their formulas; the page's one code-size slider moves the pictures, the figure's title and the
concept's numbers together; the bits control changes the error measured after quantization and the
URL; a link opened in a fresh browser restores the view; a recomputed sweep replaces the shipped one."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, settle, wait_ready

from aecore.studies import compression

pytestmark = pytest.mark.browser

CHARTS = "[data-testid='stPlotlyChart']"


def open_from_nav(page, base_url: str) -> None:
    page.goto(base_url)  # the router first (see test_browser_denoise.py)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Compression", exact=True).click()
    page.wait_for_url(re.compile(r"/compression(\?.*)?$"))  # the router adds ?dataset=...&model=...
    wait_ready(page)
    assert_no_exception(page)


def metric(page, label: str):
    """The value element of the st.metric whose label starts with `label`."""
    return page.locator("[data-testid='stMetric']", has_text=label).locator("[data-testid='stMetricValue']")


def picture(chart) -> str:
    return chart.locator("g.imagelayer image").first.get_attribute("href")


def test_concepts_the_live_k_slider_and_the_bits_control(streamlit_app, page) -> None:
    shipped = compression.load_sweep("digits")
    open_from_nav(page, streamlit_app)
    expect(page.locator("h1").filter(has_text="Compression")).to_be_visible()
    for key in ("bottleneck", "bottleneck_size", "compression"):
        concept = page.locator(f".st-key-concept_{key}")
        expect(concept).to_be_visible()
        expect(concept.locator(".katex").first).to_be_visible()  # the formula beside its numbers
    expect(metric(page, "AE MSE, k = 8")).to_have_text(f"{shipped['rows'][2]['ae_mse']:.4f}")
    expect(metric(page, "bits per image")).to_have_text("64")

    trade_off = page.locator(CHARTS).nth(0)
    expect(trade_off.locator(".gtitle")).to_contain_text("k = 8: AE MSE")
    ticks = page.locator(CHARTS).nth(2).locator(".xtick text")  # the MSE curve: plain code sizes
    expect(ticks).to_have_text(["2", "4", "8", "16", "32"])
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)  # plotly redraws at the new width
    screenshot(page, "compression")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # One control for k: End takes it to 32, and the pictures, the figure's title and the numbers
    # beside the formulas all follow (an in-figure slider once moved only the figure).
    before = picture(trade_off)
    k_thumb = page.get_by_role("slider", name="Code size k")
    k_thumb.focus()
    k_thumb.press("End")
    last = shipped["rows"][-1]
    expect(trade_off.locator(".gtitle")).to_contain_text(f"k = 32: AE MSE {last['ae_mse']:.4f} · PCA MSE "
                                                         f"{last['pca_mse']:.4f}", timeout=30_000)
    expect(metric(page, "AE MSE, k = 32")).to_have_text(f"{last['ae_mse']:.4f}")
    expect(metric(page, "PCA MSE, k = 32")).to_have_text(f"{last['pca_mse']:.4f}")
    settle(page, k_thumb, "aria-valuetext")
    assert picture(trade_off) != before and not trade_off.locator(".slider-container").count()
    assert_no_exception(page)

    # The bits control: Home takes it to 2 bits; the numbers after quantization follow, and the URL.
    thumb = page.get_by_role("slider", name="Bits per code number (b)")
    thumb.focus()
    thumb.press("Home")
    expect(metric(page, "bits per image")).to_have_text("64", timeout=30_000)  # k = 32 numbers of 2 bits
    settle(page, thumb, "aria-valuetext")
    assert_no_exception(page)
    at2 = compression.at_bits(shipped["rows"][-1], 2)
    expect(metric(page, "AE PSNR after 2-bit quantization")).to_have_text(f"{at2['ae_psnr']:.2f} dB")
    expect(page.locator(CHARTS).nth(1).locator(".gtitle")).to_contain_text("2 bits per number")
    assert "cp_bits=2" in page.url


def test_a_link_restores_the_view_in_a_fresh_browser(streamlit_app, browser) -> None:
    # Someone has opened the app on this server before (a link to a page is otherwise run without
    # the router, docs/streamlit-notes.md); the link itself then opens in a browser that has never seen it.
    warm = browser.new_context()
    warm.new_page().goto(streamlit_app)
    warm.close()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{streamlit_app}/compression?cp_k=16&cp_bits=4")
        wait_ready(page)
        assert_no_exception(page)
        shipped = compression.load_sweep("digits")
        expect(metric(page, "AE MSE, k = 16")).to_have_text(f"{shipped['rows'][3]['ae_mse']:.4f}")
        expect(metric(page, "bits per image")).to_have_text("64")
        expect(page.get_by_role("slider", name="Bits per code number (b)")).to_have_attribute("aria-valuetext", "4")
        expect(page.locator(CHARTS).nth(0).locator(".gtitle")).to_contain_text("k = 16")
        expect(page.locator(CHARTS).nth(1).locator(".gtitle")).to_contain_text("4 bits per number")
    finally:
        context.close()


def test_recomputing_shows_a_progress_bar_then_the_new_sweep(streamlit_app, page) -> None:
    open_from_nav(page, streamlit_app)
    form = page.locator("[data-testid='stForm']")
    # The five default sizes at 10 epochs: seconds, long enough for the fragment to draw the bar.
    epochs = form.get_by_label("Epochs per size")
    epochs.fill("10")
    epochs.press("Tab")
    # The bar may come and go between two polls of a fast machine: a watcher records that it was drawn.
    page.evaluate("""() => { window.__progressSeen = false;
        new MutationObserver(() => { if (document.querySelector("[data-testid='stProgress']")) window.__progressSeen = true; })
            .observe(document.body, {childList: true, subtree: true}); }""")
    form.get_by_role("button", name="Run the sweep").click()
    expect(page.get_by_text("recomputed in this session")).to_be_visible(timeout=240_000)
    assert page.evaluate("window.__progressSeen"), "no progress bar was drawn while the sweep ran"
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator("[data-testid='stProgress']")).to_have_count(0)
    expect(page.get_by_text("digits: ae mlp, 10 epochs per size")).to_be_visible()
    expect(page.locator(CHARTS).nth(2).locator("g.trace.scatter")).to_have_count(4)
