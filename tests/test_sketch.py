"""aecore.studies.sketch: a drawing made into a dataset image the way the dataset's images were made, and
placed among a model's test images (map, anomaly percentile, nearest codes).

The MNIST and Fashion-MNIST checks use ../shared/data's held-out images and the zoo's models; they
skip where those images are absent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

import aecore
from aecore.studies import sketch
from aecore.data.splits import SPLIT_SEED, TEST_FRACTION

_spec = importlib.util.spec_from_file_location("shared_data", Path(__file__).resolve().parents[1] / "bench" / "shared_data.py")
shared_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shared_data)

MNIST = (1, 28, 28)
SEVEN = [{"w": 20, "p": [80, 60, 200, 60, 120, 230]}]
ONE = [{"w": 20, "p": [140, 40, 140, 240]}]
TROUSERS = [{"w": 40, "p": [110, 40, 170, 40, 180, 240]}, {"w": 40, "p": [110, 40, 100, 240]}]


def centre_of_mass(image: torch.Tensor) -> tuple[float, float]:
    a = image[0].numpy().astype(np.float64)
    rows, cols = np.indices(a.shape)
    return (rows * a).sum() / a.sum(), (cols * a).sum() / a.sum()


def ink_box(image: torch.Tensor) -> tuple[int, int, int, int]:
    ink = image[0].numpy() > sketch.INK
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


# --- strokes from the browser ---------------------------------------------------------------------
def test_strokes_are_parsed_and_clipped_to_the_canvas():
    strokes = sketch.parse_strokes([{"w": 20, "p": [-5, 10, 300, 20.5]}, {"w": 3, "p": [1, 2]}])
    assert [s.width for s in strokes] == [20.0, 3.0]
    np.testing.assert_array_equal(strokes[0].points, [[0, 10], [sketch.CANVAS_PX, 20.5]])
    assert strokes[1].points.shape == (1, 2)  # a click is a dot


@pytest.mark.parametrize("value, says", [
    ("strokes", "must be a list"),
    ([{"w": 20}], "flat list"),
    ([{"w": 20, "p": [1, 2, 3]}], "flat list"),
    ([{"w": 0, "p": [1, 2]}], "pen width"),
    ([{"w": True, "p": [1, 2]}], "pen width"),
    ([{"w": 20, "p": [1, "2"]}], "numbers"),
    ([{"w": 20, "p": [1, float("nan")]}], "finite"),
    ([{"w": 20, "p": [1, 2] * (sketch.MAX_POINTS + 1)}], "at most"),
    ([{"w": 20, "p": [1, 2]}] * (sketch.MAX_STROKES + 1), "at most"),
    ([[1, 2]], "flat list"),
])
def test_a_payload_that_is_no_drawing_is_refused_with_a_message(value, says):
    with pytest.raises(ValueError, match=says):
        sketch.parse_strokes(value)


def test_the_rasterised_stroke_is_white_on_black_where_it_was_drawn():
    [canvas] = sketch.rasterize(sketch.parse_strokes([{"w": 10, "p": [20, 30, 100, 30]}]))
    assert canvas.shape == (sketch.CANVAS_PX, sketch.CANVAS_PX) and canvas.max() == 1.0
    assert canvas[30, 60] == 1.0 and canvas[30, 20] == 1.0  # on the line, and its round cap
    assert canvas[60, 60] == 0.0 and canvas[30, 120] == 0.0


def test_the_steps_show_the_drawing_grow_stroke_by_stroke():
    drawn = SEVEN + ONE + [{"w": 20, "p": [40, 250]}]
    steps = sketch.sketch_steps(drawn, "mnist", MNIST, last=2)
    assert steps.shape == (2, *MNIST)
    assert torch.equal(steps[-1], sketch.sketch_image(drawn, "mnist", MNIST))
    assert torch.equal(steps[0], sketch.sketch_image(drawn[:2], "mnist", MNIST))
    assert sketch.sketch_steps(drawn, "mnist", MNIST, last=10).shape[0] == 3


# --- made the way each dataset's images were made ----------------------------------------------
def test_an_empty_canvas_gives_a_clear_message():
    for dataset, shape in (("mnist", MNIST), ("fashion-mnist", MNIST), ("digits", (1, 8, 8)), ("shapes", (1, 32, 32))):
        with pytest.raises(ValueError, match="The canvas is empty: draw on it"):
            sketch.sketch_image([], dataset, shape)


def test_a_stroke_off_in_a_corner_lands_centred_in_28x28_as_mnist_was_made():
    corner = [{"w": 12, "p": [10, 10, 60, 20, 30, 90]}]  # small and in the top-left corner
    image = sketch.sketch_image(corner, "mnist", MNIST)
    assert image.shape == MNIST and 0 <= image.min() and image.max() <= 1
    row, col = centre_of_mass(image)
    assert abs(row - 13.5) <= 0.5 and abs(col - 13.5) <= 0.5  # the centre of mass on the field's centre
    top, bottom, left, right = ink_box(image)
    assert max(bottom - top, right - left) == 20  # the longer side fills the 20x20 box
    assert top > 0 and left > 0 and bottom < 28 and right < 28  # shifted by its mass, never cut off


def test_an_mnist_one_stays_thin_and_upright():
    top, bottom, left, right = ink_box(sketch.sketch_image(ONE, "mnist", MNIST))
    assert bottom - top == 20 and right - left <= 4  # the aspect ratio is kept


def test_fashion_trims_to_the_ink_and_scales_the_longest_edge_to_28():
    image = sketch.sketch_image([{"w": 20, "p": [20, 20, 120, 20, 120, 80]}], "fashion-mnist", MNIST)
    top, bottom, left, right = ink_box(image)
    assert right - left == 28 and bottom - top < 28  # wider than tall: the width fills the frame
    assert abs((top + bottom) / 2 - 14) <= 1  # centred by its box


def test_digits_fill_the_height_and_count_ink_in_sixteenths():
    image = sketch.sketch_image(SEVEN, "digits", (1, 8, 8))
    top, bottom, _, _ = ink_box(image)
    assert image.shape == (1, 8, 8) and (top, bottom) == (0, 8)
    np.testing.assert_allclose(image * 16, (image * 16).round(), atol=1e-5)


def test_shapes_keep_where_the_drawing_sits():
    image = sketch.sketch_image([{"w": 40, "p": [40, 40, 60, 50]}], "shapes", (1, 32, 32))
    row, col = centre_of_mass(image)
    assert row < 10 and col < 10  # a shape's position is one of its factors: not re-centred


def test_colour_datasets_are_refused_in_words():
    with pytest.raises(ValueError, match="grey images; cifar10 has 3 colour channels"):
        sketch.recipe_for("cifar10", (3, 32, 32))
    assert sketch.recipe_for("mnist", (1, 32, 32)) == "whole"  # an MNIST-named set of another size: scaled whole


# --- placed among the model's test images ---------------------------------------------------------
def test_percentile_is_the_share_below_in_percent():
    scores = np.array([1.0, 2.0, 3.0, 4.0])
    assert sketch.percentile(0.5, scores) == 0.0 and sketch.percentile(9.0, scores) == 100.0
    assert sketch.percentile(2.0, scores) == 37.5  # one below, one tie counted half
    with pytest.raises(ValueError):
        sketch.percentile(1.0, np.array([]))


def test_a_two_d_code_is_its_own_map_and_a_wider_one_is_mapped_by_its_pca():
    rng = np.random.default_rng(0)
    flat = rng.normal(size=(50, 2))
    ref = sketch.reference(flat, rng.random(50))
    assert ref.method == "2-D code"
    np.testing.assert_allclose(ref.embedding, flat)
    codes = rng.normal(size=(50, 6))
    ref = sketch.reference(codes, rng.random(50))
    pca = PCA(n_components=2, random_state=0).fit(codes)
    assert ref.method == "PCA"
    np.testing.assert_allclose(ref.embedding, pca.transform(codes), atol=1e-9)
    np.testing.assert_allclose(ref.place(codes[:3] + 1), pca.transform(codes[:3] + 1), atol=1e-9)
    with pytest.raises(ValueError, match="one score per code"):
        sketch.reference(codes, rng.random(49))


@pytest.fixture(scope="module")
def digits_model():
    model = aecore.load_pretrained("digits-ae-8")
    test = aecore.load_dataset("digits").split(TEST_FRACTION, seed=SPLIT_SEED)[1]
    return model, test


def test_measure_matches_what_the_zoo_stored(digits_model):
    model, test = digits_model
    measured = sketch.measure(model, test.images)
    stored = aecore.load_results("digits-ae-8")
    np.testing.assert_allclose(measured["codes"], stored["codes"], atol=1e-5)  # same images, same order
    np.testing.assert_allclose(measured["scores"], stored["anomaly"]["scores"], rtol=1e-4, atol=1e-7)
    as_job = sketch.measure(aecore.to_zip_bytes(model), "digits")  # as the queue runs it: bytes and a name
    np.testing.assert_allclose(as_job["scores"], measured["scores"], rtol=1e-6)


def check_scores(model, test, drawn, dataset, expected_class):
    measured = sketch.measure(model, test.images)
    ref = sketch.reference(measured["codes"], measured["scores"], test.labels.numpy())
    shape = tuple(model.config.input_shape)
    seen = sketch.see(model, sketch.sketch_image(drawn, dataset, shape), ref)
    real = sketch.see(model, test.images[0], ref)
    noise = sketch.see(model, torch.rand(shape, generator=torch.Generator().manual_seed(0)), ref)
    assert 0 <= seen.percentile <= 100 and 0 <= real.percentile <= 100
    assert real.score < noise.score and real.percentile < noise.percentile
    assert noise.percentile > 99
    assert seen.reconstruction.shape == shape and seen.point.shape == (2,)
    assert sketch.likely_class(ref, seen, test.classes)[0] == expected_class


def test_a_drawn_seven_on_digits(digits_model):
    check_scores(*digits_model, SEVEN, "digits", "7")


@pytest.mark.parametrize("dataset, name, drawn, expected", [
    ("mnist", "mnist-ae-32", ONE, "1"),
    ("mnist", "mnist-ae-32", SEVEN, "7"),
    ("fashion-mnist", "fashion-mnist-ae-32", TROUSERS, "Trouser"),
])
def test_a_sketch_on_the_real_28x28_sets(dataset, name, drawn, expected):
    if not shared_data.available(dataset):
        pytest.skip(f"../shared/data has no {dataset} images here")
    test = shared_data.held_out_split(dataset)[1]
    check_scores(aecore.load_pretrained(name), test, drawn, dataset, expected)


def test_the_denoiser_rebuilds_the_sketch(digits_model):
    cleaner = aecore.load_pretrained("digits-denoising-16")
    image = sketch.sketch_image(SEVEN, "digits", (1, 8, 8))
    cleaned = sketch.denoise(cleaner, image)
    assert cleaned.shape == image.shape and 0 <= cleaned.min() and cleaned.max() <= 1
