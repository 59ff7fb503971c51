"""The Reconstruct & denoise page under AppTest: it opens, its controls exist and drive the numbers.

After `switch_page` AppTest runs the page file alone (docs/streamlit-notes.md), so its state comes from `ui.core.state`.
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

from conftest import open_link, figures, open_page, widget

import aecore
from aecore.studies import lab
from ui.core import state
from ui.core.painting import GridGeometry
from ui.ladder_figure import label_style, ladder_figure

PAGE = "pages/denoise.py"
LEVEL = "Start at noise level"  # the top slider: where the figure starts


def open_lab(dataset: str | None = None) -> AppTest:
    return open_page(PAGE, dataset=dataset)




def decibels(text: str) -> float:
    return float(re.match(r"([\d.]+) dB", text).group(1))


def headline(frame_or_figure: dict) -> dict[str, str]:
    """The figure's headline at a frame (or as first shown): label -> value and gain text, as drawn."""
    notes = frame_or_figure["layout"]["annotations"]
    return {notes[i]["text"]: (notes[i + 1]["text"], notes[i + 2]["text"])
            for i in range(0, len(notes) - 1, 3)}  # the last annotation is the curve's title


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
    assert widget(at.slider, LEVEL).value == pytest.approx(0.3)
    assert widget(at.slider, "Images").value == 12
    assert widget(at.number_input, "Seed").value == 0
    assert widget(at.multiselect, "Classes").value == [str(i) for i in range(10)]
    assert widget(at.checkbox, "Shuffle").value is False
    assert len(at.get("file_uploader")) == 1
    assert [m.label for m in at.metric] == ["Noisy input PSNR at 0.30", "digits-ae-8 PSNR at 0.30",
                                            f"{denoisers[0]} PSNR at 0.30"]
    assert len(at.get("plotly_chart")) == 1  # pictures, headline and curve: one figure, one slider


def test_the_concept_shows_its_formula_beside_the_numbers_at_the_starting_level(lab_page):
    at = lab_page
    assert any(markdown.value.startswith("**Denoising.**") for markdown in at.markdown)
    assert any("PSNR" in latex.value for latex in at.latex)
    assert any("starting level 0.30" in caption.value for caption in at.caption)
    gain = at.metric[2]
    assert gain.delta.endswith("dB gain") and float(gain.delta.split()[0]) > 0  # the denoiser beats the noise


def test_figure_has_a_frame_per_level_and_starts_at_the_chosen_one(lab_page):
    (figure,) = figures(lab_page)
    levels = [frame["name"] for frame in figure["frames"]]
    assert len(levels) == 21 and levels[6] == "0.30"
    steps = figure["layout"]["sliders"][0]["steps"]
    assert [s["method"] for s in steps] == ["animate"] * 21 and figure["layout"]["sliders"][0]["active"] == 6
    assert figure["data"][0]["source"] == figure["frames"][6]["data"][0]["source"]  # shows the chosen frame
    lines = {trace["name"] for trace in figure["data"] if trace.get("xaxis") == "x2" and trace.get("name")}
    assert lines == {"noisy input", "digits-ae-8", "digits-denoising-16"}
    assert headline(figure) == headline(figure["frames"][6])


def test_every_number_and_marker_moves_with_the_figure_slider(lab_page):
    """Each frame carries its own headline, tile labels and curve marker, so the in-figure slider moves
    them all in the browser: the frame at 0.80 says what the page says when it starts at 0.80."""
    (figure,) = figures(lab_page)
    frame = figure["frames"][16]
    assert frame["name"] == "0.80" and set(frame["traces"]) == {0, 1, 2, 3}
    markers, line = frame["data"][2], frame["data"][3]
    assert set(markers["x"]) == {0.8} and set(line["x"]) == {0.8}
    curves = {trace["name"]: trace["y"] for trace in figure["data"] if trace.get("mode") == "lines" and trace.get("name")}
    assert markers["y"] == [curves[name][16] for name in markers["text"]]
    at_030, at_080 = headline(figure["frames"][6]), headline(frame)
    assert decibels(at_080["Noisy input PSNR"][0]) < decibels(at_030["Noisy input PSNR"][0]) - 3
    assert frame["layout"]["title"]["text"].endswith("= 0.80")

    at = open_lab()
    widget(at.slider, LEVEL).set_value(0.8).run()
    assert not at.exception, at.exception
    shown = {m.label.replace(" at 0.80", ""): (m.value, m.delta) for m in at.metric}
    for label, (value, gain) in at_080.items():
        assert shown[label][0] == value
        if shown[label][1]:
            assert gain.startswith(shown[label][1].replace(" gain", ""))  # e.g. "+5.3 dB"


def test_a_higher_starting_level_lowers_the_noisy_psnr():
    at = open_lab()
    widget(at.slider, LEVEL).set_value(0.1).run()
    low_noise = decibels(at.metric[0].value)
    widget(at.slider, LEVEL).set_value(0.6).run()
    assert not at.exception, at.exception
    high_noise = decibels(at.metric[0].value)
    assert high_noise < low_noise - 3, (low_noise, high_noise)
    (figure,) = figures(at)
    assert figure["layout"]["sliders"][0]["active"] == 12
    assert headline(figure)["Noisy input PSNR"][0] == at.metric[0].value


