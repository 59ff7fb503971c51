"""A link straight to a page, opened on a server that has just started, shows that page inside the
app: the shared sidebar with its model card, and the page titles in the navigation.

Streamlit reads a `pages/` folder as an old-style multipage app until `st.navigation` has run
once in the process; `ui.core.router.require_router` sends that first run through `app.py`.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, streamlit_server, wait_ready

pytestmark = pytest.mark.browser


def test_first_visit_by_a_page_link_gets_the_router(browser) -> None:
    with streamlit_server("deep_link_server") as base_url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{base_url}/latent_map")  # nobody has opened "/" on this server
            wait_ready(page)
            expect(page.locator("h1", has_text="Latent map")).to_be_visible(timeout=60_000)
            wait_ready(page)
            assert_no_exception(page)
            expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/latent_map(\?|$)"))
            sidebar = page.locator("[data-testid='stSidebar']")
            expect(sidebar.locator("[data-testid='stSidebarNav']")).to_contain_text("Reconstruct & denoise")
            expect(sidebar.get_by_text("from:")).to_be_visible()  # the model card
            expect(sidebar.locator("[data-testid='stSelectbox']")).to_have_count(2)  # dataset, model
            expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible()
        finally:
            context.close()
