"""Every image called a test image is one no model trained on: a dataset with its own test file
(MNIST's t10k) is tested on that file everywhere (pages, jobs, the zoo, the CLI); the embedded sets
keep their seeded split. Runs on a fake download written here (random images, never the real ones)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import aecore
from aecore.studies import jobs, page_jobs
from aecore.data import load_split, split_positions
from aecore.runner import RunSpec, split_for
from fake_mirror import write_unpacked_mnist

TRAIN, TEST = 300, 60


def hashes(dataset: aecore.ImageDataset) -> set[str]:
    return {hashlib.sha256(image.numpy().tobytes()).hexdigest() for image in dataset.images}


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    write_unpacked_mnist(tmp_path / "data", train=TRAIN, test=TEST, seed=3)
    monkeypatch.setenv("AECORE_DATA", str(tmp_path / "data"))
    jobs._cached_split.cache_clear()
    page_jobs.dataset_split.cache_clear()
    yield tmp_path / "data"
    jobs._cached_split.cache_clear()
    page_jobs.dataset_split.cache_clear()


def test_a_download_is_tested_on_its_own_test_file_and_never_on_a_training_image(fake_mnist):
    train, test = load_split("mnist")
    assert (len(train), len(test)) == (TRAIN, TEST)
    official_test = aecore.load_dataset("mnist", train=False)
    assert hashes(test) == hashes(official_test)
    assert not hashes(test) & hashes(aecore.load_dataset("mnist", train=True))  # no test image was trained on
    train_at, test_at = split_positions(train, test, "mnist")
    assert list(train_at) == list(range(TRAIN)) and list(test_at) == list(range(TRAIN, TRAIN + TEST))


def test_every_caller_shows_the_same_test_images(fake_mnist):
    from ui.core import cache

    shown = hashes(load_split("mnist")[1])
    spec = RunSpec(dataset="mnist")
    cache.train_test_split.clear()
    try:
        for where, test in {"the run layer": split_for(spec)[1], "a worker's job": jobs.data_for(spec)[1],
                            "the page jobs": page_jobs.dataset_split("mnist")[1],
                            "the pages": cache.train_test_split("mnist")[1]}.items():
            assert hashes(test) == shown, where
    finally:
        cache.train_test_split.clear()
    normal_train, test, is_anomaly = aecore.anomaly.one_class_split(load_split("mnist"), [0])
    assert hashes(test) == shown and len(is_anomaly) == TEST and not hashes(normal_train) & shown


def test_a_run_records_which_split_it_was_tested_on(fake_mnist):
    from aecore.data.splits import split_record

    assert split_record("mnist") == {"test": "official test file"}
    assert split_record("digits") == {"test_fraction": 0.2, "seed": 0}


def test_embedded_sets_keep_their_seeded_split():
    train, test = load_split("digits")
    expected_train, expected_test = aecore.load_dataset("digits").split(0.2, seed=0)
    assert hashes(test) == hashes(expected_test) and len(train) == len(expected_train)
    assert np.array_equal(split_positions(train, test, "digits")[1], aecore.load_dataset("digits").split_indices(0.2, 0)[1])


@pytest.mark.parametrize("name", ["digits", "shapes"])
def test_split_sizes_count_what_the_split_draws(name):
    train, test = aecore.load_split(name)
    assert aecore.data.splits.split_sizes(name) == (len(train), len(test))
