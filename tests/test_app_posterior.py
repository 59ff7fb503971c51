"""q(z|x) on the maps under AppTest: the first selected test image's posterior on the Latent map and a
drawing's on Draw and see, for a 2-D VAE (its own plane) and an 8-D one (through PCA), with the
ellipses where the model's own μ and σ put them, Resample drawing new z = μ + σ·ε, words instead of
ellipses on UMAP, nothing for a plain autoencoder, and the hover decoder mounted on Draw and see; on
digits and on a fake MNIST download (random images written here, never the real ones).

AppTest cannot click a chart: a selection is stored as the map's `on_select` callback stores it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import APP, APPTEST_TIMEOUT_S, figures, open_page, wait_for_job
from fake_mirror import mnist_here
from ui import draw_view
from ui import latent_map_view as view
from ui.core import jobs, posterior, state
from ui.core import cache
from ui.core.hover_decoder import decoder_onnx
from ui.core.models import pretrained_model

MAP, DRAW = "pages/latent_map.py", "pages/draw.py"
SEVEN = [{"w": 30, "p": [80, 60, 200, 60, 120, 230]}]
Q_TRACES = ["z = μ + σ·ε (200 draws)", "q(z|x): 1σ", "q(z|x): 2σ", "q(z|x): mean μ"]


def open_map_with_selection(model: str, rows: list[int], method: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT_S).run()
    active = pretrained_model(model)
    at.session_state[state.MODEL_KEY], at.session_state[state.DATASET_KEY] = active, active.dataset
    shown = method or view.methods(active)[0]
    at.session_state[view.PICK_KEY] = {"map": (view.model_key(active), shown), "dataset": active.dataset,
                                       "pick": view.Pick(rows=rows)}
    at.switch_page(MAP).run()
    assert not at.exception, at.exception
    return at


def traces(at: AppTest) -> dict[str, dict]:
    (figure,) = figures(at)
    return {trace.get("name"): trace for trace in figure["data"]}


def dot(at: AppTest, row: int) -> tuple[float, float]:
    for trace in figures(at)[0]["data"][1:]:
        if row in (trace.get("customdata") or []):
            i = trace["customdata"].index(row)
            return trace["x"][i], trace["y"][i]
    raise AssertionError(f"test image {row} is not on the map")


def own_posterior(model: str, image: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """μ and σ straight from the model's encoder, as a reader would compute them."""
    mu, logvar = pretrained_model(model).model.encode_distribution(image[None])
    return mu[0].detach().double().numpy(), (0.5 * logvar[0]).exp().detach().double().numpy()


def ring(trace: dict) -> np.ndarray:
    return np.c_[trace["x"], trace["y"]]


def test_a_selected_image_of_a_2d_vae_shows_its_posterior_and_resamples():
    at = open_map_with_selection("digits-vae-2", [4, 9])
    shown = traces(at)
    assert set(Q_TRACES) <= set(shown)
    mu, sigma = own_posterior("digits-vae-2", cache.test_split("digits").images[4])
    np.testing.assert_allclose([shown["q(z|x): mean μ"]["x"][0], shown["q(z|x): mean μ"]["y"][0]], mu, atol=1e-5)
    np.testing.assert_allclose(dot(at, 4), mu, atol=1e-5)  # the ring sits on the selected dot
    for k in (1, 2):  # on the code's own plane the ellipse is (z - μ)² / σ² summed = k²
        np.testing.assert_allclose((((ring(shown[f"q(z|x): {k}σ"]) - mu) / sigma) ** 2).sum(1), k * k, rtol=1e-6)
    words = next(c.value for c in at.caption if c.value.startswith("q(z|x) of test image 4"))
    assert f"μ = ({mu[0]:.2f}, {mu[1]:.2f})" in words and f"σ = ({sigma[0]:.2f}, {sigma[1]:.2f})" in words
    draws = ring(shown["z = μ + σ·ε (200 draws)"])
    inside = (((draws - mu) / sigma) ** 2).sum(1) <= 1
    assert f"{inside.mean():.0%} inside 1σ (a 2-D Gaussian holds 39.3%)" in words
    assert "8 of the draws, decoded" in str(at.image[-1].proto)

    at.button(key="lm_resample_button").click().run()
    assert not at.exception, at.exception
    again = traces(at)
    assert not np.allclose(ring(again["z = μ + σ·ε (200 draws)"]), draws)  # new draws ...
    np.testing.assert_allclose(ring(again["q(z|x): 1σ"]), ring(shown["q(z|x): 1σ"]))  # ... of the same q(z|x)


