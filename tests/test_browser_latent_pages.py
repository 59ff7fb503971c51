"""The Interpolate and Sample & traverse pages in a real browser: they render, a control reruns them,
and dragging a figure's own slider swaps the large picture while the mouse button is still down."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, drag_figure_slider, screenshot, wait_ready

pytestmark = pytest.mark.browser

CHART = "[data-testid='stPlotlyChart']"


def open_from_nav(page, base_url: str, title: str) -> None:
    # "/" first, then the sidebar link, as a visitor moves around the app.
    page.goto(base_url)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    expect(page.locator("h1", has_text=title)).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)


def picture(chart) -> str:
    return chart.locator("g.imagelayer image").first.get_attribute("href")


def drag_and_check(page, chart) -> None:
    """Drag the figure's slider across its rail: the picture and the title must change at each stop
    before the button is released, and stay where it was let go."""
    (start_picture, start_title), seen, released_title = drag_figure_slider(page, chart, (0.05, 0.5, 0.95),
                                                                            lambda: picture(chart))
    assert len({title for _, title in seen}) == 3 and len({p for p, _ in seen}) == 3, seen
    assert sum(p != start_picture for p, _ in seen) >= 2 and sum(t != start_title for _, t in seen) >= 2
    assert released_title == seen[-1][1]  # it stays where it was let go


def test_interpolate_renders_follows_a_control_and_its_slider_is_live(streamlit_app, page) -> None:
    open_from_nav(page, streamlit_app, "Interpolate")
    charts = page.locator(CHART)
    expect(charts).to_have_count(3)
    expect(charts.nth(0).locator("g.imagelayer image")).to_have_count(1)
    assert picture(charts.nth(1)).startswith("data:image/png;base64,")
    expect(charts.nth(2).locator(".scatterlayer .trace")).not_to_have_count(0)
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.wait_for_timeout(500)
    screenshot(page, "interpolate")
    page.set_viewport_size({"width": 1400, "height": 1000})

    strip_before = picture(charts.nth(0))
    page.locator("[data-testid='stRadio']", has_text="Interpolation").get_by_text("slerp").click()
    expect(charts.nth(0).locator(".ytick text").first).to_have_text("decoded (slerp)", timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    assert picture(charts.nth(0)) != strip_before
    drag_and_check(page, charts.nth(1))
    assert_no_exception(page)


def test_sample_renders_new_samples_on_the_button_and_a_unit_slider_is_live(streamlit_app, page) -> None:
    open_from_nav(page, streamlit_app, "Sample & traverse")
    charts = page.locator(CHART)
    expect(charts).to_have_count(6)  # two sample grids, the traversal, three drag figures
    expect(charts.nth(0).locator(".gtitle")).to_contain_text("seed 0")
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(500)
    screenshot(page, "sample")
    page.set_viewport_size({"width": 1400, "height": 1000})

    before = picture(charts.nth(0))
    page.get_by_role("button", name="New samples").click()
    expect(charts.nth(0).locator(".gtitle")).to_contain_text("seed 1", timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    assert picture(charts.nth(0)) != before
    drag_and_check(page, charts.filter(has=page.locator("rect.slider-grip-rect")).first)
    assert_no_exception(page)
