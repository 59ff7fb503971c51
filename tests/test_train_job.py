"""TrainingJob: fit in a background thread, with snapshots, a stop, evaluation and reported failures."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import aecore
from aecore.jobs import DONE, FAILED, STOPPED, TrainingJob, preview_indices

WAIT_S = 120  # generous: the CPU is shared with other work


@pytest.fixture(scope="module")
def digits() -> aecore.ImageDataset:
    return aecore.load_dataset("digits")


def small_job(dataset: aecore.ImageDataset, **changes) -> TrainingJob:
    settings = dict(kind="ae", latent_dim=4, epochs=2, batch_size=64, lr=2e-3, device="cpu", threads=1)
    settings.update(changes)
    return TrainingJob(dataset, **settings)


def wait_until(condition, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_runs_to_completion_and_evaluates_beside_pca(digits):
    job = small_job(digits, epochs=3).start()
    assert job.wait(WAIT_S)
    snap = job.snapshot()
    assert snap.state == DONE and snap.error is None and snap.fraction == 1.0
    assert len(snap.train_history) == len(snap.val_history) == 3
    assert set(snap.train_history[0]) == {"recon", "total"}
    assert snap.reconstructions_epoch == 3
    assert snap.reconstructions.shape == snap.originals.shape == (10, 1, 8, 8)
    assert set(snap.metrics) >= {"mse", "psnr", "bce"} and snap.pca["k"] == 4
    # The snapshot's metrics are those of the model the job hands back.
    assert snap.metrics["mse"] == pytest.approx(aecore.evaluate(job.model, job.test)["mse"])
    assert not job.model.training
    metadata = job.metadata()
    assert metadata["dataset"] == "digits" and metadata["metrics"]["pca"] == snap.pca
    assert len(metadata["history"]["val_loss"]) == 3
    reloaded = aecore.load(aecore.to_zip_bytes(job.model, metadata=metadata))
    assert reloaded.checkpoint["metrics"]["test"]["mse"] == snap.metrics["mse"]


def test_snapshots_advance_while_training(digits):
    job = small_job(digits, epochs=500).start()
    seen = []
    try:
        wait_until(lambda: seen.append(job.snapshot()) or len(seen[-1].train_history) >= 3, "three epochs")
    finally:
        job.stop()
    assert job.wait(WAIT_S)
    batches = [s.batches_done for s in seen]
    assert batches == sorted(batches) and len(set(batches)) > 2
    assert all(0 <= s.fraction < 1 for s in seen) and seen[-1].fraction > seen[0].fraction
    epochs_seen = [len(s.train_history) for s in seen]
    assert epochs_seen == sorted(epochs_seen)
    assert seen[-1].samples_per_second > 0 and seen[-1].seconds_left > 0
    assert set(seen[-1].losses) == {"recon", "total"}
    # The previews were refreshed after an epoch, and they changed as the model learned.
    assert seen[0].reconstructions_epoch == 0 and seen[-1].reconstructions_epoch >= 2
    assert not np.array_equal(seen[0].reconstructions, seen[-1].reconstructions)
    # An earlier snapshot is not changed by later progress.
    assert len(seen[0].train_history) <= 1


def test_stop_keeps_the_weights_so_far_and_evaluates_them(digits):
    job = small_job(digits, epochs=1000)
    before = [p.detach().clone() for p in job.model.parameters()]
    job.start()
    wait_until(lambda: job.snapshot().batches_done >= 5, "five batches")
    job.stop()
    assert job.wait(WAIT_S)
    snap = job.snapshot()
    assert snap.state == STOPPED and snap.fraction == 1.0
    assert len(snap.train_history) < 1000 and snap.metrics is not None and snap.pca is not None
    assert any(not torch.equal(a, b) for a, b in zip(before, job.model.parameters()))
    assert job.metadata()["history"]["stopped"] is True


def test_divergence_is_reported_with_its_message(digits):
    job = small_job(digits, epochs=5, lr=1e6).start()
    assert job.wait(WAIT_S)
    snap = job.snapshot()
    assert snap.state == FAILED and snap.metrics is None
    assert "training diverged" in snap.error and "Lower the learning rate" in snap.error


def test_bad_settings_are_refused_before_any_thread(digits):
    with pytest.raises(ValueError, match="beta must be >= 0"):
        small_job(digits, kind="vae", options={"beta": -1.0})
    with pytest.raises(ValueError, match="unknown option"):
        small_job(digits, options={"beta": 1.0})
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        small_job(digits, batch_size=0)
    with pytest.raises(ValueError, match="learning rate must be positive"):
        small_job(digits, lr=0.0)


def test_same_seed_same_initial_weights_and_caller_rng_untouched(digits):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first, second = small_job(digits, seed=7), small_job(digits, seed=7)
    assert torch.equal(torch.rand(3), expected)
    assert all(torch.equal(a, b) for a, b in zip(first.model.parameters(), second.model.parameters()))


def test_preview_takes_the_first_image_of_each_class_in_turn(digits):
    _, test = digits.split()
    picked = preview_indices(test, 12)
    labels = test.labels[picked].tolist()
    assert sorted(labels[:10]) == list(range(10)) and len(set(picked)) == 12
    assert picked[0] == test.labels.tolist().index(0)
