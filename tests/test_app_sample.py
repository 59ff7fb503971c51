"""The Sample & traverse page under AppTest, for the default plain autoencoder and for a VAE."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import figures, open_page, widget

PAGE = "pages/sample.py"


def open_this(model: str | None = None) -> AppTest:
    return open_page(PAGE, model=model)


def test_plain_autoencoder_shows_both_gaussians_and_says_why():
    at = open_this()
    assert at.title[0].value == "Sample & traverse"
    charts = figures(at)
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert titles[0].startswith("N(0, T² I)") and titles[1].startswith("Gaussian fitted to the test codes")
    assert "prior" in at.markdown[0].value and "holes" in at.markdown[0].value
    assert len(charts[2]["layout"]["yaxis"]["ticktext"]) == 8  # a traversal row per unit
    assert all(c["layout"]["title"]["text"] != "KL per unit" for c in charts)
    drags = [c for c in charts if "frames" in c]
    assert len(drags) == 3 and len(drags[0]["frames"]) == 25
    widget(at.number_input, "Base image").set_value(5).run()
    assert not at.exception and figures(at)[2]["data"] != charts[2]["data"]


def test_vae_samples_follow_temperature_seed_and_the_button():
    at = open_this("digits-vae-8")
    charts = figures(at)
    assert charts[0]["layout"]["title"]["text"] == "N(0, T² I), T = 1.00, seed 0"
    assert charts[2]["layout"]["title"]["text"].startswith("KL per unit") and len(charts[2]["data"][0]["y"]) == 8
    first = charts[0]["data"][0]["source"]
    widget(at.slider, "Temperature").set_value(0.5).run()
    assert not at.exception and figures(at)[0]["data"][0]["source"] != first
    at.button[0].click().run()
    assert not at.exception
    assert figures(at)[0]["layout"]["title"]["text"] == "N(0, T² I), T = 0.50, seed 1"
    widget(at.number_input, "Seed").set_value(1).run()
    again = figures(at)[0]["data"][0]["source"]
    widget(at.number_input, "Seed").set_value(7).run()
    assert figures(at)[0]["data"][0]["source"] != again
    widget(at.multiselect, "Units to drag").set_value([0]).run()
    assert len([c for c in figures(at) if "frames" in c]) == 1
