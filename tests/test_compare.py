"""aecore.studies.compare: Procrustes alignment, trustworthiness, the probe, the default selection and the
refusals of a bad selection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.studies import compare
from aecore.data.splits import SPLIT_SEED, TEST_FRACTION


def rotation(angle: float) -> np.ndarray:
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


@pytest.mark.parametrize("mirror", [False, True])
def test_alignment_recovers_a_rotated_scaled_shifted_copy_exactly(mirror):
    reference = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    turn = rotation(1.1) @ (np.diag([1.0, -1.0]) if mirror else np.eye(2))
    copy = 3.7 * reference @ turn + np.array([5.0, -2.0])
    np.testing.assert_allclose(compare.align(reference, copy), reference, atol=1e-5)


def test_alignment_of_a_noisy_copy_is_closer_than_before_and_keeps_the_reference_scale():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(500, 2))
    copy = 0.2 * (reference + 0.1 * rng.normal(size=reference.shape)) @ rotation(2.5)
    aligned = compare.align(reference, copy)
    assert np.linalg.norm(aligned - reference) < 0.1 * np.linalg.norm(copy - reference)
    assert np.linalg.norm(aligned - aligned.mean(0)) == pytest.approx(np.linalg.norm(reference - reference.mean(0)),
                                                                       rel=1e-5)


def test_align_maps_keeps_the_first_and_aligns_the_rest():
    first = np.random.default_rng(2).normal(size=(50, 2)).astype(np.float32)
    maps = compare.align_maps([first, 2 * first @ rotation(0.5), -first])
    assert maps[0] is not None and np.array_equal(maps[0], first)
    for other in maps[1:]:
        np.testing.assert_allclose(other, first, atol=1e-5)


@pytest.mark.parametrize("shapes", [((10, 2), (9, 2)), ((10, 3), (10, 3)), ((1, 2), (1, 2))])
def test_align_refuses_maps_of_different_images(shapes):
    with pytest.raises(ValueError, match="same images"):
        compare.align(np.zeros(shapes[0]), np.zeros(shapes[1]))


def test_trustworthiness_of_a_map_equal_to_the_data_is_one():
    points = np.random.default_rng(3).normal(size=(200, 2)).astype(np.float32)
    assert compare.map_trustworthiness(points, points) == pytest.approx(1.0)
    # and of a map that scrambles the images: far from 1
    scrambled = points[np.random.default_rng(4).permutation(len(points))]
    assert compare.map_trustworthiness(points, scrambled) < 0.7


def test_trustworthiness_reads_images_and_refuses_a_map_of_other_images():
    images = torch.rand(40, 1, 8, 8)
    embedding = np.random.default_rng(5).normal(size=(40, 2))
    assert 0 < compare.map_trustworthiness(images, embedding) <= 1
    with pytest.raises(ValueError, match="one map point per image"):
        compare.map_trustworthiness(images, embedding[:30])


@pytest.mark.parametrize("datasets, message", [
    ([], "at least 2"), (["digits"], "at least 2"), (["digits"] * 5, "at most 4"),
    (["digits", "shapes"], "one dataset"), (["digits", "digits", "shapes"], "one dataset")])
def test_a_bad_selection_is_refused_with_what_to_do(datasets, message):
    with pytest.raises(ValueError, match=message):
        compare.check_selection(datasets)


@pytest.mark.parametrize("count", [2, 3, 4])
def test_a_good_selection_gives_its_dataset(count):
    assert compare.check_selection(["shapes"] * count) == "shapes"


def test_subset_rows_are_the_same_sorted_draw_every_time():
    rows = compare.subset_rows(10_000)
    assert len(rows) == compare.SUBSET_SIZE == len(set(rows.tolist()))
    assert np.array_equal(rows, np.sort(rows)) and np.array_equal(rows, compare.subset_rows(10_000))
    assert np.array_equal(compare.subset_rows(360), np.arange(360))
    with pytest.raises(ValueError):
        compare.subset_rows(0)


def test_plane_keeps_a_2d_code_and_projects_a_wider_one():
    codes = np.random.default_rng(6).normal(size=(100, 2)).astype(np.float32)
    assert np.array_equal(compare.plane(codes), codes)
    wide = np.random.default_rng(7).normal(size=(100, 6)).astype(np.float32)
    assert compare.plane(wide).shape == (100, 2)
    with pytest.raises(ValueError, match="unknown map method"):
        compare.plane(wide, "tsne")


def test_the_default_selection_shows_one_model_per_regularizer():
    expected_sets = {"digits": ["digits-ae-8", "digits-sparse-l1-16", "digits-contractive-8", "digits-vae-8"],
                     "mnist": ["mnist-ae-32", "mnist-sparse-l1-32", "mnist-contractive-16", "mnist-vae-16"]}
    for dataset, expected in expected_sets.items():
        entries = aecore.list_pretrained(dataset)
        chosen = compare.default_selection(entries, aecore.recipes.DEFAULT_MODELS[dataset])
        assert chosen == expected
        assert [compare.regularizer(e) for e in entries if e["name"] in chosen] == list(compare.REGULARIZERS[:4])
    assert compare.regularizer({"kind": "vae", "options": {"beta": 2.0}}) == "beta-vae"
    assert compare.default_selection([]) == []


def test_measure_gives_codes_map_and_both_numbers_and_takes_what_is_known():
    train, test = aecore.load_dataset("digits").split(TEST_FRACTION, seed=SPLIT_SEED)
    model = aecore.load_pretrained("digits-ae-8")
    rows = compare.subset_rows(len(test), size=200)
    measured = compare.measure(model, train, test, rows)
    assert measured["codes"].shape == (200, 8) and measured["map"].shape == (200, 2)
    assert 0.5 < measured["trustworthiness"] <= 1
    stored = aecore.load_results("digits-ae-8")["probe"]["scores"]["autoencoder"]["logistic"]["all"][0]
    assert measured["probe"] == pytest.approx(stored)  # the zoo's stored probe is this probe
    again = compare.measure(model, train, test, rows, known={"probe": 0.5, "trustworthiness": 0.25})
    assert again["probe"] == 0.5 and again["trustworthiness"] == 0.25
    assert np.allclose(again["map"], measured["map"])


def test_the_job_loads_a_checkpoint_or_a_zoo_name_and_measures_the_same():
    # Called directly, as a worker calls it (progress reports go nowhere outside a worker).
    rows = compare.subset_rows(360, size=100)
    by_name = compare.measure_job("digits-ae-8", "digits", rows)
    by_bytes = compare.measure_job(aecore.to_zip_bytes(aecore.load_pretrained("digits-ae-8")), "digits", rows)
    assert by_name["probe"] == pytest.approx(by_bytes["probe"])
    assert by_name["trustworthiness"] == pytest.approx(by_bytes["trustworthiness"])
    assert by_name["map"].shape == (100, 2)
