"""The Compare page in a real browser: the linked maps draw one canvas per model; hovering a dot on the
first map rings the same image on the second (read from the state the component keeps on its
elements, and from the second canvas's pixels) without a message to the server, so without a rerun;
a box dragged on one map selects images on every map and shows them under the maps; a click on an
empty spot clears the selection."""

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser

MAP = "[data-testid='stMain'] .cmp-map"  # Playwright's CSS pierces the component's open shadow root
# Is the ring drawn on a map's overlay canvas where the component says it is? Dark pixels on a
# circle around the point, in device pixels.
RING_IS_DRAWN = """(panel) => {
    const canvas = panel.querySelector("canvas.cmp-overlay");
    const ratio = canvas.width / canvas.clientWidth;
    const [x, y] = [Number(panel.dataset.highlightX) * ratio, Number(panel.dataset.highlightY) * ratio];
    const ctx = canvas.getContext("2d");
    let dark = 0, around = 0;
    for (let step = 0; step < 16; step++) {
        const angle = step * Math.PI / 8;
        for (let r = 8; r <= 12; r++) {
            const [px, py] = [Math.round(x + r * ratio * Math.cos(angle)), Math.round(y + r * ratio * Math.sin(angle))];
            const [red, green, blue, alpha] = ctx.getImageData(px, py, 1, 1).data;
            if (alpha > 200 && red + green + blue < 200) { dark++; break; }
        }
        around++;
    }
    return dark / around;
}"""


def test_hover_rings_the_same_image_on_every_map_and_a_box_selects_on_all(streamlit_app, page) -> None:
    # Every rerun starts with a message from the browser to the server: count them.
    sent = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(payload)))
    page.goto(f"{streamlit_app}/compare?cm_models=digits-ae-8&cm_models=digits-vae-8&cm_models=digits-ae-2")
    wait_ready(page)
    maps = page.locator(MAP)
    expect(maps).to_have_count(3, timeout=60_000)
    expect(page.locator("[data-testid='stMain'] .cmp-root[data-ready='1']")).to_be_attached()
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator("[data-testid='stMetric']", has_text="Trustworthiness")).to_have_count(3)
    first, second, third = maps.nth(0), maps.nth(1), maps.nth(2)
    expect(second.locator(".cmp-title")).to_have_text("digits-vae-8")

    # Hover the first map until the pointer is over a dot (the middle of a map is dense with them):
    # the browser alone redraws, hovering never reruns the script (no message to the server).
    before_hover = len(sent)
    canvas = first.locator("canvas.cmp-overlay")
    box = canvas.bounding_box()
    for fx, fy in ((0.5, 0.5), (0.45, 0.55), (0.55, 0.45), (0.4, 0.4), (0.6, 0.6)):
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=4)
        if first.get_attribute("data-highlight"):
            break
    hovered = first.get_attribute("data-highlight")
    assert hovered, "no dot under the pointer on the first map"
    for other in (second, third):
        expect(other).to_have_attribute("data-highlight", hovered)
    assert second.evaluate(RING_IS_DRAWN) > 0.5  # the ring is on the second canvas, where it says
    place_first = float(first.get_attribute("data-highlight-x")), float(first.get_attribute("data-highlight-y"))
    place_second = float(second.get_attribute("data-highlight-x")), float(second.get_attribute("data-highlight-y"))
    assert all(0 <= v <= box["width"] + 1 for v in (*place_first, *place_second))
    expect(page.locator("[data-testid='stMain'] .cmp-info")).to_contain_text("ringed on every map")
    assert len(sent) == before_hover, "hovering sent the server a message (a rerun)"
    screenshot(page, "compare_hover")

    # A box over the middle of the second map selects images: every map draws the same selection,
    # and the selected images appear under the maps (after one rerun).
    box = second.locator("canvas.cmp-overlay").bounding_box()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.7 * box["width"], box["y"] + 0.7 * box["height"], steps=10)
    page.mouse.up()
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("selected test images, drawn bright on every map above")).to_be_visible(timeout=30_000)
    wait_ready(page)
    assert_no_exception(page)
    count = second.get_attribute("data-selected")
    assert count and int(count) > 0
    for other in (first, third):
        expect(other).to_have_attribute("data-selected", count)
    expect(main.get_by_text(f"{count} selected", exact=False).first).to_be_visible()
    assert len(sent) > before_hover  # the count does see reruns: the selection's was one
    screenshot(page, "compare_selection")

    # A click on an empty corner of the first map clears the selection on every map.
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + 3)
    expect(main.get_by_text("selected test images, drawn bright on every map above")).to_have_count(0, timeout=30_000)
    for panel in (first, second, third):
        expect(panel).to_have_attribute("data-selected", "0")
    wait_ready(page)
    assert_no_exception(page)
