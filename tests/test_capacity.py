"""aecore.studies.capacity: the overfitting recipe overfits on a few images and not on all of them, and the
overcomplete plain autoencoder copies noise that the sparse and denoising ones of its width do not."""

from __future__ import annotations

import pytest
import torch

from aecore.studies import capacity


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # These small models train fastest on one thread, and the suite shares the cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def few_images() -> dict:
    return capacity.overfit(**capacity.OVERFIT_DEFAULTS)


def test_a_large_model_on_a_few_hundred_images_overfits(few_images):
    run = few_images
    assert run["settings"] == capacity.OVERFIT_DEFAULTS and not run["stopped"]
    assert run["epochs"] == len(run["train_loss"]) == len(run["val_loss"]) == 150  # 1200 updates of 8 batches
    # Validation loss turned: the lowest point is early, and it rose by a clear margin since.
    assert run["best_epoch"] < run["epochs"] // 2
    assert run["final_val"] > run["best_val"] + 0.5 and run["rise"] > 0.03 * run["best_val"]
    # ... while the training loss kept falling after that point, and the gap widened.
    assert run["final_train"] < run["train_at_best"] - 0.5
    assert run["gap"] > run["gap_at_best"] + 1.0


def test_all_the_training_images_close_the_gap(few_images):
    run = capacity.overfit(images=capacity.IMAGE_COUNTS[-1], width=512, updates=1200)
    assert run["epochs"] < 30  # the same updates, so far fewer passes
    assert run["gap"] < few_images["gap"] / 3
    assert run["rise"] < 0.2  # validation still (about) at its lowest at the end


def test_summarize_finds_the_turn():
    summary = capacity.summarize([5.0, 4.0, 3.0, 2.0], [6.0, 5.0, 5.5, 6.0])
    assert summary["best_epoch"] == 2 and summary["rise"] == 1.0 and summary["gap"] == 4.0
    assert summary["gap_at_best"] == 1.0


def test_the_subset_and_the_spec_follow_the_controls():
    subset = capacity.training_subset(100)
    assert len(subset) == 100 and len(set(subset.labels.tolist())) == 10  # drawn at random: every class
    assert torch.equal(subset.images, capacity.training_subset(100).images)  # the same images each time
    spec = capacity.overfit_spec(500, 128, 600)
    assert spec.options["hidden"] == (128, 128) and spec.fit.epochs == 30  # 600 updates of 20 batches
    with pytest.raises(ValueError, match="images must be"):
        capacity.training_subset(5000)


@pytest.fixture(scope="module")
def wide() -> dict:
    return capacity.overcomplete(256)


def test_the_overcomplete_plain_model_copies_noise_and_the_regularized_ones_do_not(wide):
    result = wide
    mse = result["mse"]
    assert set(mse) == set(capacity.MODELS) and "stopped" not in result
    # All three rebuild digits well.
    assert all(mse[name]["digits"] < 0.02 for name in capacity.MODELS)
    # The plain one rebuilds noise far better than the sparse and the denoising one of the same width ...
    assert mse["sparse"]["noise"] > 2 * mse["plain"]["noise"]
    assert mse["denoising"]["noise"] > 2 * mse["plain"]["noise"]
    # ... and shapes it never saw about as well as digits (within a few times), unlike the denoising one.
    assert mse["plain"]["shapes"] < 6 * mse["plain"]["digits"]
    assert mse["denoising"]["shapes"] > 3 * mse["plain"]["shapes"]
    shown = result["inputs"]["noise"]
    assert shown.shape == (capacity.SHOWN, 1, 8, 8) and result["outputs"]["plain"]["noise"].shape == shown.shape


def test_a_narrow_plain_model_does_not_copy_noise(wide):
    narrow = capacity.overcomplete(16)["mse"]["plain"]
    assert narrow["noise"] > 2 * wide["mse"]["plain"]["noise"]


def test_probe_sets_are_images_in_range():
    sets = capacity.probe_sets()
    assert set(sets) == set(capacity.PROBES)
    for images in sets.values():
        assert images.shape == (capacity.PROBE_IMAGES, 1, 8, 8)
        assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
