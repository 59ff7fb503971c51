"""The Draw and see page in a real browser: a stroke drawn with the mouse on the canvas brings the
processed input, its reconstruction, the denoised image and the anomaly percentile, with the drawing
marked on the map; a second stroke changes them; Undo and Clear take strokes away; the pen is in the URL."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

RESULT = ".st-key-draw_result"
PERCENTILE = "Anomaly percentile"


def open_from_nav(page, base_url: str) -> None:
    # "/" first, then the sidebar link, as a visitor moves around the app.
    page.goto(base_url)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Draw and see").first.click()
    expect(page.locator("h1", has_text="Draw and see")).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)


def stroke(page, canvas, points) -> None:
    """Press the mouse at the first point (fractions of the canvas side), move through the others
    in small steps, and release: one pen stroke, as a student draws it."""
    box = canvas.bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def pictures(page) -> list[str]:
    return page.locator(f"{RESULT} [data-testid='stImage'] img").evaluate_all("(images) => images.map(i => i.src)")


def percentile(page):
    return page.locator(f"{RESULT} [data-testid='stMetric']").filter(has_text=PERCENTILE) \
        .locator("[data-testid='stMetricValue']")


def test_a_drawn_stroke_is_processed_rebuilt_scored_and_cleared(streamlit_app, page) -> None:
    open_from_nav(page, streamlit_app)
    result = page.locator(RESULT)
    expect(result.get_by_text("The canvas is empty")).to_be_visible()
    canvas = page.locator("canvas.sketch-canvas")
    expect(canvas).to_be_visible()

    # A "7": the bar, then the slanted stem, in one stroke.
    stroke(page, canvas, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    expect(percentile(page)).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    first = pictures(page)
    assert len(first) == 4, first  # processed input, reconstruction, denoised, nearest test images
    for caption in ("your drawing, as the model sees it", "rebuilt by", "denoised by"):
        expect(result.get_by_text(caption)).to_be_visible()
    value = percentile(page).inner_text()
    assert 0 <= float(value) <= 100
    expect(page.locator("[data-testid='stPlotlyChart']")).to_contain_text("your drawing")

    # A second stroke (a cross bar) changes the input, its rebuild and the numbers.
    stroke(page, canvas, [(0.35, 0.5), (0.7, 0.5)])
    expect(result.locator("[data-testid='stImage'] img").first).not_to_have_attribute("src", first[0], timeout=30_000)
    wait_ready(page)
    second = pictures(page)
    assert second[0] != first[0] and second[1] != first[1]
    screenshot(page, "draw_two_strokes")

    # Undo takes the cross bar back off: the first picture returns.
    page.get_by_role("button", name="Undo").click()
    expect(result.locator("[data-testid='stImage'] img").first).to_have_attribute("src", first[0], timeout=30_000)
    expect(percentile(page)).to_have_text(value)

    page.get_by_role("button", name="Clear").click()
    expect(result.get_by_text("The canvas is empty")).to_be_visible(timeout=30_000)
    expect(result.locator("[data-testid='stImage']")).to_have_count(0)
    expect(percentile(page)).to_have_count(0)
    wait_ready(page)
    assert_no_exception(page)

    # The pen is a link parameter: a thick pen shows in the URL.
    page.locator("[data-testid='stSlider']").filter(has_text="Pen").get_by_role("slider").press("ArrowRight")
    expect(page).to_have_url(re.compile(r"[?&]dw_pen=thick"), timeout=30_000)
