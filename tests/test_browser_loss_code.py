"""The Train page's loss in code in a real browser: the expander opens on the chosen kind's own source,
each term's line marked beside it and each weight beside its line (the values after a run are
tests/test_app_loss_code.py's)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import assert_no_exception, screenshot, wait_ready

pytestmark = pytest.mark.browser


def test_the_loss_code_of_the_chosen_kind_opens_with_its_terms_marked(streamlit_app, page) -> None:
    page.goto(f"{streamlit_app}/train?dataset=digits&tr_kind=vae&tr_vae_beta=4")
    wait_ready(page)
    main = page.locator("[data-testid='stMain']")
    expander = main.locator("[data-testid='stExpander']", has_text="The loss in aecore's code")
    expect(expander).to_be_visible(timeout=60_000)
    expander.locator("summary").click()
    code = expander.locator("[data-testid='stCode']")
    expect(code).to_be_visible()
    expect(code).to_contain_text("# aecore/models/vae.py, line")
    expect(code).to_contain_text('return {"kl": kl_standard_normal(output.mu, output.logvar).sum(1).mean()}  # ← kl = …')
    expect(code).to_contain_text("# ← weight of kl = 4")
    assert_no_exception(page)
    screenshot(page, "train_loss_code")
