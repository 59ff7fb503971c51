"""The Inside the code page in a real browser: each regularizer's concept block shows its formula
beside live numbers, the numbers follow their controls (and the URL follows too), a link opened in
a fresh browser restores the controls, and the warm-up experiment fills the collapse block."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, settle, wait_ready

pytestmark = pytest.mark.browser

KEYS = ("sparse_l1", "sparse_kl", "contractive", "collapse")
EXPERIMENT_TIMEOUT_MS = 240_000  # two small VAE fits in the job queue, on a machine others share


def block(page, key: str):
    return page.locator(f".st-key-concept_{key}")


def metric(page, key: str, label: str):
    """The value of the live number in `key`'s block whose label starts with `label`."""
    found = block(page, key).locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile("^" + re.escape(label))))
    return found.locator("[data-testid='stMetricValue']")


def nudge(page, name: str, key: str, times: int = 1) -> None:
    """Move the slider labelled `name` with the keyboard, as a user does, and wait for the rerun."""
    thumb = page.get_by_role("slider", name=name)
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
    settle(page, thumb, attribute="value")


def test_each_concept_follows_its_control_and_the_url_follows(streamlit_app, page) -> None:
    page.goto(streamlit_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Inside the code").click()
    page.wait_for_url(re.compile(r"/regularizers(\?|$)"))
    expect(page.get_by_role("heading", name="Inside the code: what each regularizer does")).to_be_visible(timeout=60_000)
    wait_ready(page)
    assert_no_exception(page)
    for key in KEYS:
        expect(block(page, key).locator(".katex").first).to_be_visible()
        expect(block(page, key).locator("[data-testid='stMetricValue']").first).to_be_visible()

    active = metric(page, "sparse_l1", "Units active per image")
    before = active.inner_text()
    nudge(page, "Active threshold (share of a unit's largest |z|)", "ArrowRight", 10)
    expect(active).not_to_have_text(before, timeout=30_000)
    expect(page).to_have_url(re.compile(r"rg_threshold=0\.2"))

    pushed = metric(page, "contractive", "‖∂z/∂x‖²_F from pushes")
    before = pushed.inner_text()
    nudge(page, "Perturbation size σ", "ArrowRight", 2)
    expect(pushed).not_to_have_text(before, timeout=30_000)
    expect(page).to_have_url(re.compile(r"rg_sigma=0\.1"))
    wait_ready(page)
    assert_no_exception(page)

    page.set_viewport_size({"width": 1400, "height": 4200})
    wait_ready(page)
    screenshot(page, "regularizers")


def test_a_link_in_a_fresh_browser_restores_the_controls(streamlit_app, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{streamlit_app}/regularizers?rg_threshold=0.3&rg_sigma=0.1&rg_image=7")
        wait_ready(page)
        expect(page.get_by_role("heading", name="Inside the code: what each regularizer does")).to_be_visible(timeout=60_000)
        wait_ready(page)
        assert_no_exception(page)
        expect(page.get_by_role("slider", name="Active threshold (share of a unit's largest |z|)")).to_have_value("0.3")
        expect(metric(page, "sparse_l1", "Units active per image (|z_j| > 30% of its max)")).to_be_visible()
        expect(metric(page, "sparse_l1", "λ Σ|z_j| of test image 7")).to_be_visible()
        expect(metric(page, "contractive", "‖∂z/∂x‖²_F from pushes of σ = 0.1")).to_be_visible()
    finally:
        context.close()


def test_the_warmup_experiment_fills_the_collapse_block_and_follows_beta(streamlit_app, page) -> None:
    page.goto(f"{streamlit_app}/regularizers")
    wait_ready(page)
    in_use = metric(page, "collapse", "Warm-up: units in use")
    expect(in_use).to_have_text(re.compile(r"^\d of 8$"), timeout=EXPERIMENT_TIMEOUT_MS)
    expect(metric(page, "collapse", "No warm-up: units in use")).to_have_text("0 of 8")  # β = 3: collapsed
    nudge(page, "β of the small VAE", "Home")  # β = 1: the KL pulls gently
    expect(page).to_have_url(re.compile(r"rg_beta=1\.0"))
    expect(metric(page, "collapse", "No warm-up: units in use")).to_have_text(re.compile(r"^[1-8] of 8$"),
                                                                              timeout=EXPERIMENT_TIMEOUT_MS)
    wait_ready(page)
    assert_no_exception(page)
