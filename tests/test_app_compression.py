"""The Compression page under AppTest: it opens on the shipped sweep, its figure shows the page's code
size k (no slider of its own), the bits control changes the error measured after quantization, a link's
query parameters restore the view, it follows the active dataset, and it recomputes a sweep in the
background.

After `switch_page` AppTest runs the page file alone (docs/streamlit-notes.md), so its state comes from `ui.core.state`.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP, APPTEST_TIMEOUT_S, figures, open_page, wait_for_job, widget

from aecore.studies import compression
from ui import compression_view as view
from ui.core import jobs

PAGE = "pages/compression.py"


def open_compression(dataset: str | None = None) -> AppTest:
    return open_page(PAGE, dataset=dataset)


def charts(at: AppTest) -> dict[str, dict]:
    """The page's figures by role: trade-off, quantized pictures, MSE and PSNR curves."""
    return dict(zip(("trade_off", "pictures", "mse", "psnr"), figures(at)))


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


@pytest.fixture(scope="module")
def shipped() -> dict:
    return compression.load_sweep("digits")


@pytest.fixture(scope="module")
def page() -> AppTest:
    return open_compression()


def test_opens_on_the_shipped_sweep_with_the_concepts_and_their_numbers(page, shipped) -> None:
    at = page
    assert at.title[0].value == "Compression"
    assert not at.exception
    row8 = shipped["rows"][2]
    numbers = metrics(at)
    assert numbers["AE MSE, k = 8"] == f"{row8['ae_mse']:.4f}" and numbers["PCA MSE, k = 8"] == f"{row8['pca_mse']:.4f}"
    assert numbers["bits per image (k·b)"] == "64" and numbers["ratio 8D / (k·b)"] == "8.0 : 1"
    assert numbers["AE PSNR after 8-bit quantization"] == f"{compression.at_bits(row8, 8)['ae_psnr']:.2f} dB"
    mse = charts(at)["mse"]
    assert mse["layout"]["xaxis"]["ticktext"] == ["2", "4", "8", "16", "32"]  # plain, readable numbers
    assert mse["layout"]["xaxis"]["tickvals"] == [2, 4, 8, 16, 32]
    assert len(at.dataframe) == 1


def test_a_fall_in_error_with_a_wider_code_is_drawn_as_good(page, shipped) -> None:
    from streamlit.proto.Metric_pb2 import Metric

    widest = shipped["rows"][-1]["latent_dim"]
    fall = next(metric for metric in page.metric if metric.label == f"AE MSE(k = {widest})")
    assert fall.proto.delta.startswith("-") and fall.proto.color == Metric.MetricColor.GREEN


def test_the_psnr_says_why_it_is_not_the_mse_in_decibels(page, shipped) -> None:
    import math

    row8 = compression.at_bits(shipped["rows"][2], 8)
    psnr = next(metric for metric in page.metric if metric.label == "AE PSNR after 8-bit quantization")
    pooled = 10 * math.log10(1 / row8["ae_mse"])
    assert f"gives {pooled:.2f} dB" in psnr.help and f"({row8['ae_mse']:.4f})" in psnr.help
    assert ("lower" in psnr.help) == (pooled < row8["ae_psnr"] - 0.005)


def ring_and_title(figure: dict) -> tuple[dict, str]:
    return figure["data"][-1], figure["layout"]["title"]["text"]


def test_the_trade_off_figure_shows_the_pages_k_and_has_no_slider_of_its_own(page, shipped) -> None:
    # One control for k, so that the figure and the concept box beside it never disagree.
    figure = charts(page)["trade_off"]
    assert "frames" not in figure and "sliders" not in figure["layout"]
    row = shipped["rows"][2]  # k = 8, the page's default
    ring, title = ring_and_title(figure)
    assert f"AE MSE {row['ae_mse']:.4f}" in title and f"PCA MSE {row['pca_mse']:.4f}" in title
    assert ring["x"] == [8, 8] and ring["y"] == pytest.approx([row["ae_mse"], row["pca_mse"]])
    curves = {trace.get("name"): trace for trace in figure["data"]}
    assert curves["autoencoder"]["y"] == pytest.approx([row["ae_mse"] for row in shipped["rows"]])


