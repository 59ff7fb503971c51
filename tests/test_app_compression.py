"""The Compression page under AppTest: it opens on the shipped sweep, draws both curves, follows the
code-width control and the active dataset, and recomputes a sweep in the background.

After `switch_page` AppTest runs the page file alone (STACK.md), so its state comes from `ui.core.state`.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import figures, open_page, wait_for_job, widget

from aecore import compression
from ui import compression_view as view
from ui.core import jobs

PAGE = "pages/compression.py"


def open_compression(dataset: str | None = None) -> AppTest:
    return open_page(PAGE, dataset=dataset)


def curves(at: AppTest) -> dict[str, dict]:
    """The MSE chart's traces by name (the first figure)."""
    return {trace["name"]: trace for trace in figures(at)[0]["data"]}


@pytest.fixture(scope="module")
def page() -> AppTest:
    return open_compression()


def test_opens_and_draws_both_curves_from_the_shipped_sweep(page) -> None:
    at = page
    assert at.title[0].value == "Compression"
    shipped = compression.load_sweep("digits")
    traces = curves(at)
    assert set(traces) == {"autoencoder (ae)", "PCA"}
    assert traces["PCA"]["x"] == [2, 4, 8, 16, 32]
    assert traces["PCA"]["y"] == pytest.approx([r["pca_mse"] for r in shipped["rows"]])
    assert traces["autoencoder (ae)"]["y"] == pytest.approx([r["ae_mse"] for r in shipped["rows"]])
    mse, psnr, pictures = figures(at)
    assert psnr["data"][1]["y"] == pytest.approx([r["pca_psnr"] for r in shipped["rows"]])
    assert pictures["data"][0]["type"] == "image"
    assert pictures["layout"]["yaxis"]["ticktext"][:3] == ["original", "AE k=2 (32:1)", "PCA k=2"]
    assert len(at.dataframe) == 1


def test_code_width_changes_the_ratios(page) -> None:
    at = page
    assert figures(at)[0]["layout"]["xaxis"]["ticktext"][0] == "2<br>32:1"
    widget(at.radio, "Code stored as").set_value(16).run()
    assert not at.exception
    assert figures(at)[0]["layout"]["xaxis"]["ticktext"][0] == "2<br>16:1"
    assert figures(at)[2]["layout"]["yaxis"]["ticktext"][1] == "AE k=2 (16:1)"


def test_follows_the_active_dataset() -> None:
    at = open_compression("shapes")
    assert curves(at)["PCA"]["x"] == [2, 4, 8, 16]
    assert figures(at)[0]["layout"]["xaxis"]["ticktext"][0] == "2<br>512:1"


def test_recomputes_a_sweep_in_the_background() -> None:
    at = open_compression()
    widget(at.selectbox, "Kind").set_value("vae")
    widget(at.multiselect, "Latent sizes").set_value([2, 4])
    widget(at.number_input, "Epochs per size").set_value(2)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    job = at.session_state[jobs.JOBS_KEY][view.PURPOSE]
    wait_for_job(job)
    assert job.error is None
    at.run()
    assert not at.exception, at.exception
    assert widget(at.radio, "Sweep").value == "recomputed in this session"
    traces = curves(at)
    assert set(traces) == {"autoencoder (vae)", "PCA"} and traces["PCA"]["x"] == [2, 4]