def test_an_8d_vae_shows_its_posterior_through_pca_and_says_why_not_on_umap():
    at = open_map_with_selection("digits-vae-8", [7])
    shown = traces(at)
    np.testing.assert_allclose([shown["q(z|x): mean μ"]["x"][0], shown["q(z|x): mean μ"]["y"][0]], dot(at, 7), atol=1e-4)
    words = next(c.value for c in at.caption if c.value.startswith("q(z|x) of test image 7"))
    assert "Gaussian in 8 dimensions" in words and "the other 6 directions are not seen" in words
    at.radio[0].set_value("umap").run()
    assert not at.exception, at.exception
    assert not set(Q_TRACES) & set(traces(at))
    assert any("UMAP is not a linear map" in c.value for c in at.caption)


def test_a_plain_autoencoder_draws_no_posterior():
    at = open_map_with_selection("digits-ae-8", [7])
    assert not set(Q_TRACES) & set(traces(at)) and not at.button


def draw(at: AppTest, strokes: list) -> AppTest:
    at.session_state[draw_view.STROKES_KEY] = strokes
    at.run()
    assert not at.exception, at.exception
    return at


def hover_decoder(at: AppTest) -> dict:
    (found,) = [e for e in at.main if getattr(e, "type", None) == "bidi_component"
                and e.proto.component_name == "ae_pointer_decoder"]
    return json.loads(found.proto.json)


def test_a_drawing_on_a_vae_shows_its_posterior_and_the_map_decodes_under_the_pointer():
    at = draw(open_page(DRAW, model="digits-vae-2"), SEVEN)
    shown = traces(at)
    star = shown["your drawing"]
    np.testing.assert_allclose([shown["q(z|x): mean μ"]["x"][0], shown["q(z|x): mean μ"]["y"][0]],
                               [star["x"][0], star["y"][0]], atol=1e-5)
    assert any(c.value.startswith("q(z|x) of your drawing: μ = (") for c in at.caption)
    before = ring(shown["z = μ + σ·ε (200 draws)"])
    at.button(key="dw_resample_button").click().run()
    assert not np.allclose(ring(traces(at)["z = μ + σ·ε (200 draws)"]), before)
    onnx, job = decoder_onnx(pretrained_model("digits-vae-2"))
    if job is not None:  # exported once per model on this machine, in the background
        wait_for_job(job)
        at.run()
    data = hover_decoder(at)
    assert data["mapping"]["kind"] == "exact" and data["mapping_id"].endswith("/draw")
    assert len(at.get("bidi_component")) == 2  # the canvas, then the hover decoder


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    base = tmp_path_factory.mktemp("posterior")
    with mnist_here(base, seed=5):
        yield base


def test_on_a_downloaded_mnist_the_map_and_a_drawing_show_the_posterior(fake_mnist):
    at = open_map_with_selection("mnist-vae-2", [3])  # nothing measured here: the test codes are encoded
    mu, _ = own_posterior("mnist-vae-2", cache.test_split("mnist").images[3])
    np.testing.assert_allclose(dot(at, 3), mu, atol=1e-4)
    assert set(Q_TRACES) <= set(traces(at))
    at = draw(open_page(DRAW, model="mnist-vae-16"), SEVEN)  # its test images are measured by a job first
    job = at.session_state[jobs.JOBS_KEY].get(draw_view.PURPOSE)
    if job is not None:
        wait_for_job(job)
        assert job.state == jobs.DONE, job.error
        at.run()
        assert not at.exception, at.exception
    assert set(Q_TRACES) <= set(traces(at))
    words = next(c.value for c in at.caption if c.value.startswith("q(z|x) of your drawing"))
    assert "Gaussian in 16 dimensions" in words and "The PCA map is linear" in words
    assert posterior.applies(pretrained_model("mnist-vae-16"))
