"""The denoise lab's computations (aecore.studies.lab): image picking, noise ladders, PSNR, uploads."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import aecore
from aecore.studies import lab
from aecore.studies.lab import NOISY


@pytest.fixture(scope="module")
def digits_test() -> aecore.ImageDataset:
    return aecore.load_dataset("digits").split(0.2, seed=0)[1]


def small_model(shape: tuple[int, int, int], arch: str = "mlp") -> aecore.Autoencoder:
    torch.manual_seed(0)
    return aecore.create_model("ae", arch=arch, input_shape=shape, latent_dim=4).eval()


# --- levels and image picking ------------------------------------------------------------------
@pytest.mark.parametrize("kind", aecore.noise.list_noise())
def test_noise_levels_span_the_valid_range(kind):
    _, low, high = aecore.noise.describe_level(kind)
    levels = lab.noise_levels(kind, steps=11)
    assert len(levels) == 11 and levels[0] == low and levels[-1] == high
    assert all(a < b for a, b in zip(levels, levels[1:]))


@pytest.mark.parametrize("steps", [1, 0, 2.5, True])
def test_noise_levels_reject_bad_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        lab.noise_levels("gaussian", steps=steps)


def test_pick_images_lets_the_chosen_classes_take_turns(digits_test):
    index = lab.pick_images(digits_test, 9, classes=[3, 7, 1])
    labels = digits_test.labels[index].tolist()
    assert labels == [1, 3, 7] * 3
    assert index.unique().numel() == 9


def test_pick_images_shuffle_is_seeded(digits_test):
    first = lab.pick_images(digits_test, 20, classes=[0, 5], shuffle=True, seed=1)
    assert torch.equal(first, lab.pick_images(digits_test, 20, classes=[0, 5], shuffle=True, seed=1))
    assert not torch.equal(first, lab.pick_images(digits_test, 20, classes=[0, 5], shuffle=True, seed=2))
    assert set(digits_test.labels[first].tolist()) <= {0, 5}


def test_pick_images_returns_at_most_the_pool(digits_test):
    index = lab.pick_images(digits_test, 10_000, classes=[2])
    assert len(index) == int((digits_test.labels == 2).sum())


@pytest.mark.parametrize("count, classes, message", [(0, None, "count"), (3, [], "at least one class"),
                                                      (3, [42], "no images")])
def test_pick_images_bad_input(digits_test, count, classes, message):
    with pytest.raises(ValueError, match=message):
        lab.pick_images(digits_test, count, classes=classes)


# --- the ladder ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, arch", [((1, 8, 8), "mlp"), ((3, 16, 16), "conv")])
def test_ladder_shapes_and_reference_values(shape, arch):
    x = torch.rand(5, *shape)
    models = {"a": small_model(shape, arch), "b": small_model(shape, "mlp")}
    levels = lab.noise_levels("gaussian")
    ladder = lab.denoise_ladder(x, models, "gaussian", levels, seed=3)
    n_levels = len(levels)
    assert ladder.noisy.shape == (n_levels, 5, *shape)
    assert all(out.shape == (n_levels, 5, *shape) for out in ladder.outputs.values())
    assert set(ladder.psnr) == {NOISY, "a", "b"} and all(p.shape == (n_levels, 5) for p in ladder.psnr.values())
    assert ladder.error("a").shape == (n_levels, 5, *shape[1:])
    torch.testing.assert_close(ladder.error("a", 4), ladder.error("a")[4])
    torch.testing.assert_close(ladder.error("b", 2), (ladder.outputs["b"][2] - x).abs().mean(dim=1))
    # Against the building blocks: the same corruption, the model's own encode/decode, aecore's PSNR.
    noisy = aecore.noise.corrupt(x, "gaussian", levels[7], seed=3)
    assert torch.equal(ladder.noisy[7], noisy)
    with torch.no_grad():
        expected = models["a"].decode(models["a"].encode(noisy))
    torch.testing.assert_close(ladder.outputs["a"][7], expected)
    torch.testing.assert_close(ladder.psnr["a"][7], aecore.psnr(x, expected))
    assert torch.equal(ladder.noisy[0], x)  # level 0 leaves the images untouched


@pytest.mark.parametrize("kind", ["gaussian", "salt_pepper", "mask"])
def test_noisy_psnr_drops_as_the_level_rises(digits_test, kind):
    ladder = lab.denoise_ladder(digits_test.images[:64], {}, kind, lab.noise_levels(kind), seed=0)
    means = ladder.mean_psnr()[NOISY]
    assert means[0] == pytest.approx(100.0)  # untouched: capped at 100 dB
    assert all(later < earlier for earlier, later in zip(means, means[1:])), means


def test_block_noise_lowers_psnr_overall(digits_test):
    means = lab.denoise_ladder(digits_test.images[:64], {}, "block", lab.noise_levels("block"), seed=0)
    means = means.mean_psnr()[NOISY]
    assert means[-1] < means[10] < means[1]


def test_ladder_rejects_a_model_of_another_shape():
    with pytest.raises(ValueError, match="pick a model trained on this dataset"):
        lab.denoise_ladder(torch.rand(2, 1, 8, 8), {"big": small_model((1, 28, 28))}, "gaussian", [0.1])


def test_level_index_finds_the_nearest_level():
    ladder = lab.denoise_ladder(torch.rand(2, 1, 8, 8), {}, "mask", lab.noise_levels("mask"))
    assert ladder.level_index(0.3) == 6 and ladder.level_index(0.31) == 6 and ladder.level_index(2.0) == 20


# The embedded datasets' denoisers; those of MNIST and Fashion-MNIST: tests/test_quality.py (real images).
DENOISERS = [e for e in aecore.list_pretrained() if e["kind"] == "denoising" and e["dataset"] in ("digits", "shapes")]


@pytest.mark.parametrize("entry", DENOISERS, ids=[e["name"] for e in DENOISERS])
def test_pretrained_denoiser_beats_the_noise_at_its_training_level(entry):
    """The lab's lesson, on every denoising model in the zoo: it lifts the PSNR of its noisy input."""
    options = entry["options"]
    test = aecore.load_dataset(entry["dataset"], **entry["dataset_options"]).split(0.2, seed=0)[1]
    model = aecore.load_pretrained(entry["name"])
    ladder = lab.denoise_ladder(test.images[:128], {"denoiser": model}, options["noise"],
                                [options["noise_level"]], seed=0)
    means = ladder.mean_psnr()
    assert means["denoiser"][0] > means[NOISY][0] + 2.0


