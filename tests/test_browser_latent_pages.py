"""The Interpolate and Sample & traverse pages in a real browser: they render, a control reruns them
and writes the URL, dragging a figure's own slider swaps the large picture (and moves the ring on
the path's map) while the mouse button is still down, "Resample ε" draws a new z and a new image, and
a link opened in a fresh browser context shows the same view."""

import re

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


def open_link(browser, base_url: str, link: str, title: str):
    """`link` opened in a fresh browser context (no cookies, no session), as a student opens it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(base_url + link)
    expect(page.locator("h1", has_text=title)).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    return context, page


def picture(chart) -> str:
    return chart.locator("g.imagelayer image").first.get_attribute("href")


def ring(chart) -> str:
    """Where the ring that marks the frame shown sits on the path's map (the last trace of the map
    beside the pictures), and its label: what a viewer sees move."""
    trace = chart.locator(".subplot.x2y2 .scatterlayer .trace").last
    return f"{trace.locator('path.point').first.get_attribute('transform')} {trace.locator('text').first.text_content()}"


def drag_and_check(page, chart, also=None) -> None:
    """Drag the figure's slider across its rail: the picture and the title (and `also()`, when given)
    must change at each stop before the button is released, and stay where it was let go."""
    read = (lambda: (picture(chart), also())) if also else (lambda: picture(chart))
    (start_picture, start_title), seen, released_title = drag_figure_slider(page, chart, (0.05, 0.5, 0.95), read)
    assert len({title for _, title in seen}) == 3 and len({p for p, _ in seen}) == 3, seen
    assert sum(p != start_picture for p, _ in seen) >= 2 and sum(t != start_title for _, t in seen) >= 2
    assert released_title == seen[-1][1]  # it stays where it was let go
    if also:
        assert len({p[1] for p, _ in seen}) == 3, seen  # the ring moved with every stop


def z_row(page) -> str:
    return page.locator("[data-testid='stTable'] tr", has_text="z = μ + σε").text_content()


def test_interpolate_renders_its_ring_follows_the_slider_and_controls_write_the_url(streamlit_app, page) -> None:
    open_from_nav(page, streamlit_app, "Interpolate")
    charts = page.locator(CHART)
    expect(charts).to_have_count(2)
    expect(charts.nth(0).locator("g.imagelayer image")).to_have_count(1)
    assert picture(charts.nth(1)).startswith("data:image/png;base64,")
    expect(charts.nth(1).locator(".subplot.x2y2 .scatterlayer .trace")).not_to_have_count(0)
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
    expect(page).to_have_url(re.compile(r"[?&]ip_mode=slerp"))
    drag_and_check(page, charts.nth(1), also=lambda: ring(charts.nth(1)))
    assert_no_exception(page)


def test_sample_renders_new_samples_on_the_button_and_a_unit_slider_is_live(streamlit_app, page) -> None:
    open_from_nav(page, streamlit_app, "Sample & traverse")
    charts = page.locator(CHART)
    # two sample grids, the traversal, three drag figures, a class's samples and the restyled test image
    expect(charts).to_have_count(8)
    expect(charts.nth(0).locator(".gtitle")).to_contain_text("seed 0")
    expect(page.locator(".st-key-concept_prior [data-testid='stMetric']")).to_have_count(5)
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
    expect(page).to_have_url(re.compile(r"[?&]sm_seed=1"))
    drag_and_check(page, charts.filter(has=page.locator("rect.slider-grip-rect")).first)
    assert_no_exception(page)


def test_resample_eps_draws_a_new_z_and_a_new_image(streamlit_app, page) -> None:
    open_from_nav(page, streamlit_app, "Sample & traverse")
    page.get_by_role("button", name=re.compile(r"^Use .*vae")).click()
    concept = page.locator(".st-key-concept_vae")
    expect(concept).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    pictures = page.locator(CHART).first
    expect(pictures.locator(".gtitle")).to_have_text("test image #0, ε seed 0")
    z_before, image_before = z_row(page), picture(pictures)
    kl = concept.locator("[data-testid='stMetric']", has_text="KL of this image").text_content()
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.wait_for_timeout(500)
    screenshot(page, "sample_vae")
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.get_by_role("button", name="Resample ε").click()
    expect(pictures.locator(".gtitle")).to_have_text("test image #0, ε seed 1", timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    assert z_row(page) != z_before and picture(pictures) != image_before
    assert concept.locator("[data-testid='stMetric']", has_text="KL of this image").text_content() == kl
    expect(page).to_have_url(re.compile(r"[?&]sm_eps=1"))
    expect(page).to_have_url(re.compile(r"[?&]model=digits-vae"))


def test_links_opened_in_a_fresh_browser_restore_the_views(streamlit_app, page, browser) -> None:
    page.goto(streamlit_app)  # a page URL as a server's first visit runs without the router (docs/streamlit-notes.md)
    wait_ready(page)
    context, opened = open_link(browser, streamlit_app,
                                "/interpolate?ip_how=index&ip_a=4&ip_b=9&ip_steps=6&ip_mode=slerp", "Interpolate")
    try:
        charts = opened.locator(CHART)
        expect(charts.nth(0).locator(".ytick text").first).to_have_text("decoded (slerp)")
        expect(charts.nth(0).locator(".gtitle")).to_contain_text("6 frames from #4")
        expect(opened.locator("[data-testid='stCaptionContainer']", has_text="from #4")).to_contain_text("to #9")
    finally:
        context.close()
    context, opened = open_link(browser, streamlit_app, "/sample?dataset=digits&model=digits-vae-8&sm_image=5"
                                "&sm_eps=3&sm_temp=0.5&sm_seed=2", "Sample & traverse")
    try:
        charts = opened.locator(CHART)
        expect(charts.first.locator(".gtitle")).to_have_text("test image #5, ε seed 3")
        expect(opened.locator(".gtitle", has_text=re.compile(r"^N\(0, T² I\)"))).to_have_text("N(0, T² I), T = 0.50, seed 2")
        model = opened.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']", has_text="Model")
        expect(model.locator("input")).to_have_value(re.compile("digits-vae-8"))
    finally:
        context.close()
