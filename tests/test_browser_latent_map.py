"""The Latent map page in a real browser: the WebGL map renders with a legend entry per class, a
click on empty space shows the decoded image there and marks the spot with a cross, a box selects
images (highlighted, the rest dimmed) and the next click on empty space still decodes, the map
control reruns the page, a background t-SNE swaps itself in, and a link restores the view in a fresh
browser. Moving the pointer over the map decodes in the browser (ONNX Runtime Web) with no script run,
and the browser's images equal PyTorch's for the same codes, for an MLP and a conv decoder. How fast the map opens is measured by bench/bench_browser.py, not here."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

CHART = "[data-testid='stPlotlyChart'] >> nth=0"
# The plotly figure as the browser holds it: which points of each trace are selected, how the
# unselected ones are drawn, and the drag mode.
READ_FIGURE = """() => {
    const gd = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
    return {selected: gd.data.map(t => t.selectedpoints ? Array.from(t.selectedpoints) : null),
            unselected: gd._fullData.map(t => t.unselected && t.unselected.marker ? t.unselected.marker.opacity : null),
            cross: gd._fullData[0].selected.marker.opacity, dragmode: gd._fullLayout.dragmode,
            xrange: Array.from(gd._fullLayout.xaxis.range)};
}"""


def figure_state(page) -> dict:
    return page.evaluate(READ_FIGURE)


def click_empty(page, chart, fx: float, fy: float) -> None:
    """Click the plot area at fractions (fx, fy) of its width and height."""
    plot = chart.locator("rect.nsewdrag").first.bounding_box()
    page.mouse.click(plot["x"] + fx * plot["width"], plot["y"] + fy * plot["height"])


def test_map_marks_clicks_and_selections_and_follows_the_method(streamlit_app, page) -> None:
    page.goto(streamlit_app)  # then the sidebar link, as a visitor moves around the app
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Latent map").click()
    chart = page.locator(CHART)
    expect(chart.locator("canvas").first).to_be_attached(timeout=30_000)
    expect(chart.locator(".scatterlayer, .gl-container").first).to_be_attached()
    wait_ready(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("stored with the model")).to_be_visible()
    # Classes are a legend, one entry per digit, not a colour bar.
    expect(chart.locator(".legend .traces")).to_have_count(10)
    expect(chart.locator(".colorbar")).to_have_count(0)

    # An empty spot: the top-left corner of the plot area lies in the margin around the data. The spot
    # is decoded, and marked with a cross (its grid point selected) that is still there after the rerun
    # the click caused. (With a zoom first, plotly dropped the click and reset the view in about one
    # run of three here, so that a zoom survives a click is not tested: see the closing note.)
    click_empty(page, chart, 0.03, 0.03)
    expect(main.get_by_text("Decoded at")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(main.locator("[data-testid='stImage'] img")).to_have_count(1)
    state = figure_state(page)
    assert len(state["selected"][0] or []) == 1 and state["cross"] == 1, state
    assert all(opacity == 1 for opacity in state["unselected"][1:]), state  # a click dims no dot
    screenshot(page, "latent_map")

    # A box over the middle of the plot (the toolbar's box tool; a plain drag pans) selects test
    # images: originals, rebuilds and class counts; the selected dots stand out, the others dim.
    chart.hover()
    chart.locator(".modebar-btn[data-title='Box Select']").click()
    plot = chart.locator("rect.nsewdrag").first.bounding_box()
    page.mouse.move(plot["x"] + 0.35 * plot["width"], plot["y"] + 0.35 * plot["height"])
    page.mouse.down()
    page.mouse.move(plot["x"] + 0.65 * plot["width"], plot["y"] + 0.65 * plot["height"], steps=10)
    page.mouse.up()
    expect(main.get_by_text("selected test images")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(main.locator("[data-testid='stImage'] img")).to_have_count(2)
    expect(main.get_by_text(" selected", exact=False).first).to_be_visible()
    expect(chart.locator("canvas").first).to_be_attached()
    state = figure_state(page)
    assert sum(len(s or []) for s in state["selected"][1:]) > 0, state
    assert all(opacity < 0.3 for opacity in state["unselected"][1:]), state
    screenshot(page, "latent_map_selection")

    # Right after the box select, a click on an empty spot decodes it (the chart is back in pan mode).
    assert state["dragmode"] == "pan", state
    click_empty(page, chart, 0.97, 0.97)
    expect(main.get_by_text("Decoded at")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    state = figure_state(page)
    assert len(state["selected"][0] or []) == 1 and all(o == 1 for o in state["unselected"][1:]), state

    # The map control: UMAP's stored map replaces PCA's, and the URL keeps it.
    main.get_by_test_id("stRadioGroup").get_by_text("UMAP", exact=True).click()
    expect(main.get_by_text("UMAP (stored with the model when the zoo was built)")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(chart.locator("canvas").first).to_be_attached()
    expect(page).to_have_url(re.compile(r"[?&]lm_method=UMAP"))

    # t-SNE is not stored: it runs in the background while PCA shows, then swaps itself in.
    main.get_by_test_id("stRadioGroup").get_by_text("t-SNE", exact=True).click()
    expect(main.get_by_text("t-SNE", exact=False).last).to_be_visible(timeout=30_000)
    expect(main.locator("[data-testid='stCaptionContainer']", has_text="· t-SNE")).to_be_visible(timeout=120_000)
    expect(main.get_by_text("Computing t-SNE")).to_have_count(0)
    assert_no_exception(page)

    # Back again from another page: the stored map is drawn again.
    sidebar = page.locator("[data-testid='stSidebarNav']")
    sidebar.locator("a", has_text="Home").click()
    wait_ready(page)
    sidebar.locator("a", has_text="Latent map").click()
    expect(chart.locator("canvas").first).to_be_attached(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)


def test_a_link_restores_the_view_in_a_fresh_browser(streamlit_app, browser) -> None:
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = first.new_page()
        page.goto(f"{streamlit_app}/latent_map")
        wait_ready(page)
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_text("stored with the model")).to_be_visible(timeout=60_000)
        main.get_by_test_id("stRadioGroup").get_by_text("UMAP", exact=True).click()
        expect(main.get_by_text("UMAP (stored with the model when the zoo was built)")).to_be_visible(timeout=30_000)
        wait_ready(page)
        expect(page).to_have_url(re.compile(r"[?&]lm_method=UMAP"))
        link = page.url
    finally:
        first.close()
    second = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = second.new_page()
        page.goto(link)
        wait_ready(page)
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_text("UMAP (stored with the model when the zoo was built)")).to_be_visible(timeout=60_000)
        expect(main.get_by_test_id("stRadioGroup").get_by_role("radio", name="UMAP")).to_be_checked()
        assert_no_exception(page)
    finally:
        second.close()


# --- Decode under the pointer (ui/pointer_component.js) ------------------------------------------
POINTER = ".ae-pointer"
# Counts the script runs from now on: the attribute turns "running" at the start of each.
COUNT_RUNS = """() => {
    window.__runs = 0;
    const app = document.querySelector("[data-testid='stApp']");
    new MutationObserver(() => { if (app.dataset.testScriptState === "running") window.__runs += 1; })
        .observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
DECODE_AT = """async ([x, y]) => {
    const r = await window.__aePointer.decodeAt(x, y);
    return {code: r.code, image: Array.from(r.image)};
}"""


def browser_decodes_like_pytorch(page, model: str, method: str, points) -> None:
    """The browser's code for each map point is the mapping's (aecore.latent.mapping, the reference
    of the JavaScript), and its image is PyTorch's decode of that code, within 1e-4."""
    import numpy as np
    import torch

    from aecore.latent.mapping import pointer_mapping
    from ui import latent_map_view as view
    from ui.core.models import pretrained_model

    active = pretrained_model(model)
    mapping = pointer_mapping(view.map_inverse(active, view.projection(active, method)))
    for point in points:
        decoded = page.evaluate(DECODE_AT, list(point))
        code = np.array(decoded["code"], np.float32)
        np.testing.assert_allclose(code, mapping.to_codes([point])[0], atol=1e-5)
        with torch.no_grad():
            expected = active.model.decode(torch.from_numpy(code)[None]).numpy().ravel()
        np.testing.assert_allclose(np.array(decoded["image"]), expected, atol=1e-4)


@pytest.mark.parametrize("dataset, model", [("digits", "digits-ae-8"), ("shapes", "shapes-ae-8")])  # MLP, conv
def test_the_image_under_the_pointer_is_decoded_in_the_browser(streamlit_app, page, dataset, model) -> None:
    page.goto(f"{streamlit_app}/latent_map?dataset={dataset}&model={model}")
    wait_ready(page)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text(f"Model {model}", exact=False)).to_be_visible(timeout=60_000)
    # The decoder is exported once per model (a background job the first time), then loads here.
    expect(page.locator(f"{POINTER}[data-ready='ready']")).to_be_attached(timeout=120_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(POINTER).get_by_text("through PCA's inverse")).to_be_visible()
    browser_decodes_like_pytorch(page, model, "pca", [(0.0, 0.0), (1.5, -2.0), (-3.25, 4.5)])

    # Moving the pointer over the map decodes what is under it, over and over, with no script run.
    page.evaluate(COUNT_RUNS)
    chart = page.locator(CHART)
    plot = chart.locator("rect.nsewdrag").first.bounding_box()
    before = page.evaluate("() => window.__aePointer.decodes")
    page.mouse.move(plot["x"] + 0.2 * plot["width"], plot["y"] + 0.3 * plot["height"])
    page.wait_for_function("n => window.__aePointer.decodes > n", arg=before)
    first = page.evaluate("() => [window.__aePointer.decodes, Array.from(window.__aePointer.last.image)]")
    page.mouse.move(plot["x"] + 0.8 * plot["width"], plot["y"] + 0.7 * plot["height"], steps=15)
    page.wait_for_function("n => window.__aePointer.decodes >= n + 3", arg=first[0])
    last = page.evaluate("() => Array.from(window.__aePointer.last.image)")
    assert max(abs(a - b) for a, b in zip(first[1], last)) > 0.05  # another spot, another image
    expect(page.locator(f"{POINTER} canvas.ae-floater")).to_be_visible()  # the thumbnail by the pointer
    assert page.evaluate("() => window.__runs") == 0
    expect(page.locator("[data-testid='stApp']")).to_have_attribute("data-test-script-state", "notRunning")
    screenshot(page, f"latent_map_pointer_{dataset}")

    # A map with no inverse of its own: a grid of the click's codes, blended, and said to be approximate.
    main.get_by_test_id("stRadioGroup").get_by_text("UMAP", exact=True).click()
    expect(main.get_by_text("UMAP (stored with the model when the zoo was built)")).to_be_visible(timeout=30_000)
    wait_ready(page)
    expect(page.locator(POINTER).get_by_text("Approximate", exact=False)).to_be_visible(timeout=30_000)
    browser_decodes_like_pytorch(page, model, "umap", [(0.1, 0.2), (3.3, -1.7)])
    assert_no_exception(page)