# --- uploads --------------------------------------------------------------------------------------
def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_upload_rgba_png_to_gray_keeps_aspect_ratio():
    # A wide white bar, opaque, on a transparent ground: gray, 8x8, bar across the middle rows.
    picture = Image.new("RGBA", (40, 10), (0, 0, 0, 0))
    picture.paste((255, 255, 255, 255), (0, 0, 40, 10))
    x = lab.image_from_bytes(encoded(picture, "PNG"), (1, 8, 8))
    assert x.shape == (1, 8, 8) and x.dtype == torch.float32
    assert x[0, 3:5].min() > 0.9 and x[0, 0].max() < 0.1 and x[0, 7].max() < 0.1


def test_upload_gray_jpeg_to_rgb_of_another_size():
    picture = Image.new("L", (300, 200), 0)
    picture.paste(255, (100, 50, 200, 150))  # a bright square in the middle
    x = lab.image_from_bytes(encoded(picture, "JPEG"), (3, 32, 32))
    assert x.shape == (3, 32, 32) and 0 <= x.min() and x.max() <= 1
    assert x[:, 16, 16].min() > 0.9 and x[:, 16, 2].max() < 0.1  # the centre is bright, the sides dark
    torch.testing.assert_close(x[0], x[1])  # gray stays gray in every channel


def test_upload_invert_turns_a_dark_drawing_on_paper_into_light_on_black():
    picture = Image.new("RGB", (64, 64), (255, 255, 255))
    picture.paste((0, 0, 0), (24, 24, 40, 40))
    x = lab.image_from_bytes(encoded(picture, "PNG"), (1, 8, 8), invert=True)
    assert x[0, 0, 0] < 0.05 and x[0, 4, 4] > 0.9


