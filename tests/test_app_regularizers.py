"""The Inside the code page under AppTest: each regularizer's concept block shows its formula beside
live numbers measured on the zoo's models, the numbers follow their controls, and a link's query
parameters restore the controls."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import open_link, figures, open_page, wait_for_job

import aecore
from ui import regularizers_view as view
from ui import warmup_view
from ui.core import jobs, state
from ui.core.concepts import CONCEPTS

PAGE = "pages/regularizers.py"
KEYS = ("sparse_l1", "sparse_kl", "contractive", "collapse")


def open_this(model: str | None = None) -> AppTest:
    return open_page(PAGE, model=model)




def live(at: AppTest, key: str) -> dict[str, str]:
    """label -> value of the live numbers in concept `key`'s block."""
    return {metric.label: metric.value for metric in at.get_by_key(f"concept_{key}").metric}


def titles(at: AppTest) -> list[str]:
    return [f["layout"]["title"]["text"] for f in figures(at)]


def test_each_concept_shows_its_formula_beside_live_numbers():
    at = open_this()
    for key in KEYS:
        block = at.get_by_key(f"concept_{key}")
        assert [latex.value.strip("$\n") for latex in block.latex] == [CONCEPTS[key].formula]
        assert len(block.metric) >= 2, key
    assert [h.value for h in at.header] == ["Sparsity", "Contraction", "VAE: KL per dimension, β and warm-up",
                                            "Overfitting"]
    charts = figures(at)
    assert {trace["name"] for trace in charts[0]["data"]} == {"digits-ae-8", "digits-sparse-l1-16", "digits-sparse-kl-16"}
    assert "Mean activation ρ̂_j of each unit of digits-sparse-kl-16" in titles(at)
    assert titles(at)[-1] == "Loss per epoch of digits-ae-8"


def test_the_live_terms_are_the_models_own_loss_terms():
    """Recomputed here from the models and the test images, independently of the stored measures."""
    at = open_this()
    images = aecore.load_dataset("digits").split(0.2, seed=0)[1].images
    l1_model = aecore.load_pretrained("digits-sparse-l1-16")
    z = l1_model.infer(images).z  # (N, 16)
    assert float(live(at, "sparse_l1")["λ Σ|z_j|, mean per test image"]) == pytest.approx(
        l1_model.config.weight * z.abs().sum(1).mean().item(), abs=1e-3)
    kl_model = aecore.load_pretrained("digits-sparse-kl-16")
    term = kl_model.config.weight * aecore.models.sparse.kl_sparsity(kl_model.infer(images).z, kl_model.config.rho)
    assert float(live(at, "sparse_kl")["λ Σ_j KL(ρ ‖ ρ̂_j)"]) == pytest.approx(term.item(), abs=1e-3)
    contractive = aecore.load_pretrained("digits-contractive-8")
    x = images.clone().requires_grad_(True)
    with torch.enable_grad():
        penalty = aecore.models.contractive.jacobian_penalty(contractive.encode(x), x, create_graph=False)
    assert float(live(at, "contractive")["λ ‖∂z/∂x‖²_F, mean per test image"]) == pytest.approx(
        contractive.config.weight * penalty.item(), rel=1e-3)


def test_threshold_moves_the_active_units_but_not_the_l1_term():
    at = open_this()
    before_l1, before_kl = live(at, "sparse_l1"), live(at, "sparse_kl")
    at.slider(key="rg_threshold").set_value(0.3).run()
    assert not at.exception
    after_l1, after_kl = live(at, "sparse_l1"), live(at, "sparse_kl")
    assert after_l1["λ Σ|z_j|, mean per test image"] == before_l1["λ Σ|z_j|, mean per test image"]
    assert float(after_l1["Units active per image (|z_j| > 30% of its max)"].split()[0]) < float(
        before_l1["Units active per image (|z_j| > 10% of its max)"].split()[0])
    assert after_kl["Units active per image (|z_j| > 30% of its max)"] != before_kl[
        "Units active per image (|z_j| > 10% of its max)"]


def test_image_chooser_moves_that_images_term_and_its_code_chart():
    at = open_this()
    before = live(at, "sparse_l1")["λ Σ|z_j| of test image 0"]
    at.number_input(key="rg_image").set_value(5).run()
    assert not at.exception
    assert live(at, "sparse_l1")["λ Σ|z_j| of test image 5"] != before
    assert "Units above ρ in test image 5" in live(at, "sparse_kl")
    assert "The code of test image 5" in titles(at)


def test_perturbation_moves_the_estimate_towards_the_exact_term():
    at = open_this()
    small = live(at, "contractive")
    at.select_slider(key="rg_sigma").set_value(0.3).run()
    assert not at.exception
    large = live(at, "contractive")
    assert large["‖∂z/∂x‖²_F, exact"] == small["‖∂z/∂x‖²_F, exact"]
    exact = [float(v) for v in small["‖∂z/∂x‖²_F, exact"].split(" vs ")]
    near = [float(v) for v in small["‖∂z/∂x‖²_F from pushes of σ = 0.01"].split(" vs ")]
    far = [float(v) for v in large["‖∂z/∂x‖²_F from pushes of σ = 0.3"].split(" vs ")]
    assert exact[0] < exact[1] / 10  # the contractive model's Jacobian is far smaller than the plain ae's
    assert np.allclose(near, exact, rtol=0.05)  # a small push reads the Jacobian term
    assert far != near  # a large one leaves the encoder's linear region


