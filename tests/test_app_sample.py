"""The Sample & traverse page under AppTest, for the default plain autoencoder and for a VAE: the
reparameterisation of one image (concept "vae"), the samples and their live realism numbers (concept
"prior"), the traversal, and a link (the URL's query parameters) that restores the view."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from conftest import open_link, figures, open_page, widget

PAGE = "pages/sample.py"


def open_this(model: str | None = None) -> AppTest:
    return open_page(PAGE, model=model)




def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest) -> pd.DataFrame:
    return at.table[0].value


def titles(at: AppTest) -> list[str]:
    return [c["layout"].get("title", {}).get("text", "") for c in figures(at)]


def test_plain_autoencoder_shows_both_gaussians_says_why_and_has_no_sigma():
    at = open_this()
    assert at.title[0].value == "Sample & traverse"
    assert "no spread σ" in at.info[0].value and "digits-vae-8" in at.info[0].value
    assert not at.table and "Resample ε" not in [b.label for b in at.button]
    charts = figures(at)
    assert titles(at)[0].startswith("N(0, T² I)") and titles(at)[1].startswith("Gaussian fitted to the test codes")
    assert "prior" in at.markdown[0].value and "holes" in at.markdown[0].value
    assert len(charts[2]["layout"]["yaxis"]["ticktext"]) == 8  # a traversal row per unit
    assert not any(t.startswith("KL per unit") for t in titles(at))
    drags = [c for c in charts if "frames" in c]
    assert len(drags) == 3 and len(drags[0]["frames"]) == 25
    widget(at.number_input, "Test image").set_value(5).run()
    assert not at.exception and figures(at)[2]["data"] != charts[2]["data"]


def test_the_prior_numbers_are_live_and_a_plain_ae_misses_where_a_vae_hits():
    at = open_this()
    numbers = metrics(at)
    plain = float(numbers["Near a test image, from N(0, T² I)"].rstrip("%"))
    fitted = float(numbers["Near a test image, from the fitted Gaussian"].rstrip("%"))
    assert plain < fitted  # a Gaussian at the codes' place and shape does better than N(0, I)
    widget(at.slider, "Temperature").set_value(0.5).run()
    assert metrics(at)["Nearest real image, from N(0, T² I)"] != numbers["Nearest real image, from N(0, T² I)"]
    widget(at.number_input, "Seed").set_value(3).run()
    assert metrics(at)["Nearest real image, from the fitted Gaussian"] != numbers[
        "Nearest real image, from the fitted Gaussian"]

    vae = open_this("digits-vae-8")
    assert float(metrics(vae)["Near a test image, from N(0, T² I)"].rstrip("%")) > plain
    assert "Near a test image, from the fitted Gaussian" not in metrics(vae)


def test_the_use_a_vae_button_makes_the_reparameterisation_appear():
    at = open_this()
    # The zoo's VAE whose prior samples read most clearly (the manifest's "prior" check) is offered.
    button = next(b for b in at.button if b.label.startswith("Use "))
    assert button.label == "Use digits-vae-2" and "mean confidence 0.84" in button.help
    button.click().run()
    assert not at.exception and not at.info
    assert table(at).index.tolist() == ["μ", "σ", "ε", "z = μ + σε", "KL (nats)"]


def test_vae_reparameterisation_shows_mu_sigma_eps_z_and_its_kl_and_resamples():
    at = open_this("digits-vae-8")
    first = table(at)
    assert first.shape == (5, 8) and first.columns.tolist() == [f"z{k}" for k in range(8)]
    mu, sigma, eps, z, kl = (first.iloc[i].to_numpy() for i in range(5))
    assert abs(mu + sigma * eps - z).max() < 0.002  # the table's rounding
    kl_total = metrics(at)["KL of this image"]
    assert abs(float(kl_total.split()[0]) - kl.sum()) < 0.02  # the total is the table's KL row summed
    # One image's units are named so; "units in use" is the model's count over the test images alone.
    assert metrics(at)["Units this image uses"] == f"{int((kl > 0.01).sum())} of {len(kl)}"
    assert not any(label.lower().startswith("units in use") for label in metrics(at))
    pictures = figures(at)[0]
    assert pictures["layout"]["title"]["text"] == "test image #0, ε seed 0"
    assert pictures["layout"]["xaxis"]["ticktext"] == ["input x", "g(μ): no noise", "g(z): this draw"]

    next(b for b in at.button if b.label == "Resample ε").click().run()
    assert not at.exception
    assert widget(at.number_input, "ε seed").value == 1
    again = table(at)
    assert (again.loc["μ"] == first.loc["μ"]).all() and (again.loc["σ"] == first.loc["σ"]).all()
    assert (again.loc["z = μ + σε"] != first.loc["z = μ + σε"]).any()
    assert figures(at)[0]["data"][0]["source"] != pictures["data"][0]["source"]
    assert metrics(at)["KL of this image"] == kl_total  # the KL depends on the image, not on the draw

    widget(at.number_input, "Test image").set_value(9).run()
    assert not at.exception and (table(at).loc["μ"] != first.loc["μ"]).any()
    assert figures(at)[0]["layout"]["title"]["text"] == "test image #9, ε seed 1"


def test_vae_samples_follow_temperature_seed_and_the_button():
    at = open_this("digits-vae-8")
    assert "N(0, T² I), T = 1.00, seed 0" in titles(at)
    assert any(t.startswith("KL per unit") for t in titles(at))
    at_samples = titles(at).index("N(0, T² I), T = 1.00, seed 0")
    first = figures(at)[at_samples]["data"][0]["source"]
    widget(at.slider, "Temperature").set_value(0.5).run()
    assert not at.exception and figures(at)[at_samples]["data"][0]["source"] != first
    next(b for b in at.button if b.label == "New samples").click().run()
    assert not at.exception
    assert titles(at)[at_samples] == "N(0, T² I), T = 0.50, seed 1"
    again = figures(at)[at_samples]["data"][0]["source"]
    widget(at.number_input, "Seed").set_value(7).run()
    assert figures(at)[at_samples]["data"][0]["source"] != again
    widget(at.multiselect, "Units to drag").set_value([0]).run()
    assert len([c for c in figures(at) if "frames" in c]) == 1


def test_a_link_restores_the_model_image_noise_samples_and_units():
    at = open_link(PAGE, {"dataset": "digits", "model": "digits-vae-8", "sm_image": "5", "sm_eps": "3", "sm_temp": "0.5",
                    "sm_count": "16", "sm_seed": "2", "sm_units": ["z1", "z4"]})
    assert widget(at.number_input, "Test image").value == 5 and widget(at.number_input, "ε seed").value == 3
    assert widget(at.slider, "Temperature").value == 0.5 and widget(at.slider, "Samples").value == 16
    assert widget(at.number_input, "Seed").value == 2 and widget(at.multiselect, "Units to drag").value == [1, 4]
    assert "test image #5, ε seed 3" in titles(at) and "N(0, T² I), T = 0.50, seed 2" in titles(at)

    same = open_this("digits-vae-8")  # the same view reached through the controls
    widget(same.number_input, "Test image").set_value(5).run()
    widget(same.number_input, "ε seed").set_value(3).run()
    assert table(same).equals(table(at)) and metrics(same)["KL of this image"] == metrics(at)["KL of this image"]


def test_presenter_mode_folds_the_secondary_controls_and_enlarges_the_pictures():
    plain = open_this("digits-vae-8")
    at = open_link(PAGE, {"dataset": "digits", "model": "digits-vae-8", "present": "true"})
    assert [e.label for e in at.expander] == ["Noise seed", "Sample count", "Units to drag"]
    assert widget(at.number_input, "ε seed").value == 0  # folded, not gone
    assert figures(at)[0]["layout"]["height"] > figures(plain)[0]["layout"]["height"]


def test_the_resample_buttons_set_their_seeds_without_a_streamlit_warning(monkeypatch):
    """"Resample ε" and "New samples" write their seed through Session State: a number input created
    with a value= beside that logs "created with a default value but also had its value set"."""
    import logging

    from streamlit.elements.lib import policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # Streamlit warns once per process
    warned = []
    handler = logging.Handler()
    handler.emit = lambda record: warned.append(record.getMessage())
    logging.getLogger(policies.__name__).addHandler(handler)
    try:
        at = open_page(PAGE, model="digits-vae-8")
        for label, key in (("Resample ε", "sm_eps"), ("New samples", "sm_seed")):
            next(button for button in at.button if button.label == label).click().run()
            assert not at.exception and at.session_state[key] == 1
    finally:
        logging.getLogger(policies.__name__).removeHandler(handler)
    assert not [text for text in warned if "default value" in text], warned

