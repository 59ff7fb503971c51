"""The Latent map page in a real browser: the WebGL map renders, a click on empty space shows the
decoded image there, a box selects images, the map control reruns the page and a background t-SNE
swaps itself in. How fast the map opens is measured by bench/bench_browser.py, not here."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

CHART = "[data-testid='stPlotlyChart'] >> nth=0"


def test_map_renders_decodes_a_click_and_follows_the_method(streamlit_app, page) -> None:
    page.goto(streamlit_app)  # then the sidebar link, as a visitor moves around the app
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Latent map").click()
    chart = page.locator(CHART)
    expect(chart.locator("canvas").first).to_be_attached(timeout=30_000)
    expect(chart.locator(".scatterlayer, .gl-container").first).to_be_attached()
    wait_ready(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("stored with the model")).to_be_visible()

    # An empty spot: the top-left corner of the plot area lies in the margin around the data.
    plot = chart.locator("rect.nsewdrag").first.bounding_box()
    page.mouse.click(plot["x"] + 0.03 * plot["width"], plot["y"] + 0.03 * plot["height"])
    expect(main.get_by_text("Decoded at")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(main.locator("[data-testid='stImage'] img")).to_have_count(1)
    screenshot(page, "latent_map")

    # A box over the middle of the plot (the toolbar's box tool; a plain drag pans) selects test
    # images: originals, rebuilds and class counts.
    chart.hover()
    chart.locator(".modebar-btn[data-title='Box Select']").click()
    page.mouse.move(plot["x"] + 0.35 * plot["width"], plot["y"] + 0.35 * plot["height"])
    page.mouse.down()
    page.mouse.move(plot["x"] + 0.65 * plot["width"], plot["y"] + 0.65 * plot["height"], steps=10)
    page.mouse.up()
    expect(main.get_by_text("selected test images")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(main.locator("[data-testid='stImage'] img")).to_have_count(2)
    expect(main.get_by_text(" selected", exact=False).first).to_be_visible()

    # The map control: UMAP's stored map replaces PCA's.
    main.get_by_test_id("stRadioGroup").get_by_text("UMAP", exact=True).click()
    expect(main.get_by_text("UMAP (stored with the model)")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(chart.locator("canvas").first).to_be_attached()

    # t-SNE is not stored: it runs in the background while PCA shows, then swaps itself in.
    main.get_by_test_id("stRadioGroup").get_by_text("t-SNE", exact=True).click()
    expect(main.get_by_text("t-SNE", exact=False).last).to_be_visible(timeout=30_000)
    expect(main.locator("[data-testid='stCaptionContainer']", has_text="· t-SNE")).to_be_visible(timeout=120_000)
    expect(main.get_by_text("Computing t-SNE")).to_have_count(0)
    assert_no_exception(page)

    # Back again from another page: the stored map is drawn again.
    sidebar = page.locator("[data-testid='stSidebarNav']")
    sidebar.locator("a", has_text="Home").click()
    wait_ready(page)
    sidebar.locator("a", has_text="Latent map").click()
    expect(chart.locator("canvas").first).to_be_attached(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