def test_the_bits_control_changes_the_error_after_quantization(shipped) -> None:
    at = open_compression()
    before = charts(at)["mse"]["data"][0]["y"]
    at.slider(key="cp_bits").set_value(3).run()
    assert not at.exception
    row8 = shipped["rows"][2]
    at3 = compression.at_bits(row8, 3)
    numbers = metrics(at)
    assert numbers["bits per image (k·b)"] == "24" and numbers["ratio 8D / (k·b)"] == "21.3 : 1"
    assert numbers["AE PSNR after 3-bit quantization"] == f"{at3['ae_psnr']:.2f} dB"
    assert numbers["AE MSE after quantization"] == f"{at3['ae_mse']:.4f}"
    after = charts(at)["mse"]["data"][0]["y"]
    assert after == pytest.approx([compression.at_bits(row, 3)["ae_mse"] for row in shipped["rows"]])
    assert all(coarse > fine for coarse, fine in zip(after, before))  # 3 bits lose more than 8
    assert "3 bits per number" in charts(at)["pictures"]["layout"]["title"]["text"]
    table = at.dataframe[0].value
    assert list(table["code bits"]) == [3 * k for k in (2, 4, 8, 16, 32)]
    assert list(table["AE PSNR (dB)"]) == pytest.approx([round(compression.at_bits(r, 3)["ae_psnr"], 2)
                                                          for r in shipped["rows"]])


def test_the_code_size_control_moves_the_numbers_and_the_figure(shipped) -> None:
    at = open_compression()
    at.select_slider(key="cp_k").set_value(2).run()
    assert not at.exception
    row2 = shipped["rows"][0]
    assert metrics(at)["AE MSE, k = 2"] == f"{row2['ae_mse']:.4f}"
    assert metrics(at)["bits per image (k·b)"] == "16"
    ring, title = ring_and_title(charts(at)["trade_off"])
    assert title.startswith(f"k = 2: AE MSE {row2['ae_mse']:.4f}") and ring["x"] == [2, 2]


def test_a_link_restores_the_view(shipped) -> None:
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    for key, value in {"cp_bits": "4", "cp_k": "16", "cp_source": "shipped"}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.slider(key="cp_bits").value == 4 and at.select_slider(key="cp_k").value == 16
    numbers = metrics(at)
    assert numbers["bits per image (k·b)"] == "64"
    assert numbers["AE PSNR after 4-bit quantization"] == f"{compression.at_bits(shipped['rows'][3], 4)['ae_psnr']:.2f} dB"
    assert ring_and_title(charts(at)["trade_off"])[0]["x"] == [16, 16]


def test_follows_the_active_dataset() -> None:
    at = open_compression("shapes")
    assert charts(at)["mse"]["layout"]["xaxis"]["tickvals"] == [2, 4, 8, 16]
    assert metrics(at)["ratio 8D / (k·b)"] == "128.0 : 1"  # 32x32 pixels of 8 bits in 8 numbers of 8 bits


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
    assert widget(at.radio, "Sweep").value == "session"
    assert at.select_slider(key="cp_k").value == 4  # 8 is not in this sweep: the middle size
    curves = {trace["name"]: trace for trace in charts(at)["mse"]["data"]}
    assert set(curves) == {"autoencoder (vae), 8-bit code", "autoencoder (vae), float code",
                           "PCA, 8-bit code", "PCA, float code"}
    assert curves["PCA, 8-bit code"]["x"] == [2, 4]


def test_presenter_mode_folds_the_recompute_form_away() -> None:
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S)
    at.query_params["present"] = "true"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert [expander.label for expander in at.expander] == ["Recompute the sweep"]
    assert at.select_slider(key="cp_k").value == 8 and at.slider(key="cp_bits").value == 8  # the lecture's controls stay
