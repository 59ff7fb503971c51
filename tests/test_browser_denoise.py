"""The Reconstruct & denoise page in a real browser: it renders, its controls rerun it, dragging the
slider inside the figure moves the pictures, the headline numbers and the curve's marker together
while the mouse button is still down, a link opens the same view, and 32 images keep their PSNR
labels apart."""

import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from conftest import assert_no_exception, drag_figure_slider, screenshot, upload, wait_ready

pytestmark = pytest.mark.browser

CHART = "[data-testid='stPlotlyChart'] >> nth=0"
GRID_IMAGE = f"{CHART} >> g.imagelayer image"
TITLE = f"{CHART} >> .gtitle"
LEVEL_SLIDER = "Start at noise level (standard deviation sigma)"


def grid_picture(page) -> str:
    return page.locator(GRID_IMAGE).first.get_attribute("href")


def headline(page) -> list[str]:
    """The figure's annotations as drawn (SVG text): see `snapshot`."""
    return snapshot(page)["notes"]


def snapshot(page) -> dict:
    """What the figure draws now, read in one go so no frame can change between the parts: the
    picture, the title, the annotations' SVG text (name, value and gain of each headline number, then
    the curve's title) and the level at which the curve's first marker sits, read back from its SVG
    position through the curve's x axis."""
    return page.locator(CHART).locator(".js-plotly-plot").evaluate("""gd => {
        const point = gd.querySelector('.subplot.x2y2 .scatterlayer .trace:nth-child(1) path.point');
        const x = Number(point.getAttribute('transform').match(/translate\\(([-\\d.]+)/)[1]);
        return {picture: gd.querySelector('g.imagelayer image').getAttribute('href'),
                title: gd.querySelector('.gtitle').textContent,
                notes: [...gd.querySelectorAll('g.annotation text.annotation-text')].map(t => t.textContent),
                marker: gd._fullLayout.xaxis2.p2l(x)};
    }""")


def level_of(view: dict) -> float:
    return float(view["title"].split("= ")[1])


def decibels(text: str) -> float:
    return float(re.match(r"([\d.]+) dB", text).group(1))


