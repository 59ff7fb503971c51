"""q(z|x) in a real browser: a box selection on a 2-D VAE's Latent map draws the first selected
image's posterior (mean, 1σ and 2σ ellipses, draws), Resample scatters new draws of the same
ellipses, and the pointer still decodes in the browser with no script run; on Draw and see a stroke
brings the drawing's posterior and the map there decodes under the pointer too. On digits: the same
pages on a fake MNIST download are tests/test_app_posterior.py's (a server of its own here cost
80-90 s on the shared machine, beyond this file's share of the suite's time)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

CHART = "[data-testid='stMain'] [data-testid='stPlotlyChart'] >> nth=0"
MAIN = "[data-testid='stMain']"
POINTER = ".ae-pointer"
# The main plotly figure's traces as the browser holds them: name -> [x values].
READ_TRACES = """() => {
    const gd = document.querySelector("[data-testid='stMain'] [data-testid='stPlotlyChart'] .js-plotly-plot");
    return Object.fromEntries(gd.data.filter(t => t.name).map(t => [t.name, Array.from(t.x || [])]));
}"""
DRAWS, ONE_SIGMA = "z = μ + σ·ε (200 draws)", "q(z|x): 1σ"


def box_select(page, chart, low: float = 0.3, high: float = 0.7) -> None:
    """The toolbar's box tool over the middle of the plot (a plain drag pans)."""
    chart.hover()
    chart.locator(".modebar-btn[data-title='Box Select']").click()
    plot = chart.locator("rect.nsewdrag").first.bounding_box()
    page.mouse.move(plot["x"] + low * plot["width"], plot["y"] + low * plot["height"])
    page.mouse.down()
    page.mouse.move(plot["x"] + high * plot["width"], plot["y"] + high * plot["height"], steps=10)
    page.mouse.up()


def pointer_decodes(page, chart) -> None:
    """Moving over the map decodes in the browser, with no script run."""
    expect(page.locator(f"{POINTER}[data-ready='ready']")).to_be_attached(timeout=120_000)
    chart.scroll_into_view_if_needed()  # a click further down (Resample) may have scrolled it away
    plot = chart.locator("rect.nsewdrag").first.bounding_box()
    before = page.evaluate("() => window.__aePointer.decodes")
    page.mouse.move(plot["x"] + 0.2 * plot["width"], plot["y"] + 0.3 * plot["height"])
    page.mouse.move(plot["x"] + 0.7 * plot["width"], plot["y"] + 0.6 * plot["height"], steps=10)
    page.wait_for_function("n => window.__aePointer.decodes >= n + 3", arg=before)
    expect(page.locator("[data-testid='stApp']")).to_have_attribute("data-test-script-state", "notRunning")


def posterior_on_the_map(page, base_url: str, dataset: str, model: str) -> None:
    page.goto(f"{base_url}/latent_map?dataset={dataset}&model={model}")
    wait_ready(page)
    main = page.locator(MAIN)
    expect(main.get_by_text(f"Model {model}", exact=False)).to_be_visible(timeout=60_000)
    chart = page.locator(CHART)
    expect(chart.locator(".scatterlayer, .gl-container").first).to_be_attached(timeout=30_000)
    wait_ready(page)
    box_select(page, chart)
    expect(main.get_by_text(re.compile(r"^q\(z\|x\) of test image"))).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    traces = page.evaluate(READ_TRACES)
    assert {DRAWS, ONE_SIGMA, "q(z|x): 2σ", "q(z|x): mean μ"} <= set(traces), sorted(traces)
    expect(chart.locator(".legend", has_text="q(z|x): 1σ")).to_be_attached()
    screenshot(page, f"posterior_{dataset}")

    main.get_by_role("button", name="Resample").click()
    page.wait_for_function(f"""old => {{
        const gd = document.querySelector("[data-testid='stMain'] [data-testid='stPlotlyChart'] .js-plotly-plot");
        const draws = gd && gd.data.find(t => t.name === "{DRAWS}");
        return draws && draws.x[0] !== old;
    }}""", arg=traces[DRAWS][0], timeout=30_000)
    wait_ready(page)
    again = page.evaluate(READ_TRACES)
    assert again[ONE_SIGMA] == traces[ONE_SIGMA]  # the same q(z|x), new draws from it
    pointer_decodes(page, chart)
    assert_no_exception(page)


def test_a_2d_vaes_posterior_on_the_latent_map_and_on_a_drawing(streamlit_app, page) -> None:
    posterior_on_the_map(page, streamlit_app, "digits", "digits-vae-2")

    page.goto(f"{streamlit_app}/draw?dataset=digits&model=digits-vae-2")
    wait_ready(page)
    canvas = page.locator("canvas.sketch-canvas")
    expect(canvas).to_be_visible(timeout=60_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    for fx, fy in ((0.75, 0.2), (0.45, 0.85)):  # a 7
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=12)
    page.mouse.up()
    main = page.locator(MAIN)
    # The caption starts so; the decoded draws' caption below only mentions it.
    expect(main.get_by_text(re.compile(r"^q\(z\|x\) of your drawing"))).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    assert {DRAWS, ONE_SIGMA, "your drawing"} <= set(page.evaluate(READ_TRACES))
    pointer_decodes(page, page.locator(CHART))
    screenshot(page, "posterior_draw")

