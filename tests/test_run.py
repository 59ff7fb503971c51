"""The run layer: a RunSpec trains the same model wherever it runs, with progress, stop and metadata."""

from __future__ import annotations

import shlex
import threading

import numpy as np
import pytest
import torch

import aecore
from aecore.cli import spec_from_args, train_command
from aecore.recipes import ZOO, default_spec, one_class_spec
from aecore.runner import DONE, STOPPED, FitSettings, RunSpec, build_model, check, preview_indices, run


def small(epochs: int = 2, **changes) -> RunSpec:
    spec = RunSpec(dataset="digits", kind="ae", latent_dim=4, fit=FitSettings(epochs=epochs, batch_size=64, lr=2e-3, device="cpu"))
    return RunSpec.from_dict({**spec.to_dict(), **changes})


def test_spec_round_trips_through_dict_and_command_line():
    spec = small(kind="vae", options={"beta": 2.0}, normal_classes=(1, 3))
    assert RunSpec.from_dict(spec.to_dict()) == spec
    parsed, other = spec_from_args(shlex.split(spec.command(out="x.zip"))[4:])
    assert parsed == spec and other["out"] == "x.zip"


@pytest.mark.parametrize("recipe", ZOO, ids=lambda r: r.name)
def test_every_zoo_recipe_reads_back_from_its_command(recipe):
    assert spec_from_args(shlex.split(recipe.command())[4:])[0] == recipe.spec


def test_the_cli_and_run_give_the_same_checkpoint(tmp_path):
    spec = small()
    result = run(spec)
    train_command([*spec.argv(), "--out", str(tmp_path / "cli"), "--quiet"])
    from_cli = aecore.load(tmp_path / "cli")
    for (name, a), b in zip(result.model.state_dict().items(), from_cli.state_dict().values()):
        assert torch.equal(a, b), name
    assert from_cli.checkpoint["metadata"]["recipe"] == spec.command()
    assert from_cli.checkpoint["metadata"]["spec"] == spec.to_dict()


def test_run_reports_progress_and_evaluates_beside_pca():
    seen = []
    result = run(small(epochs=6), progress=seen.append, every=0.0)
    assert seen[0].state == "running" and seen[0].reconstructions_epoch == 0
    assert seen[-1].state == DONE and seen[-1].fraction == 1.0 and seen[-1].metrics == result.metrics
    batches = [s.batches_done for s in seen]
    assert batches == sorted(batches) and len(set(batches)) > 3
    assert seen[-1].reconstructions_epoch == 6 and not np.array_equal(seen[0].reconstructions, seen[-1].reconstructions)
    assert seen[-1].reconstructions.shape == seen[-1].originals.shape == (10, 1, 8, 8)
    assert len(seen[-1].train_history) == len(seen[-1].val_history) == 6
    assert seen[-1].feed == "resident" and seen[-1].world_size == 1 and result.metadata["history"]["feed"] == "resident"
    assert set(result.metrics) >= {"mse", "psnr"} and result.pca["k"] == 4
    assert not result.model.training
    reloaded = aecore.load(aecore.to_zip_bytes(result.model, metadata=result.metadata))
    assert reloaded.checkpoint["metrics"]["test"]["mse"] == result.metrics["mse"]


def test_time_left_is_unknown_until_measured_then_finite():
    seen = []
    run(small(epochs=4), progress=seen.append, every=0.0)
    first_epoch = [s for s in seen if s.state == "running" and s.epoch == 1 and not s.train_history]
    assert first_epoch and all(np.isnan(s.seconds_left) for s in first_epoch)
    later = [s for s in seen if s.state == "running" and len(s.train_history) >= 1 and s.epoch < 4]
    assert later and all(np.isfinite(s.seconds_left) and s.seconds_left >= 0 for s in later)


def test_stop_keeps_the_weights_so_far_and_says_so():
    stop = threading.Event()
    before = build_model(small(), (1, 8, 8))  # the same initial weights
    seen = []

    def stop_after_a_few(snapshot):
        seen.append(snapshot)
        if snapshot.batches_done >= 5:
            stop.set()

    result = run(small(epochs=1000), progress=stop_after_a_few, stop=stop, every=0.0)
    assert result.stopped and seen[-1].state == STOPPED and seen[-1].fraction < 1.0
    assert len(result.history.train) < 1000 and result.metadata["history"]["stopped"] is True
    assert result.metrics and any(not torch.equal(a, b) for a, b in zip(before.parameters(), result.model.parameters()))


def test_one_class_runs_train_and_evaluate_on_the_normal_classes_only():
    spec = one_class_spec("digits", [3, 1]).with_fit(epochs=1)
    assert spec.normal_classes == (1, 3)
    result = run(spec)
    assert result.metadata["normal_classes"] == [1, 3]
    from aecore.runner import split_for

    train, test = split_for(spec)
    assert set(train.labels.tolist()) == set(test.labels.tolist()) == {1, 3}


def test_bad_settings_are_refused_before_any_work():
    with pytest.raises(ValueError, match="beta must be >= 0"):
        check(small(kind="vae", options={"beta": -1.0}))
    with pytest.raises(ValueError, match="unknown option"):
        check(small(options={"beta": 1.0}))
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        check(small().with_fit(batch_size=0))
    with pytest.raises(ValueError, match="learning rate must be positive"):
        check(small().with_fit(lr=0.0))


def test_same_seed_same_model_and_the_callers_random_state_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first, second = run(small(epochs=1)), run(small(epochs=1))
    assert torch.equal(torch.rand(3), expected)
    assert all(torch.equal(a, b) for a, b in zip(first.model.parameters(), second.model.parameters()))


def test_the_train_page_starts_from_the_zoo_recipe():
    assert default_spec("digits") == next(r.spec for r in ZOO if r.name == "digits-ae-8")
    assert default_spec("shapes").arch == "conv"


def test_preview_takes_the_first_image_of_each_class_in_turn():
    _, test = aecore.load_dataset("digits").split()
    picked = preview_indices(test, 12)
    labels = test.labels[picked].tolist()
    assert sorted(labels[:10]) == list(range(10)) and len(set(picked)) == 12


def test_the_run_function_and_its_module_have_a_name_each():
    # `aecore.run` was both a module and the function it re-exports, so `aecore.run.RunSpec` broke.
    import importlib

    import aecore

    module = importlib.import_module("aecore.runner")
    assert callable(aecore.run) and aecore.run is module.run
    assert module.RunSpec is aecore.RunSpec and module.split_for is not None