def test_the_figure_slider_moves_every_number_and_marker(streamlit_app, page) -> None:
    page.goto(f"{streamlit_app}/denoise")  # a link straight to the page (test_browser_deep_link.py)
    wait_ready(page)
    assert_no_exception(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text("Reconstruct & denoise")).to_be_visible()
    expect(page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")).to_have_count(1, timeout=60_000)  # the tab's first plotly chart: plotly.js loads now (Home has none)
    expect(page.locator(GRID_IMAGE)).to_have_count(1)
    assert grid_picture(page).startswith("data:image/png;base64,")
    expect(page.locator(TITLE)).to_contain_text("= 0.30")
    concept = page.locator(".st-key-concept_denoising")
    expect(concept.get_by_text("Noisy input PSNR at 0.30")).to_be_visible()
    expect(concept.locator(".katex").first).to_be_visible()  # the formula beside the numbers

    # docs/denoise.png, shown in the README, is a copy of this shot (copied by hand: a test run
    # never writes into the repository). Streamlit scrolls inside its own container, so a
    # full-page shot is only as tall as the viewport.
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.wait_for_timeout(500)  # plotly redraws at the new width
    screenshot(page, "denoise")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # A Streamlit control: one step right on the starting level reruns the page at 0.35.
    thumb = page.get_by_role("slider", name=LEVEL_SLIDER)
    thumb.focus()
    thumb.press("ArrowRight")
    expect(concept.get_by_text("Noisy input PSNR at 0.35")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(TITLE)).to_contain_text("= 0.35")
    start = snapshot(page)
    assert start["marker"] == pytest.approx(0.35, abs=0.01)

    # The figure's own slider: press its grip and drag right in small moves. The picture, the
    # headline numbers and the curve's marker must change before the button is released (no rerun
    # is involved, only plotly frames), and each stop shows one level in all of them.
    _, seen, _ = drag_figure_slider(page, page.locator(CHART), (0.5, 0.7, 0.9), lambda: snapshot(page))
    views = [view for view, _ in seen]
    levels = [level_of(view) for view in views]
    assert levels == sorted(set(levels)) and levels[0] > 0.35, levels  # a new frame at each stop, rightwards
    for view in views:
        assert view["picture"] != start["picture"] and view["notes"] != start["notes"]
        assert view["marker"] == pytest.approx(level_of(view), abs=0.01), view  # the marker sits at the level shown
    assert len({tuple(view["notes"]) for view in views}) == 3
    expect(page.locator(TITLE)).to_have_text(views[-1]["title"])  # it stays where it was let go
    end = snapshot(page)
    level, numbers = level_of(end), end["notes"]
    assert level >= 0.8 and end["marker"] == pytest.approx(level, abs=0.01)
    assert decibels(numbers[1]) < decibels(start["notes"][1]) - 3  # the noisy input's PSNR fell with the noise
    assert numbers[8].endswith("dB vs the noisy input")  # the denoiser's gain, at the new level
    assert_no_exception(page)

    # The numbers the figure showed at that level are the page's own numbers there: open the page
    # starting at that level and read the concept's metrics.
    page.goto(f"{streamlit_app}/denoise?dn_level={level:.2f}")
    wait_ready(page)
    expect(concept.get_by_text(f"Noisy input PSNR at {level:.2f}")).to_be_visible(timeout=30_000)
    values = concept.locator("[data-testid='stMetricValue']")
    assert [values.nth(i).text_content() for i in range(3)] == [numbers[1], numbers[4], numbers[7]]


def test_a_link_restores_the_view(streamlit_app, page, browser) -> None:
    page.goto(f"{streamlit_app}/denoise")
    wait_ready(page)
    noise = page.locator("[data-testid='stSelectbox']").filter(has_text="Noise").locator("input")
    noise.click()
    page.locator("[role='option']", has_text="mask").click()
    expect(page).to_have_url(re.compile(r"dn_kind=mask"), timeout=30_000)
    expect(page.locator(TITLE)).to_contain_text("fraction of pixels dropped to 0", timeout=30_000)
    wait_ready(page)
    # The URL changes as soon as a control does, before the rerun: wait for the new noise's picture.
    before = grid_picture(page)
    seed = page.get_by_role("spinbutton", name="Seed", exact=True)
    seed.fill("7")
    seed.press("Enter")
    expect(page).to_have_url(re.compile(r"dn_seed=7"), timeout=30_000)
    expect(page.locator(GRID_IMAGE).first).not_to_have_attribute("href", before, timeout=30_000)
    wait_ready(page)
    view = page.locator(TITLE).text_content(), headline(page), grid_picture(page)

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.goto(page.url)
        wait_ready(other)
        assert_no_exception(other)
        expect(other.locator("[data-testid='stSelectbox']").filter(has_text="Noise").locator("input")).to_have_value("mask")
        expect(other.get_by_role("spinbutton", name="Seed", exact=True)).to_have_value("7")
        expect(other.locator(TITLE)).to_have_text(view[0])
        assert (headline(other), grid_picture(other)) == view[1:]
    finally:
        fresh.close()


def test_labels_under_32_images_do_not_overlap(streamlit_app, page) -> None:
    page.goto(f"{streamlit_app}/denoise?dn_count=32")
    wait_ready(page)
    assert_no_exception(page)
    expect(page.get_by_role("slider", name="Images")).to_have_value("32")
    labels = page.locator(f"{CHART} >> g.textpoint text")
    expect(labels.first).to_be_attached()
    boxes = labels.evaluate_all("""texts => texts.filter(t => t.textContent).map(t => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                size: parseFloat(getComputedStyle(t).fontSize)};
    })""")
    assert len(boxes) == 32 * 3  # under the noisy row and each model's output
    assert all(re.fullmatch(r"∞|\d+\.\d", box["text"]) and box["size"] >= 9 for box in boxes), boxes[:3]
    overlaps = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]
    assert not overlaps, overlaps[:5]
    screenshot(page, "denoise-32")


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
    grid = page.locator(CHART)
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
