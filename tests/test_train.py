"""fit(): every kind learns on digits, runs repeat, callbacks see progress, stop and NaN are handled,
bad arguments are refused before any work."""

from __future__ import annotations

import math

import threading

import pytest
import torch

import aecore
from aecore.train import TrainingDiverged, fit, resolve_device
from conftest import refuses


@pytest.fixture(scope="module")
def digits():
    return aecore.load_dataset("digits").split(test_fraction=0.2, seed=0)


def val_loss(model, data) -> float:
    torch.manual_seed(0)
    with torch.no_grad():
        return model.eval().loss(data.images)[0].item()


VARIANTS = [(kind, {}) for kind in aecore.list_models()] + [("sparse", {"penalty": "kl"})]


@pytest.mark.parametrize("arch", aecore.list_archs())
@pytest.mark.parametrize("kind, options", VARIANTS)
def test_two_epochs_lower_the_validation_loss(digits, kind, options, arch):
    if refuses(kind, arch):
        return
    train, test = digits
    torch.manual_seed(0)
    model = aecore.create_model(kind, arch=arch, input_shape=train.image_shape, **options)
    before = val_loss(model, test)
    history = fit(model, train, test, epochs=2, batch_size=64, device="cpu")
    assert len(history.train) == len(history.val) == 2
    assert history.val_loss[-1] < before
    assert set(history.train[0]) >= {"total", "recon"}
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert not model.training  # handed back ready to use


@pytest.mark.parametrize("augment", ["none", "hflip"])
def test_same_seed_same_weights(digits, augment):
    train, _ = digits
    weights = []
    for _ in range(2):
        torch.manual_seed(0)
        model = aecore.create_model("vae", input_shape=train.image_shape)
        fit(model, train, epochs=1, device="cpu", seed=3, augment=augment)
        weights.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(*weights)


def test_callbacks_follow_progress(digits):
    train, test = digits
    events = []
    model = aecore.create_model("vae", input_shape=train.image_shape)
    history = fit(model, train, test, epochs=2, batch_size=256, device="cpu", callbacks=[events.append])
    kinds = [p.event for p in events]
    batches = events[0].batches
    assert batches == 6 and kinds == (["batch"] * 6 + ["epoch"]) * 2 + ["end"]
    assert set(events[0].losses) == {"recon", "kl", "total"}
    assert events[6].val_losses is not None and events[6].epoch == 1
    assert all(p.samples_per_second > 0 for p in events)
    # The time left is unknown until the run has measured its own pace (after its first epoch),
    # then it counts down to 0.
    assert math.isnan(events[1].seconds_left) or events[1].seconds_left > 0
    assert events[-2].seconds_left == 0 and events[7].seconds_left > events[-3].seconds_left >= 0
    assert history.samples_per_second > 0 and history.wall_time > 0 and history.device == "cpu"
    assert history.feed == "resident" and history.world_size == 1  # in memory, one process


def test_stop_event_ends_training_within_one_batch(digits):
    train, _ = digits
    stop = threading.Event()
    model = aecore.create_model("ae", input_shape=train.image_shape)
    before = [p.detach().clone() for p in model.parameters()]

    def stop_after_third_batch(progress):
        if progress.event == "batch" and progress.batch == 3:
            stop.set()

    history = fit(model, train, epochs=50, batch_size=32, device="cpu", stop=stop, callbacks=[stop_after_third_batch])
    assert history.stopped and history.batches_done == 3 and len(history.train) == 1
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))  # kept what it learned


def test_divergence_restores_the_last_good_weights(digits):
    train, _ = digits
    model = aecore.create_model("ae", input_shape=train.image_shape)
    fit(model, train, epochs=1, device="cpu")
    good = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(TrainingDiverged, match="weights from before that epoch were restored.*Lower the learning rate"):
        fit(model, train, epochs=5, lr=1e6, device="cpu")
    assert all(torch.equal(good[k], v) for k, v in model.state_dict().items())


def test_warmup_ramps_the_kl_weight_from_zero(digits):
    train, _ = digits
    model = aecore.create_model("vae", input_shape=train.image_shape)
    first = []
    fit(model, train, epochs=1, device="cpu", warmup_epochs=2,
        callbacks=[lambda p: first.append(p.losses) if p.event == "batch" and p.batch == 1 else None])
    assert first[0]["total"] == pytest.approx(first[0]["recon"])  # KL weighted by 0 on the first batch
    assert model.warmup_scale == 1.0


def test_auto_device_is_cpu_without_an_accelerator():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.parametrize(
    "change, message",
    [
        ({"train": "empty"}, "training dataset is empty"),
        ({"train": "wrong_shape"}, r"training images are shaped \(1, 4, 4\) but the model takes \(1, 8, 8\)"),
        ({"epochs": 0}, "epochs must be an integer of at least 1"),
        ({"lr": 0.0}, "learning rate must be positive"),
        ({"lr": -1e-3}, "learning rate must be positive"),
        ({"batch_size": 0}, "batch_size must be an integer of at least 1"),
    ],
)
def test_bad_arguments_fail_before_any_work(digits, change, message):
    train, _ = digits
    model = aecore.create_model("ae", input_shape=train.image_shape)
    before = [p.detach().clone() for p in model.parameters()]
    data = {"empty": train.subset([]), "wrong_shape": aecore.ImageDataset.from_arrays(torch.rand(10, 4, 4))}
    kwargs = {"epochs": 1, **change}
    kwargs["train"] = data.get(kwargs.get("train"), train)
    with pytest.raises(ValueError, match=message):
        fit(model, device="cpu", **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_validation_does_not_change_what_is_learned(digits):
    train, test = digits
    weights = []
    for val in (None, test):
        torch.manual_seed(0)
        model = aecore.create_model("vae", input_shape=train.image_shape)  # its loss draws samples
        fit(model, train, val, epochs=2, device="cpu")
        weights.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(*weights)


def test_onecycle_schedule_trains_and_unknown_schedules_are_refused(digits):
    train, test = digits
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=train.image_shape)
    before = val_loss(model, test)
    fit(model, train, test, epochs=3, batch_size=64, lr=3e-3, device="cpu", schedule="onecycle")
    assert val_loss(model, test) < before
    with pytest.raises(ValueError, match="valid: constant, onecycle"):
        fit(model, train, epochs=1, device="cpu", schedule="cosine")


def _rows_seen(model, train, augment: str) -> list[torch.Tensor]:
    seen = []
    loss = model.loss
    model.loss = lambda x: (seen.append(x.detach().clone()), loss(x))[1]  # the step reads model.loss once
    fit(model, train, epochs=1, batch_size=64, device="cpu", augment=augment)
    return list(torch.cat(seen))


def test_hflip_mirrors_about_half_of_each_epoch_and_unknown_augments_are_refused(digits):
    train, _ = digits
    originals = {img.numpy().tobytes() for img in train.images}
    mirrored = {img.flip(-1).numpy().tobytes() for img in train.images}
    model = aecore.create_model("ae", input_shape=train.image_shape)
    plain = _rows_seen(model, train, "none")
    assert all(row.numpy().tobytes() in originals for row in plain)
    flipped = _rows_seen(model, train, "hflip")
    assert len(flipped) == len(train) and all(r.numpy().tobytes() in originals | mirrored for r in flipped)
    share = sum(r.numpy().tobytes() not in originals for r in flipped) / len(flipped)
    assert 0.35 < share < 0.65  # a fair coin per image (symmetric images count as unflipped)
    with pytest.raises(ValueError, match="valid: none, hflip"):
        fit(model, train, epochs=1, device="cpu", augment="rotate")
