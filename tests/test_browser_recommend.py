"""The Recommend page in a real browser, on a server whose MovieLens comes from a test mirror: on the
embedded table it trains in the background, then shows the masked-loss formula beside its numbers,
every method's table, a verdict, one user's top 10 and the users' map; loved items give
recommendations and a star on the map; MovieLens downloads with a job (a fake zip in its format),
trains and colours the users by age."""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, streamlit_server, wait_ready
from fake_mirror import Mirror
from fake_movielens import movielens_zip_bytes

pytestmark = pytest.mark.browser

MAIN = "[data-testid='stMain']"


@pytest.fixture(scope="module")
def mirrored_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recommend")
    (folder / "mirror").mkdir()
    (folder / "mirror" / "ml-100k.zip").write_bytes(movielens_zip_bytes())
    with Mirror(folder / "mirror") as mirror:
        env = {"AECORE_DATA": str(folder / "data"), "AECORE_DATA_MIRROR": mirror.url}
        with streamlit_server("recommend_server", env=env) as base_url:
            yield base_url


def test_recommend_trains_compares_and_recommends_live(mirrored_app, page) -> None:
    page.goto(mirrored_app)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Recommend", exact=True).click()
    expect(page.get_by_role("heading", name="Recommend", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Every method on the same held-out ratings")).to_be_visible(
        timeout=300_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(".st-key-concept_masked_loss .katex").first).to_be_visible()
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Held-out RMSE, SVD")).to_be_visible()
    expect(page.get_by_text(re.compile(r"has the lower held-out RMSE here \(\d\.\d{3} against"))).to_be_visible()
    expect(page.locator(f"{MAIN} [data-testid='stPlotlyChart'] .js-plotly-plot")).to_contain_text("favourite genre")

    loved = page.locator(f"{MAIN} [data-testid='stMultiSelect']").filter(has_text="Loved")
    # Typed, as a person looking for a genre would: "action" lists its films; one is picked.
    loved.locator("input").click()
    page.keyboard.type("action")
    page.locator("[role='option']").first.click(timeout=30_000)
    page.keyboard.press("Escape")
    expect(loved).to_contain_text(re.compile(r"action \d+"), timeout=30_000)
    wait_ready(page)
    expect(page.get_by_text("Recommended for you")).to_be_visible(timeout=30_000)
    expect(page.locator(f"{MAIN} [data-testid='stPlotlyChart'] .js-plotly-plot")).to_contain_text("you")
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.wait_for_timeout(500)
    screenshot(page, "recommend")

    page.locator(f"{MAIN} [data-testid='stRadio']").get_by_text("movielens-100k", exact=True).click()
    expect(page.get_by_text("forbids redistribution").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Download MovieLens 100k").click()
    expect(page.get_by_text("60 users, 50 films")).to_be_visible(timeout=300_000)
    expect(page.get_by_role("heading", name="Every method on the same held-out ratings")).to_be_visible(
        timeout=300_000)
    wait_ready(page)
    assert_no_exception(page)
    expect(page.locator(f"{MAIN} [data-testid='stPlotlyChart'] .js-plotly-plot")).to_contain_text("age")
