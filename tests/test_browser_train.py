"""The Train page in a real browser: train the digits recipe, leave the page meanwhile and find the
form as it was left, see the result."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

MAIN = "[data-testid='stMain']"
SIDEBAR_NAV = "[data-testid='stSidebarNav']"
TRAINING_TIMEOUT_MS = 180_000  # the CPU is shared: allow for a slow run


def nav_link(page, title: str):
    return page.locator(f"{SIDEBAR_NAV} a", has_text=title)


def test_train_in_the_background_and_become_the_active_model(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    nav_link(page, "Train").click()
    expect(page).to_have_url(f"{streamlit_app}/train", timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible()

    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    expect(epochs).to_have_value("100")  # the digits recipe, a few seconds on one core
    epochs.fill("60")
    epochs.press("Enter")
    wait_ready(page)
    page.locator(f"{MAIN} button", has_text="Train").click()
    expect(page.locator(f"{MAIN} [data-testid='stProgress']")).to_be_visible(timeout=30_000)
    assert_no_exception(page)

    # Another page while it trains: the run lives in a worker process, not in this page's script run.
    nav_link(page, "Home").click()
    expect(page.get_by_role("heading", name="Autoencoder Explorer")).to_be_visible(timeout=30_000)
    nav_link(page, "Train").click()
    expect(epochs).to_have_value("60", timeout=30_000)  # the form comes back as it was left

    success = page.locator(f"{MAIN} [data-testid='stAlertContentSuccess']")
    expect(success).to_contain_text("trained: ae mlp 8-D #1", timeout=TRAINING_TIMEOUT_MS)
    expect(success).to_contain_text("is now the active model")
    # The sidebar (drawn by the router before the page) was rerun to show the new active model.
    expect(page.locator("[data-testid='stSidebar']")).to_contain_text("trained: ae mlp 8-D #1")
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(f"{MAIN} [data-testid='stDownloadButton']")).to_be_visible()
    expect(page.locator(f"{MAIN} [data-testid='stPlotlyChart']")).to_be_visible()
    expect(page.locator(f"{MAIN} [data-testid='stProgress']")).to_contain_text("Finished: 60 of 60 epochs")
    expect(page.locator(f"{MAIN} [data-testid='stTable']")).to_contain_text("PCA, 8 components")
    page.set_viewport_size({"width": 1400, "height": 1600})  # Streamlit scrolls inside its container
    screenshot(page, "train_done")
