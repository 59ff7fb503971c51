"""Data that stays on disk: a memory-mapped .npy or a folder of images streams through DataLoader
workers, trains to the same weights as the resident path, and fit says which path it took."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import aecore
import aecore.runner
from aecore.cli import main
from aecore.data import StreamedImages
from aecore.runner import FitSettings, RunSpec, run
from aecore.train import fit


@pytest.fixture(scope="module")
def digits_npy(tmp_path_factory):
    digits = aecore.load_dataset("digits")
    path = tmp_path_factory.mktemp("stream") / "digits.npy"
    np.save(path, (digits.images[:, 0].numpy() * 255).round().astype(np.uint8))  # (N, 8, 8) uint8
    return path


def stream(path, **options) -> StreamedImages:
    return aecore.load_dataset("stream", path=str(path), **options)


def trained_weights(data) -> tuple[torch.Tensor, aecore.History]:
    torch.manual_seed(0)
    model = aecore.create_model("ae", input_shape=(1, 8, 8))
    history = fit(model, data, epochs=2, batch_size=100, device="cpu")
    return torch.cat([p.detach().flatten() for p in model.parameters()]), history


def test_streaming_through_workers_learns_what_the_resident_path_learns(digits_npy):
    streamed = stream(digits_npy, num_workers=1, memory_budget_mb=0)  # nothing fits: it must stream
    weights, history = trained_weights(streamed)
    assert history.feed == "streamed" and "exceeds the 0.0 MB budget" in history.feed_reason
    assert "1 DataLoader worker" in history.feed_reason
    resident_weights, resident = trained_weights(streamed.to_dataset())
    assert resident.feed == "resident"
    assert torch.equal(weights, resident_weights) and history.train_loss == resident.train_loss


def test_a_set_that_fits_the_budget_is_read_whole(digits_npy):
    _, history = trained_weights(stream(digits_npy, num_workers=0))  # default budget: a quarter of free memory
    assert history.feed == "resident" and "fits the" in history.feed_reason


def test_a_streamed_set_splits_as_the_resident_one_does(digits_npy):
    streamed, resident = stream(digits_npy), aecore.ImageDataset.from_arrays(np.load(digits_npy))
    assert streamed.image_shape == resident.image_shape and len(streamed) == len(resident)
    train, test = streamed.split(0.2, seed=3)
    resident_train, resident_test = resident.split(0.2, seed=3)
    assert isinstance(test, StreamedImages) and len(train) == len(resident_train)
    assert torch.equal(test.to_dataset().images, resident_test.images)
    assert torch.equal(streamed[5], resident.images[5])


def test_a_folder_streams_the_images_the_folder_loader_reads(tmp_path):
    for label in ("circle", "square"):
        (tmp_path / label).mkdir()
        for i in range(3):
            pixels = np.random.default_rng(i).integers(0, 256, (12, 10), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    streamed = stream(tmp_path, image_size=8, num_workers=0)
    resident = aecore.load_dataset("folder", path=str(tmp_path), image_size=8)
    assert streamed.classes == resident.classes == ["circle", "square"]
    assert torch.equal(streamed.labels, resident.labels)
    whole = streamed.to_dataset()
    assert torch.equal(whole.images, resident.images)


def test_a_run_on_streamed_data_evaluates_on_a_sample(digits_npy, monkeypatch):
    monkeypatch.setattr(aecore.runner, "EVALUATION_SAMPLE", 50)
    spec = RunSpec(dataset="stream", dataset_options={"path": str(digits_npy), "num_workers": 0, "memory_budget_mb": 0},
                   latent_dim=4, fit=FitSettings(epochs=1, batch_size=64, device="cpu"))
    result = run(spec)
    assert result.history.feed == "streamed" and result.metadata["history"]["feed"] == "streamed"
    assert len(result.history.val) == 1 and result.metrics["mse"] > 0 and result.pca["k"] == 4


def test_the_cli_trains_on_a_npy_and_says_how_it_fed_the_data(digits_npy, tmp_path, capsys):
    out = tmp_path / "ae.zip"
    assert main(["train", "--data", str(digits_npy), "--dataset-option", "memory_budget_mb=0",
                 "--dataset-option", "num_workers=0", "--epochs", "1", "--latent-dim", "4", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["data"] == "streamed"
    assert "data: streamed (" in captured.err
    model = aecore.load(out)
    assert model.checkpoint["metadata"]["recipe"].startswith("python -m aecore train --dataset stream")
    assert main(["evaluate", str(out)]) == 0  # the recorded dataset reloads, streamed
    assert json.loads(capsys.readouterr().out)["metrics"]["mse"] > 0


@pytest.mark.parametrize("array, message", [
    (np.zeros((4, 5), np.uint8), r"shaped \(4, 5\)"),
    (np.full((4, 8, 8), 2.0, np.float32), r"floats outside \[0, 1\]"),
    (np.zeros((4, 8, 8), np.complex64), "stream uint8"),
])
def test_bad_arrays_are_refused_with_what_to_do(tmp_path, array, message):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(ValueError, match=message):
        stream(tmp_path / "bad.npy")


def test_bad_paths_are_refused_with_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        stream(tmp_path / "nope.npy")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="neither a .npy array nor a folder"):
        stream(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images found"):
        stream(tmp_path / "empty")
