"""The Inside the code page under AppTest: it opens, shows its four sections, and follows its controls."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import figures, open_page, wait_for_job, widget

import aecore
import torch
from ui.core import jobs, state
from ui import regularizers_view as view

PAGE = "pages/regularizers.py"


def open_this(model: str | None = None) -> AppTest:
    return open_page(PAGE, model=model)


def titles(at: AppTest) -> list[str]:
    return [f["layout"]["title"]["text"] for f in figures(at)]


def test_page_shows_every_section_with_formulas_and_charts():
    at = open_this()
    headers = [h.value for h in at.header]
    assert headers == ["Sparsity", "Contraction", "VAE: KL per dimension, β and warm-up", "Overfitting"]
    assert len(at.latex) == 4
    charts = figures(at)
    names = {trace["name"] for trace in charts[0]["data"]}
    assert names == {"digits-ae-8", "digits-sparse-l1-16", "digits-sparse-kl-16"}
    assert {trace["name"] for trace in charts[2]["data"]} == {"digits-ae-8", "digits-contractive-8"}
    assert titles(at)[-1] == "Loss per epoch of digits-ae-8"
    assert len(charts[-1]["data"][0]["y"]) == 100  # the checkpoint's recorded train loss
    assert "Train both" in [b.label for b in at.button]


def test_threshold_slider_changes_the_active_fractions():
    at = open_this()
    before = [m.value for m in at.metric][:3]
    widget(at.slider, "Active threshold").set_value(0.3).run()
    assert not at.exception
    after = [m.value for m in at.metric][:3]
    assert after != before


def test_warmup_button_trains_both_and_draws_kl():
    at = open_this("digits-vae-8")
    assert any(t.startswith("KL per dimension (test set)") for t in titles(at))
    widget(at.select_slider, "β of the small VAE").set_value(2.0).run()
    at.button[0].click().run()
    assert not at.exception
    wait_for_job(at.session_state[jobs.JOBS_KEY][view.WARMUP_PURPOSE])
    at.run()
    assert not at.exception
    assert "KL per dimension, β = 2" in titles(at)
    labels = [m.label for m in at.metric]
    assert "no warm-up: active units" in labels and "warm-up: active units" in labels


def test_a_users_model_is_measured_in_the_background_and_then_compared():
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=(1, 8, 8), latent_dim=4, hidden=(32,))
    at = open_page(PAGE, model=state.ActiveModel(model=model, name="trained: test 4-D", source="trained",
                                                 dataset="digits"))
    assert any("computing in the background" in info.value for info in at.info)
    assert {trace["name"] for trace in figures(at)[0]["data"]} == {"digits-ae-8", "digits-sparse-l1-16",
                                                                    "digits-sparse-kl-16"}  # the zoo's, stored
    job = at.session_state[jobs.JOBS_KEY][view.PURPOSE]
    wait_for_job(job)
    assert job.state == jobs.DONE, job.error
    at.run()
    assert not at.exception, at.exception
    charts = figures(at)
    assert "trained: test 4-D (active)" in {trace["name"] for trace in charts[0]["data"]}
    assert "trained: test 4-D (active)" in {trace["name"] for trace in charts[2]["data"]}
    widget(at.select_slider, "Perturbation size").set_value(0.1).run()
    assert not at.exception and at.session_state[jobs.JOBS_KEY][view.PURPOSE] is job
