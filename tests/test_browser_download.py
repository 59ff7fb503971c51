"""Downloading a dataset in a real browser, from a mirror on 127.0.0.1 (never the internet): choose
MNIST in the sidebar, press Download, see the progress bar, then MNIST loaded on Home; a restarted
server reopens on it. The servers get the mirror, a temporary data folder and a settings file that
remembers nothing through their environment."""

import threading

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, streamlit_server, wait_ready
from fake_mirror import TEST, TRAIN, Mirror, mirror_folder

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"
MAIN = "[data-testid='stMain']"
JOB_TIMEOUT_MS = 120_000  # the server starts a worker process for the first job: seconds on a busy CPU


def dataset_picker(page):
    return page.locator(f"{SIDEBAR} [data-testid='stSelectbox']").filter(has_text="Dataset").locator("input")


def test_download_mnist_from_the_sidebar_then_a_restart_reopens_on_it(tmp_path, page, browser) -> None:
    served = mirror_folder(tmp_path / "mirror")
    gate = threading.Event()  # the mirror holds every file after its first chunk until the test sets it
    with Mirror(served, gate=gate) as mirror:
        env = {"AECORE_DATA": str(tmp_path / "data"), "AECORE_DATA_MIRROR": mirror.url,
               "AECORE_APP_SETTINGS": str(tmp_path / "app.json"), "AECORE_WORKERS": "1"}
        with streamlit_server("download_server", env=env) as base_url:
            page.goto(base_url)
            wait_ready(page)
            expect(dataset_picker(page)).to_have_value("digits")
            dataset_picker(page).click()
            page.locator("[role='option']", has_text="mnist (download, 11 MB)").first.click()
            sidebar = page.locator(SIDEBAR)
            expect(sidebar).to_contain_text("MNIST: handwritten digits", timeout=30_000)
            expect(sidebar).to_contain_text("The official release has 60,000")
            expect(sidebar).to_contain_text(str(tmp_path / "data" / "MNIST" / "raw"))
            expect(page.locator(MAIN).get_by_text("Dataset: digits")).to_be_visible()  # nothing changes yet
            wait_ready(page)
            sidebar.get_by_role("button", name="Download", exact=True).click()

            progress = sidebar.locator("[data-testid='stProgress']")
            expect(progress).to_contain_text("Downloading mnist", timeout=JOB_TIMEOUT_MS)
            assert_no_exception(page)
            screenshot(page, "download_progress")
            gate.set()

            expect(page.locator(MAIN).get_by_text("Dataset: mnist")).to_be_visible(timeout=JOB_TIMEOUT_MS)
            wait_ready(page)
            assert_no_exception(page)
            expect(dataset_picker(page)).to_have_value("mnist")
            expect(progress).to_have_count(0)
            expect(page.locator(f"{MAIN} [data-testid='stMetricValue']").first).to_have_text(f"{TRAIN + TEST:,}")  # training and official test images
            screenshot(page, "download_done")

        with streamlit_server("download_server_restarted", env=env) as base_url:
            other = browser.new_context(viewport={"width": 1400, "height": 1000})
            try:
                fresh = other.new_page()
                fresh.goto(base_url)
                wait_ready(fresh)
                assert_no_exception(fresh)
                expect(dataset_picker(fresh)).to_have_value("mnist")
                expect(fresh.locator(MAIN).get_by_text("Dataset: mnist")).to_be_visible()
            finally:
                other.close()
