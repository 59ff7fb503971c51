"""In a real browser, every page opens without an exception while the zoo of a downloaded MNIST is
measured in the background, and after (the sidebar once crashed for the 16 minutes of it).

A small fake MNIST (random images written here, never the real ones) and a one-model zoo built from
a cheap MNIST recipe stand in for the download and the shipped zoo; the server measures its map and
results in its background jobs, as it does after a real download.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
from playwright.sync_api import expect

import aecore
from aecore.studies import zoo
from conftest import assert_no_exception, streamlit_server, wait_ready
from fake_mirror import write_unpacked_mnist

pytestmark = pytest.mark.browser

NAME = "mnist-ae-32"
PAGES = ("Home", "Train", "Load a model", "Reconstruct & denoise", "Latent map", "Interpolate", "Sample & traverse",
         "Anomaly detection", "Compression", "Feature extraction", "Inside the code", "Inside a conv net",
         "Capacity: overfitting & overcomplete", "Draw and see", "Compare models")
MAIN = "[data-testid='stMain']"
BOUND_S = 900  # only catches a hang: the state waited for is "every model measured"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("zoo_browser")
    write_unpacked_mnist(base / "data", seed=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AECORE_DATA", str(base / "data"))
        patch.setenv("AECORE_ZOO_CACHE", str(base / "unused"))
        zoo.build_zoo(out=base / "zoo", only=[NAME], log=None)
    sweeps = aecore.pretrained.pretrained_root() / "sweeps" / "mnist"
    if sweeps.is_dir():  # the shipped sweep models, measured with the zoo's maps
        shutil.copytree(sweeps, base / "zoo" / "sweeps" / "mnist")
    (base / "app.json").write_text(json.dumps({"dataset": "mnist"}))
    return base


def measured(folders, monkeypatch) -> bool:
    monkeypatch.setenv("AECORE_PRETRAINED", str(folders / "zoo"))
    monkeypatch.setenv("AECORE_ZOO_CACHE", str(folders / "cache"))
    monkeypatch.setenv("AECORE_DATA", str(folders / "data"))
    return not aecore.pretrained.missing_results("mnist")


def open_each_page(page) -> None:
    """Every page from the sidebar, each drawn with a body and no exception box."""
    for title in PAGES:
        page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
        expect(page.locator(f"{MAIN} h1").first).to_be_visible(timeout=60_000)
        wait_ready(page, timeout_ms=120_000)
        assert_no_exception(page)
        assert page.locator("[data-testid='stSidebar'] [data-testid='stException']").count() == 0, title


def test_every_page_opens_without_an_exception_while_the_zoo_is_measured_and_after(folders, page, monkeypatch):
    env = {"AECORE_DATA": str(folders / "data"), "AECORE_PRETRAINED": str(folders / "zoo"),
           "AECORE_ZOO_CACHE": str(folders / "cache"), "AECORE_APP_SETTINGS": str(folders / "app.json"),
           "AECORE_ZOO_MEASURE": "auto"}
    assert not measured(folders, monkeypatch)
    with streamlit_server("zoo_results_browser", env) as base_url:
        page.goto(base_url)
        wait_ready(page, timeout_ms=120_000)
        expect(page.locator("[data-testid='stSidebar']")).to_contain_text("mnist")
        assert not measured(folders, monkeypatch), "the measuring ended before a page was opened"
        open_each_page(page)  # every page while the jobs run (they take longer than one pass) ...
        deadline = time.monotonic() + BOUND_S
        while not measured(folders, monkeypatch):  # ... then the state: every result stored
            assert time.monotonic() < deadline, "the zoo's measuring never ended"
            time.sleep(0.5)
        open_each_page(page)  # and every page again on the stored results