def test_upload_invert_keeps_a_transparent_ground_black():
    picture = Image.new("LA", (16, 16), (0, 0))
    picture.paste((0, 255), (6, 6, 10, 10))  # black ink on a transparent sheet
    x = lab.image_from_bytes(encoded(picture, "PNG"), (1, 8, 8), invert=True)
    assert x[0, 0, 0] < 0.05 and x[0, 4, 4] > 0.9


@pytest.mark.parametrize("data", [b"", b"hello, not an image", b"\x89PNG\r\n\x1a\n" + bytes(40)])
def test_upload_that_is_not_an_image(data):
    with pytest.raises(ValueError, match="drawing.txt is not a readable image"):
        lab.image_from_bytes(data, (1, 8, 8), name="drawing.txt")


def test_upload_over_the_byte_limit():
    data = encoded(Image.new("L", (64, 64)), "PNG")
    with pytest.raises(ValueError, match="over the"):
        lab.image_from_bytes(data, (1, 8, 8), max_bytes=len(data) - 1)


def blank_png(side: int) -> bytes:
    """A valid black 1-bit PNG of side x side pixels, built row by row: 20000 x 20000 is ~50 kB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = bytes(1 + (side + 7) // 8)  # filter byte 0, then 8 pixels a byte
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # bit depth 1, grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_blank_png_helper_makes_a_real_png():
    with Image.open(io.BytesIO(blank_png(300))) as image:
        assert image.size == (300, 300) and np.asarray(image).max() == 0


@pytest.mark.parametrize("side", [20_000, 10_000])  # above 2x Pillow's limit (error), between 1x and 2x (warning)
def test_upload_decompression_bomb_is_refused(side):
    data = blank_png(side)
    assert side * side > Image.MAX_IMAGE_PIXELS and len(data) < 400_000
    with pytest.raises(ValueError, match="bomb.png has too many pixels"):
        lab.image_from_bytes(data, (1, 8, 8), name="bomb.png")


def test_stored_curves_match_a_fresh_score_and_ignore_changed_weights(tmp_path, monkeypatch):
    """The zoo's stored PSNR curves are what `psnr_curve` gives now; a model whose weights changed
    since they were stored is left out, so the app scores it afresh."""
    from aecore.studies import lab_curves
    from aecore.data.splits import SPLIT_SEED, TEST_FRACTION

    stored = lab_curves.load_curves("digits")
    name = "digits-ae-8"
    assert name in stored["models"], "build them with `python -m aecore.studies.lab_curves digits`"
    test = aecore.load_dataset("digits").split(TEST_FRACTION, seed=SPLIT_SEED)[1]
    images = lab_curves.curve_images(test)
    fresh = lab_curves.psnr_curve(images, "gaussian", aecore.load_pretrained(name))
    assert stored["models"][name]["gaussian"] == pytest.approx(fresh, abs=0.01)
    assert stored["noisy"]["gaussian"] == pytest.approx(lab_curves.psnr_curve(images, "gaussian"), abs=0.01)
    assert stored["levels"]["gaussian"] == lab.noise_levels("gaussian")
    assert lab_curves.load_curves("digits", root=tmp_path) == {"levels": {}, "noisy": {}, "models": {}}
    monkeypatch.setattr(lab_curves, "weights_digest", lambda *args: "retrained")
    assert lab_curves.load_curves("digits")["models"] == {}


@pytest.mark.parametrize("dataset", ["digits", "shapes"])
def test_every_shipped_model_has_curves_stored_for_its_weights(dataset):
    """A model retrained without its curves rebuilt makes the denoise lab score it on every visit."""
    from aecore.studies import lab_curves

    stale = {e["name"] for e in aecore.list_pretrained(dataset)} - set(lab_curves.load_curves(dataset)["models"])
    assert not stale, f"rebuild them with `python -m aecore.studies.lab_curves {dataset}`: {sorted(stale)}"
