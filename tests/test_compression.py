"""aecore.studies.compression: the rate-distortion sweep, checked against scikit-learn's PCA, the error after
quantization, the ratio arithmetic, the background job and the shipped sweeps."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

import aecore
from aecore.studies import compression, image_files
from aecore.studies.compression import compression_ratio, rate_distortion

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits_split() -> tuple[aecore.ImageDataset, aecore.ImageDataset]:
    return aecore.load_dataset("digits").split(0.2, seed=0)


@pytest.fixture(scope="module")
def tiny_sweep(digits_split) -> list[dict]:
    train, test = digits_split
    return rate_distortion("ae", train, test, [2, 8], epochs=15, batch_size=64, lr=2e-3,
                           images=compression.preview_images(test))


def _sklearn_pca_metrics(train: aecore.ImageDataset, test: aecore.ImageDataset, k: int) -> tuple[float, float]:
    x_train, x_test = train.images.flatten(1).double().numpy(), test.images.flatten(1).double().numpy()
    pca = PCA(n_components=k).fit(x_train)
    x_hat = np.clip(pca.inverse_transform(pca.transform(x_test)), 0, 1)
    per_image = ((x_hat - x_test) ** 2).mean(axis=1)
    return float(per_image.mean()), float((10 * np.log10(1 / np.maximum(per_image, 1e-10))).mean())


def test_pca_rows_match_scikit_learn(tiny_sweep, digits_split) -> None:
    train, test = digits_split
    for row in tiny_sweep:
        mse, psnr = _sklearn_pca_metrics(train, test, row["latent_dim"])
        assert row["pca_mse"] == pytest.approx(mse, rel=1e-9)
        assert row["pca_psnr"] == pytest.approx(psnr, rel=1e-6)


def test_autoencoder_rows_are_finite_and_improve_with_size(tiny_sweep) -> None:
    assert [row["latent_dim"] for row in tiny_sweep] == [2, 8]
    for row in tiny_sweep:
        assert np.isfinite([row["ae_mse"], row["ae_psnr"]]).all() and 0 < row["ae_mse"] < 0.2
    small, large = tiny_sweep
    assert large["ae_mse"] < small["ae_mse"] and large["ae_psnr"] > small["ae_psnr"]


def test_rows_carry_reconstructions_of_the_same_images(tiny_sweep, digits_split) -> None:
    train, test = digits_split
    images = compression.preview_images(test)
    assert images.shape == (compression.PREVIEW_IMAGES, 1, 8, 8)
    for row in tiny_sweep:
        assert row["ae_images"].shape == row["pca_images"].shape == tuple(images.shape)
        expected = compression.pca_reconstruct(train, images, row["latent_dim"]).numpy()
        np.testing.assert_array_equal(row["pca_images"], expected)
        assert 0 <= row["ae_images"].min() and row["ae_images"].max() <= 1


@pytest.mark.parametrize(("shape", "k", "bits", "ratio"), [
    ((1, 8, 8), 8, 8, 8.0), ((1, 8, 8), 8, 16, 4.0), ((1, 8, 8), 2, 8, 32.0), ((1, 8, 8), 8, 4, 16.0),
    ((1, 32, 32), 16, 8, 64.0), ((1, 32, 32), 16, 16, 32.0), ((3, 32, 32), 3, 16, 512.0), ((1, 8, 8), 2, 2, 128.0),
])
def test_compression_ratio(shape, k, bits, ratio) -> None:
    assert compression_ratio(shape, k, bits) == ratio


@pytest.mark.parametrize("bits", [0, 33, 2.5])
def test_compression_ratio_refuses_other_widths(bits) -> None:
    with pytest.raises(ValueError, match="bits must be an integer"):
        compression_ratio((1, 8, 8), 8, bits)


def test_rows_measure_the_error_after_quantization(tiny_sweep) -> None:
    for row in tiny_sweep:
        quantized = row["quantized"]
        assert quantized["bits"] == list(compression.QUANT_BITS)
        # 16 bits is the float code to a hair; 2 bits is worse; the error falls as bits grow.
        for method in ("ae", "pca"):
            at16, at2 = compression.at_bits(row, 16), compression.at_bits(row, 2)
            assert at16[f"{method}_mse"] == pytest.approx(row[f"{method}_mse"], rel=1e-3)
            assert at2[f"{method}_mse"] > 1.02 * row[f"{method}_mse"]
            mse = quantized[f"{method}_mse"]
            assert mse[0] > mse[2] > mse[6] and all(later <= 1.05 * earlier for earlier, later in zip(mse, mse[1:]))
        for method in ("ae", "pca"):
            previews = row[f"{method}_quantized_images"]
            assert previews.shape == (len(compression.QUANT_BITS), *row[f"{method}_images"].shape)
            np.testing.assert_allclose(previews[-1], row[f"{method}_images"], atol=2e-3)


def test_pca_rows_quantize_the_pca_code(digits_split, tiny_sweep) -> None:
    """PCA at 2 bits, by hand: components' scores rounded to 4 levels of their training range."""
    train, test = digits_split
    row = tiny_sweep[1]
    pca = PCA(n_components=row["latent_dim"], random_state=0).fit(train.images.flatten(1).double().numpy())
    scores = pca.transform(train.images.flatten(1).double().numpy())
    low, high = scores.min(0), scores.max(0)
    test_scores = np.clip(pca.transform(test.images.flatten(1).double().numpy()), low, high)
    step = (high - low) / 3
    x_hat = np.clip(pca.inverse_transform(low + step * np.rint((test_scores - low) / step)), 0, 1)
    mse = ((x_hat - test.images.flatten(1).double().numpy()) ** 2).mean()
    assert compression.at_bits(row, 2)["pca_mse"] == pytest.approx(mse, rel=1e-5)


