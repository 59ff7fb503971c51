"""The Reconstruct & denoise page in a real browser: it renders, its controls rerun it, and dragging
the slider inside the grid figure swaps the pictures while the mouse button is still down."""

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from conftest import assert_no_exception, drag_figure_slider, screenshot, upload, wait_ready

pytestmark = pytest.mark.browser

GRID = "[data-testid='stPlotlyChart'] >> nth=0"
GRID_IMAGE = f"{GRID} >> g.imagelayer image"
GRID_TITLE = f"{GRID} >> .gtitle"


def grid_picture(page) -> str:
    return page.locator(GRID_IMAGE).first.get_attribute("href")


def test_lab_renders_follows_its_controls_and_the_figure_slider_is_live(streamlit_app, page) -> None:
    page.goto(f"{streamlit_app}/denoise")  # a link straight to the page (test_browser_deep_link.py)
    wait_ready(page)
    assert_no_exception(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text("Reconstruct & denoise")).to_be_visible()
    charts = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
    expect(charts).to_have_count(2)
    expect(page.locator(GRID_IMAGE)).to_have_count(1)
    assert grid_picture(page).startswith("data:image/png;base64,")
    expect(page.locator(GRID_TITLE)).to_contain_text("level = 0.30")
    expect(page.locator("[data-testid='stMain']").get_by_text("Noisy input PSNR at 0.30")).to_be_visible()

    # docs/denoise.png, shown in the README, is a copy of this shot (copied by hand: a test run
    # never writes into the repository). Streamlit scrolls inside its own container, so a
    # full-page shot is only as tall as the viewport.
    page.set_viewport_size({"width": 1400, "height": 1900})
    page.wait_for_timeout(500)  # plotly redraws at the new width
    screenshot(page, "denoise")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # A Streamlit control: one step right on the noise-level slider reruns the page at 0.35.
    thumb = page.get_by_role("slider", name="noise level (standard deviation sigma)")
    thumb.focus()
    thumb.press("ArrowRight")
    expect(page.get_by_text("Noisy input PSNR at 0.35")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(GRID_TITLE)).to_contain_text("level = 0.35")

    # The figure's own slider: press its grip and drag right in small moves. The picture and the
    # title must change before the button is released (no rerun is involved, only plotly frames).
    (start_picture, start_title), seen, released_title = drag_figure_slider(
        page, page.locator(GRID), (0.5, 0.7, 0.9), lambda: grid_picture(page))
    seen_titles = [title for _, title in seen]
    assert all(picture != start_picture for picture, _ in seen)
    assert start_title not in seen_titles and len(set(seen_titles)) == 3, seen_titles  # a new frame at each stop
    assert released_title == seen_titles[-1]  # it stays where it was let go
    assert float(seen_titles[-1].split("level = ")[1][:4]) >= 0.8
    assert_no_exception(page)


def test_uploaded_image_joins_the_grid_and_a_bad_file_gets_a_message(streamlit_app, page, tmp_path) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.goto(f"{streamlit_app}/denoise")
    wait_ready(page)
    drawing = tmp_path / "my-digit.png"
    picture = Image.new("L", (120, 90), 255)
    ImageDraw.Draw(picture).ellipse((35, 15, 85, 75), outline=0, width=9)  # a dark "0" on white paper
    picture.save(drawing)
    page.get_by_text("Your own image").click()
    uploader = page.locator("[data-testid='stFileUploader'] input[type='file']")
    upload(page, uploader, drawing)
    grid = page.locator(GRID)
    expect(grid.locator(".xtick text").first).to_have_text("your image", timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)

    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("these are my notes, not a picture")
    upload(page, uploader, not_an_image)
    expect(page.get_by_text("notes.png is not a readable image")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(grid.locator(".xtick text").first).not_to_have_text("your image")  # the grid carries on without it


def test_noise_controls_are_as_left_after_another_page(streamlit_app, page) -> None:
    page.goto(f"{streamlit_app}/denoise")
    wait_ready(page)
    seed = page.get_by_role("spinbutton", name="Seed", exact=True)
    expect(seed).to_have_value("0")
    seed.fill("7")
    seed.press("Enter")
    wait_ready(page)
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.locator("a", has_text="Home").click()
    expect(page.get_by_role("heading", name="Autoencoder Explorer")).to_be_visible(timeout=30_000)
    wait_ready(page)
    nav.locator("a", has_text="Reconstruct & denoise").click()
    expect(page.get_by_role("heading", name="Reconstruct & denoise")).to_be_visible(timeout=30_000)
    wait_ready(page)
    expect(seed).to_have_value("7")
    assert_no_exception(page)