def test_collapse_follows_beta_and_its_warmup_experiment():
    at = open_this("digits-vae-8")
    assert any(t.startswith("KL per dimension (test set)") for t in titles(at))
    wait_for_job(warmup_view.warmup_job(3.0))
    at.run()
    at3 = live(at, "collapse")
    assert at3["No warm-up: units in use"] == "0 of 8"  # β = 3 with the full KL weight at once: collapsed
    assert int(at3["Warm-up: units in use"].split()[0]) > 0  # the warm-up keeps some units in use
    assert "KL per dimension, β = 3" in titles(at)
    at.select_slider(key="rg_beta").set_value(1.0).run()
    assert live(at, "collapse")["No warm-up: units in use"] in ("queued…", "training…")
    wait_for_job(warmup_view.warmup_job(1.0))
    at.run()
    assert not at.exception
    assert int(live(at, "collapse")["No warm-up: units in use"].split()[0]) > 0  # β = 1: no collapse
    assert "KL per dimension, β = 1" in titles(at)


def test_a_link_restores_every_control():
    at = open_link(PAGE, {"rg_threshold": "0.3", "rg_image": "7", "rg_sigma": "0.1", "rg_beta": "2.0"})
    assert at.slider(key="rg_threshold").value == pytest.approx(0.3)
    assert at.number_input(key="rg_image").value == 7
    assert at.select_slider(key="rg_sigma").value == 0.1
    assert at.select_slider(key="rg_beta").value == 2.0
    assert "Units active per image (|z_j| > 30% of its max)" in live(at, "sparse_l1")
    assert "λ Σ|z_j| of test image 7" in live(at, "sparse_l1")
    assert "‖∂z/∂x‖²_F from pushes of σ = 0.1" in live(at, "contractive")


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
    assert "trained: test 4-D (active)" in {trace["name"] for trace in charts[4]["data"]}
    assert "vs trained: test 4-D (active)" in at.get_by_key("concept_contractive").metric[1].help  # the plain ae shown
    at.select_slider(key="rg_sigma").set_value(0.1).run()
    assert not at.exception and at.session_state[jobs.JOBS_KEY][view.PURPOSE] is job


def test_presenter_mode_folds_the_image_chooser_away():
    at = open_link(PAGE, {"present": "true"})
    assert [e.label for e in at.expander] == ["Pick a test image"]
    assert at.number_input(key="rg_image").value == 0


def vae_named(name: str, beta: float):
    from types import SimpleNamespace

    return SimpleNamespace(name=name, source="pretrained", model=SimpleNamespace(config=SimpleNamespace(beta=beta)))


@pytest.mark.parametrize("strong_kl, says", [
    ([2.0, 1.0, 0.0, 0.0], "β > 1 pulls harder, and more units collapse: plain keeps more units in use than "
                           "beta (β = 4): 3 of 4 against 2 of 4."),
    ([0.5, 0.5, 0.5, 0.0], "yet no more units collapse here: plain keeps as many units in use as beta (β = 4): 3 of 4 "
                           "and 3 of 4. The pull shows in what each unit carries: 1.5 nats of KL in all against 6.0."),
    ([3.0, 3.0, 3.0, 3.0], "yet no more units collapse here: beta (β = 4) keeps more units in use than plain: 4 of 4 "
                           "against 3 of 4. And it carries 12.0 nats of KL in all against 6.0.")])
def test_the_beta_sentence_follows_the_units_it_describes(strong_kl, says):
    """The page said "β > 1 pulls harder: more units collapse" above bars where vae-8 and beta-vae-8
    both use 3 of 8 units."""
    kl = {"plain": [3.0, 2.0, 1.0, 0.0], "beta": strong_kl}
    assert says in view.beta_words([vae_named("plain", 1.0), vae_named("beta", 4.0)], kl)



@pytest.mark.parametrize("used, says", [
    ((3, 5), "warm-up keeps more units in use than no warm-up: 5 of 8 against 3 of 8. The full KL weight"),
    ((4, 3), "no warm-up keeps more units in use than warm-up: 4 of 8 against 3 of 8. Warm-up is no promise"),
    ((4, 4), "warm-up keeps as many units in use as no warm-up: 4 of 8 and 4 of 8. Here the KL pull")])
def test_the_warmup_sentence_says_which_run_kept_more_units(used, says):
    """At β = 1, warm-up kept fewer units (3 of 8) than no warm-up (4 of 8), and nothing said so."""
    def run(active: int) -> dict:
        return {"kl_per_dim": [1.0] * active + [0.0] * (8 - active)}

    result = {"no warm-up": run(used[0]), "warm-up": run(used[1])}
    assert warmup_view.warmup_words(1.0, result).startswith(f"At β = 1, {says}")
