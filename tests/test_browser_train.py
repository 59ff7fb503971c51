"""The Train page in a real browser: train the digits recipe, leave the page meanwhile and find the
form as it was left, see the result with the formula of its loss beside the terms' values; a link
restores the form in a fresh browser; a stopped run says where it stopped and is not used unasked."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

MAIN = "[data-testid='stMain']"
SIDEBAR_NAV = "[data-testid='stSidebarNav']"
TRAINING_TIMEOUT_MS = 180_000  # the CPU is shared: allow for a slow run


def nav_link(page, title: str):
    return page.locator(f"{SIDEBAR_NAV} a", has_text=title)


def field(page, name: str):
    return page.locator(MAIN).get_by_label(name, exact=True)


def selectbox_value(page, name: str) -> str:
    return page.locator(MAIN).locator("[data-testid='stSelectbox']").filter(
        has=page.get_by_text(name, exact=True)).locator("input").input_value()


def open_train(page, base_url: str, query: str = "") -> None:
    page.goto(f"{base_url}/train{query}")
    wait_ready(page)
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)


def test_train_in_the_background_and_become_the_active_model(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    nav_link(page, "Train").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(streamlit_app)}/train(\?|$)"), timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible()
    # The sidebar's dataset is the one trained on: no second picker, a caption says which.
    expect(page.locator(f"{MAIN} [data-testid='stSelectbox']").filter(has_text="Dataset")).to_have_count(0)
    expect(page.locator(MAIN)).to_contain_text("Trains on digits, the dataset chosen in the sidebar")
    # A plain autoencoder on the MLP: no channels, no warm-up; its loss's formula, before any run.
    expect(field(page, "Hidden")).to_have_count(1)  # under the folded "Network and likelihood"
    expect(field(page, "Channels")).to_have_count(0)
    expect(field(page, "Regularizer warm-up (epochs)")).to_have_count(0)
    expect(page.locator(".st-key-concept_bottleneck .katex").first).to_be_visible()

    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    expect(epochs).to_have_value("100")  # the digits recipe, a few seconds on one core
    epochs.fill("60")
    epochs.press("Enter")
    wait_ready(page)
    expect(page).to_have_url(re.compile(r"[?&]tr_epochs=60\b"))  # the link holds the form
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
    # The formula once, beside the run's last value of its term.
    concept = page.locator(".st-key-concept_bottleneck")
    expect(concept).to_have_count(1)
    recon = concept.locator("[data-testid='stMetric']").filter(has_text="recon: ℒ_rec")
    expect(recon.locator("[data-testid='stMetricValue']")).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    page.set_viewport_size({"width": 1400, "height": 1600})  # Streamlit scrolls inside its container
    screenshot(page, "train_done")


def test_a_link_restores_the_form_in_a_fresh_browser(streamlit_app, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        open_train(page, streamlit_app, "?tr_kind=vae&tr_arch=conv&tr_epochs=7&tr_vae_beta=2&tr_warmup=3")
        assert selectbox_value(page, "Model kind") == "vae"
        assert selectbox_value(page, "Architecture") == "conv"
        expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("7")
        expect(page.get_by_role("spinbutton", name="Beta", exact=True)).to_have_value("2")
        expect(page.get_by_role("spinbutton", name="Regularizer warm-up (epochs)", exact=True)).to_have_value("3")
        expect(page.locator(".st-key-concept_vae .katex").first).to_be_visible()
        # The conv net has channels and no MLP widths (under Network and likelihood).
        page.locator(f"{MAIN} [data-testid='stExpander'] summary", has_text="Network and likelihood").click()
        expect(field(page, "Channels")).to_be_visible()
        expect(field(page, "Hidden")).to_have_count(0)
        # Help in plain words: a sentence per option.
        page.locator(f"{MAIN} [data-testid='stWidgetLabel']", has_text="Beta").locator(
            "[data-testid='stTooltipHoverTarget']").hover()
        expect(page.get_by_text("How much the KL term counts against the reconstruction error")).to_be_visible()
        screenshot(page, "train_link")
    finally:
        context.close()


def test_presenter_mode_folds_the_training_details_away(streamlit_app, page) -> None:
    open_train(page, streamlit_app, "?present=true")
    expander = page.locator(f"{MAIN} [data-testid='stExpander']", has_text="Network, batch size, learning rate")
    expect(expander).to_have_count(1)
    expect(page.get_by_role("spinbutton", name="Batch size", exact=True)).not_to_be_visible()
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_be_visible()
    expander.locator("summary").click()
    expect(page.get_by_role("spinbutton", name="Batch size", exact=True)).to_be_visible()


def test_a_stopped_run_says_where_it_stopped_and_is_not_used_unasked(streamlit_app, page) -> None:
    open_train(page, streamlit_app, "?tr_kind=vae&tr_epochs=5000")
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("5000")
    page.locator(f"{MAIN} button", has_text="Train").click()
    # While it runs: each term of the VAE's loss beside its formula, from the latest batch.
    concept = page.locator(".st-key-concept_vae")
    kl = concept.locator("[data-testid='stMetric']").filter(has_text="kl: KL").locator("[data-testid='stMetricValue']")
    expect(kl).to_have_text(re.compile(r"^\d"), timeout=TRAINING_TIMEOUT_MS)
    expect(page.locator(f"{MAIN} [data-testid='stProgress']")).to_contain_text(re.compile(r"Epoch \d+ of 5000"))
    page.locator(MAIN).get_by_role("button", name="Stop", exact=True).click()
    warning = page.locator(f"{MAIN} [data-testid='stAlertContentWarning']")
    expect(warning).to_contain_text(re.compile(r"Stopped at epoch \d+ of 5000"), timeout=TRAINING_TIMEOUT_MS)
    expect(warning).to_contain_text("not in use")
    wait_ready(page)
    progress = page.locator(f"{MAIN} [data-testid='stProgress']")
    expect(progress).to_contain_text(re.compile(r"Stopped at epoch \d+ of 5000"))
    done = float(progress.get_by_role("progressbar").get_attribute("aria-valuenow"))
    assert done < 50, done  # a few epochs of 5000, not a full bar
    expect(page.locator("[data-testid='stSidebar']")).not_to_contain_text("(stopped)")
    page.locator(f"{MAIN} button", has_text="Use the half-trained model").click()
    expect(page.locator("[data-testid='stSidebar']")).to_contain_text("(stopped)", timeout=30_000)
    assert_no_exception(page)
