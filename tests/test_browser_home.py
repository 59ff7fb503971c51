"""The Home page in a real browser: it renders a gallery and the zoo's chart, and the controls redraw
the gallery."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

GALLERY = "[data-testid='stMain'] [data-testid='stImage'] img"


def gallery_src(page) -> str:
    image = page.locator(GALLERY).first
    expect(image).to_be_visible()
    loaded = "sel => { const i = document.querySelector(sel); return i?.complete && i.naturalWidth > 0 }"
    page.wait_for_function(loaded, arg=GALLERY)
    return image.get_attribute("src")


def test_gallery_renders_and_follows_the_controls(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    assert_no_exception(page)
    first_src = gallery_src(page)
    # The pretrained models against PCA, in Streamlit's own bar chart (Vega-Lite, drawn as SVG).
    zoo_chart = page.locator("[data-testid='stMain'] [data-testid='stVegaLiteChart'] svg")
    expect(zoo_chart).to_have_count(1, timeout=30_000)
    expect(zoo_chart.locator("text", has_text="denoising-16")).to_have_count(1)
    # Streamlit scrolls inside its own container, so a full-page shot is only as tall as the
    # viewport: make it tall enough.
    page.set_viewport_size({"width": 1400, "height": 1500})
    screenshot(page, "gallery")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # The images-per-class slider, moved with the keyboard: one step right reruns the page. In
    # Streamlit 1.67 the thumb is a visually hidden <input type="range">, whose implicit role is slider.
    thumb = page.get_by_role("slider", name="Images per class")
    thumb.focus()
    thumb.press("ArrowRight")
    expect(page.locator(GALLERY).first).not_to_have_attribute("src", first_src, timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    assert page.locator(GALLERY).first.get_attribute("alt").startswith("9 images per class")

    # The sidebar dataset selectbox (the model's is below it): pick "shapes", its class names appear.
    combobox = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(
        has_text="Dataset").locator("input")
    combobox.click()
    page.locator("[role='option']", has_text="shapes").click()
    main = page.locator("[data-testid='stMain']")  # the sidebar's model card says "dataset: shapes" too
    expect(main.get_by_text("Dataset: shapes")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    assert combobox.input_value() == "shapes"
    for name in ("square", "ellipse", "heart", "triangle"):
        expect(page.locator("[data-testid='stMain']").get_by_text(name).first).to_be_visible()
    gallery_src(page)
    screenshot(page, "home_shapes")
