"""The shell in a real browser: the shared sidebar, the Home page's cards and the Load page."""

import pytest
from playwright.sync_api import expect

import aecore
from conftest import assert_no_exception, screenshot, upload, wait_ready
from ui.core import state

pytestmark = pytest.mark.browser

SIDEBAR = "[data-testid='stSidebar']"
MAIN = "[data-testid='stMain']"
DEFAULT = state.DEFAULT_PRETRAINED["digits"]


def sidebar_select(page, label: str):
    return page.locator(f"{SIDEBAR} [data-testid='stSelectbox']").filter(has_text=label).locator("input")


def sidebar_model(page) -> str:
    return sidebar_select(page, "Model").input_value()


def expect_card(page, *texts: str) -> None:
    card = page.locator(f"{SIDEBAR} [data-testid='stMarkdown']")
    for text in texts:
        expect(card.filter(has_text=text).first).to_be_visible(timeout=30_000)


def pick(page, combobox, option_text: str) -> None:
    combobox.click()
    page.locator("[role='option']", has_text=option_text).first.click()


def tall_screenshot(page, name: str) -> None:
    # Streamlit scrolls inside its own container, so a full-page shot is only as tall as the viewport.
    page.set_viewport_size({"width": 1400, "height": 1800})
    screenshot(page, name)
    page.set_viewport_size({"width": 1400, "height": 1000})


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    assert_no_exception(page)


def test_home_shows_diagram_gallery_card_and_links(streamlit_app, page) -> None:
    open_page(page, streamlit_app)
    assert sidebar_model(page) == DEFAULT
    entry = aecore.pretrained_entry(DEFAULT)
    expect_card(page, f"{entry['metrics']['mse']:.4f} vs PCA {entry['pca']['mse']:.4f}", "pretrained")
    expect(page.locator(f"{MAIN} [data-testid='stGraphVizChart'] svg")).to_be_visible(timeout=30_000)
    labels = page.locator(f"{MAIN} [data-testid='stGraphVizChart'] svg text").all_text_contents()
    assert {"input image x", "encoder", "decoder", "output x̂"} <= set(labels), labels
    gallery = f"{MAIN} [data-testid='stImage'] img"
    page.wait_for_function("s => { const i = document.querySelector(s); return i?.complete && i.naturalWidth > 0 }",
                           arg=gallery)
    expect(page.get_by_text("Can it clean up noisy images?")).to_be_visible()
    tall_screenshot(page, "home")

    page.locator(f"{MAIN} [data-testid='stPageLink'] a", has_text="Load a model").click()
    expect(page.get_by_role("heading", name="Pretrained models for digits")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert page.url.split("?")[0].rstrip("/").endswith("/load")
    assert "dataset=digits" in page.url  # the address bar stays a link to the view
    assert sidebar_model(page) == DEFAULT  # the active model survives the move


def test_switching_dataset_switches_the_model(streamlit_app, page, browser) -> None:
    open_page(page, streamlit_app)
    pick(page, sidebar_select(page, "Dataset"), "shapes")
    expect(page.locator(MAIN).get_by_text("Dataset: shapes")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    shapes_models = [e["name"] for e in aecore.list_pretrained("shapes")]
    if shapes_models:  # the zoo may be still without shapes models; then the note says so
        assert sidebar_model(page) in shapes_models
        expect_card(page, "dataset: shapes")
    else:
        expect(page.locator(SIDEBAR).get_by_text("No model of shapes yet")).to_be_visible()

    # The choice is this browser's: its next session opens on shapes, another browser's on digits.
    page.wait_for_function("document.cookie.includes('aecore_dataset=shapes')")
    again = page.context.new_page()
    open_page(again, streamlit_app)
    expect(again.locator(MAIN).get_by_text("Dataset: shapes")).to_be_visible()
    expect(sidebar_select(again, "Dataset")).to_have_value("shapes")
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        stranger = other.new_page()
        open_page(stranger, streamlit_app)
        expect(stranger.locator(MAIN).get_by_text("Dataset: digits")).to_be_visible()
        expect(sidebar_select(stranger, "Dataset")).to_have_value("digits")
    finally:
        other.close()


def test_load_page_picks_a_pretrained_model_for_this_session_only(streamlit_app, page, browser) -> None:
    open_page(page, f"{streamlit_app}/load")
    expect(page.locator(f"{MAIN} [data-testid='stDataFrame']")).to_be_visible()
    pick(page, page.locator(f"{MAIN} [data-testid='stSelectbox'] input"), "digits-vae-8:")
    button = page.get_by_role("button", name="Make it the active model")
    expect(button).to_be_enabled(timeout=30_000)
    button.click()
    expect_card(page, "digits-vae-8", "vae (beta 1.0)")
    wait_ready(page)
    assert_no_exception(page)
    assert sidebar_model(page) == "digits-vae-8"
    tall_screenshot(page, "load")

    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:  # a second browser session still starts from the default model
        second = other.new_page()
        open_page(second, f"{streamlit_app}/load")
        assert sidebar_model(second) == DEFAULT
    finally:
        other.close()


def test_load_page_refuses_a_bad_upload_and_takes_a_good_one(streamlit_app, page, tmp_path) -> None:
    open_page(page, f"{streamlit_app}/load")
    uploader = page.locator(f"{MAIN} [data-testid='stFileUploader'] input[type='file']")
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"this is not a checkpoint")
    upload(page, uploader, bad)
    expect(page.locator("[data-testid='stAlertContentError']")).to_contain_text("Could not load broken.zip",
                                                                               timeout=30_000)
    wait_ready(page)
    assert sidebar_model(page) == DEFAULT
    tall_screenshot(page, "load_bad_upload")

    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=3, hidden=(16,))
    metrics = {"test": {"mse": 0.0321}, "pca": {"mse": 0.0213, "k": 3}}
    good = aecore.save(model, tmp_path / "tiny-ae.zip", metadata={"dataset": "digits", "metrics": metrics})
    upload(page, uploader, good)
    expect(page.locator("[data-testid='stAlertContentSuccess']")).to_contain_text("tiny-ae.zip", timeout=30_000)
    expect_card(page, "tiny-ae.zip", "from: uploaded", "0.0321 vs PCA 0.0213 (1.51x)", "latent dim: 3")
    wait_ready(page)
    assert_no_exception(page)
    assert sidebar_model(page) == "tiny-ae.zip (uploaded)"
    tall_screenshot(page, "load_good_upload")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download checkpoint (.zip)").click()
    assert download.value.suggested_filename == "tiny-ae.zip"
    back = aecore.load(download.value.path())
    assert back.checkpoint["metrics"] == metrics and back.checkpoint["dataset"] == "digits"