def test_other_noise_images_seed_and_no_second_model():
    at = open_lab()
    widget(at.selectbox, "Noise").set_value("mask").run()
    assert widget(at.slider, LEVEL).label == "Start at noise level (fraction of pixels dropped to 0)"
    assert any("noise now is mask" in caption.value for caption in at.caption)  # the concept follows the kind
    widget(at.slider, "Images").set_value(4).run()
    widget(at.number_input, "Seed").set_value(5).run()
    widget(at.checkbox, "Shuffle").check().run()
    widget(at.selectbox, "Model B").set_value("none").run()
    assert not at.exception, at.exception
    assert len(at.metric) == 2
    (figure,) = figures(at)
    assert figure["layout"]["yaxis"]["ticktext"] == ["clean", "noisy input", "output: digits-ae-8",
                                                     "|error|: digits-ae-8"]
    assert len(figure["layout"]["xaxis"]["ticktext"]) == 4
    assert list(headline(figure)) == ["Noisy input PSNR", "digits-ae-8 PSNR"]


def test_a_link_restores_the_view():
    params = {"dn_a": "digits-denoising-16", "dn_b": "none", "dn_kind": "mask", "dn_level": "0.6",
              "dn_count": "4", "dn_seed": "5", "dn_shuffle": "true", "dn_classes": ["3", "7"]}
    at = open_link(PAGE, params)
    assert widget(at.selectbox, "Model A").value == "digits-denoising-16"
    assert widget(at.selectbox, "Model B").value == "none"
    assert widget(at.selectbox, "Noise").value == "mask"
    assert widget(at.slider, LEVEL).value == pytest.approx(0.6)
    assert widget(at.slider, "Images").value == 4
    assert widget(at.number_input, "Seed").value == 5
    assert widget(at.checkbox, "Shuffle").value is True
    assert widget(at.multiselect, "Classes").value == ["3", "7"]
    (figure,) = figures(at)
    assert set(figure["layout"]["xaxis"]["ticktext"]) == {"3", "7"} and len(figure["layout"]["xaxis"]["ticktext"]) == 4
    assert figure["layout"]["title"]["text"].endswith("= 0.60")
    assert [m.label for m in at.metric] == ["Noisy input PSNR at 0.60", "digits-denoising-16 PSNR at 0.60"]


def test_a_link_naming_another_datasets_model_falls_back_to_the_default_pair():
    at = open_link(PAGE, {"dn_a": "shapes-ae-8"})
    assert widget(at.selectbox, "Model A").value == "digits-ae-8"


def test_switching_dataset_keeps_the_page_working():
    at = open_lab()
    widget(at.multiselect, "Classes").set_value(["3"]).run()
    at.session_state[state.DATASET_KEY] = "shapes"
    at.run()
    assert not at.exception, at.exception
    if aecore.list_pretrained("shapes"):
        assert widget(at.selectbox, "Model A").value.startswith("shapes-")
        assert len(at.get("plotly_chart")) == 1


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
        assert len(at.get("plotly_chart")) == 1
    else:
        assert "No model fits the shapes dataset" in at.info[0].value


def test_presenter_mode_folds_the_secondary_controls_and_grows_the_figure(lab_page):
    at = open_link(PAGE, {"present": "true"})
    assert [e.label for e in at.expander] == ["Seed, classes, your own image"]
    assert widget(at.number_input, "Seed").value == 0  # still there, folded away
    (big,) = figures(at)
    (plain,) = figures(lab_page)
    assert big["layout"]["height"] > plain["layout"]["height"] + 200  # the grid grows, the curve stays
    assert big["layout"]["annotations"][1]["font"]["size"] > plain["layout"]["annotations"][1]["font"]["size"]


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


def curve_lines(figure: dict) -> list[dict]:
    return [trace for trace in figure["data"] if trace.get("mode") == "lines" and trace.get("name")]


def test_the_curve_follows_the_models_and_noise_not_the_images_shown():
    at = open_lab()
    before = curve_lines(figures(at)[0])
    widget(at.number_input, "Seed").set_value(3).run()
    widget(at.multiselect, "Classes").set_value(["1", "7"]).run()
    assert not at.exception, at.exception
    assert curve_lines(figures(at)[0]) == before
    widget(at.selectbox, "Noise").set_value("salt_pepper").run()
    assert curve_lines(figures(at)[0]) != before


@pytest.mark.parametrize("columns", range(1, 34))
def test_tile_labels_have_room_at_every_count(columns):
    """The PSNR under each tile fits its room: the room a label has (a column, or two when the labels
    take turns on two lines) holds its widest text ("99.9 dB" or "99.9") at ~0.6 em a character."""
    unit, font, staggered = label_style(columns)
    column_px = GridGeometry(1, columns, 28, 28).scale * 29  # at the grid's assumed width (ui.core.painting)
    widest = len(f"99.9{unit}") * 0.6 * font
    assert widest < column_px * (2 if staggered else 1) - 4, (columns, unit, font, staggered)
