"""The Search by code page in a real browser: reached from the sidebar, it measures the test images in
the background and shows a test image's nearest images by every code with their precision@k; an
uploaded PNG and a stroke drawn on the canvas are queries too, and k is in the URL."""

import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

import aecore
from conftest import assert_no_exception, screenshot, upload, wait_ready

pytestmark = pytest.mark.browser

METRIC = "[data-testid='stMetric']"


def pictures(page) -> list[str]:
    return page.locator("[data-testid='stMain'] [data-testid='stImage'] img").evaluate_all(
        "(images) => images.map(i => i.src)")


def test_a_test_image_an_upload_and_a_drawing_find_their_neighbours(streamlit_app, page, tmp_path) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Search by code").first.click()
    expect(page).to_have_url(re.compile(re.escape(f"{streamlit_app}/search") + r"(\?|$)"), timeout=30_000)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Search by code")).to_be_visible()
    # The first visit measures the test images in the server's queue; the page shows them by itself.
    expect(main.locator(METRIC).filter(has_text="precision@10, test set").first).to_be_visible(timeout=120_000)
    wait_ready(page)
    assert_no_exception(page)
    codes = main.locator(METRIC).filter(has_text="precision@10, test set").count()
    assert codes >= 3
    expect(main.get_by_text(re.compile(r"This query: \d+ of 10 share its label"))).to_have_count(codes)
    screenshot(page, "search")
    first = pictures(page)

    # k lives in the URL; the numbers follow it.
    slider = main.locator("[data-testid='stSlider']").filter(has_text="k nearest").get_by_role("slider")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"sr_k=15"), timeout=30_000)
    expect(main.locator(METRIC).filter(has_text="precision@15, test set")).to_have_count(codes, timeout=30_000)

    # An uploaded picture of a test image is a query without a label.
    image = aecore.load_split("digits")[1].images[3, 0].numpy()
    path = tmp_path / "digit.png"
    Image.fromarray((image * 255).round().astype(np.uint8)).resize((64, 64), Image.NEAREST).save(path)
    main.get_by_test_id("stRadioGroup").get_by_text("your image", exact=True).click()
    wait_ready(page)
    upload(page, main.locator("[data-testid='stFileUploaderDropzoneInput']"), path)
    expect(main.get_by_text(re.compile(r"Most common label among them: \d"))).to_have_count(codes, timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    assert pictures(page)[0] != first[0]

    # A stroke on the canvas is a query as soon as the pen lifts.
    main.get_by_test_id("stRadioGroup").get_by_text("a drawing", exact=True).click()
    canvas = page.locator("canvas.sketch-canvas")
    expect(canvas).to_be_visible(timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.85 * box["height"], steps=15)
    page.mouse.up()
    expect(main.get_by_text(re.compile(r"Most common label among them: \d"))).to_have_count(codes, timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
