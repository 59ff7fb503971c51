"""aecore.probe on digits: the result's shape, the stratified draw, and a known accuracy floor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import aecore
from aecore.probe import (CLASSIFIERS, LABEL_COUNTS, REPRESENTATIONS, labelled_subset, linear_probe, probe_draws,
                          summarize)


@pytest.fixture(scope="module")
def digits_split() -> tuple[aecore.ImageDataset, aecore.ImageDataset]:
    return aecore.load_dataset("digits").split(0.2, seed=0)


@pytest.fixture(scope="module")
def ae_probe(digits_split) -> dict:
    train, test = digits_split
    return linear_probe(aecore.load_pretrained("digits-ae-8"), train, test, LABEL_COUNTS, repeats=3)


def test_result_has_every_cell(ae_probe, digits_split):
    train, test = digits_split
    assert ae_probe["label_counts"] == ["10", "100", "all"]
    assert set(ae_probe["accuracy"]) == set(REPRESENTATIONS)
    for representation in REPRESENTATIONS:
        assert set(ae_probe["accuracy"][representation]) == set(CLASSIFIERS)
        for classifier in CLASSIFIERS:
            cells = ae_probe["accuracy"][representation][classifier]
            assert set(cells) == {"10", "100", "all"}
            assert all(0.0 <= value <= 1.0 for value in cells.values())
    assert len(ae_probe["rows"]) == len(REPRESENTATIONS) * len(CLASSIFIERS) * 3
    assert {row["draws"] for row in ae_probe["rows"] if row["labels_per_class"] == "all"} == {1}
    assert {row["draws"] for row in ae_probe["rows"] if row["labels_per_class"] == "10"} == {3}
    assert ae_probe["latent_dim"] == 8
    assert (ae_probe["train_size"], ae_probe["test_size"]) == (len(train), len(test))


def test_codes_of_the_pretrained_ae_classify_digits(ae_probe):
    assert ae_probe["accuracy"]["autoencoder"]["logistic"]["all"] > 0.85
    # More labels never hurt by much, and 10 per class is far above chance (10%).
    for representation in REPRESENTATIONS:
        assert ae_probe["accuracy"][representation]["logistic"]["10"] > 0.5


@pytest.mark.parametrize("per_class", [1, 10, 100])
def test_draw_takes_exactly_that_many_of_each_class(digits_split, per_class):
    labels = digits_split[0].labels.numpy()
    chosen = labelled_subset(labels, per_class, seed=3)
    assert len(np.unique(chosen)) == len(chosen)
    assert np.bincount(labels[chosen]).tolist() == [per_class] * 10


def test_draw_is_seeded_and_none_takes_all(digits_split):
    labels = digits_split[0].labels.numpy()
    assert np.array_equal(labelled_subset(labels, 10, seed=1), labelled_subset(labels, 10, seed=1))
    assert not np.array_equal(labelled_subset(labels, 10, seed=1), labelled_subset(labels, 10, seed=2))
    assert np.array_equal(labelled_subset(labels, None), np.arange(len(labels)))
    # A class with fewer images than asked gives all of its images.
    assert len(labelled_subset(np.array([0, 0, 1]), 5)) == 3


def test_codes_are_accepted_instead_of_a_model(digits_split):
    train, test = digits_split
    codes = (torch.randn(len(train), 4), np.random.default_rng(0).normal(size=(len(test), 4)))
    result = linear_probe(codes, train, test, 10, repeats=1)
    assert result["label_counts"] == ["10"] and result["latent_dim"] == 4
    assert result["accuracy"]["autoencoder"]["logistic"]["10"] < 0.3  # noise codes: near chance


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_bad_label_count_is_refused(digits_split, bad):
    train, test = digits_split
    with pytest.raises(ValueError, match="labels_per_class"):
        linear_probe((np.zeros((len(train), 2)), np.zeros((len(test), 2))), train, test, [bad])


def test_codes_of_the_wrong_length_are_refused(digits_split):
    train, test = digits_split
    with pytest.raises(ValueError, match="one row per image"):
        linear_probe((np.zeros((5, 2)), np.zeros((len(test), 2))), train, test)


def test_unlabelled_images_are_refused(digits_split):
    train, test = digits_split
    unlabelled = aecore.ImageDataset(images=train.images)
    with pytest.raises(ValueError, match="no labels"):
        linear_probe((np.zeros((len(train), 2)), np.zeros((len(test), 2))), unlabelled, test)


def test_the_codes_and_pca_are_sent_ahead_of_the_pixels(digits_split):
    train, test = digits_split
    sent = []
    result = probe_draws(aecore.load_pretrained("digits-ae-8"), train, test, LABEL_COUNTS, draws=2, partial=sent.append)
    assert len(sent) == 1 and set(sent[0]["scores"]) == {"autoencoder", "pca"}
    assert sent[0]["scores"]["autoencoder"] == result["scores"]["autoencoder"]  # the same numbers, sent early
    early = summarize(sent[0], 2)
    assert set(early["accuracy"]) == {"autoencoder", "pca"} and len(early["rows"]) == 2 * len(CLASSIFIERS) * 3
    # With the pixels known (another model's), nothing is slow and nothing is sent ahead.
    again = []
    probe_draws(aecore.load_pretrained("digits-ae-8"), train, test, LABEL_COUNTS, draws=2, partial=again.append,
                known={"pixels": result["scores"]["pixels"]})
    assert again == []
