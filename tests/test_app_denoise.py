"""The Reconstruct & denoise page under AppTest: it opens, its controls exist and drive the numbers.

After `switch_page` AppTest runs the page file alone (STACK.md), so its state comes from `ui.core.state`.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import torch
from PIL import Image

import pytest
from streamlit.testing.v1 import AppTest

from conftest import figures, open_page, widget

import aecore
from aecore import lab
from ui.ladder_figure import ladder_figure

PAGE = "pages/denoise.py"


def open_lab(dataset: str | None = None) -> AppTest:
    return open_page(PAGE, dataset=dataset)


def noisy_psnr(at: AppTest) -> float:
    value = widget(at.metric, "Noisy input PSNR").value
    return float(re.match(r"([\d.]+) dB", value).group(1))


@pytest.fixture(scope="module")
def lab_page() -> AppTest:
    return open_lab()


def test_opens_with_its_controls_and_two_models(lab_page):
    at = lab_page
    assert at.title[0].value == "Reconstruct & denoise"
    assert widget(at.selectbox, "Model A").value == "digits-ae-8"
    denoisers = [e["name"] for e in aecore.list_pretrained("digits") if e["kind"] == "denoising"]
    assert widget(at.selectbox, "Model B").value == denoisers[0]
    assert widget(at.selectbox, "Noise").options == aecore.noise.list_noise()
    assert widget(at.slider, "noise level").value == pytest.approx(0.3)
    assert widget(at.slider, "Images").value == 12
    assert widget(at.number_input, "Seed").value == 0
    assert widget(at.multiselect, "Classes").value == [str(i) for i in range(10)]
    assert widget(at.checkbox, "Shuffle").value is False
    assert len(at.get("file_uploader")) == 1
    assert [m.label for m in at.metric][1:] == ["digits-ae-8 PSNR", f"{denoisers[0]} PSNR"]


def test_grid_figure_has_a_frame_per_level_and_starts_at_the_chosen_one(lab_page):
    grid, curve = figures(lab_page)
    levels = [frame["name"] for frame in grid["frames"]]
    assert len(levels) == 21 and levels[6] == "0.30"
    steps = grid["layout"]["sliders"][0]["steps"]
    assert [s["method"] for s in steps] == ["animate"] * 21 and grid["layout"]["sliders"][0]["active"] == 6
    assert grid["data"][0]["source"] == grid["frames"][6]["data"][0]["source"]  # shows the chosen frame
    assert {trace["name"] for trace in curve["data"]} == {"noisy input", "digits-ae-8", "digits-denoising-16"}


def test_a_higher_noise_level_lowers_the_noisy_psnr():
    at = open_lab()
    widget(at.slider, "noise level").set_value(0.1).run()
    low_noise = noisy_psnr(at)
    widget(at.slider, "noise level").set_value(0.6).run()
    assert not at.exception, at.exception
    high_noise = noisy_psnr(at)
    assert high_noise < low_noise - 3, (low_noise, high_noise)
    assert figures(at)[0]["layout"]["sliders"][0]["active"] == 12


def test_other_noise_images_seed_and_no_second_model():
    at = open_lab()
    widget(at.selectbox, "Noise").set_value("mask").run()
    assert widget(at.slider, "noise level").label == "noise level (fraction of pixels dropped to 0)"
    widget(at.slider, "Images").set_value(4).run()
    widget(at.number_input, "Seed").set_value(5).run()
    widget(at.checkbox, "Shuffle").check().run()
    widget(at.selectbox, "Model B").select_index(0).run()  # "none"
    assert not at.exception, at.exception
    assert len(at.metric) == 2
    grid = figures(at)[0]
    assert grid["layout"]["yaxis"]["ticktext"] == ["clean", "noisy input", "output: digits-ae-8",
                                                   "|error|: digits-ae-8"]
    assert len(grid["layout"]["xaxis"]["ticktext"]) == 4


def test_no_class_chosen_asks_for_one():
    at = open_lab()
    widget(at.multiselect, "Classes").set_value([]).run()
    assert not at.exception, at.exception
    assert "at least one class" in at.warning[0].value
    widget(at.multiselect, "Classes").set_value(["3"]).run()
    assert not at.exception and not at.warning
    assert set(figures(at)[0]["layout"]["xaxis"]["ticktext"]) == {"3"}


def test_shapes_dataset_opens_with_whatever_the_zoo_lists():
    at = open_lab("shapes")
    if aecore.list_pretrained("shapes"):
        assert len(at.get("plotly_chart")) == 2
    else:
        assert "No model fits the shapes dataset" in at.info[0].value


def decoded(source: str) -> np.ndarray:
    """A frame's data-URI picture as (H, W, 4) RGBA values."""
    png = base64.b64decode(source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


@pytest.mark.parametrize("channels", [1, 3])
def test_grid_picture_holds_the_images_and_gaps(channels):
    """The frames' pictures, decoded: every tile shows its image (gray ones through the 128-level
    palette, so within 1/127), the gaps between tiles are transparent, one frame per level."""
    torch.manual_seed(0)
    x = torch.rand(3, channels, 6, 6)
    model = aecore.create_model("ae", input_shape=(channels, 6, 6), latent_dim=2).eval()
    ladder = lab.denoise_ladder(x, {"m": model}, "mask", [0.0, 0.5, 1.0], seed=0)
    figure = ladder_figure([ladder], ["a", "b", "c"], "level", summary=ladder)
    assert [frame["name"] for frame in figure["frames"]] == ["0.00", "0.50", "1.00"]
    picture = decoded(figure["frames"][2]["data"][0]["source"])
    tile = 6 + 1  # the image and the one-pixel gap after it
    clean = x[1].permute(1, 2, 0).expand(6, 6, 3).numpy() * 255
    assert np.abs(picture[0:6, tile:tile + 6, :3] - clean).max() <= 255 / 127 / 2 + 1
    assert (picture[0:6, tile:tile + 6, 3] == 255).all() and (picture[0:6, 6, 3] == 0).all()
    row = picture.shape[0] // 4  # rows: clean, noisy, output, |error|
    assert (picture[row:row + 6, 0:6, :3] == 0).all()  # level 1.0 of "mask" drops every pixel to 0
    texts = figure["frames"][1]["data"][1]["text"]
    assert texts[:3] == [""] * 3 and texts[3].endswith(" dB") and len(texts) == 4 * 3


def test_the_curve_follows_the_models_and_noise_not_the_images_shown():
    at = open_lab()
    before = figures(at)[1]["data"]
    widget(at.number_input, "Seed").set_value(3).run()
    widget(at.multiselect, "Classes").set_value(["1", "7"]).run()
    assert not at.exception, at.exception
    assert figures(at)[1]["data"] == before
    widget(at.selectbox, "Noise").set_value("salt_pepper").run()
    assert figures(at)[1]["data"] != before
