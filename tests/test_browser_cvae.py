"""The conditional VAE on the Sample & traverse page in a real browser: a click on a class draws its
samples and writes the class into the URL, and the test image's row of ten follows the image; on a
fake downloaded MNIST (random images written here) a link opens the MNIST model's samples of its class."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, streamlit_server, wait_ready
from fake_mirror import write_unpacked_mnist

pytestmark = pytest.mark.browser

CHART = "[data-testid='stPlotlyChart']"


def class_button(page, name: str):
    return page.locator("[data-testid='stButtonGroup'] button").filter(has_text=re.compile(rf"^\s*{name}\s*$"))


def title(page, start: str):
    return page.locator(f"{CHART} .gtitle", has_text=start)


def test_a_click_on_a_class_draws_its_samples_and_the_row_follows_the_image(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Sample & traverse").first.click()
    expect(title(page, "asked for 0")).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    class_button(page, "7").click()
    expect(title(page, "asked for 7")).to_be_visible(timeout=30_000)
    expect(class_button(page, "7")).to_have_attribute("aria-checked", "true")
    wait_ready(page)
    assert_no_exception(page)
    expect(page).to_have_url(re.compile(r"[?&]sm_class=7"))
    # The share shows once the server's job has trained the judge; the page reruns then.
    expect(page.locator("[data-testid='stMetric']", has_text="Named 7")).to_contain_text("%", timeout=60_000)
    row = title(page, "test image #0")
    expect(row).to_be_visible()
    row.scroll_into_view_if_needed()
    screenshot(page, "sample_cvae")
    image = page.get_by_role("spinbutton", name="Test image (index)")
    image.fill("3")
    image.press("Enter")
    expect(title(page, "test image #3")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)


def test_on_a_downloaded_mnist_a_link_opens_the_mnist_models_class(tmp_path, page) -> None:
    write_unpacked_mnist(tmp_path / "data", seed=9)
    env = {"AECORE_DATA": str(tmp_path / "data"), "AECORE_ZOO_CACHE": str(tmp_path / "cache")}
    with streamlit_server("cvae_browser", env) as base_url:
        page.goto(base_url)  # a page URL as a server's first visit runs without the router
        wait_ready(page, timeout_ms=120_000)
        page.goto(base_url + "/sample?dataset=mnist&sm_class=5")
        expect(title(page, "asked for 5")).to_be_visible(timeout=120_000)
        wait_ready(page, timeout_ms=120_000)
        assert_no_exception(page)
        expect(page.locator("[data-testid='stMarkdownContainer']", has_text="one-hot")).to_contain_text("mnist-cvae")
        expect(class_button(page, "5")).to_have_attribute("aria-checked", "true")