def test_at_bits_refuses_an_unmeasured_width(tiny_sweep) -> None:
    with pytest.raises(ValueError, match="measured at"):
        compression.at_bits(tiny_sweep[0], 20)


@pytest.mark.parametrize("dims", [[], [0], [65]])
def test_rate_distortion_refuses_bad_sizes(digits_split, dims) -> None:
    train, test = digits_split
    with pytest.raises(ValueError, match="latent_dims"):
        rate_distortion("ae", train, test, dims, epochs=1)


def test_progress_is_reported_per_epoch_and_per_model(digits_split) -> None:
    train, test = digits_split
    events = []
    rows = rate_distortion("ae", train.subset(range(200)), test.subset(range(50)), [2, 4], epochs=2,
                           progress=events.append)
    models = [e for e in events if e.event == "model"]
    assert [(e.done, e.total, e.latent_dim) for e in models] == [(1, 2, 2), (2, 2, 4)]
    assert len(events) == 6 and events[-1].fraction == 1.0 and len(rows) == 2


def test_stop_ends_the_sweep_with_the_rows_so_far(digits_split) -> None:
    train, test = digits_split
    stop = threading.Event()

    def stop_after_first_model(progress: compression.SweepProgress) -> None:
        if progress.event == "model":
            stop.set()

    rows = rate_distortion("ae", train.subset(range(200)), test.subset(range(50)), [2, 4, 8], epochs=2,
                           progress=stop_after_first_model, stop=stop)
    assert [row["latent_dim"] for row in rows] == [2]


def test_the_sweep_job_returns_a_sweep_in_the_shipped_layout() -> None:
    sweep = aecore.studies.jobs.compression_sweep("digits", "vae", [4, 2], 2)  # as a worker runs it
    shipped = compression.load_sweep("digits")
    assert set(sweep) == set(shipped) and set(sweep["rows"][0]) == set(shipped["rows"][0])
    assert [row["latent_dim"] for row in sweep["rows"]] == [2, 4] and sweep["dataset"] == "digits"
    assert sweep["recipe"]["kind"] == "vae" and sweep["recipe"]["epochs"] == 2
    assert sweep["images"].shape[0] == len(sweep["rows"][0]["ae_images"]) == compression.PREVIEW_IMAGES
    assert sweep["test_images"] == 360 and sweep["anchor"]["images"] == compression.ANCHOR_IMAGES  # a sample: 95 encodings each
    assert sweep["anchor"]["jpeg"]["quality"] == list(image_files.JPEG_QUALITIES)


@pytest.mark.parametrize("dataset", list(compression.SWEEP_RECIPES))
def test_shipped_sweeps_are_small_and_complete(dataset) -> None:
    path = compression.sweep_path(dataset)
    assert path.stat().st_size < 500_000
    sweep = compression.load_sweep(dataset)
    recipe = compression.SWEEP_RECIPES[dataset]
    assert sweep["recipe"] == recipe and [r["latent_dim"] for r in sweep["rows"]] == recipe["latent_dims"]
    train, test = aecore.load_dataset(dataset).split(0.2, seed=0)
    np.testing.assert_allclose(sweep["images"], compression.preview_images(test).numpy(), atol=1 / 255)
    last = sweep["rows"][-1]
    assert last["pca_mse"] == pytest.approx(aecore.pca_baseline(train, test, last["latent_dim"])["mse"], rel=1e-9)
    assert sweep["test_images"] == len(test) == sweep["anchor"]["images"]
    for row in sweep["rows"]:
        assert row["ae_images"].shape == row["pca_images"].shape == sweep["images"].shape
        assert row["quantized"]["bits"] == list(compression.QUANT_BITS)
        assert row["ae_quantized_images"].shape == (len(compression.QUANT_BITS), *sweep["images"].shape)
        assert compression.at_bits(row, 16)["ae_mse"] == pytest.approx(row["ae_mse"], rel=1e-2)


def test_load_sweep_says_how_to_build_a_missing_one(tmp_path) -> None:
    with pytest.raises(ValueError, match="bench/rate_distortion.py"):
        compression.load_sweep("digits", root=tmp_path)
